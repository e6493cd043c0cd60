"""ProceduralCodeSource: seeds, ids, filters and validation."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from score_envs.code.families import DIFFICULTY_LEVELS, FAMILIES
from score_envs.code.procedural import ProceduralCodeSource, make_task
from score_envs.core.task import Task, TaskSource

SEEDS = range(300)


def test_source_implements_the_task_source_protocol():
    assert isinstance(ProceduralCodeSource(), TaskSource)


def test_same_seed_gives_the_same_task():
    source_a, source_b = ProceduralCodeSource(), ProceduralCodeSource()
    assert [source_a.task_from_seed(s) for s in range(20)] == [
        source_b.task_from_seed(s) for s in range(20)
    ]


def test_task_id_rebuilds_the_same_task():
    source = ProceduralCodeSource()
    for seed in range(50):
        task = source.task_from_seed(seed)
        assert source.task_from_id(task.task_id) == task


def test_task_from_id_works_for_families_outside_the_sources_filter():
    task = ProceduralCodeSource(families=["gcd_lcm"]).task_from_id("code:robot_walk/d4/9")
    assert task.family == "code:robot_walk" and task.difficulty == 4


def test_frozen_golden_ids_pin_the_family_and_level_choice():
    source = ProceduralCodeSource()
    assert [source.task_from_seed(seed).task_id for seed in (0, 1, 2**62)] == [
        "code:reverse_words/d4/0",
        "code:fibonacci_mod/d5/1",
        "code:gcd_lcm/d5/4611686018427387904",
    ]


def test_every_family_and_level_is_drawn():
    source = ProceduralCodeSource()
    tasks = [source.task_from_seed(seed) for seed in SEEDS]
    assert {task.family for task in tasks} == {f"code:{name}" for name in FAMILIES}
    assert {task.difficulty for task in tasks} == set(DIFFICULTY_LEVELS)


def test_family_and_level_draws_are_roughly_uniform():
    source = ProceduralCodeSource(families=["gcd_lcm", "reverse_words"], difficulty=(2, 3))
    counts = Counter((t.family, t.difficulty) for t in map(source.task_from_seed, range(800)))
    assert len(counts) == 4
    assert min(counts.values()) > 150


@pytest.mark.parametrize(
    ("difficulty", "levels"),
    [(3, {3}), ((2, 4), {2, 3, 4}), ([1, 5], {1, 5}), (None, set(DIFFICULTY_LEVELS))],
)
def test_difficulty_accepts_an_int_a_range_or_a_list(difficulty, levels):
    source = ProceduralCodeSource(families=["digital_root"], difficulty=difficulty)
    assert {source.task_from_seed(seed).difficulty for seed in SEEDS} == levels


def test_family_order_does_not_change_the_tasks():
    a = ProceduralCodeSource(families=["gcd_lcm", "reverse_words", "robot_walk"])
    b = ProceduralCodeSource(families=["robot_walk", "gcd_lcm", "reverse_words"])
    assert [a.task_from_seed(s).task_id for s in range(30)] == [
        b.task_from_seed(s).task_id for s in range(30)
    ]


def test_task_fields_and_metadata():
    task = make_task("second_largest", 3, seed=21)
    problem = FAMILIES["second_largest"].generate(3, 21)
    assert isinstance(task, Task)
    assert task.task_id == "code:second_largest/d3/21"
    assert task.prompt == problem.description
    assert task.answer == problem.reference_solution
    assert task.family == "code:second_largest" and task.difficulty == 3
    assert task.metadata["source"] == "procedural"
    assert task.metadata["seed"] == 21
    assert task.metadata["entry_point"] == "second_largest"
    assert task.metadata["tests"] == problem.tests
    assert task.metadata["buggy_solutions"] == problem.buggy_solutions
    assert task.metadata["distractors"] == problem.buggy_solutions
    assert task.metadata["edge_case_categories"] == problem.edge_case_categories


def test_unknown_family_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"unknown code family 'sorting_hat'; valid families: "):
        ProceduralCodeSource(families=["reverse_words", "sorting_hat"])


def test_empty_family_list_is_a_value_error():
    with pytest.raises(ValueError, match="at least one family"):
        ProceduralCodeSource(families=[])


@pytest.mark.parametrize("difficulty", [0, 6, (4, 2), (0, 3), [], [2, 9], "3", 2.0, True])
def test_bad_difficulty_is_a_value_error(difficulty):
    with pytest.raises(ValueError, match="difficulty"):
        ProceduralCodeSource(difficulty=difficulty)


def test_numpy_integer_seeds_are_accepted():
    source = ProceduralCodeSource()
    assert source.task_from_seed(np.int64(5)) == source.task_from_seed(5)


@pytest.mark.parametrize("seed", [-1, 2**63, 1.0, "3", True, None])
def test_bad_seed_is_a_value_error(seed):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*63\)"):
        ProceduralCodeSource().task_from_seed(seed)


@pytest.mark.parametrize(
    "task_id",
    [
        "reverse_words/d3/1",
        "code:reverse_words/d6/1",
        "code:reverse_words/d03/1",
        "code:reverse_words/d3/01",
        "code:reverse_words/d3/-1",
        "code:reverse_words/3/1",
        "code:reverse_words/d3/1/extra",
        "code:reverse_words/d3/99999999999999999999",
        "",
        7,
    ],
)
def test_malformed_task_id_is_a_value_error(task_id):
    with pytest.raises(
        ValueError, match=r"task_id must look like|seed must be|difficulty|canonical"
    ):
        ProceduralCodeSource().task_from_id(task_id)


def test_task_id_with_unknown_family_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="no_such_family"):
        ProceduralCodeSource().task_from_id("code:no_such_family/d1/0")


def test_seed_above_the_63_bit_range_in_an_id_is_rejected():
    with pytest.raises(ValueError, match="seed must be an int"):
        ProceduralCodeSource().task_from_id(f"code:gcd_lcm/d1/{2**63}")
