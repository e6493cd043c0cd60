# Sourced by the other scripts: make (or update) the project's virtual environment in .venv.
# Usage: ensure_venv EXTRA[,EXTRA...]   e.g. ensure_venv dev
# PYTHON picks the interpreter (default python3, which must be >= 3.10).
ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "error: score-envs needs Python >= 3.10; '$python' is $("$python" --version 2>&1)" >&2
        return 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "==> creating .venv with $("$python" --version 2>&1)"
        "$python" -m venv .venv
    fi
    echo "==> installing score-envs[$extras] into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
}
