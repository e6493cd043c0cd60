#!/usr/bin/env bash
# Fresh machine -> results: set up .venv, then run the built-in leaderboard on ScoreMath-v0.
# Extra arguments go to `score-envs demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv cli
exec .venv/bin/score-envs demo "$@"
