"""benchmarks/bench_verifier.py runs on a tiny workload and writes well-formed results.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_verifier.py"


def write_pairs(path: Path) -> Path:
    pairs = [
        {"predicted": "0.5", "reference": r"\frac12", "equivalent": True, "category": "fraction"},
        {"predicted": "(1,2)", "reference": "(2,1)", "equivalent": False, "category": "tuple"},
        {"predicted": "x^2", "reference": "x*x", "equivalent": True, "category": "polynomial"},
    ]
    path.write_text("".join(json.dumps(pair) + "\n" for pair in pairs), encoding="utf-8")
    return path


def run_benchmark(*args: str, preamble: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        preamble
        + f"import runpy, sys; sys.argv = {[str(SCRIPT), *args]!r}; "
        + (f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_benchmark_reports_our_figures_and_writes_json(tmp_path):
    output = tmp_path / "verifier.json"
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    completed = run_benchmark(
        "--pairs", str(pairs), "--repeat", "1", "--output", str(output), "--skip-math-verify"
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(output.read_text())
    assert result["score_envs"]["correct"] == 3
    assert result["score_envs"]["total"] == 3
    assert result["workload"]["pairs"] == 3
    assert result["math_verify"] is None
    assert result["math_verify_status"] == "skipped"
    assert isinstance(result["score_envs"]["pairs_per_second"], float)
    assert result["machine"]["cores"] >= 1


def test_benchmark_prints_machine_and_workload(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    completed = run_benchmark(
        "--pairs", str(pairs), "--repeat", "1", "--output", str(tmp_path / "out.json"),
        "--skip-math-verify",
    )  # fmt: skip
    assert "machine:" in completed.stdout
    assert "workload: 3 labelled pairs" in completed.stdout
    assert "score-envs  : accuracy 100.00%" in completed.stdout


def test_benchmark_without_math_verify_says_so_and_still_reports(tmp_path):
    output = tmp_path / "verifier.json"
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    # A None entry in sys.modules makes "import math_verify" fail as if it were not installed.
    completed = run_benchmark(
        "--pairs", str(pairs), "--repeat", "1", "--output", str(output),
        preamble="import sys; sys.modules['math_verify'] = None; ",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "math-verify : not installed" in completed.stdout
    result = json.loads(output.read_text())
    assert (result["math_verify_status"], result["score_envs"]["correct"]) == ("not installed", 3)
