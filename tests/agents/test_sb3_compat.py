"""Stable-Baselines3 trains on our envs unchanged (skipped when SB3 is not installed).

Short real runs with fixed seeds: each must end with a policy far better than chance, not merely
"it did not crash".
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import score_envs  # noqa: F401  (registers the env ids)

torch = pytest.importorskip("torch")
sb3 = pytest.importorskip("stable_baselines3")  # optional: `pip install stable-baselines3`

from stable_baselines3 import DQN, PPO, HerReplayBuffer  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402

SEED = 0


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: one thread is fastest and deterministic
    yield
    torch.set_num_threads(threads)


def greedy_episode(model, env, seed: int) -> dict:
    obs, _ = env.reset(seed=seed)
    done, moves, reached = False, 0, False
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, _, terminated, truncated, info = env.step(int(action))
        done, moves = terminated or truncated, moves + 1
        reached = reached or info.get("is_success", False)
    return {**info, "moves": moves, "reached": reached}


def accuracy_per_turn(model, env, episodes: int = 500) -> np.ndarray:
    outcomes = [greedy_episode(model, env, 10**6 + k)["correct_per_turn"] for k in range(episodes)]
    return np.mean(outcomes, axis=0)


# The grid worlds are checked unwrapped (Gymnasium's wrappers do not forward a GoalEnv's
# compute_reward); the multiple-choice views are wrappers themselves and are checked as made.
@pytest.mark.parametrize(
    ("env_id", "unwrap"),
    [
        ("ScoreGridWorld-v0", True),
        ("ScoreGridWorldGoal-v0", True),
        ("ScoreMathChoice-v0", False),
        ("ScoreCodeChoice-v0", False),
    ],
)
def test_sb3_env_checker_accepts_the_grid_worlds_and_discrete_views(env_id, unwrap):
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped if unwrap else env)
    assert [str(w.message) for w in caught] == []


def test_sb3_dqn_solves_the_4x4_grid():
    env = gym.make("ScoreGridWorld-v0")
    model = DQN(
        "MlpPolicy", env, learning_rate=1e-3, learning_starts=200, exploration_fraction=0.5,
        target_update_interval=100, train_freq=1, gamma=0.9, seed=SEED,
    )  # fmt: skip
    model.learn(3_000)
    result = greedy_episode(model, env, SEED)
    assert result["is_success"] and result["moves"] == 6


def test_sb3_ppo_solves_the_4x4_grid():
    env = gym.make("ScoreGridWorld-v0")
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, seed=SEED)
    model.learn(6_000)
    result = greedy_episode(model, env, SEED)
    assert result["is_success"] and result["moves"] == 6


def test_sb3_ppo_learns_the_math_multiple_choice_view():
    env = gym.make("ScoreMathChoice-v0")
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, gamma=1.0, seed=SEED)
    model.learn(4_096)
    acc_t1, acc_t2 = accuracy_per_turn(model, env)
    assert acc_t1 > 0.45 and acc_t2 > 0.55  # random 0.25; optimum 0.552 / 0.678


def test_sb3_dqn_learns_the_math_multiple_choice_view():
    env = gym.make("ScoreMathChoice-v0")
    model = DQN(
        "MlpPolicy", env, learning_rate=1e-3, learning_starts=500, exploration_fraction=0.5,
        target_update_interval=100, gamma=1.0, seed=SEED,
    )  # fmt: skip
    model.learn(4_000)
    acc_t1, acc_t2 = accuracy_per_turn(model, env)
    assert acc_t1 > 0.45 and acc_t2 > 0.55


def test_sb3_ppo_learns_the_code_multiple_choice_view():
    env = gym.make("ScoreCodeChoice-v0")  # K = 3: chance 1/3 per turn
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, gamma=1.0, seed=SEED)
    model.learn(3_072)
    acc_t1, acc_t2 = accuracy_per_turn(model, env, episodes=200)
    assert acc_t1 > 0.5 and acc_t2 > acc_t1


def test_sb3_dqn_learns_the_code_multiple_choice_view():
    env = gym.make("ScoreCodeChoice-v0")
    model = DQN(
        "MlpPolicy", env, learning_rate=1e-3, learning_starts=500, exploration_fraction=0.5,
        target_update_interval=100, gamma=1.0, seed=SEED,
    )  # fmt: skip
    model.learn(3_000)
    acc_t1, acc_t2 = accuracy_per_turn(model, env, episodes=200)
    assert acc_t1 > 0.5 and acc_t2 > acc_t1


def test_sb3_her_replay_buffer_learns_the_goal_grid_without_termination():
    # SB3's HerReplayBuffer copies `done` from the played episode into relabelled transitions,
    # so it needs the Gymnasium-Robotics convention of episodes that do not end on success.
    env = gym.make("ScoreGridWorldGoal-v0", size=5, terminate_on_success=False)
    model = DQN(
        "MultiInputPolicy", env, replay_buffer_class=HerReplayBuffer,
        replay_buffer_kwargs={"n_sampled_goal": 4, "goal_selection_strategy": "future"},
        learning_rate=1e-3, learning_starts=300, exploration_fraction=0.3,
        target_update_interval=100, train_freq=1, gamma=0.9, seed=SEED,
    )  # fmt: skip
    model.learn(2_000)
    reached = [greedy_episode(model, env, 10**6 + k)["reached"] for k in range(100)]
    assert np.mean(reached) >= 0.9
