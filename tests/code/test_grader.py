"""CodeGrader on real programs in the real sandbox: reasons, details, HumanEval/MBPP assembly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from score_envs.code.datasets import load_humaneval, load_mbpp
from score_envs.code.grader import (
    MAX_DETAIL_CHARS,
    NO_PROGRAM_FOUND,
    CodeGrader,
    assemble_program,
)
from score_envs.code.procedural import make_task
from score_envs.core.task import Task

DATA = Path(__file__).resolve().parents[1] / "data"
TASK = make_task("gcd_lcm", 2, seed=4)
WRONG = "def gcd_lcm(a, b):\n    return (1, a * b)\n"


def fenced(program: str) -> str:
    return f"```python\n{program}```\n"


@pytest.fixture(scope="module")
def grader():
    return CodeGrader(timeout_s=5.0)


@pytest.fixture(scope="module")
def humaneval_tasks():
    return {task.task_id: task for task in load_humaneval(DATA / "humaneval_sample.jsonl")}


@pytest.fixture(scope="module")
def mbpp_tasks():
    return {task.task_id: task for task in load_mbpp(DATA / "mbpp_sample.jsonl")}


# -- reasons -----------------------------------------------------------------------------------


def test_answer_without_a_program_is_no_program_found_and_runs_nothing():
    grade = CodeGrader()(TASK, "I think the answer is to use Euclid's algorithm.")
    assert (grade.correct, grade.reason, grade.extracted) == (False, NO_PROGRAM_FOUND, None)
    assert "```python" in grade.detail


def test_correct_program_passes_and_the_program_is_recorded(grader):
    grade = grader(TASK, "Here it is:\n" + fenced(TASK.answer))
    assert (grade.correct, grade.reason, grade.reward) == (True, "passed", 1.0)
    assert grade.extracted == TASK.answer.strip("\n") + "\n"
    assert grade.detail is None


def test_wrong_program_fails_with_the_failing_test_in_the_detail(grader):
    grade = grader(TASK, fenced(WRONG))
    assert (grade.correct, grade.reason) == (False, "failed")
    assert "gcd_lcm(" in grade.detail


def test_bare_program_is_graded_like_a_fenced_one(grader):
    assert grader(TASK, TASK.answer).correct is True


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("def gcd_lcm(a, b):\n    return (a b)\n", "syntax_error"),
        ("def gcd_lcm(a, b):\n    raise RuntimeError('boom')\n", "error"),
        ("def other(a, b):\n    return (a, b)\n", "error"),
    ],
)
def test_sandbox_status_becomes_the_reason(grader, program, reason):
    grade = grader(TASK, fenced(program))
    assert (grade.correct, grade.reason) == (False, reason)
    assert grade.detail


def test_every_buggy_solution_is_graded_wrong(grader):
    for bug in TASK.metadata["buggy_solutions"]:
        assert grader(TASK, fenced(bug)).correct is False


def test_last_complete_block_is_the_one_graded(grader):
    answer = fenced(WRONG) + "Wait, that is wrong. Fixed:\n" + fenced(TASK.answer)
    assert grader(TASK, answer).correct is True
    assert grader(TASK, fenced(TASK.answer) + fenced(WRONG)).correct is False


@pytest.mark.parametrize(
    "attempt",
    [
        "\x00\x01\x02",
        "```python\ndef gcd_lcm(a, b):\n    return '\x00'\n```",
        "```python\ndef gcd_lcm(a, b):\n    return '\ud800'\n```",
        "```python\n" + "(" * 5000 + "\n```",
        "```\n```\n```\n",
        "```python\n" + "x = 1\n" * 5000 + "```",
        "🤖" * 10_000,
    ],
)
def test_odd_attempts_are_graded_never_raised(grader, attempt):
    grade = grader(TASK, attempt)
    assert grade.correct is False
    assert isinstance(grade.reason, str) and grade.reason


def test_detail_is_cut_to_the_limit(grader):
    task = Task(
        "long/0",
        "Return a long string.",
        "",
        "code:test",
        1,
        {"entry_point": "f", "tests": (f"assert f() == {'x' * 5000!r}",)},
    )
    grade = grader(task, fenced(f"def f():\n    return {'y' * 5000!r}\n"))
    assert grade.reason == "failed"
    assert len(grade.detail) <= MAX_DETAIL_CHARS


def test_task_without_tests_is_a_value_error():
    task = Task("t/0", "Write f.", "", "code:test", 1, {"entry_point": "f"})
    with pytest.raises(ValueError, match="no hidden tests"):
        CodeGrader()(task, fenced("def f():\n    return 1\n"))


@pytest.mark.parametrize("timeout_s", [0, -1.0, math.nan, math.inf, 1e9, True, "5"])
def test_bad_timeout_is_a_value_error(timeout_s):
    with pytest.raises(ValueError, match="timeout_s"):
        CodeGrader(timeout_s=timeout_s)


@pytest.mark.parametrize("memory_mb", [0, -5, 63, 1.5, True])
def test_bad_memory_is_a_value_error(memory_mb):
    with pytest.raises(ValueError, match="memory_mb"):
        CodeGrader(memory_mb=memory_mb)


# -- HumanEval: prompt + program ---------------------------------------------------------------


def test_humaneval_canonical_answer_passes(grader, humaneval_tasks):
    for task in humaneval_tasks.values():
        assert grader(task, fenced(task.answer)).correct, task.task_id


def test_humaneval_body_only_answer_is_completed_under_the_prompt(grader, humaneval_tasks):
    task = humaneval_tasks["Sample/0"]
    assert grader(task, fenced("    return sum(n * n for n in numbers)\n")).correct is True


def test_humaneval_full_function_without_the_prompts_imports_passes(grader, humaneval_tasks):
    task = humaneval_tasks["Sample/0"]
    program = (
        "def sum_of_squares(numbers: List[int]) -> int:\n    return sum(n * n for n in numbers)\n"
    )
    assert grader(task, fenced(program)).correct is True


def test_humaneval_full_function_may_use_the_prompts_helpers(grader, humaneval_tasks):
    task = humaneval_tasks["Sample/1"]
    program = (
        "def count_vowel_words(words):\n    return sum(1 for w in words if w and is_vowel(w[0]))\n"
    )
    assert grader(task, fenced(program)).correct is True


def test_humaneval_future_import_is_moved_to_the_top(grader, humaneval_tasks):
    task = humaneval_tasks["Sample/2"]
    program = (
        "from __future__ import annotations\n\n"
        "def clamp(value: int, low: int, high: int) -> int:\n"
        "    return max(low, min(high, value))\n"
    )
    assert grader(task, fenced(program)).correct is True


def test_humaneval_tests_use_the_prompts_helpers_not_the_programs(grader, humaneval_tasks):
    task = humaneval_tasks["Sample/3"]
    # Replacing the helper the tests call with the identity would make identity "decode" pass.
    cheat = (
        "def shift_encode(text):\n    return text\n\n\ndef shift_decode(text):\n    return text\n"
    )
    assert grader(task, fenced(cheat)).correct is False
    assert grader(task, fenced(task.answer)).correct is True


def test_humaneval_prompt_with_an_empty_body_fails(grader, humaneval_tasks):
    for task in humaneval_tasks.values():
        assert grader(task, fenced("    pass\n")).correct is False


def test_assemble_puts_the_prompt_context_before_a_full_function(humaneval_tasks):
    task = humaneval_tasks["Sample/1"]
    program = "def count_vowel_words(words):\n    return 0\n"
    assembled = assemble_program(task, program)
    assert assembled.startswith("from typing import List")
    assert "def is_vowel(" in assembled
    assert assembled.count("def count_vowel_words(") == 1
    assert assembled.endswith(program)


def test_assemble_indents_a_body_under_the_prompt(humaneval_tasks):
    task = humaneval_tasks["Sample/2"]
    assert assemble_program(task, "return low\n") == task.prompt + "    return low\n"


def test_assemble_leaves_procedural_programs_alone():
    assert assemble_program(TASK, WRONG) == WRONG


# -- MBPP --------------------------------------------------------------------------------------


def test_mbpp_reference_answers_pass_with_setup_code(grader, mbpp_tasks):
    for task in mbpp_tasks.values():
        assert grader(task, fenced(task.answer)).correct, task.task_id


def test_mbpp_setup_code_is_put_before_the_program(mbpp_tasks):
    task = mbpp_tasks["mbpp/2"]
    assert assemble_program(task, "def sorted_copy(x):\n    return x\n").startswith("SAMPLE = ")


def test_mbpp_wrong_answer_fails(grader, mbpp_tasks):
    task = mbpp_tasks["mbpp/2"]
    in_place = "def sorted_copy(items):\n    items.sort()\n    return items\n"
    assert grader(task, fenced(in_place)).correct is False
