"""agents/common.py: the dataclass command line, env construction, evaluation, seeding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from gymnasium import spaces

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.common import evaluate, make_env, parse_args, parse_env_kwargs, seed_everything  # noqa: E402
from agents.dqn import Args as DQNArgs  # noqa: E402
from score_envs.wrappers.correction_bonus import CorrectionBonus  # noqa: E402


def test_every_field_becomes_a_flag_with_its_type():
    args = parse_args(DQNArgs, ["--env", "ScoreGridWorld-v0", "--seed", "7", "--gamma", "0.5"])
    assert (args.env, args.seed, args.gamma) == ("ScoreGridWorld-v0", 7, 0.5)
    assert args.total_timesteps == DQNArgs().total_timesteps


def test_bool_fields_get_a_negative_flag():
    assert parse_args(DQNArgs, ["--no-double-dqn"]).double_dqn is False


def test_help_shows_each_field_docstring(capsys):
    with pytest.raises(SystemExit):
        parse_args(DQNArgs, ["--help"])
    assert "Double-DQN targets (select with the online net" in capsys.readouterr().out


def test_fields_of_unsupported_type_are_refused():
    @dataclass
    class Bad:
        sizes: list = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="unsupported type"):
        parse_args(Bad, [])


@pytest.mark.parametrize("text", ["[1, 2]", "size=4", "3"])
def test_env_kwargs_must_be_a_json_object(text):
    with pytest.raises(ValueError, match="env_kwargs must be a JSON object"):
        parse_env_kwargs(text)


def test_discrete_observation_becomes_float_one_hot():
    env = make_env("ScoreGridWorld-v0", '{"size": 3}')
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(1)  # down: cell 3
    assert obs.dtype == np.float32 and obs.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_dict_observation_is_flattened_to_one_vector():
    env = make_env("ScoreGridWorldGoal-v0", '{"size": 5}')
    assert isinstance(env.observation_space, spaces.Box) and env.observation_space.shape == (6,)


def test_positive_correction_bonus_wraps_the_env():
    env = make_env("ScoreMathChoice-v0", correction_bonus=2.0)
    assert env.get_wrapper_attr("alpha") == 2.0
    assert any(isinstance(w, CorrectionBonus) for w in _wrappers(env))


def test_zero_correction_bonus_leaves_the_env_unshaped():
    assert not any(
        isinstance(w, CorrectionBonus) for w in _wrappers(make_env("ScoreMathChoice-v0"))
    )


def test_evaluate_reports_return_length_and_final_info_per_episode():
    env = make_env("ScoreGridWorld-v0", '{"size": 2}')
    down_then_right = iter([1, 3, 1, 3])
    result = evaluate(env, lambda obs: next(down_then_right), episodes=2, seed=0)
    assert result.returns == [1.0, 1.0] and result.lengths == [2, 2]
    assert result.success_rate == 1.0


def test_seed_everything_makes_torch_and_numpy_repeat():
    seed_everything(5)
    first = (torch.rand(3).tolist(), np.random.rand(3).tolist())
    seed_everything(5)
    assert (torch.rand(3).tolist(), np.random.rand(3).tolist()) == first


def _wrappers(env):
    while hasattr(env, "env"):
        yield env
        env = env.env
