"""ProceduralMathSource: seeds to tasks, ids back to tasks, and validation of its options."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import numpy as np
import pytest

from score_envs.core.task import TASK_SEED_BITS, TaskSource
from score_envs.math.families import FAMILIES
from score_envs.math.procedural import ProceduralMathSource, family_names, procedural_task

SEEDS = range(300)

# Cross-machine determinism goldens. These are NOT derived expectations: they were produced
# once by running the source and then frozen, so that a change of Python version, platform,
# hash seed or float formatting that silently changed which task a seed gives would fail here.
# If a family is changed on purpose, regenerate them and say so in the CHANGELOG (old seeds
# then name different tasks).
GOLDEN_TASKS = {
    0: (
        "modular/d4/0",
        "Find the multiplicative inverse of $99$ modulo $26$, as an integer from $0$ to $25$.",
        "5",
    ),
    1: (
        "fractions/d5/1",
        "Compute $\\left(\\frac{6}{13} \\div \\frac{7}{19}\\right) + \\frac{5}{13}$. "
        "Give the answer in lowest terms.",
        "\\frac{149}{91}",
    ),
    42: (
        "quadratic/d1/42",
        "Find all real solutions of $x^2 + 3x - 18 = 0$. "
        "List the distinct solutions separated by commas.",
        "-6, 3",
    ),
    2**62 + 12345: (
        "percent/d3/4611686018427400249",
        "The price of an item is $1200$ dollars. It is increased by $20\\%$, then decreased by "
        "$10\\%$, then decreased by $50\\%$. What is the final price, in dollars?",
        "648",
    ),
}

# The same idea for every family and level at once (so every RNG call path is covered): a
# SHA-256 digest of the full tasks (prompt, answer, distractors, solution, params) for three
# seeds per family and level, frozen once. On a mismatch, print `_all_levels_digest()` before
# and after the change to see that only intended families moved.
GOLDEN_ALL_LEVELS_DIGEST = "487def62c9275ed7346dbe5470cead7ff6e41fb86034298f1971f1456b4bad2e"


def _all_levels_digest() -> str:
    digest = hashlib.sha256()
    for family in family_names():
        for difficulty in (1, 2, 3, 4, 5):
            for seed in (0, 1, 2**62 + 3):
                task = procedural_task(family, difficulty, seed)
                record = [
                    task.task_id,
                    task.prompt,
                    task.answer,
                    list(task.metadata["distractors"]),
                    task.metadata["solution"],
                    task.metadata["params"],
                ]
                digest.update(json.dumps(record, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def test_source_implements_the_task_source_protocol():
    assert isinstance(ProceduralMathSource(), TaskSource)


def test_family_names_are_the_sorted_registry_names():
    assert family_names() == sorted(FAMILIES)


@pytest.mark.parametrize("seed", sorted(GOLDEN_TASKS))
def test_seed_gives_the_frozen_golden_task_on_every_machine(seed):
    task = ProceduralMathSource().task_from_seed(seed)
    assert (task.task_id, task.prompt, task.answer) == GOLDEN_TASKS[seed]


def test_every_family_and_level_gives_the_frozen_golden_tasks_on_every_machine():
    assert _all_levels_digest() == GOLDEN_ALL_LEVELS_DIGEST


def test_same_seed_gives_equal_tasks_from_separate_sources():
    first, second = ProceduralMathSource(), ProceduralMathSource()
    for seed in range(50):
        assert first.task_from_seed(seed) == second.task_from_seed(seed)


def test_task_from_id_rebuilds_exactly_the_same_task():
    source = ProceduralMathSource()
    for seed in SEEDS:
        task = source.task_from_seed(seed)
        assert source.task_from_id(task.task_id) == task


def test_task_id_replays_in_a_source_with_a_different_selection():
    task = ProceduralMathSource(families=["polynomial"], difficulty=5).task_from_seed(7)
    assert (
        ProceduralMathSource(families=["arithmetic"], difficulty=1).task_from_id(task.task_id)
        == task
    )


def test_task_id_encodes_family_difficulty_and_seed():
    task = ProceduralMathSource().task_from_seed(12345)
    assert task.task_id == f"{task.family}/d{task.difficulty}/12345"


def test_task_fields_and_metadata_come_from_the_generated_problem():
    task = procedural_task("linear_system", 3, 99)
    assert task.family == "linear_system" and task.difficulty == 3
    assert task.prompt.startswith("Solve the system")
    assert task.metadata["source"] == "procedural"
    assert task.metadata["seed"] == 99
    assert len(task.metadata["distractors"]) >= 3
    assert task.answer not in task.metadata["distractors"]
    assert task.metadata["solution"].endswith(
        f"The final answer is ${task.answer}$. I hope it is correct."
    )
    assert set(task.metadata["params"]) == {"matrix", "rhs"}


def test_default_source_draws_every_family_and_every_level():
    tasks = [ProceduralMathSource().task_from_seed(seed) for seed in SEEDS]
    assert {t.family for t in tasks} == set(FAMILIES)
    assert {t.difficulty for t in tasks} == {1, 2, 3, 4, 5}


def test_family_choice_is_roughly_uniform():
    source = ProceduralMathSource(families=["arithmetic", "fractions", "modular"])
    counts = Counter(source.task_from_seed(seed).family for seed in range(3000))
    # 1000 expected each; a binomial standard deviation is about 26, so 150 is > 5 sigma.
    assert all(abs(count - 1000) < 150 for count in counts.values()), counts


def test_selected_families_and_levels_are_the_only_ones_drawn():
    source = ProceduralMathSource(families=["gcd_lcm", "radicals"], difficulty=[2, 4])
    tasks = [source.task_from_seed(seed) for seed in range(100)]
    assert {t.family for t in tasks} == {"gcd_lcm", "radicals"}
    assert {t.difficulty for t in tasks} == {2, 4}


def test_family_order_given_does_not_change_the_tasks():
    forward = ProceduralMathSource(families=["arithmetic", "sequence", "percent"])
    backward = ProceduralMathSource(families=["percent", "sequence", "arithmetic", "percent"])
    assert forward.families == backward.families == ("arithmetic", "percent", "sequence")
    assert [forward.task_from_seed(s) for s in range(30)] == [
        backward.task_from_seed(s) for s in range(30)
    ]


def test_a_single_family_name_string_selects_that_family():
    assert ProceduralMathSource(families="fractions").families == ("fractions",)


@pytest.mark.parametrize(
    ("difficulty", "levels"),
    [
        (None, (1, 2, 3, 4, 5)),
        (3, (3,)),
        ((2, 4), (2, 3, 4)),
        ([5, 1, 1], (1, 5)),
        ((1, 5), (1, 2, 3, 4, 5)),
    ],
)
def test_difficulty_accepts_an_int_an_inclusive_pair_or_a_list_of_levels(difficulty, levels):
    assert ProceduralMathSource(difficulty=difficulty).difficulties == levels


def test_numpy_integer_seeds_give_the_same_task_as_python_ints():
    source = ProceduralMathSource()
    assert source.task_from_seed(np.int64(77)) == source.task_from_seed(77)


def test_largest_allowed_seed_works():
    task = ProceduralMathSource().task_from_seed(2**TASK_SEED_BITS - 1)
    assert task.task_id.endswith(f"/{2**TASK_SEED_BITS - 1}")


# ---------------------------------------------------------------------------------------------
# Validation.


def test_unknown_family_error_names_it_and_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown math family 'calculus'") as excinfo:
        ProceduralMathSource(families=["arithmetic", "calculus"])
    assert ", ".join(family_names()) in str(excinfo.value)


def test_empty_family_list_is_rejected():
    with pytest.raises(ValueError, match="at least one family"):
        ProceduralMathSource(families=[])


def test_difficulty_out_of_range_message_names_the_value():
    with pytest.raises(ValueError, match=r"^difficulty must be 1\.\.5, got 9$"):
        ProceduralMathSource(difficulty=9)


@pytest.mark.parametrize("difficulty", [0, (0, 3), (4, 2), [], [1, 6], "3", True, 2.5, (1, "5")])
def test_invalid_difficulty_specifications_are_rejected(difficulty):
    with pytest.raises(ValueError, match="difficulty"):
        ProceduralMathSource(difficulty=difficulty)


@pytest.mark.parametrize("seed", [-1, 2**TASK_SEED_BITS, 1.0, "3", True, None])
def test_invalid_seeds_are_rejected(seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        ProceduralMathSource().task_from_seed(seed)


@pytest.mark.parametrize(
    "task_id",
    [
        "",
        "arithmetic",
        "arithmetic/3/5",
        "arithmetic/d3",
        "arithmetic/d3/5/6",
        "arithmetic/d3/-5",
        "arithmetic/d3/05",
        "arithmetic/d03/5",
        "arithmetic/d3/five",
        " arithmetic/d3/5",
        "arithmetic/d3/5\n",
        "arithmetic/d3/٣",
        None,
        42,
    ],
)
def test_malformed_task_ids_are_rejected(task_id):
    with pytest.raises(ValueError, match="task_id"):
        ProceduralMathSource().task_from_id(task_id)


def test_task_id_with_unknown_family_or_level_is_rejected():
    source = ProceduralMathSource()
    with pytest.raises(ValueError, match="unknown math family 'calculus'"):
        source.task_from_id("calculus/d1/3")
    with pytest.raises(ValueError, match=r"difficulty must be 1\.\.5, got 7"):
        source.task_from_id("arithmetic/d7/3")
    with pytest.raises(ValueError, match="seed must be an int"):
        source.task_from_id(f"arithmetic/d1/{2**TASK_SEED_BITS}")


# ---------------------------------------------------------------------------------------------
# Agreement with the project's grader (a separate module): worked solutions are usable as
# supervised targets, and a distractor written in the paper's answer form is graded wrong.


def test_grader_accepts_every_worked_solution_and_rejects_every_distractor():
    verifier = pytest.importorskip("score_envs.math.verifier", reason="math grader not available")
    grade = verifier.MathGrader()
    disagreements = []
    for family in family_names():
        for difficulty in (1, 2, 3, 4, 5):
            for seed in range(20):
                task = procedural_task(family, difficulty, seed)
                verdict = grade(task, task.metadata["solution"])
                if not verdict.correct:
                    disagreements.append((task.task_id, "solution", verdict.reason))
                for distractor in task.metadata["distractors"]:
                    attempt = (
                        f"Final Answer: The final answer is ${distractor}$. I hope it is correct."
                    )
                    if grade(task, attempt).correct:
                        disagreements.append((task.task_id, "distractor", distractor))
    assert not disagreements, disagreements[:10]
