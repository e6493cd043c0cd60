"""ScoreGridWorldGoal-v0: the GoalEnv convention, random goals, and step == compute_reward."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec
from gymnasium.utils.env_checker import check_env

from score_envs.gridworld.goal_env import GoalGridWorldEnv, goal_reached

SEED = 11


def test_observation_holds_position_as_observation_and_achieved_goal():
    env = GoalGridWorldEnv(size=6)
    obs, info = env.reset(seed=SEED)
    assert set(obs) == {"observation", "achieved_goal", "desired_goal"}
    assert obs["observation"].tolist() == obs["achieved_goal"].tolist() == [0, 0]
    assert tuple(obs["desired_goal"].tolist()) == info["goal"]
    assert env.observation_space.contains(obs)


def test_goal_is_drawn_uniformly_over_all_cells_except_start():
    env = GoalGridWorldEnv(size=3)
    goals = [env.reset(seed=seed)[1]["goal"] for seed in range(400)]
    counts = {cell: goals.count(cell) for cell in set(goals)}
    assert set(counts) == {(r, c) for r in range(3) for c in range(3)} - {(0, 0)}
    assert min(counts.values()) > 400 / 8 / 2  # each of the 8 cells near its share of 50


def test_same_seed_gives_same_goal():
    env = GoalGridWorldEnv(size=12)
    first = env.reset(seed=SEED)[1]["goal"]
    env.reset(seed=SEED + 1)
    assert env.reset(seed=SEED)[1]["goal"] == first


def test_random_start_differs_from_goal():
    env = GoalGridWorldEnv(size=2, start=None)
    for seed in range(50):
        _, info = env.reset(seed=seed)
        assert info["position"] != info["goal"]


def test_reset_option_fixes_the_goal_for_one_episode():
    env = GoalGridWorldEnv(size=5)
    _, info = env.reset(seed=SEED, options={"goal": (4, 0)})
    assert info["goal"] == (4, 0)


def test_step_reward_and_termination_agree_with_compute_functions_on_random_play():
    env = GoalGridWorldEnv(size=4, max_steps=30)
    rng = np.random.default_rng(SEED)
    achieved, desired, rewards, terminations = [], [], [], []
    for episode in range(40):
        obs, _ = env.reset(seed=episode)
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(int(rng.integers(4)))
            assert reward == env.compute_reward(obs["achieved_goal"], obs["desired_goal"], info)
            assert terminated == env.compute_terminated(
                obs["achieved_goal"], obs["desired_goal"], info
            )
            achieved.append(obs["achieved_goal"])
            desired.append(obs["desired_goal"])
            rewards.append(reward)
            terminations.append(terminated)
            done = terminated or truncated
    assert 0 < sum(rewards) < len(rewards)  # both outcomes were exercised
    batch = env.compute_reward(np.stack(achieved), np.stack(desired), {})
    assert batch.tolist() == rewards
    assert env.compute_terminated(np.stack(achieved), np.stack(desired), {}).tolist() == (
        terminations
    )


def test_compute_reward_keeps_leading_batch_shape():
    env = GoalGridWorldEnv()
    achieved = np.zeros((3, 5, 2), dtype=np.int64)
    desired = np.zeros((3, 5, 2), dtype=np.int64)
    desired[1, 2] = (1, 0)
    reward = env.compute_reward(achieved, desired, None)
    assert reward.shape == (3, 5)
    assert reward.sum() == 14.0 and reward[1, 2] == 0.0


def test_compute_reward_of_one_pair_is_a_python_float():
    assert isinstance(GoalGridWorldEnv().compute_reward((0, 0), (0, 1), None), float)


def test_goal_reached_rejects_arrays_without_a_cell_axis():
    with pytest.raises(ValueError, match="length 2"):
        goal_reached([1, 2, 3], [1, 2, 3])


def test_gymnasium_checker_passes_without_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = EnvSpec(
            "ScoreGridWorldGoalSpecTest-v0", "score_envs.gridworld.goal_env:GoalGridWorldEnv"
        )
        check_env(gym.make(spec, size=8, render_mode="rgb_array").unwrapped)
    assert [str(w.message) for w in caught] == []


def test_without_termination_on_success_the_episode_runs_to_the_step_limit():
    env = GoalGridWorldEnv(size=2, max_steps=4, terminate_on_success=False)
    env.reset(seed=SEED, options={"goal": (0, 1)})
    results = [env.step(3) for _ in range(4)]  # right, then bump into the border on the goal
    assert [r[1] for r in results] == [1.0] * 4
    assert [r[2] for r in results] == [False] * 4 and results[-1][3] is True
    assert env.compute_terminated([[0, 1]], [[0, 1]], None).tolist() == [False]
