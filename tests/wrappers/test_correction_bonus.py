"""CorrectionBonus on the real turn loop with a tiny task source and an exact-match grader."""

from __future__ import annotations

import math

import gymnasium as gym
import pytest
from gymnasium.envs.registration import registry

from score_envs.core.env import SelfCorrectionEnv
from score_envs.core.grading import Grade
from score_envs.core.prompts import MATH_TEMPLATES
from score_envs.core.task import Task
from score_envs.wrappers.correction_bonus import CorrectionBonus, correction_bonus

SEED = 1234
TEST_ENV_ID = "ScoreEnvsTest/TinySumBonus-v0"
WRONG = "not the answer"


class SumSource:
    """Adds two numbers derived from the seed; ids are 'sum/<seed>'."""

    def task_from_seed(self, seed: int) -> Task:
        a, b = seed % 97, (seed // 97) % 89
        return Task(f"sum/{seed}", f"What is {a} + {b}?", str(a + b), "sum", 1)

    def task_from_id(self, task_id: str) -> Task:
        return self.task_from_seed(int(task_id.split("/")[1]))


def exact_grader(task: Task, attempt: str) -> Grade:
    correct = attempt.strip() == task.answer
    return Grade(correct, "equivalent" if correct else "not_equivalent", attempt.strip())


def make_env(max_turns: int = 2) -> SelfCorrectionEnv:
    return SelfCorrectionEnv(
        SumSource(), exact_grader, templates=MATH_TEMPLATES, max_turns=max_turns
    )


if TEST_ENV_ID not in registry:
    gym.register(id=TEST_ENV_ID, entry_point=make_env)


def play(env: gym.Env, correct_per_turn: tuple[bool, ...], seed: int = SEED) -> list[tuple]:
    """Play one episode whose attempts are right or wrong as given; return the step results."""
    env.reset(seed=seed)
    answer = env.unwrapped.task.answer
    return [env.step(answer if correct else WRONG) for correct in correct_per_turn]


def rewards(results: list[tuple]) -> list[float]:
    return [reward for _, reward, *_ in results]


def test_first_attempt_gets_its_raw_reward_and_no_bonus():
    (result, _) = play(CorrectionBonus(make_env()), (True, False))
    _, reward, _, _, info = result
    assert reward == 1.0
    assert info["raw_reward"] == 1.0 and info["correction_bonus"] == 0.0


def test_wrong_then_right_adds_alpha_to_the_second_attempt():
    assert rewards(play(CorrectionBonus(make_env(), alpha=10.0), (False, True))) == [0.0, 11.0]


def test_right_then_wrong_subtracts_alpha_from_the_second_attempt():
    assert rewards(play(CorrectionBonus(make_env(), alpha=10.0), (True, False))) == [1.0, -10.0]


@pytest.mark.parametrize("correct", [(True, True), (False, False)])
def test_unchanged_correctness_earns_no_bonus(correct):
    results = play(CorrectionBonus(make_env(), alpha=10.0), correct)
    assert rewards(results) == [float(c) for c in correct]
    assert results[1][4]["correction_bonus"] == 0.0


def test_bonus_and_penalty_weights_apply_separately():
    env = CorrectionBonus(make_env(), alpha=10.0, bonus_weight=3.0, penalty_weight=0.5)
    assert rewards(play(env, (False, True)))[1] == 4.0
    assert rewards(play(env, (True, False)))[1] == -0.5


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 10.0])
@pytest.mark.parametrize("correct", [(True, True), (True, False), (False, True), (False, False)])
def test_episode_return_is_one_minus_alpha_r1_plus_one_plus_alpha_r2(alpha, correct):
    r1, r2 = (float(c) for c in correct)
    episode_return = sum(rewards(play(CorrectionBonus(make_env(), alpha=alpha), correct)))
    assert episode_return == pytest.approx((1 - alpha) * r1 + (1 + alpha) * r2)


def test_with_alpha_above_one_failing_the_first_attempt_on_purpose_pays_more():
    env = CorrectionBonus(make_env(), alpha=10.0)
    assert sum(rewards(play(env, (False, True)))) > sum(rewards(play(env, (True, True))))


def test_with_alpha_below_one_answering_right_twice_pays_more():
    env = CorrectionBonus(make_env(), alpha=0.5)
    assert sum(rewards(play(env, (True, True)))) > sum(rewards(play(env, (False, True))))


def test_each_later_attempt_is_shaped_against_the_one_before_it():
    env = CorrectionBonus(make_env(max_turns=3), alpha=10.0)
    assert rewards(play(env, (False, True, False))) == [0.0, 11.0, -10.0]


def test_previous_attempt_is_forgotten_at_reset():
    env = CorrectionBonus(make_env(), alpha=10.0)
    play(env, (True, True))
    # A new episode starts with no previous attempt: a wrong first attempt is 0, not a regression.
    assert rewards(play(env, (False, False), seed=SEED + 1)) == [0.0, 0.0]


def test_correctness_in_info_is_left_untouched():
    results = play(CorrectionBonus(make_env()), (False, True))
    info = results[-1][4]
    assert info["correct"] is True
    assert info["correct_per_turn"] == [False, True]


def test_pure_function_matches_what_step_adds():
    env = CorrectionBonus(make_env(), alpha=2.0, bonus_weight=3.0, penalty_weight=0.25)
    for correct in [(True, True), (True, False), (False, True), (False, False)]:
        info = play(env, correct)[1][4]
        expected = correction_bonus(
            float(correct[0]), float(correct[1]), bonus_weight=3.0, penalty_weight=0.25
        )
        assert info["correction_bonus"] == expected


def test_constructor_arguments_are_recorded_in_the_spec_and_rebuild_the_wrapper():
    env = CorrectionBonus(gym.make(TEST_ENV_ID), alpha=2.0, penalty_weight=1.0)
    wrapper_spec = env.spec.additional_wrappers[-1]
    assert wrapper_spec.name == "CorrectionBonus"
    assert wrapper_spec.kwargs == {"alpha": 2.0, "bonus_weight": 2.0, "penalty_weight": 1.0}
    rebuilt = gym.make(env.spec)
    assert isinstance(rebuilt, CorrectionBonus)
    assert (rebuilt.alpha, rebuilt.bonus_weight, rebuilt.penalty_weight) == (2.0, 2.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"alpha": -1.0}, "alpha"),
        ({"bonus_weight": -0.1}, "bonus_weight"),
        ({"penalty_weight": -2}, "penalty_weight"),
        ({"alpha": math.inf}, "alpha"),
        ({"alpha": math.nan}, "alpha"),
        ({"alpha": "10"}, "alpha"),
        ({"alpha": True}, "alpha"),
    ],
)
def test_invalid_weights_raise_value_error_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CorrectionBonus(make_env(), **kwargs)
