"""Program extraction from model answers: fences, the last complete block, bare code, limits."""

from __future__ import annotations

import time

import pytest

from score_envs.code.extraction import MAX_PROGRAM_CHARS, defines, extract_program, looks_like_code
from score_envs.code.families import FAMILIES

SOLUTION = "def add(a, b):\n    return a + b\n"
DRAFT = "def add(a, b):\n    return a - b\n"


def fenced(code: str, tag: str = "python", fence: str = "```") -> str:
    return f"{fence}{tag}\n{code}{fence}\n"


def test_single_python_block_is_returned_without_fences():
    assert extract_program("Here you go:\n" + fenced(SOLUTION) + "Hope it helps.") == SOLUTION


@pytest.mark.parametrize("tag", ["python", "py", "Python", "python3", "py3", ""])
def test_python_tags_and_untagged_fences_count(tag):
    assert extract_program(fenced(SOLUTION, tag)) == SOLUTION


def test_tilde_fences_count():
    assert extract_program(fenced(SOLUTION, fence="~~~")) == SOLUTION


def test_multiple_blocks_give_the_last_complete_one():
    answer = "First try:\n" + fenced(DRAFT) + "Corrected:\n" + fenced(SOLUTION)
    assert extract_program(answer) == SOLUTION


def test_unterminated_block_after_a_complete_one_is_ignored():
    answer = fenced(SOLUTION) + "Another version:\n```python\ndef add(a, b):\n    return"
    assert extract_program(answer) == SOLUTION


def test_unterminated_block_alone_is_taken_to_the_end():
    answer = "Solution:\n```python\n" + SOLUTION
    assert extract_program(answer) == SOLUTION


def test_blocks_in_other_languages_are_ignored():
    answer = fenced("pip install numpy\n", "bash") + fenced(SOLUTION) + fenced("3\n", "text")
    assert extract_program(answer) == SOLUTION


def test_only_non_python_blocks_give_none():
    assert extract_program(fenced("echo hi\n", "bash")) is None


def test_no_code_gives_none():
    assert extract_program("I am not sure how to solve this problem.") is None


def test_empty_answer_and_empty_block_give_none():
    assert extract_program("") is None
    assert extract_program("```python\n```\n") is None


def test_prose_and_code_without_fences_is_not_code():
    assert extract_program("Here is the function:\n" + SOLUTION) is None


def test_bare_program_is_taken_whole():
    program = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n"
    assert extract_program(program) == program


def test_bare_program_with_assignments_calls_and_docstrings_is_code():
    program = (
        'R = 3\nlimits: dict = {}\n\n\ndef f(x):\n    """Doc.\n\nLine at column zero.\n"""\n'
        "    return x\n\n\nprint(f(R))\n"
    )
    assert extract_program(program) == program


def test_bare_code_without_a_definition_is_not_a_program():
    assert extract_program("x = 1\nprint(x)\n") is None


def test_windows_newlines_are_normalised():
    answer = "```python\r\ndef add(a, b):\r\n    return a + b\r\n```\r\n"
    assert extract_program(answer) == SOLUTION


def test_indented_block_in_a_list_item_is_dedented():
    answer = "1. The code:\n\n   ```python\n   def add(a, b):\n       return a + b\n   ```\n"
    assert extract_program(answer) == SOLUTION


def test_entry_point_prefers_the_block_that_defines_it_over_a_later_usage_example():
    answer = fenced(SOLUTION) + "Usage:\n" + fenced("print(add(1, 2))\n")
    assert extract_program(answer) == "print(add(1, 2))\n"
    assert extract_program(answer, entry_point="add") == SOLUTION


def test_entry_point_falls_back_to_the_last_block_when_none_defines_it():
    answer = fenced(DRAFT) + fenced("x = 1\n")
    assert extract_program(answer, entry_point="missing") == "x = 1\n"


def test_programs_over_the_size_cap_are_not_returned():
    big = "def f():\n    return 1\n" + "# filler\n" * 20
    assert extract_program(fenced(big), max_chars=len(big)) == big
    assert extract_program(fenced(big), max_chars=len(big) - 1) is None


def test_default_cap_is_applied():
    huge = "def f():\n    return 1\n" + "#" * MAX_PROGRAM_CHARS + "\n"
    assert extract_program(fenced(huge)) is None


def test_non_string_input_gives_none():
    assert extract_program(None) is None  # type: ignore[arg-type]


def test_pathological_backtick_lines_are_handled_in_linear_time():
    text = "`" * 200_000 + "\n" + ("```python\n" * 20_000)
    start = time.perf_counter()
    extract_program(text)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("def add(a, b):\n    pass\n", True),
        ("async def add():\n    pass\n", True),
        ("add = lambda a, b: a + b\n", True),
        ("class add:\n    pass\n", True),
        ("def adder(a):\n    pass\n", False),
        ("    def add(a):\n        pass\n", False),
        ("if add == 1:\n    pass\n", False),
    ],
)
def test_defines_recognises_top_level_definitions_only(program, expected):
    assert defines(program, "add") is expected


@pytest.mark.parametrize(
    "text",
    [
        "Note that\ndef f():\n    pass\n",
        "def f():\n    pass\nThis function returns None.\n",
        ">>> def f():\n...     pass\n",
    ],
)
def test_prose_or_console_lines_make_text_not_code(text):
    assert looks_like_code(text) is False


def test_every_family_reference_and_bug_is_recognised_as_a_bare_program():
    for family in FAMILIES.values():
        for source in (family.reference, *family.bugs):
            program = extract_program(source, entry_point=family.function_name)
            assert program == source.strip("\n") + "\n", family.name
