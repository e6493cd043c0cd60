"""agents/gridworld_baseline.py: the original TD target, the fixes, and what each one buys."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.gridworld_baseline import Args, epsilon_at, td_target, train  # noqa: E402

SEED = 1


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
