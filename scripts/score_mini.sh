#!/usr/bin/env bash
# Fresh machine -> the miniature SCoRe study: set up .venv with the agents extra (torch CPU) and
# matplotlib, then train and evaluate base, baselines, SCoRe and ablations (about 17 min on 2
# cores). Extra arguments go to `python -m agents.score_mini.run` (e.g. --quick, --seed 2).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv agents,plot
exec .venv/bin/python -m agents.score_mini.run --out results/score_mini "$@"
