"""agents/common.py: the dataclass command line, range checks, env construction, evaluation,
seeding, and the one-line errors of run_main."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from gymnasium import spaces

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents import dqn  # noqa: E402
from agents.common import (  # noqa: E402
    COUNT,
    POSITIVE,
    PROBABILITY,
    Range,
    check_ranges,
    evaluate,
    make_env,
    make_raw_env,
    parse_args,
    parse_env_kwargs,
    run_main,
    seed_everything,
)
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


def test_range_bounds_are_inclusive_unless_open():
    assert PROBABILITY.contains(0.0) and PROBABILITY.contains(1.0)
    assert not POSITIVE.contains(0.0) and POSITIVE.contains(1e-9)
    assert not Range(0, 1, high_open=True).contains(1.0)


def test_nan_is_inside_no_range():
    assert not any(r.contains(math.nan) for r in (COUNT, POSITIVE, PROBABILITY, Range(-math.inf)))


@dataclass
class _Counts:
    episodes: int = 10
    gamma: float = 0.9


def test_check_ranges_names_the_field_the_range_and_the_value():
    with pytest.raises(ValueError, match=r"^gamma must be in \[0, 1\], got 1\.5$"):
        check_ranges(_Counts(gamma=1.5), {"episodes": COUNT, "gamma": PROBABILITY})


def test_check_ranges_accepts_values_on_the_bounds():
    check_ranges(_Counts(episodes=1, gamma=1.0), {"episodes": COUNT, "gamma": PROBABILITY})


def test_out_of_range_flag_is_one_error_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        parse_args(DQNArgs, ["--total-timesteps", "-5"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == "agents.dqn: error: total_timesteps must be >= 1, got -5\n"


def test_malformed_env_kwargs_flag_is_one_error_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        parse_args(DQNArgs, ["--env-kwargs", "{bad"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("agents.dqn: error: env_kwargs must be a JSON object, got '{bad'")


def test_unknown_env_id_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="env 'Nope-v0' cannot be made"):
        make_raw_env("Nope-v0")


def test_env_kwargs_the_env_does_not_take_are_a_value_error_naming_them():
    with pytest.raises(ValueError, match=r"env 'CartPole-v1' refused env_kwargs \{\"size\": 3\}"):
        make_raw_env("CartPole-v1", '{"size": 3}')


def test_continuous_actions_are_refused_naming_the_env():
    with pytest.raises(ValueError, match="env 'Pendulum-v1' has action space Box"):
        make_env("Pendulum-v1")


def test_run_main_reports_an_unknown_env_in_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        run_main(DQNArgs, dqn.make_envs, dqn.train, ["--env", "Nope-v0"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("agents.dqn: error: env 'Nope-v0' cannot be made")


def test_run_main_leaves_errors_raised_while_training_as_tracebacks():
    def failing_train(args, *envs):
        raise ValueError("a bug in the learning rule")

    with pytest.raises(ValueError, match="a bug in the learning rule"):
        run_main(DQNArgs, dqn.make_envs, failing_train, ["--env", "ScoreGridWorld-v0"])


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
