"""agents/dqn_her.py: the encoding, HER relabelling scored by compute_reward, HER vs no HER,
range checks of Args; only goal-conditioned grid worlds are accepted."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.dqn_her import (  # noqa: E402
    Args,
    Transitions,
    encode,
    main,
    make_goal_env,
    sample_future_goals,
    store_episode,
    train,
)

SEED = 2
NUMERIC_FIELDS = [f.name for f in dataclasses.fields(Args) if f.type in ("int", "float")]
# A path that never revisits a cell, so each goal identifies the step that achieved it.
PATH = np.array([[0, 1], [0, 2], [1, 2], [2, 2], [2, 3]])


def test_encoding_is_one_hot_row_then_one_hot_column():
    assert encode(np.array([[2, 0]]), 3).tolist() == [[0, 0, 1, 1, 0, 0]]


def test_future_goals_are_cells_achieved_at_or_after_the_step():
    steps, goals = sample_future_goals(PATH, 8, np.random.default_rng(SEED))
    assert steps.tolist() == np.repeat(np.arange(5), 8).tolist()
    for step, goal in zip(steps, goals, strict=True):
        achieved_at = next(t for t, cell in enumerate(PATH) if cell.tolist() == goal.tolist())
        assert achieved_at >= step


def test_last_step_can_only_be_relabelled_with_its_own_cell():
    steps, goals = sample_future_goals(PATH, 4, np.random.default_rng(SEED))
    assert {tuple(g) for g in goals[steps == 4]} == {(2, 3)}


def test_future_strategy_reaches_every_later_cell():
    steps, goals = sample_future_goals(PATH, 200, np.random.default_rng(SEED))
    assert {tuple(g) for g in goals[steps == 0]} == {tuple(cell) for cell in PATH}


def test_stored_rewards_and_terminations_are_the_envs_compute_reward():
    env = gym.make("ScoreGridWorldGoal-v0", size=4)
    buffer = Transitions(capacity=100)
    cells = np.vstack([[[0, 0]], PATH[:-1]])
    actions = np.array([3, 3, 1, 1, 3])
    stored = store_episode(
        buffer, env, cells, actions, PATH, np.array([3, 3]), 4, np.random.default_rng(SEED)
    )
    assert stored == 5 * (1 + 4)
    n = buffer.size
    expected = env.unwrapped.compute_reward(buffer.next_cells[:n], buffer.goals[:n], None)
    assert buffer.rewards[:n].tolist() == expected.tolist()
    assert buffer.terminations[:n].tolist() == expected.tolist()  # reached <=> terminal here
    assert buffer.rewards[:5].tolist() == [0.0] * 5  # the real goal (3, 3) was never reached
    assert buffer.rewards[5:n].sum() >= 5  # every step has a copy relabelled with its own cell


def test_without_her_only_the_played_transitions_are_stored():
    env = gym.make("ScoreGridWorldGoal-v0", size=4)
    buffer = Transitions(capacity=100)
    cells = np.vstack([[[0, 0]], PATH[:-1]])
    store_episode(buffer, env, cells, np.zeros(5, np.int64), PATH, np.array([3, 3]), 0, None)
    assert buffer.size == 5


def test_her_reaches_random_goals_that_plain_dqn_misses_with_the_same_budget():
    common = dict(
        env_kwargs='{"size": 8}', seed=SEED, total_episodes=250, eval_episodes=100, verbose=False
    )
    with_her = train(Args(her=True, **common))
    without_her = train(Args(her=False, **common))
    assert with_her.eval_success_rate >= 0.8
    assert with_her.eval_success_rate > without_her.eval_success_rate + 0.3


def test_goal_env_keeps_the_dict_observation_and_compute_reward():
    env = make_goal_env("ScoreGridWorldGoal-v0", '{"size": 5}')
    obs, _ = env.reset(seed=SEED)
    assert set(obs) == {"observation", "achieved_goal", "desired_goal"}
    assert callable(env.unwrapped.compute_reward)


def test_plain_grid_world_is_refused_naming_the_goal_env_and_what_is_missing():
    with pytest.raises(ValueError) as error:
        make_goal_env("ScoreGridWorld-v0")
    message = str(error.value)
    assert "ScoreGridWorldGoal-v0" in message and "env 'ScoreGridWorld-v0' lacks" in message
    assert "observation, achieved_goal, desired_goal" in message
    assert "compute_reward" in message


def test_command_line_refuses_a_plain_grid_world_in_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--env", "ScoreGridWorld-v0"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("agents.dqn_her: error: dqn_her needs a goal-conditioned grid world")


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_every_numeric_field_refuses_a_negative_value(name):
    with pytest.raises(ValueError, match=rf"^{name} must be (>=|>|in) "):
        Args(**{name: -1})
