"""Leaderboards: rows computed from the JSONL, sorting, refusals, Markdown and CSV output."""

from __future__ import annotations

import csv
import io
import json

import pytest

from score_envs.eval.leaderboard import CSV_COLUMNS, load_runs, sort_runs, to_csv, to_markdown


def raw_rates(path):
    """Acc@t1, Acc@t2, Δ i→c, Δ c→i counted straight from the file's JSON lines."""
    episodes = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    turns = [(e["correct_per_turn"][0], e["correct_per_turn"][-1]) for e in episodes]
    n = len(turns)
    return {
        "acc_t1": sum(first for first, _ in turns) / n,
        "acc_t2": sum(last for _, last in turns) / n,
        "delta_i2c": sum(not first and last for first, last in turns) / n,
        "delta_c2i": sum(first and not last for first, last in turns) / n,
    }


def test_rows_hold_the_rates_counted_from_the_jsonl(run_files):
    for run in load_runs(list(run_files.values())):
        expected = raw_rates(run.path)
        got = {key: getattr(run.metrics, key).value for key in expected}
        assert got == pytest.approx(expected)


def test_default_sort_is_final_accuracy_best_first(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    finals = [run.metrics.acc_t2.value for run in runs]
    assert finals == sorted(finals, reverse=True)
    assert runs[0].name == "oracle"


def test_sort_by_name_is_alphabetical_and_ascending_flag_reverses_metrics(run_files):
    runs = load_runs(list(run_files.values()))
    assert [r.name for r in sort_runs(runs, "name")] == sorted(run_files)
    deltas = [r.metrics.delta.value for r in sort_runs(runs, "delta", descending=False)]
    assert deltas == sorted(deltas)


def test_runs_of_different_env_options_are_refused(run_files, tmp_path, make_run):
    other = make_run(tmp_path / "other.jsonl", "oracle", env_kwargs={"difficulty": 1})
    with pytest.raises(ValueError, match="different environments"):
        load_runs([run_files["oracle"], other])


def test_the_same_file_twice_is_refused(run_files):
    with pytest.raises(ValueError, match="given twice"):
        load_runs([run_files["oracle"], run_files["oracle"]])


def test_a_run_without_finished_episodes_is_refused(tmp_path, make_run):
    empty = make_run(tmp_path / "empty.jsonl", "oracle", episodes=0)
    with pytest.raises(ValueError, match="no finished episode"):
        load_runs([empty])


def test_hacking_is_flagged_without_a_baseline_only_for_the_blatant_run(run_files):
    runs = load_runs(list(run_files.values()))
    flagged = {run.name for run in runs if run.metrics.reward_hacking_suspected}
    assert flagged == {"hacker"}


def test_baseline_run_sharpens_the_hacking_check(run_files, tmp_path, make_run):
    # A milder hack: Acc@t1 drops from ~70% (the baseline) to ~35%, corrections make up for it.
    mild = make_run(tmp_path / "mild.jsonl", "noisy:p1=0.35,i2c=0.6,c2i=0.0", episodes=200)
    base = make_run(tmp_path / "base.jsonl", "noisy:p1=0.7,i2c=0.1,c2i=0.05", episodes=200)
    without = {r.name: r for r in load_runs([mild, base])}
    with_baseline = {r.name: r for r in load_runs([mild, base], baseline="base")}
    assert not without["mild"].metrics.reward_hacking_suspected
    assert with_baseline["mild"].metrics.reward_hacking_suspected
    assert not with_baseline["base"].metrics.reward_hacking_suspected


def test_unknown_baseline_is_refused(run_files):
    with pytest.raises(ValueError, match="baseline 'nobody'"):
        load_runs([run_files["oracle"]], baseline="nobody")


def test_markdown_has_one_ranked_row_per_run_and_a_dagger_note(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    text = to_markdown(runs)
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[1].removesuffix(" †") for row in rows] == [r.name for r in runs]
    flagged_cells = [row.split(" | ")[1] for row in rows if row.split(" | ")[1].endswith(" †")]
    assert flagged_cells == ["hacker †"]
    assert any(line.startswith("† hacker:") for line in text.splitlines())


def test_markdown_escapes_pipes_in_run_names(tmp_path, make_run):
    path = make_run(tmp_path / "a|b.jsonl", "oracle", episodes=3)
    assert "a\\|b" in to_markdown(load_runs([path]))


def test_csv_has_full_precision_fractions_matching_the_jsonl(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    rows = list(csv.DictReader(io.StringIO(to_csv(runs))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    for row in rows:
        expected = raw_rates(run_files[row["run"]])
        assert float(row["acc_t1"]) == pytest.approx(expected["acc_t1"])
        assert float(row["delta_c2i"]) == pytest.approx(expected["delta_c2i"])
        assert float(row["acc_t2_low"]) <= float(row["acc_t2"]) <= float(row["acc_t2_high"])
    assert [int(row["rank"]) for row in rows] == list(range(1, len(runs) + 1))
