"""Procedural code families: correct references, caught bugs, measurable difficulty, determinism."""

from __future__ import annotations

import ast
import hashlib
import itertools
import random
import re

import pytest

from score_envs.code import run_tests
from score_envs.code.families import (
    DIFFICULTY_LEVELS,
    FAMILIES,
    CodeProblem,
    check_plain_data,
    family_names,
    strictly_equal,
)
from score_envs.code.families.base import MAX_TESTS, MIN_TESTS, load_function

SANDBOX_SEEDS = (0, 1)
"""Seeds per family and level run through the real sandbox (each run costs ~10-30 ms)."""

IN_PROCESS_SEEDS = range(40)
"""Seeds per family and level for checks that need no sandbox."""

CASES = [(name, level) for name in FAMILIES for level in DIFFICULTY_LEVELS]


def test_there_are_at_least_ten_families_over_six_categories():
    assert len(FAMILIES) >= 10
    categories = {family.category for family in FAMILIES.values()}
    assert {"string", "list", "number theory", "dict", "recursion", "simulation"} <= categories
    assert family_names() == tuple(sorted(FAMILIES))


# -- real sandbox runs -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "level"), CASES)
def test_reference_passes_its_hidden_tests_in_the_sandbox(name, level):
    for seed in SANDBOX_SEEDS:
        problem = FAMILIES[name].generate(level, seed)
        report = run_tests(problem.reference_solution, problem.tests, entry_point=name)
        assert report.passed, (seed, report.status, report.detail)
        assert report.passed_count == report.total == len(problem.tests)


@pytest.mark.parametrize(("name", "level"), CASES)
def test_every_buggy_solution_fails_the_hidden_tests_in_the_sandbox(name, level):
    for seed in SANDBOX_SEEDS:
        problem = FAMILIES[name].generate(level, seed)
        for bug in problem.buggy_solutions:
            report = run_tests(bug, problem.tests, entry_point=name)
            assert not report.passed, (seed, bug)


# -- in-process properties ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "level"), CASES)
def test_problems_have_6_to_20_tests_and_at_least_two_caught_bugs(name, level):
    for seed in IN_PROCESS_SEEDS:
        problem = FAMILIES[name].generate(level, seed)
        assert MIN_TESTS <= len(problem.tests) <= MAX_TESTS
        assert len(problem.buggy_solutions) >= 2
        assert len(set(problem.tests)) == len(problem.tests)
        assert all(test.startswith(f"assert {name}(") for test in problem.tests)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_listed_bug_is_caught_at_the_top_level(name):
    family = FAMILIES[name]
    used = {bug for seed in range(10) for bug in family.generate(5, seed).buggy_solutions}
    assert used == set(family.bugs)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_same_seed_gives_the_same_problem_and_seeds_differ(name):
    family = FAMILIES[name]
    assert family.generate(3, 11) == family.generate(3, 11)
    assert len({family.generate(3, seed).tests for seed in range(6)}) == 6


@pytest.mark.parametrize(
    ("name", "level", "seed", "sha256_prefix"),
    [
        ("reverse_words", 3, 0, "1178fae4f901"),
        ("fibonacci_mod", 5, 123, "6d2c3bcc4b87"),
    ],
)
def test_frozen_hashes_pin_cross_machine_determinism(name, level, seed, sha256_prefix):
    problem = FAMILIES[name].generate(level, seed)
    digest = hashlib.sha256("\n".join((problem.description, *problem.tests)).encode()).hexdigest()
    assert digest.startswith(sha256_prefix)


def test_frozen_test_strings_pin_cross_machine_determinism():
    assert FAMILIES["gcd_lcm"].generate(1, 0).tests[:2] == (
        "assert gcd_lcm(3, 30) == (3, 30)",
        "assert gcd_lcm(15, 21) == (3, 105)",
    )
    assert FAMILIES["caesar_cipher"].generate(4, 2024).tests[-1] == (
        "assert caesar_cipher('woirt zwhm ubeqcq jvjn', 3) == 'zrluw czkp xehtft mymq'"
    )


@pytest.mark.parametrize("name", list(FAMILIES))
def test_difficulty_grows_in_edge_cases_or_size_and_never_shrinks(name):
    family = FAMILIES[name]
    problems = [family.generate(level, 0) for level in DIFFICULTY_LEVELS]
    for easier, harder in itertools.pairwise(problems):
        assert set(easier.edge_case_categories) <= set(harder.edge_case_categories)
        assert easier.size_limit <= harder.size_limit
        assert (
            len(harder.edge_case_categories) > len(easier.edge_case_categories)
            or harder.size_limit > easier.size_limit
        )
    assert len(problems[-1].tests) > len(problems[0].tests)


@pytest.mark.parametrize(("name", "level"), CASES)
def test_random_inputs_respect_the_levels_size_limit(name, level):
    family = FAMILIES[name]
    limit = family.size_limits[level - 1]
    rng = random.Random(level)
    sizes = [family.input_size(family.random_args(rng, limit)) for _ in range(100)]
    assert max(sizes) <= limit


@pytest.mark.parametrize("name", list(FAMILIES))
def test_mean_input_size_grows_from_level_one_to_five(name):
    family = FAMILIES[name]

    def mean_size(level: int) -> float:
        rng = random.Random(0)
        limit = family.size_limits[level - 1]
        return sum(family.input_size(family.random_args(rng, limit)) for _ in range(100)) / 100

    assert mean_size(5) > mean_size(1)


@pytest.mark.parametrize(("name", "level"), CASES)
def test_prompt_shows_the_signature_and_one_example_that_is_not_a_hidden_test(name, level):
    problem = FAMILIES[name].generate(level, 5)
    assert problem.description.startswith(problem.signature + "\n")
    calls = re.findall(rf"^\s*>>> ({name}\(.*\))$", problem.description, re.MULTILINE)
    assert len(calls) == 1
    hidden_calls = {test.removeprefix("assert ").rsplit(" == ", 1)[0] for test in problem.tests}
    assert calls[0] not in hidden_calls


@pytest.mark.parametrize("name", list(FAMILIES))
def test_example_output_in_the_prompt_is_what_the_reference_returns(name):
    problem = FAMILIES[name].generate(2, 9)
    lines = problem.description.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(">>> "))
    shown = lines[index + 1].strip()
    call = lines[index].strip().removeprefix(">>> ")
    args = ast.literal_eval(f"({call.removeprefix(name)[1:-1]},)")
    reference = load_function(problem.reference_solution, name)
    assert shown == repr(reference(*args))


# -- the references implement the written specification (hand-computed answers) ---------------

SPEC_EXAMPLES = [
    ("reverse_words", ("  one  two three ",), "three two one"),
    ("reverse_words", (" \t ",), ""),
    ("run_length_encode", ("aaabccddddddddddd",), "a3b1c2d11"),
    ("run_length_encode", ("aA",), "a1A1"),
    ("caesar_cipher", ("Zoo, xyz!", 3), "Crr, abc!"),
    ("caesar_cipher", ("abc", -27), "zab"),
    ("char_histogram", ("Aa b!",), {"a": 2, "b": 1}),
    ("invert_dict", ({"b": 1, "a": 1, "c": 2},), {1: ["a", "b"], 2: ["c"]}),
    ("second_largest", ([4, 9, 9, 1],), 4),
    ("second_largest", ([7, 7],), None),
    ("merge_sorted", ([1, 3, 3], [2, 3]), [1, 2, 3, 3, 3]),
    ("rotate_list", ([1, 2, 3, 4], 1), [4, 1, 2, 3]),
    ("rotate_list", ([1, 2, 3, 4], -5), [2, 3, 4, 1]),
    ("interval_merge", ([[5, 6], [1, 3], [3, 4], [8, 9]],), [[1, 4], [5, 6], [8, 9]]),
    ("matrix_transpose", ([[1, 2, 3], [4, 5, 6]],), [[1, 4], [2, 5], [3, 6]]),
    ("prime_factors", (360,), [2, 2, 2, 3, 3, 5]),
    ("prime_factors", (1,), []),
    ("gcd_lcm", (12, 18), (6, 36)),
    ("gcd_lcm", (0, 5), (5, 0)),
    ("digital_root", (9875,), 2),
    ("digital_root", (0,), 0),
    ("fibonacci_mod", (10, 7), 55 % 7),
    ("fibonacci_mod", (90, 10**30), 2880067194370816120),
    ("balanced_brackets", ("{a[(b)]c}",), True),
    ("balanced_brackets", ("([)]",), False),
    ("flatten_nested", ([1, [2, [3, []]], [[4]]],), [1, 2, 3, 4]),
    ("robot_walk", ("UUUx", 2), (0, 2)),
    ("robot_walk", ("LLDu", 1), (-1, -1)),
]


@pytest.mark.parametrize(("name", "args", "expected"), SPEC_EXAMPLES)
def test_reference_matches_hand_computed_answers(name, args, expected):
    reference = load_function(FAMILIES[name].reference, name)
    assert strictly_equal(reference(*args), expected)


# -- helpers -----------------------------------------------------------------------------------


def test_generate_rejects_bad_difficulty_and_seed():
    family = FAMILIES["gcd_lcm"]
    for level in (0, 6, True, "2"):
        with pytest.raises(ValueError, match=r"difficulty must be 1\.\.5"):
            family.generate(level, 0)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        family.generate(1, -1)


@pytest.mark.parametrize("value", [1.5, {1, 2}, b"x", [1, 2.0], {"a": object()}])
def test_check_plain_data_rejects_non_plain_values(value):
    with pytest.raises(TypeError, match="plain data"):
        check_plain_data(value, "value")


def test_check_plain_data_rejects_subclasses_of_plain_types():
    class Sneaky(int):
        pass

    with pytest.raises(TypeError, match="Sneaky"):
        check_plain_data([Sneaky(1)], "value")


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ([1, (2, "x")], [1, (2, "x")], True),
        ([1, 2], (1, 2), False),
        (1, True, False),
        ({"a": [1]}, {"a": (1,)}, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        (None, 0, False),
    ],
)
def test_strictly_equal_compares_types_at_every_level(left, right, equal):
    assert strictly_equal(left, right) is equal


def test_code_problem_is_frozen():
    problem = FAMILIES["reverse_words"].generate(1, 0)
    assert isinstance(problem, CodeProblem)
    with pytest.raises(AttributeError):
        problem.tests = ()  # type: ignore[misc]
