"""MATH/GSM8K JSONL loaders, their error messages, and DatasetSource."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

import score_envs.math.datasets as datasets
from score_envs.core.task import TASK_SEED_BITS, Task, TaskSource
from score_envs.math.datasets import (
    DatasetError,
    DatasetSource,
    gsm8k_final_answer,
    last_boxed_content,
    load_gsm8k_jsonl,
    load_math_dataset,
    load_math_jsonl,
)

DATA = Path(__file__).resolve().parent.parent / "data"
MATH_SAMPLE = DATA / "math_sample.jsonl"
GSM8K_SAMPLE = DATA / "gsm8k_sample.jsonl"

MATH_RECORD = {
    "problem": "What is $1 + 1$?",
    "solution": "$1 + 1 = \\boxed{2}$",
    "level": "Level 1",
    "type": "Prealgebra",
}
GSM8K_RECORD = {"question": "Ann has 2 apples and buys 3. How many?", "answer": "2 + 3 = 5\n#### 5"}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The brace matcher and the GSM8K marker.


def test_last_boxed_content_keeps_nested_braces():
    assert last_boxed_content("$\\boxed{\\frac{1}{2}}$") == "\\frac{1}{2}"


def test_last_boxed_content_takes_the_last_box():
    assert last_boxed_content("\\boxed{1} then \\boxed{(1,2)}") == "(1,2)"


def test_last_boxed_content_ignores_escaped_braces():
    assert last_boxed_content("\\boxed{\\{1, 2\\}}") == "\\{1, 2\\}"
    assert last_boxed_content("\\boxed{\\}}") == "\\}"


def test_last_boxed_content_skips_an_unclosed_last_box():
    assert last_boxed_content("\\boxed{7} and then \\boxed{\\frac{1}{2}") == "7"


def test_last_boxed_content_accepts_fbox_and_a_space_before_the_brace():
    assert last_boxed_content("\\boxed{1}, \\fbox{3}") == "3"
    assert last_boxed_content("\\boxed {x + 1}") == "x + 1"


def test_last_boxed_content_is_none_without_a_complete_box():
    assert last_boxed_content("no box here") is None
    assert last_boxed_content("\\boxed 5") is None
    assert last_boxed_content("\\boxed{") is None


def test_last_boxed_content_handles_a_long_run_of_unclosed_boxes():
    text = "\\boxed{42}" + "\\boxed{" * 50_000
    assert last_boxed_content(text) == "42"


@pytest.mark.parametrize(
    ("answer", "final"),
    [
        ("so 5\n#### 5", "5"),
        ("#### 1,234,567", "1234567"),
        ("#### -7 ", "-7"),
        ("a #### 1 #### 2", "2"),
    ],
)
def test_gsm8k_final_answer_takes_the_text_after_the_last_marker(answer, final):
    assert gsm8k_final_answer(answer) == final


def test_gsm8k_final_answer_is_none_without_a_marker_or_a_number():
    assert gsm8k_final_answer("The answer is 5.") is None
    assert gsm8k_final_answer("#### ") is None


# ---------------------------------------------------------------------------------------------
# The sample files.


def test_math_sample_answers_are_the_last_boxed_contents():
    answers = [task.answer for task in load_math_jsonl(MATH_SAMPLE)]
    assert answers == ["\\frac{1}{2}", "(1,2)", "2", "8\\pi", "\\frac{1}{4}", "\\{1, 2\\}"]


def test_math_sample_families_and_levels():
    tasks = load_math_jsonl(MATH_SAMPLE)
    assert [t.family for t in tasks] == [
        "math:Algebra",
        "math:Intermediate Algebra",
        "math:Number Theory",
        "math:Geometry",
        "math:Counting & Probability",
        "math:Precalculus",
    ]
    assert [t.difficulty for t in tasks] == [1, 3, 2, 5, 0, 4]  # "Level ?" -> 0


def test_math_sample_ids_count_records_and_metadata_keeps_file_lines():
    tasks = load_math_jsonl(MATH_SAMPLE)
    assert [t.task_id for t in tasks] == [f"math_sample/{i}" for i in range(6)]
    assert [t.metadata["line"] for t in tasks] == [1, 2, 3, 5, 6, 7]  # line 4 is blank
    first = tasks[0]
    assert first.metadata["source"] == "dataset" and first.metadata["format"] == "math"
    assert first.metadata["path"] == str(MATH_SAMPLE) and first.metadata["index"] == 0
    assert "\\boxed{\\frac{1}{2}}" in first.metadata["solution"]
    assert first.prompt == "If $2x + 3 = 4$, what is the value of $x$?"


def test_gsm8k_sample_answers_drop_thousands_separators():
    tasks = load_gsm8k_jsonl(GSM8K_SAMPLE)
    assert [t.answer for t in tasks] == ["26", "1851", "1234", "80", "-7"]


def test_gsm8k_sample_family_level_and_steps():
    tasks = load_gsm8k_jsonl(GSM8K_SAMPLE)
    assert {t.family for t in tasks} == {"gsm8k"}
    assert {t.difficulty for t in tasks} == {0}
    assert [t.metadata["steps"] for t in tasks] == [2, 2, 1, 2, 1]
    assert tasks[0].task_id == "gsm8k_sample/0"
    assert tasks[0].prompt.startswith("Mia buys 3 packs")


def test_auto_format_detects_each_sample_file():
    assert load_math_dataset(MATH_SAMPLE) == load_math_jsonl(MATH_SAMPLE)
    assert load_math_dataset(GSM8K_SAMPLE) == load_gsm8k_jsonl(GSM8K_SAMPLE)


def test_auto_format_decides_per_line(tmp_path):
    path = write_lines(
        tmp_path / "mixed.jsonl", [json.dumps(GSM8K_RECORD), json.dumps(MATH_RECORD)]
    )
    tasks = load_math_dataset(path)
    assert [(t.family, t.answer) for t in tasks] == [("gsm8k", "5"), ("math:Prealgebra", "2")]


def test_gzip_file_loads_the_same_tasks(tmp_path):
    compressed = tmp_path / "math_sample.jsonl.gz"
    compressed.write_bytes(gzip.compress(MATH_SAMPLE.read_bytes()))
    plain = load_math_dataset(MATH_SAMPLE)
    packed = load_math_dataset(compressed)
    assert [(t.task_id, t.prompt, t.answer, t.difficulty) for t in packed] == [
        (t.task_id, t.prompt, t.answer, t.difficulty) for t in plain
    ]


def test_math500_style_records_use_the_answer_field_subject_and_int_level(tmp_path):
    record = {
        "problem": "Compute $3 \\cdot 4$.",
        "solution": "It is $\\boxed{12}$.",
        "answer": "12",
        "subject": "Prealgebra",
        "level": 2,
        "unique_id": "test/prealgebra/1.json",
    }
    (task,) = load_math_jsonl(write_lines(tmp_path / "m500.jsonl", [json.dumps(record)]))
    assert (task.answer, task.family, task.difficulty) == ("12", "math:Prealgebra", 2)


def test_math_record_without_level_or_type_gets_level_zero_and_plain_family(tmp_path):
    record = {"problem": "p", "solution": "\\boxed{1}"}
    (task,) = load_math_jsonl(write_lines(tmp_path / "bare.jsonl", [json.dumps(record)]))
    assert (task.family, task.difficulty) == ("math", 0)


# ---------------------------------------------------------------------------------------------
# Bad input: each error names the file and, where there is one, the line.


def test_missing_file_is_a_value_error_and_a_file_not_found_error(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ValueError, match=r"nope\.jsonl: dataset file not found"):
        load_math_dataset(missing)
    with pytest.raises(FileNotFoundError):
        load_math_dataset(missing)


def test_malformed_json_reports_file_and_line_number(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(MATH_RECORD), "", '{"problem": "x", '])
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}:3: malformed JSON"):
        load_math_dataset(path)


def test_missing_field_is_named_with_its_line(tmp_path):
    record = {"problem": "p", "level": "Level 1", "type": "Algebra"}
    path = write_lines(tmp_path / "nosolution.jsonl", [json.dumps(MATH_RECORD), json.dumps(record)])
    with pytest.raises(
        DatasetError, match=rf"^{re.escape(str(path))}:2: missing field 'solution'$"
    ):
        load_math_jsonl(path)


def test_forcing_the_math_format_on_a_gsm8k_file_names_the_missing_problem_field():
    with pytest.raises(DatasetError, match=r"gsm8k_sample.jsonl:1: missing field 'problem'"):
        load_math_jsonl(GSM8K_SAMPLE)


def test_math_solution_without_a_box_is_rejected_with_its_line(tmp_path):
    record = dict(MATH_RECORD, solution="The answer is 2.")
    path = write_lines(tmp_path / "nobox.jsonl", [json.dumps(record)])
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}:1: no \\boxed"):
        load_math_jsonl(path)


def test_empty_box_is_rejected(tmp_path):
    record = dict(MATH_RECORD, solution="\\boxed{ }")
    path = write_lines(tmp_path / "emptybox.jsonl", [json.dumps(record)])
    with pytest.raises(DatasetError, match=r":1: empty \\boxed"):
        load_math_jsonl(path)


def test_gsm8k_answer_without_marker_is_rejected_with_its_line(tmp_path):
    record = dict(GSM8K_RECORD, answer="2 + 3 = 5")
    path = write_lines(tmp_path / "nomarker.jsonl", [json.dumps(GSM8K_RECORD), json.dumps(record)])
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}:2: no '#### <number>'"):
        load_gsm8k_jsonl(path)


@pytest.mark.parametrize("line", ["[1, 2]", '"text"', "3", "{}", "null"])
def test_a_line_that_is_not_a_non_empty_object_is_rejected(tmp_path, line):
    path = write_lines(tmp_path / "notobject.jsonl", [line])
    with pytest.raises(
        DatasetError, match=rf"^{re.escape(str(path))}:1: expected a non-empty JSON object"
    ):
        load_math_dataset(path)


def test_unknown_keys_in_auto_mode_say_which_keys_were_expected(tmp_path):
    path = write_lines(tmp_path / "other.jsonl", [json.dumps({"prompt": "x", "completion": "y"})])
    with pytest.raises(DatasetError, match=r":1: cannot tell the format.*'problem'.*'question'"):
        load_math_dataset(path)


def test_a_non_string_field_is_rejected_naming_field_and_type(tmp_path):
    record = dict(MATH_RECORD, problem=["not", "text"])
    path = write_lines(tmp_path / "listproblem.jsonl", [json.dumps(record)])
    with pytest.raises(DatasetError, match=r":1: field 'problem' must be a string, got list"):
        load_math_jsonl(path)


@pytest.mark.parametrize("level", ["Level 6", "hard", 0, 7, True, 2.0])
def test_an_unknown_level_is_rejected(tmp_path, level):
    path = write_lines(tmp_path / "level.jsonl", [json.dumps(dict(MATH_RECORD, level=level))])
    with pytest.raises(DatasetError, match=r":1: field 'level' must be"):
        load_math_jsonl(path)


def test_invalid_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GSM8K_RECORD).encode() + b"\n" + b'{"question": "caf\xe9"}\n')
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}:2: not valid UTF-8"):
        load_math_dataset(path)


def test_empty_or_blank_file_is_rejected(tmp_path):
    path = write_lines(tmp_path / "blank.jsonl", ["", "   "])
    with pytest.raises(DatasetError, match="no records"):
        load_math_dataset(path)


def test_a_line_longer_than_the_cap_is_rejected_with_its_line(tmp_path):
    long_problem = "x" * datasets.MAX_LINE_BYTES
    path = write_lines(
        tmp_path / "long.jsonl",
        [json.dumps(MATH_RECORD), json.dumps(dict(MATH_RECORD, problem=long_problem))],
    )
    with pytest.raises(
        DatasetError,
        match=rf"^{re.escape(str(path))}:2: line longer than {datasets.MAX_LINE_BYTES} bytes",
    ):
        load_math_dataset(path)


def test_a_file_larger_than_the_cap_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_FILE_BYTES", 500)
    path = write_lines(tmp_path / "big.jsonl", [json.dumps(GSM8K_RECORD)] * 20)
    with pytest.raises(DatasetError, match="more than 500 bytes"):
        load_math_dataset(path)


def test_a_corrupt_gzip_file_is_reported(tmp_path):
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(gzip.compress(GSM8K_SAMPLE.read_bytes())[:-30] + b"garbage-garbage-garbage")
    with pytest.raises(DatasetError, match=r"broken\.jsonl\.gz: cannot read"):
        load_math_dataset(path)


def test_unknown_format_name_is_rejected():
    with pytest.raises(ValueError, match="format must be one of auto, math, gsm8k, got 'csv'"):
        load_math_dataset(MATH_SAMPLE, format="csv")


# ---------------------------------------------------------------------------------------------
# DatasetSource.


@pytest.fixture
def source() -> DatasetSource:
    return DatasetSource(load_math_jsonl(MATH_SAMPLE), name="math_sample")


def test_dataset_source_implements_the_task_source_protocol(source):
    assert isinstance(source, TaskSource)
    assert len(source) == 6


def test_seed_picks_the_task_at_seed_modulo_the_size(source):
    assert source.task_from_seed(0).task_id == "math_sample/0"
    assert source.task_from_seed(13).task_id == "math_sample/1"
    assert source.task_from_seed(2**TASK_SEED_BITS - 1) == source.tasks[(2**TASK_SEED_BITS - 1) % 6]


def test_every_task_is_rebuilt_from_its_id(source):
    for task in source.tasks:
        assert source.task_from_id(task.task_id) is task


def test_loader_ids_and_source_ids_agree_when_the_name_is_the_file_stem(source):
    assert [t.task_id for t in source.tasks] == [t.task_id for t in load_math_jsonl(MATH_SAMPLE)]


def test_source_metadata_has_source_path_dataset_and_index(source):
    task = source.task_from_seed(4)
    assert task.metadata["source"] == "dataset"
    assert task.metadata["path"] == str(MATH_SAMPLE)
    assert task.metadata["dataset"] == "math_sample"
    assert task.metadata["index"] == 4


def test_source_renames_foreign_tasks_and_keeps_their_content():
    tasks = [Task("whatever", "1 + 1?", "2", "toy", 0, {"note": "kept"})]
    task = DatasetSource(tasks, name="toy").task_from_seed(5)
    assert (task.task_id, task.answer, task.metadata["note"]) == ("toy/0", "2", "kept")


@pytest.mark.parametrize(
    "task_id",
    [
        "math_sample/6",
        "math_sample/-1",
        "math_sample/01",
        "other/1",
        "math_sample/",
        "math_sample",
        "1",
        None,
    ],
)
def test_source_rejects_ids_it_did_not_make(source, task_id):
    with pytest.raises(ValueError, match="task_id"):
        source.task_from_id(task_id)


@pytest.mark.parametrize("seed", [-1, 2**TASK_SEED_BITS, 0.5, "1", False])
def test_source_rejects_bad_seeds(source, seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        source.task_from_seed(seed)


def test_source_rejects_an_empty_dataset_or_a_blank_name():
    with pytest.raises(ValueError, match="has no tasks"):
        DatasetSource([], name="empty")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        DatasetSource(load_gsm8k_jsonl(GSM8K_SAMPLE), name="")


def test_source_rejects_items_that_are_not_tasks():
    with pytest.raises(ValueError, match=r"tasks\[0\] must be a Task, got dict"):
        DatasetSource([{"prompt": "x"}], name="bad")


def test_grader_accepts_each_sample_solution_against_the_loaded_answer():
    verifier = pytest.importorskip("score_envs.math.verifier", reason="math grader not available")
    grade = verifier.MathGrader()
    for task in load_math_dataset(MATH_SAMPLE) + load_math_dataset(GSM8K_SAMPLE):
        verdict = grade(task, task.metadata["solution"])
        assert verdict.correct, (task.task_id, verdict)
