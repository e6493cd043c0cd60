"""benchmarks/bench_runner.py runs on a tiny workload and writes well-formed results.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_runner.py"


def test_benchmark_measures_every_local_backend_and_writes_json(tmp_path):
    output = tmp_path / "runner.json"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--episodes",
            "24",
            "--remote-episodes",
            "4",
            "--concurrency",
            "2",
            "--latency",
            "0",
            "--skip-ray",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text())
    backends = [entry["backend"] for entry in report["results"]]
    assert backends == [
        "local",
        "local + results file",
        "process x1",
        "process x2",
        "vector sync",
        "vector async",
        "openai x1",
        "openai x2",
    ]
    assert all(entry["episodes_per_second"] > 0 for entry in report["results"])
    assert "episodes/s" in result.stdout
