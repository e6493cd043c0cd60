#!/usr/bin/env bash
# Fresh machine -> verdict: set up .venv with the test extras, lint, and run the whole test suite.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/core -x`).
# The leaderboard's browser test needs the system Chromium: installed here with apt-get when
# running as root (CI); otherwise that test is skipped with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing chromium (apt-get) for the browser test"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "note: no chromium and not root: the HTML leaderboard browser test will be skipped" >&2
    fi
fi
# torch==2.13.0 (agents, hf, sb3 extras) is the CPU build on these machines.
ensure_venv dev,cli,humaneval,plot,browser-test,ray,agents,sb3,hf
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
fi
exit "$status"
