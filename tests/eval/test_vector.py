"""Gymnasium vector envs (sync and async) give the same episodes as single envs for a seed."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.vector import AutoresetMode

import score_envs  # noqa: F401 - registers the envs
from score_envs.eval.config import RunConfig
from score_envs.eval.runner import run_episodes
from score_envs.eval.vector import make_vector_env, play_vector_episodes

SEED = 31
NUM_ENVS = 8
CONFIG = RunConfig("ScoreMath-v0", {}, "noisy:p1=0.5,i2c=0.3,c2i=0.1", seed=SEED)
MODES = ["sync", "async"]


def without_timings(records):
    return [
        {k: v for k, v in r.as_dict().items() if k not in ("seconds", "policy_seconds")}
        for r in records
    ]


@pytest.mark.parametrize("mode", MODES)
def test_make_vec_resets_each_sub_env_like_a_single_env_with_seed_plus_i(mode):
    options = {"vector_kwargs": {"shared_memory": False}} if mode == "async" else {}
    envs = gym.make_vec("ScoreMath-v0", num_envs=NUM_ENVS, vectorization_mode=mode, **options)
    try:
        observations, info = envs.reset(seed=SEED)
    finally:
        envs.close()
    single = gym.make("ScoreMath-v0")
    for i in range(NUM_ENVS):
        observation, single_info = single.reset(seed=SEED + i)
        assert observations[i] == observation
        assert info["task_id"][i] == single_info["task_id"]


@pytest.mark.parametrize("mode", MODES)
def test_make_vec_steps_reward_like_single_envs(mode):
    envs = make_vector_env(RunConfig("ScoreMath-v0"), NUM_ENVS, mode, same_step=False)
    single = gym.make("ScoreMath-v0")
    try:
        envs.reset(seed=SEED)
        actions = tuple(f"\\boxed{{{i}}}" for i in range(NUM_ENVS))
        _, rewards, terminated, _, _ = envs.step(actions)
    finally:
        envs.close()
    for i in range(NUM_ENVS):
        single.reset(seed=SEED + i)
        _, reward, done, _, _ = single.step(actions[i])
        assert (rewards[i], terminated[i]) == (reward, done)


@pytest.mark.parametrize("mode", MODES)
def test_vector_runner_records_equal_the_single_env_runner(mode):
    # 19 episodes on 8 sub-envs: two full waves and a short last one.
    expected = run_episodes(CONFIG.make_env(), CONFIG.make_policy(), episodes=19, seed=SEED)
    got = play_vector_episodes(CONFIG, range(19), num_envs=NUM_ENVS, mode=mode)
    assert without_timings(got) == without_timings(expected)


def test_same_step_autoreset_returns_the_final_info_on_the_last_step():
    envs = make_vector_env(RunConfig("ScoreMath-v0", {}), 2, "sync", same_step=True)
    try:
        envs.reset(seed=[SEED, SEED + 1])
        envs.step(("first", "first"))
        _, _, terminated, _, info = envs.step(("second", "second"))
    finally:
        envs.close()
    assert terminated.all()
    assert list(info["final_info"]["correct_per_turn"][0]) == [False, False]
    assert info["turn"][0] == 0  # the returned info already belongs to the next episode


def test_vector_env_uses_same_step_autoreset_by_default():
    envs = make_vector_env(RunConfig("ScoreMath-v0"), 2)
    try:
        assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    finally:
        envs.close()


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        make_vector_env(RunConfig("ScoreMath-v0"), 2, "gpu")
