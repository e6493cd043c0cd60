"""Tests for score_envs.math.verifier: reason codes, caps and the pure reward function."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from score_envs.core.grading import Grade
from score_envs.core.task import Task
from score_envs.math.equivalence import answers_equivalent
from score_envs.math.extraction import extract_answer
from score_envs.math.verifier import MAX_RESPONSE_CHARS, MathGrader, compute_reward, grade_answer

TASK = Task("fractions/d1/0", "What is 1/2 + 1/4?", r"\frac{3}{4}", "fractions", 1)


def test_correct_answer_is_equivalent():
    assert grade_answer(r"$\boxed{0.75}$", r"\frac34") == Grade(True, "equivalent", "0.75")


def test_wrong_answer_is_not_equivalent():
    assert grade_answer(r"\boxed{0.7}", r"\frac34") == Grade(False, "not_equivalent", "0.7")


def test_response_without_answer():
    assert grade_answer("I am not sure.", "1").reason == "no_answer_found"


def test_malformed_answer_is_unparsable():
    assert grade_answer(r"\boxed{\frac{1}}", "1").reason == "unparsable"


def test_oversized_answer_is_too_large_with_capped_extract():
    grade = grade_answer("\\boxed{" + "1+" * 2000 + "1}", "1")
    assert (grade.reason, len(grade.extracted or "")) == ("too_large", 1000)


def test_response_over_the_cap_is_refused_as_truncated():
    grade = grade_answer("x" * MAX_RESPONSE_CHARS + r" \boxed{1}", "1")
    assert (grade.correct, grade.reason, grade.extracted) == (False, "truncated", None)


def test_response_at_the_cap_is_graded():
    response = r"\boxed{1}".rjust(MAX_RESPONSE_CHARS)
    assert grade_answer(response, "1").correct


def test_custom_response_cap():
    assert grade_answer(r"\boxed{1}", "1", max_response_chars=5).reason == "truncated"


@pytest.mark.parametrize("cap", [0, -1, 2.5, "10"])
def test_invalid_response_cap_is_rejected(cap):
    with pytest.raises(ValueError, match="max_response_chars"):
        grade_answer("1", "1", max_response_chars=cap)


def test_non_text_response_has_no_answer():
    assert grade_answer(None, "1").reason == "no_answer_found"  # type: ignore[arg-type]


def test_non_text_reference_is_a_caller_error():
    with pytest.raises(TypeError, match="reference"):
        grade_answer("1", 1)  # type: ignore[arg-type]


def test_compute_reward_is_binary():
    assert (compute_reward("#### 0.75", r"\frac34"), compute_reward("#### 0.7", r"\frac34")) == (
        1.0,
        0.0,
    )


@pytest.mark.parametrize(
    "attempt",
    ["Final Answer: The final answer is $3/4$. I hope it is correct.", r"\boxed{1}", "nothing", ""],
)
def test_grader_reward_equals_the_pure_reward_function(attempt):
    assert MathGrader()(TASK, attempt).reward == compute_reward(attempt, TASK.answer)


def test_grader_grades_against_the_task_answer():
    assert MathGrader()(TASK, r"\boxed{\dfrac{3}{4}}").reason == "equivalent"


def test_grader_applies_its_response_cap():
    assert MathGrader(max_response_chars=3)(TASK, "#### 3/4").reason == "truncated"


def test_grader_rejects_an_invalid_cap():
    with pytest.raises(ValueError, match="max_response_chars"):
        MathGrader(max_response_chars=0)


# -- docs/verifier.md: its example tables must stay true ------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "verifier.md"
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def doc_table(name: str) -> list[list[str]]:
    """The body rows of the table after ``<!-- examples:name -->``, cells without backticks."""
    lines = DOC.read_text(encoding="utf-8").split(f"<!-- examples:{name} -->", 1)[1].splitlines()
    rows = []
    for line in lines[1:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(line)[1:-1]]
        rows.append([cell[1:-1] if cell.startswith("`") else cell for cell in cells])
    return rows[2:]  # header and separator


EQUIVALENCE_EXAMPLES = doc_table("equivalence")
EXTRACTION_EXAMPLES = doc_table("extraction")
CAP_EXAMPLES = doc_table("caps")


def test_doc_tables_are_found():
    assert min(len(EQUIVALENCE_EXAMPLES), len(EXTRACTION_EXAMPLES), len(CAP_EXAMPLES)) >= 8


@pytest.mark.parametrize(("predicted", "reference", "verdict"), EQUIVALENCE_EXAMPLES)
def test_doc_equivalence_example_holds(predicted, reference, verdict):
    assert answers_equivalent(predicted, reference) is (verdict == "yes")


@pytest.mark.parametrize(("response", "extracted"), EXTRACTION_EXAMPLES)
def test_doc_extraction_example_holds(response, extracted):
    assert extract_answer(response) == (None if extracted == "*none*" else extracted)


@pytest.mark.parametrize(("name", "value", "meaning"), CAP_EXAMPLES)
def test_doc_cap_value_is_the_code_value(name, value, meaning):
    module, constant = name.split(".")
    assert getattr(importlib.import_module(f"score_envs.math.{module}"), constant) == int(value)
