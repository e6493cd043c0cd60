"""benchmarks/run_all.py turns the benchmarks' JSON into one table, and runs end to end.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json

from benchmarks import run_all


def _write(directory, name, data):
    (directory / name).write_text(json.dumps(data))


def _verifier(ours_rate, ours_accuracy, peer_rate, peer_accuracy):
    def side(rate, accuracy):
        return {"pairs_per_second": rate, "accuracy": accuracy, "total": 10}

    return {
        "score_envs": side(ours_rate, ours_accuracy),
        "math_verify": side(peer_rate, peer_accuracy),
        "throughput_ratio": ours_rate / peer_rate,
    }


def test_verifier_row_meets_its_goal_only_with_speed_and_accuracy(tmp_path):
    _write(tmp_path, "verifier.json", _verifier(3000, 1.0, 100, 0.9))
    assert run_all.table_rows(tmp_path)[0]["goal"].endswith(" met")
    _write(tmp_path, "verifier.json", _verifier(3000, 0.8, 100, 0.9))
    assert run_all.table_rows(tmp_path)[0]["goal"].endswith("NOT met")


def test_env_rows_name_a_missing_peer(tmp_path):
    envs = {
        "rows": {"score_math": {"episodes_per_s": 1000.0}},
        "ratios": [
            {"comparison": "x", "ours": "score_math", "peer": None, "ratio": None, "goal": 20.0}
        ],
    }
    _write(tmp_path, "envs.json", envs)
    (row,) = run_all.table_rows(tmp_path)
    assert row["peer"] == "not measured" and row["ratio"] == "-"


def test_markdown_table_has_a_header_separator_and_one_line_per_row(tmp_path):
    _write(tmp_path, "verifier.json", _verifier(3000, 1.0, 100, 0.9))
    lines = run_all.render_table(run_all.table_rows(tmp_path), markdown=True)
    assert lines[0].startswith("| area |") and lines[1].startswith("|---|")
    assert len(lines) == 3


def test_main_runs_the_selected_benchmarks_and_writes_the_summary(tmp_path):
    summary = run_all.main(
        ["--quick", "--output-dir", str(tmp_path), "--skip", "envs", "verifier", "sandbox"]
    )
    assert summary["benchmarks"] == {
        "envs": "skipped",
        "verifier": "skipped",
        "sandbox": "skipped",
        "scaling": "ok",
    }
    assert json.loads((tmp_path / "summary.json").read_text())["rows"] == summary["rows"]
    assert any(row["area"] == "scaling" for row in summary["rows"])
    assert (tmp_path / "summary.md").read_text().count("| scaling |") == len(summary["rows"])


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:start -->\nold\n<!-- results:end -->\noutro\n")
    assert run_all.update_readme(readme, "| new |")
    assert readme.read_text() == (
        "intro\n<!-- results:start -->\n| new |\n<!-- results:end -->\noutro\n"
    )


def test_update_readme_leaves_a_file_without_markers_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    assert not run_all.update_readme(readme, "| new |")
    assert readme.read_text() == "no markers here\n"
