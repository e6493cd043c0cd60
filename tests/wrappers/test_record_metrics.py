"""RecordSelfCorrection on the real turn loop with a tiny task source and an exact-match grader."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.envs.registration import registry
from gymnasium.wrappers import TimeLimit

from score_envs.core.env import SelfCorrectionEnv
from score_envs.core.grading import Grade
from score_envs.core.prompts import MATH_TEMPLATES
from score_envs.core.task import Task
from score_envs.metrics import EpisodeOutcome, compute_metrics
from score_envs.wrappers.correction_bonus import CorrectionBonus
from score_envs.wrappers.record_metrics import RecordSelfCorrection

SEED = 1234
TEST_ENV_ID = "ScoreEnvsTest/TinySumRecord-v0"
WRONG = "not the answer"
# Per-turn correctness of a fixed sequence of episodes: every (t1, t2) class appears.
EPISODES = [(False, True), (True, True), (True, False), (False, False), (False, True)]


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


def play_all(env: gym.Env, episodes=EPISODES) -> list[str]:
    """Play the episodes (attempts right or wrong as given); return the task ids played."""
    task_ids = []
    for index, correct_per_turn in enumerate(episodes):
        env.reset(seed=SEED + index)
        task = env.unwrapped.task
        task_ids.append(task.task_id)
        for correct in correct_per_turn:
            env.step(task.answer if correct else WRONG)
    return task_ids


def test_records_one_outcome_per_finished_episode_from_info():
    env = RecordSelfCorrection(make_env())
    task_ids = play_all(env)
    assert env.outcomes == tuple(
        EpisodeOutcome(task_id, turns, "sum")
        for task_id, turns in zip(task_ids, EPISODES, strict=True)
    )
    assert env.episode_count == len(EPISODES)


def test_episode_abandoned_by_reset_is_not_recorded():
    env = RecordSelfCorrection(make_env())
    env.reset(seed=SEED)
    env.step(WRONG)
    env.reset(seed=SEED + 1)
    assert env.outcomes == ()


def test_episode_cut_by_a_time_limit_counts_as_incomplete():
    env = RecordSelfCorrection(TimeLimit(make_env(max_turns=3), max_episode_steps=1))
    env.reset(seed=SEED)
    _, _, terminated, truncated, _ = env.step(WRONG)
    assert (terminated, truncated) == (False, True)
    assert env.outcomes == ()
    assert env.incomplete_episodes == 1


def test_buffer_keeps_only_the_latest_outcomes():
    env = RecordSelfCorrection(make_env(), buffer_length=2)
    task_ids = play_all(env)
    assert [outcome.task_id for outcome in env.outcomes] == task_ids[-2:]
    assert env.episode_count == len(EPISODES)


def test_metrics_are_computed_on_the_recorded_outcomes():
    env = RecordSelfCorrection(make_env())
    play_all(env)
    assert env.metrics(seed=5, n_bootstrap=50) == compute_metrics(EPISODES, seed=5, n_bootstrap=50)


def test_metrics_before_any_finished_episode_raise_value_error():
    with pytest.raises(ValueError, match="no finished episode"):
        RecordSelfCorrection(make_env()).metrics()


def test_clear_forgets_the_outcomes():
    env = RecordSelfCorrection(make_env())
    play_all(env)
    env.clear()
    assert env.outcomes == ()


def test_outcomes_are_the_same_inside_or_outside_correction_bonus():
    plain = RecordSelfCorrection(make_env())
    inside = CorrectionBonus(RecordSelfCorrection(make_env()), alpha=10.0)
    outside = RecordSelfCorrection(CorrectionBonus(make_env(), alpha=10.0))
    for env in (plain, inside, outside):
        play_all(env)
    assert plain.outcomes == inside.get_wrapper_attr("outcomes") == outside.outcomes
    assert [o.correct_per_turn for o in plain.outcomes] == EPISODES


def test_works_over_the_wrappers_gym_make_adds():
    env = RecordSelfCorrection(gym.make(TEST_ENV_ID))
    play_all(env)
    assert [outcome.correct_per_turn for outcome in env.outcomes] == EPISODES


def test_records_all_turns_of_longer_episodes():
    env = RecordSelfCorrection(make_env(max_turns=3))
    play_all(env, episodes=[(False, False, True)])
    assert env.outcomes[0].correct_per_turn == (False, False, True)
    assert env.metrics(n_bootstrap=10).delta_i2c.value == 1.0


@pytest.mark.parametrize("buffer_length", [0, -3, 2.5, True])
def test_invalid_buffer_length_raises_value_error(buffer_length):
    with pytest.raises(ValueError, match="buffer_length"):
        RecordSelfCorrection(make_env(), buffer_length=buffer_length)
