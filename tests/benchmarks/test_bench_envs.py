"""benchmarks/bench_envs.py plays real episodes and writes well-formed results.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_envs

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_envs.py"


def test_measure_plays_score_math_episodes_in_process():
    result = bench_envs.measure("score_math_arithmetic", seconds=0)
    assert result["episodes"] >= 1
    assert result["wall_s"] > 0


def test_a_workload_whose_peer_is_missing_is_reported_not_run(monkeypatch):
    absent = bench_envs.Workload(
        "absent_peer", "nobody", "never built", 1, lambda: pytest.fail("built"), ("no_such_mod_x",)
    )
    monkeypatch.setitem(bench_envs.WORKLOADS, "absent_peer", absent)
    rows = bench_envs.run(["absent_peer"], seconds=0, rounds=1, isolate=False)
    assert rows["absent_peer"]["status"] == "not installed: no_such_mod_x"
    assert rows["absent_peer"]["episodes_per_s"] is None


def test_ratios_compare_ours_with_the_fastest_peer_measured():
    rows = {
        "score_math": {"episodes_per_s": 100.0},
        "gem_math": {"episodes_per_s": 5.0},
        "gem_math_no_mp": {"episodes_per_s": 10.0},
    }
    entry = next(
        r for r in bench_envs.ratios(rows) if r["comparison"].startswith("ScoreMath-v0 vs")
    )
    assert entry["peer"] == "gem_math_no_mp"
    assert entry["ratio"] == pytest.approx(10.0)
    assert entry["met"] is False  # the goal is 20x


def test_script_writes_rows_machine_and_ratios_as_json(tmp_path):
    output = tmp_path / "envs.json"
    command = [sys.executable, str(SCRIPT), "--seconds", "0.05", "--rounds", "1"]
    command += ["--only", "score_math", "score_math_dataset", "--output", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(output.read_text())
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu_model"]
    for name in ("score_math", "score_math_dataset"):
        assert report["rows"][name]["status"] == "measured"
        assert report["rows"][name]["episodes_per_s"] > 0
    assert all(entry["ratio"] is None for entry in report["ratios"])  # no peer was asked for
    assert "episodes/s" in done.stdout


def test_reasoning_gym_and_gem_rows_play_their_episodes():
    pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (bench extra)")
    pytest.importorskip("gem", reason="gem-llm is not installed (bench extra)")
    for name in ("rg_basic_arithmetic", "gem_rg_basic_arithmetic"):
        assert bench_envs.measure(name, seconds=0)["episodes"] >= 1


def test_gem_math_env_runs_offline_on_a_local_dataset():
    pytest.importorskip("gem", reason="gem-llm is not installed (bench extra)")
    pytest.importorskip("datasets", reason="datasets is not installed (bench extra)")
    assert bench_envs.measure("gem_math_no_mp", seconds=0)["episodes"] >= 1


def test_baseline_tree_rows_import_score_envs_from_that_tree(tmp_path):
    import shutil

    shutil.copytree(ROOT / "score_envs", tmp_path / "score_envs")
    rows = bench_envs.run(
        ["score_math_arithmetic"], seconds=0, rounds=1, isolate=False, baseline_tree=tmp_path
    )
    baseline = rows["score_math_arithmetic@baseline"]
    assert baseline["score_envs_from"] == str(tmp_path / "score_envs")
    assert rows["score_math_arithmetic"]["score_envs_from"] != baseline["score_envs_from"]
    assert set(bench_envs.speedups_over_baseline(rows)) == {"score_math_arithmetic"}
