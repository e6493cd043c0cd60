"""Results files: atomic header, whole-line appends, torn tails, refusals, locking."""

from __future__ import annotations

import json
import os
import stat

import pytest

from score_envs.eval.backends import play_indices
from score_envs.eval.config import RunConfig
from score_envs.eval.results import (
    RESULTS_FORMAT,
    ResultsFileError,
    encode_episode,
    open_results,
    read_results,
)

SEED = 5
CONFIG = RunConfig("ScoreMath-v0", {"families": ["arithmetic"]}, "oracle", seed=SEED)


def write_run(path, config=CONFIG, episodes=4):
    with open_results(path, config) as writer:
        play_indices(config, range(episodes), on_records=writer.append)


def test_new_file_starts_with_a_header_holding_the_config(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=0)
    header = json.loads(path.read_text().splitlines()[0])
    assert header["type"] == "header" and header["format"] == RESULTS_FORMAT
    assert RunConfig.from_dict(header["config"]) == CONFIG


def test_new_file_gets_the_permissions_the_umask_allows(tmp_path):
    mask = os.umask(0o022)
    try:
        write_run(tmp_path / "run.jsonl")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "run.jsonl").stat().st_mode) == 0o644


def test_each_finished_episode_is_one_complete_line(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=3)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every line, the last included, is finished
    episodes = [json.loads(line) for line in lines[1:-1]]
    assert [e["index"] for e in episodes] == [0, 1, 2]
    assert all(e["type"] == "episode" for e in episodes)


def test_read_back_records_equal_the_written_ones(tmp_path):
    path = tmp_path / "run.jsonl"
    played = []
    with open_results(path, CONFIG) as writer:
        play_indices(CONFIG, range(3), on_records=lambda r: (played.extend(r), writer.append(r)))
    assert read_results(path).ordered_records() == played


def test_reader_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=2)
    with path.open("ab") as stream:
        stream.write(b'{"type": "episode", "index": 2, "se')
    results = read_results(path)
    assert sorted(results.records) == [0, 1]
    assert results.partial_tail_bytes > 0


def test_resuming_truncates_the_torn_line_before_appending(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=2)
    with path.open("ab") as stream:
        stream.write(b'{"type": "episode", "ind')
    with open_results(path, CONFIG) as writer:
        assert writer.finished_indices == {0, 1}
        play_indices(CONFIG, [2], on_records=writer.append)
    assert all(json.loads(line) for line in path.read_text().splitlines())
    assert sorted(read_results(path).records) == [0, 1, 2]


def test_resuming_with_another_policy_is_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path)
    other = RunConfig("ScoreMath-v0", {"families": ["arithmetic"]}, "random", seed=SEED)
    with pytest.raises(ResultsFileError, match="holds another run"):
        open_results(path, other)


@pytest.mark.parametrize(
    "other",
    [
        RunConfig("ScoreMath-v0", {"families": ["fractions"]}, "oracle", seed=SEED),
        RunConfig("ScoreMath-v0", {"families": ["arithmetic"]}, "oracle", seed=SEED + 1),
    ],
)
def test_resuming_with_other_env_options_or_seed_is_refused(tmp_path, other):
    path = tmp_path / "run.jsonl"
    write_run(path)
    with pytest.raises(ResultsFileError, match="holds another run"):
        open_results(path, other)


def test_a_second_writer_is_refused_while_the_first_holds_the_file(tmp_path):
    path = tmp_path / "run.jsonl"
    with open_results(path, CONFIG):
        with pytest.raises(ResultsFileError, match="locked"):
            open_results(path, CONFIG)
    with open_results(path, CONFIG):  # released on close
        pass


def test_corrupt_line_in_the_middle_names_file_and_line(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=3)
    lines = path.read_text().splitlines()
    lines[2] = "not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsFileError, match=r"run.jsonl:3: not a JSON line"):
        read_results(path)


def test_duplicate_episode_index_is_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=2)
    with path.open("a") as stream:
        stream.write(path.read_text().splitlines()[1] + "\n")
    with pytest.raises(ResultsFileError, match="episode 0 appears twice"):
        read_results(path)


def test_episode_with_a_wrongly_typed_field_is_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=1)
    lines = path.read_text().splitlines()
    episode = json.loads(lines[1])
    episode["correct_per_turn"] = ["yes", "no"]
    path.write_text(lines[0] + "\n" + json.dumps(episode) + "\n")
    with pytest.raises(ResultsFileError, match="correct_per_turn"):
        read_results(path)


def test_a_file_that_is_not_a_results_file_is_refused(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"problem": "1+1", "answer": "2"}\n')
    with pytest.raises(ResultsFileError, match="not a score-envs results file"):
        read_results(path)


def test_missing_file_is_a_results_error(tmp_path):
    with pytest.raises(ResultsFileError, match="cannot read results file"):
        read_results(tmp_path / "absent.jsonl")


def test_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=0)
    header = json.loads(path.read_text())
    header["version"] = 99
    path.write_text(json.dumps(header) + "\n")
    with pytest.raises(ResultsFileError, match="version 99"):
        read_results(path)


def test_encoded_lines_keep_unicode_and_end_with_one_newline(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, episodes=1)
    record = read_results(path).records[0]
    line = encode_episode(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
