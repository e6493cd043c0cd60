"""The ``score-envs`` command line: the README's main job and its user errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from score_envs.cli import DEMO_POLICIES, main
from score_envs.math.procedural import family_names


def test_list_shows_envs_families_and_policies(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ScoreMath-v0" in out
    assert all(name in out for name in family_names())
    assert "oracle" in out and "noisy" in out


def test_demo_prints_the_paper_table_with_one_row_per_policy(capsys, tmp_path):
    out_file = tmp_path / "table.md"
    assert main(["demo", "--episodes", "40", "--seed", "3", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| Method | Acc@t1 | Acc@t2")
    rows = lines[2:]
    assert len(rows) == len(DEMO_POLICIES)
    oracle_row = next(r for r in rows if r.startswith("| oracle"))
    assert "100.0" in oracle_row.split("|")[2]
    assert out_file.read_text(encoding="utf-8").strip() == out.strip()


def test_demo_is_deterministic_for_a_seed(capsys):
    main(["demo", "--episodes", "30", "--seed", "5", "--families", "arithmetic,fractions"])
    first = capsys.readouterr().out
    main(["demo", "--episodes", "30", "--seed", "5", "--families", "arithmetic,fractions"])
    assert capsys.readouterr().out == first


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--families", "astrology"], "astrology"),
        (["demo", "--difficulty", "9"], "difficulty"),
        (["demo", "--episodes", "0"], "--episodes"),
    ],
)
def test_user_errors_exit_2_with_one_line_on_stderr(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("score-envs: error:") and message in err[0]


def test_console_script_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "score_envs.cli", "demo", "--episodes", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| oracle" in result.stdout
