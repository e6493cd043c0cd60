# Thin aliases for the scripts in scripts/ (which are what README and CI call).
.PHONY: demo test lint bench-verifier

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
