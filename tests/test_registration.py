"""Every registered env passes Gymnasium's checker through ``gym.make``, without warnings."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import score_envs
from score_envs.registration import ENV_IDS

SEED = 2024


def test_import_registers_every_env_id():
    assert set(ENV_IDS) <= set(gym.registry)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env_passes_without_warnings(env_id):
    env = gym.make(env_id)
    assert env.unwrapped.spec is not None  # so check_env also checks reset determinism
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_can_be_made_by_module_path_without_prior_import(env_id):
    env = gym.make(f"score_envs:{env_id}")
    obs, _info = env.reset(seed=SEED)
    assert env.observation_space.contains(obs)


def test_package_exposes_version():
    assert score_envs.__version__.count(".") == 2
