"""agents/gridworld_baseline.py: the original TD target, the fixes, and what each one buys;
range checks of Args; only grid worlds are accepted."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.gridworld_baseline import Args, epsilon_at, main, make_grid_env, td_target, train  # noqa: E402

SEED = 1
NUMERIC_FIELDS = [f.name for f in dataclasses.fields(Args) if f.type in ("int", "float")]


def test_td_target_bootstraps_from_the_best_next_action_unless_terminal():
    targets = td_target(
        torch.tensor([0.0, 1.0]),
        torch.tensor([0.0, 1.0]),
        torch.tensor([[0.5, 2.0], [9.0, 9.0]]),
        gamma=0.9,
    )
    assert targets.tolist() == pytest.approx([1.8, 1.0])


def test_epsilon_decays_over_the_exploration_fraction_then_stays():
    args = Args(total_episodes=10, exploration_fraction=0.5, start_epsilon=1.0, end_epsilon=0.0)
    assert [epsilon_at(args, episode) for episode in (0, 1, 5, 9)] == [1.0, 0.8, 0.0, 0.0]


def test_fixed_baseline_solves_the_4x4_grid_by_the_shortest_path_within_150_episodes():
    result = train(Args(seed=SEED, total_episodes=150, verbose=False))
    assert result.greedy.success_rate == 1.0
    assert result.greedy.lengths == [6]


def test_every_episode_ends_by_the_step_limit():
    result = train(Args(seed=SEED, total_episodes=30, verbose=False))
    assert max(result.episode_lengths) <= 16  # 4 * size: no episode loops for ever


def test_without_exploration_the_original_greedy_agent_never_reaches_the_goal():
    result = train(
        Args(seed=SEED, total_episodes=60, start_epsilon=0.0, end_epsilon=0.0, verbose=False)
    )
    assert sum(result.episode_returns) == 0.0
    assert result.greedy.success_rate == 0.0


def test_grid_env_is_a_one_hot_cell_with_four_moves():
    env = make_grid_env("ScoreGridWorld-v0", '{"size": 5}')
    assert env.observation_space.shape == (25,) and env.action_space.n == 4


@pytest.mark.parametrize("env_id", ["CartPole-v1", "ScoreGridWorldGoal-v0", "Taxi-v4"])
def test_envs_without_a_cell_observation_and_four_moves_are_refused(env_id):
    # CartPole: Box observation; the goal grid: Dict observation; Taxi: six actions.
    with pytest.raises(ValueError, match="gridworld_baseline needs a grid world"):
        make_grid_env(env_id)


def test_command_line_refuses_cartpole_in_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--env", "CartPole-v1"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("agents.gridworld_baseline: error: gridworld_baseline needs a grid")
    assert "env 'CartPole-v1' has observation space Box" in err


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_every_numeric_field_refuses_a_negative_value(name):
    with pytest.raises(ValueError, match=rf"^{name} must be (>=|>|in) "):
        Args(**{name: -1})
