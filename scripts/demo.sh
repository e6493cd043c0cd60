#!/usr/bin/env bash
# Fresh machine -> results: set up .venv, then run the built-in leaderboard on ScoreMath-v0 and
# ScoreCode-v0: prints the tables, writes results/leaderboard.{md,html,png}.
# Extra arguments go to `score-envs demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv cli,plot
exec .venv/bin/score-envs demo --out results/leaderboard.md --html results/leaderboard.html \
    --plot results/leaderboard.png "$@"
