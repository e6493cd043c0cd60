# Thin aliases for the scripts in scripts/ (which are what README and CI call).
.PHONY: demo test lint bench bench-quick score-mini

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench:
	bash scripts/bench.sh

bench-quick:
	bash scripts/bench.sh --quick

score-mini:
	bash scripts/score_mini.sh
