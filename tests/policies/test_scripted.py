"""Scripted policies played through the real turn loop with a tiny source and grader."""

from __future__ import annotations

import ast
import math
import re

import numpy as np
import pytest

from score_envs.core.env import SelfCorrectionEnv
from score_envs.core.grading import Grade
from score_envs.core.prompts import MATH_TEMPLATES
from score_envs.core.task import Task
from score_envs.metrics import compute_metrics
from score_envs.policies.base import Policy, format_final_answer, render_answer
from score_envs.policies.scripted import (
    BUILTIN_POLICIES,
    RANDOM_INTEGER_RANGE,
    WRONG_PROGRAM,
    CopyFirstPolicy,
    NoisySolverPolicy,
    OraclePolicy,
    RandomGuessPolicy,
    distractors_of,
    guaranteed_wrong_answer,
    make_policy,
)

SEED = 1234
FINAL_ANSWER = re.compile(r"The final answer is \$(.*?)\$\. I hope it is correct\.")
SPECS = ["oracle", "random", "noisy", "copy-first", "noisy:p1=0.3,i2c=0.5,c2i=0.2"]


class SumSource:
    """Adds two numbers derived from the seed; three distractors unless ``distractors=False``."""

    def __init__(self, distractors: bool = True) -> None:
        self.distractors = distractors

    def task_from_seed(self, seed: int) -> Task:
        a, b = seed % 97, (seed // 97) % 89
        total = a + b
        metadata = {"distractors": (str(total + 1), str(total - 1), str(total + 10))}
        return Task(
            f"sum/{seed}", f"What is {a} + {b}?", str(total), "sum", 1,
            metadata if self.distractors else {},
        )  # fmt: skip

    def task_from_id(self, task_id: str) -> Task:
        return self.task_from_seed(int(task_id.split("/")[1]))


def final_answer_grader(task: Task, attempt: str) -> Grade:
    """Grades the paper's 'Final Answer: The final answer is $X$.' sentence by exact match."""
    found = FINAL_ANSWER.findall(attempt)
    if not found:
        return Grade(False, "no_answer_found")
    answer = found[-1].strip()
    correct = answer == task.answer
    return Grade(correct, "equivalent" if correct else "not_equivalent", answer)


def make_env(distractors: bool = True, max_turns: int = 2) -> SelfCorrectionEnv:
    return SelfCorrectionEnv(
        SumSource(distractors), final_answer_grader, templates=MATH_TEMPLATES, max_turns=max_turns
    )


def play(env: SelfCorrectionEnv, policy: Policy, index: int) -> tuple[list[str], list[bool]]:
    """One episode, reproducible from its index; returns the attempts and their correctness."""
    _, info = env.reset(seed=SEED + index)
    policy.start_episode(env.unwrapped.task, np.random.default_rng([SEED, index]))
    attempts, terminated = [], False
    while not terminated:
        attempt = policy.next_attempt(info["messages"])
        _, _, terminated, _, info = env.step(attempt)
        attempts.append(attempt)
    return attempts, info["correct_per_turn"]


def outcomes(policy: Policy, episodes: int, **env_kwargs) -> list[list[bool]]:
    env = make_env(**env_kwargs)
    return [play(env, policy, index)[1] for index in range(episodes)]


# -- answer form ---------------------------------------------------------------------------------


def test_final_answer_uses_the_papers_sentence():
    assert format_final_answer("7") == (
        "Final Answer: The final answer is $7$. I hope it is correct."
    )


def test_code_tasks_are_answered_with_the_bare_program():
    task = Task("c/0", "Write add.", "def add(a, b):\n    return a + b\n", "code:mbpp", 1)
    assert render_answer(task, task.answer) == task.answer


# -- the policies --------------------------------------------------------------------------------


def test_oracle_is_right_at_every_attempt():
    assert outcomes(OraclePolicy(), 50, max_turns=3) == [[True, True, True]] * 50


def test_random_guess_accuracy_is_one_over_distractors_plus_one():
    # 3 distractors: each attempt right with probability 1/4, attempts independent. Three checks:
    # 99.9% intervals keep the chance of a miss by luck small (see the noisy-solver test).
    m = compute_metrics(outcomes(RandomGuessPolicy(), 2000), seed=SEED, confidence=0.999)
    assert m.acc_t1.low <= 0.25 <= m.acc_t1.high
    assert m.acc_t2.low <= 0.25 <= m.acc_t2.high
    assert m.delta_i2c.low <= 3 / 16 <= m.delta_i2c.high


def test_random_guess_without_distractors_guesses_integers_in_its_range():
    env, policy = make_env(distractors=False), RandomGuessPolicy()
    low, high = RANDOM_INTEGER_RANGE
    guesses = [
        int(FINAL_ANSWER.findall(attempt)[0])
        for i in range(200)
        for attempt in play(env, policy, i)[0]
    ]
    assert all(low <= guess <= high for guess in guesses)
    assert len(set(guesses)) > 50


def test_copy_first_repeats_its_first_attempt_verbatim():
    env, policy = make_env(max_turns=3), CopyFirstPolicy(NoisySolverPolicy(0.5, 0.5, 0.5))
    for index in range(100):
        attempts, _ = play(env, policy, index)
        assert attempts[1] == attempts[0] and attempts[2] == attempts[0]


def test_copy_first_has_zero_delta_and_no_flips():
    m = compute_metrics(outcomes(CopyFirstPolicy(RandomGuessPolicy()), 300), n_bootstrap=50)
    assert m.acc_t1.value == m.acc_t2.value
    assert m.delta_i2c.value == m.delta_c2i.value == 0.0


@pytest.mark.parametrize("distractors", [True, False])
def test_noisy_solver_reaches_its_rates_within_the_bootstrap_interval(distractors):
    p1, i2c, c2i = 0.6, 0.3, 0.1
    policy = NoisySolverPolicy(p_first=p1, p_wrong_to_right=i2c, p_right_to_wrong=c2i)
    # Six interval checks over the two variants: at 95% each, one would miss by chance about a
    # quarter of the time for a random seed; at 99.9% about 0.6%. The intervals stay about +-2
    # points wide, so a wrong rate (say i2c 0.4 instead of 0.3, +4 points on Δ i→c) still fails.
    m = compute_metrics(
        outcomes(policy, 3000, distractors=distractors), seed=SEED, confidence=0.999
    )
    assert m.delta_i2c.high - m.delta_i2c.low < 0.05
    assert m.acc_t1.low <= p1 <= m.acc_t1.high
    assert m.delta_i2c.low <= (1 - p1) * i2c <= m.delta_i2c.high
    assert m.delta_c2i.low <= p1 * c2i <= m.delta_c2i.high


def test_noisy_solver_wrong_answers_are_graded_wrong_without_distractors():
    policy = NoisySolverPolicy(p_first=0.0, p_wrong_to_right=0.0, p_right_to_wrong=0.0)
    assert outcomes(policy, 50, distractors=False) == [[False, False]] * 50


def test_noisy_solver_wrong_answers_come_from_the_distractors():
    env = make_env()
    policy = NoisySolverPolicy(p_first=0.0, p_wrong_to_right=0.0, p_right_to_wrong=0.0)
    for index in range(50):
        attempts, _ = play(env, policy, index)
        distractors = env.unwrapped.task.metadata["distractors"]
        assert all(FINAL_ANSWER.findall(a)[0] in distractors for a in attempts)


def test_noisy_solver_with_certain_rates_follows_them_exactly():
    always_fixes = NoisySolverPolicy(p_first=0.0, p_wrong_to_right=1.0, p_right_to_wrong=0.0)
    assert outcomes(always_fixes, 20, max_turns=3) == [[False, True, True]] * 20
    always_breaks = NoisySolverPolicy(p_first=1.0, p_wrong_to_right=0.0, p_right_to_wrong=1.0)
    assert outcomes(always_breaks, 20, max_turns=3) == [[True, False, False]] * 20


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p_first": -0.1},
        {"p_first": 1.1},
        {"p_wrong_to_right": math.nan},
        {"p_right_to_wrong": True},
        {"p_first": "0.5"},
    ],
)
def test_noisy_solver_rejects_probabilities_outside_the_unit_interval(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        NoisySolverPolicy(**kwargs)


@pytest.mark.parametrize("spec", SPECS)
def test_same_generator_seed_gives_the_same_attempts(spec):
    first = [play(make_env(), make_policy(spec), index)[0] for index in range(30)]
    again = [play(make_env(), make_policy(spec), index)[0] for index in range(30)]
    assert first == again


def test_different_generator_seeds_give_different_attempts():
    env, policy = make_env(), make_policy("random")
    env.reset(seed=SEED)
    task = env.unwrapped.task
    attempts = set()
    for seed in range(20):
        policy.start_episode(task, np.random.default_rng(seed))
        attempts.add(policy.next_attempt([]))
    assert len(attempts) > 1


def test_next_attempt_before_start_episode_raises_runtime_error():
    with pytest.raises(RuntimeError, match="start_episode"):
        OraclePolicy().next_attempt([])


def test_conversation_that_does_not_match_the_policys_attempts_raises_runtime_error():
    policy = NoisySolverPolicy()
    policy.start_episode(Task("t", "2+2?", "4", "arithmetic", 1), np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="holds 1 attempt"):
        policy.next_attempt([{"role": "assistant", "content": "4"}])


def test_start_episode_rejects_a_non_generator_rng():
    with pytest.raises(ValueError, match=r"numpy\.random\.Generator"):
        OraclePolicy().start_episode(Task("t", "2+2?", "4", "arithmetic", 1), 42)


# -- wrong answers -------------------------------------------------------------------------------


def test_distractors_drop_the_reference_and_duplicates_keeping_order():
    task = Task("t", "?", "4", "arithmetic", 1, {"distractors": ("5", " 4", "3", "5", "4")})
    assert distractors_of(task) == ("5", "3")


@pytest.mark.parametrize(
    "reference", ["4", "\\frac{1}{2}", "\\text{unknown}", "\\text{Unknown, undetermined}", "x^2+1"]
)
def test_guaranteed_wrong_math_answer_never_contains_the_reference_word(reference):
    wrong = guaranteed_wrong_answer(Task("t", "?", reference, "algebra", 1))
    word = re.fullmatch(r"\\text\{(\w+)\}", wrong).group(1)
    assert word.lower() not in reference.lower()


def test_guaranteed_wrong_code_answer_is_a_program_that_raises():
    task = Task("c/0", "Write add.", "def add(a, b): return a + b", "code:mbpp", 1)
    assert guaranteed_wrong_answer(task) == WRONG_PROGRAM
    statements = ast.parse(WRONG_PROGRAM).body
    assert isinstance(statements[0], ast.Raise)


# -- registry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected_type"),
    [
        ("oracle", OraclePolicy),
        ("random", RandomGuessPolicy),
        ("noisy", NoisySolverPolicy),
        ("copy-first", CopyFirstPolicy),
        ("copy-first:oracle", CopyFirstPolicy),
        (" Oracle ", OraclePolicy),
    ],
)
def test_make_policy_builds_the_named_policy(spec, expected_type):
    policy = make_policy(spec)
    assert type(policy) is expected_type
    assert isinstance(policy, Policy)


def test_make_policy_reads_noisy_rates_in_short_and_long_form():
    short = make_policy("noisy:p1=0.6,i2c=0.2,c2i=0.05")
    long = make_policy("noisy:p_first=0.6, p_wrong_to_right=0.2, p_right_to_wrong=0.05")
    for policy in (short, long):
        assert (policy.p_first, policy.p_wrong_to_right, policy.p_right_to_wrong) == (
            0.6,
            0.2,
            0.05,
        )


def test_copy_first_wraps_the_inner_spec():
    policy = make_policy("copy-first:noisy:p1=0.9")
    assert isinstance(policy.first, NoisySolverPolicy) and policy.first.p_first == 0.9


@pytest.mark.parametrize("spec", [*SPECS, "copy-first:copy-first:random"])
def test_policy_name_is_a_spec_that_rebuilds_the_same_policy(spec):
    policy = make_policy(spec)
    assert make_policy(policy.name).name == policy.name


def test_every_builtin_name_makes_a_policy():
    assert sorted(BUILTIN_POLICIES) == ["copy-first", "noisy", "oracle", "random"]
    for name in BUILTIN_POLICIES:
        assert isinstance(make_policy(name), Policy)


def test_unknown_spec_raises_naming_it_and_listing_the_valid_ones():
    with pytest.raises(ValueError, match="unknown policy 'greedy'") as error:
        make_policy("greedy:x=1")
    assert all(name in str(error.value) for name in BUILTIN_POLICIES)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("noisy:p1=0.6,q=0.1", "KEY=VALUE"),
        ("noisy:p1", "KEY=VALUE"),
        ("noisy:p1=0.6,", "KEY=VALUE"),
        ("noisy:p1=0.6,p_first=0.5", "given twice"),
        ("noisy:p1=high", "p1 must be a number"),
        ("noisy:c2i=1.5", "p_right_to_wrong"),
        ("oracle:x=1", "takes no parameters"),
        ("copy-first:", "needs a policy spec"),
        ("copy-first:dqn", "unknown policy 'dqn'"),
        ("x" * 2000, "at most"),
    ],
)
def test_malformed_specs_raise_value_error_saying_what_is_wrong(spec, match):
    with pytest.raises(ValueError, match=match):
        make_policy(spec)


def test_copy_first_requires_a_policy():
    with pytest.raises(ValueError, match="first must be a Policy"):
        CopyFirstPolicy("oracle")
