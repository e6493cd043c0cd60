"""agents/dqn.py: TD and Double-DQN targets on hand-made batches, the buffer, short real runs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.dqn import Args, QNetwork, ReplayBuffer, linear_schedule, td_targets, train, update  # noqa: E402
from score_envs.metrics import compute_metrics  # noqa: E402

SEED = 3


def hand_made_batch():
    # Two transitions; in the first the online net prefers action 1 while the target net's
    # maximum is at action 0, which is exactly where DQN and Double DQN differ.
    rewards = torch.tensor([1.0, 0.5])
    terminations = torch.tensor([0.0, 1.0])
    next_q_online = torch.tensor([[0.0, 3.0], [7.0, 1.0]])
    next_q_target = torch.tensor([[4.0, 2.0], [6.0, 8.0]])
    return rewards, terminations, next_q_online, next_q_target


def test_double_dqn_target_values_the_online_argmax_with_the_target_net():
    targets = td_targets(*hand_made_batch(), gamma=0.9, double_dqn=True)
    assert targets.tolist() == pytest.approx([1.0 + 0.9 * 2.0, 0.5])


def test_dqn_target_takes_the_target_nets_own_maximum():
    targets = td_targets(*hand_made_batch(), gamma=0.9, double_dqn=False)
    assert targets.tolist() == pytest.approx([1.0 + 0.9 * 4.0, 0.5])


def test_terminal_transitions_do_not_bootstrap():
    rewards, _, online, target = hand_made_batch()
    targets = td_targets(rewards, torch.ones(2), online * 100, target * 100, gamma=0.99)
    assert targets.tolist() == rewards.tolist()


def test_replay_buffer_overwrites_the_oldest_transition_when_full():
    buffer = ReplayBuffer(capacity=3, observation_size=2)
    for step in range(5):
        buffer.add(np.full(2, step), step % 2, float(step), np.full(2, step + 1), step == 4)
    assert len(buffer) == 3
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0]


def test_replay_buffer_samples_consistent_transitions():
    buffer = ReplayBuffer(capacity=10, observation_size=1)
    for step in range(10):
        buffer.add(np.array([step]), step % 3, float(step), np.array([step + 1]), False)
    batch = buffer.sample(64, np.random.default_rng(SEED))
    assert batch["observations"].dtype == torch.float32 and batch["actions"].dtype == torch.int64
    assert torch.equal(batch["next_observations"], batch["observations"] + 1)
    assert torch.equal(batch["rewards"], batch["observations"][:, 0])


def test_epsilon_decays_linearly_then_stays():
    values = [linear_schedule(1.0, 0.0, 4, step) for step in range(6)]
    assert values == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_update_steps_reduce_the_td_error_on_a_fixed_batch():
    torch.manual_seed(SEED)
    args = Args(learning_rate=1e-2, gamma=0.0, anneal_lr=False)
    online, target = QNetwork(2, 2, 16), QNetwork(2, 2, 16)
    optimizer = torch.optim.Adam(online.parameters(), lr=args.learning_rate)
    batch = {
        "observations": torch.eye(2),
        "actions": torch.tensor([0, 1]),
        "rewards": torch.tensor([1.0, -1.0]),
        "next_observations": torch.eye(2),
        "terminations": torch.ones(2),
    }
    first = update(online, target, optimizer, batch, args)
    for _ in range(200):
        last = update(online, target, optimizer, batch, args)
    assert last < first / 100
    q = online(torch.eye(2))
    assert q[0, 0].item() == pytest.approx(1.0, abs=0.05)
    assert q[1, 1].item() == pytest.approx(-1.0, abs=0.05)


def grid_args(**overrides) -> Args:
    defaults = dict(
        env="ScoreGridWorld-v0",
        env_kwargs='{"size": 4}',
        seed=SEED,
        total_timesteps=3_000,
        learning_starts=300,
        buffer_size=3_000,
        batch_size=64,
        target_network_frequency=100,
        exploration_fraction=0.5,
        eval_episodes=1,
        eval_every=0,
        verbose=False,
    )
    defaults.update(overrides)
    return Args(**defaults)


def test_dqn_solves_the_4x4_grid_with_the_shortest_path():
    result = train(grid_args())
    assert result.final.success_rate == 1.0
    assert result.final.lengths == [6]


def test_training_is_deterministic_for_a_fixed_seed():
    first = train(grid_args(total_timesteps=800, learning_starts=200))
    second = train(grid_args(total_timesteps=800, learning_starts=200))
    assert first.episode_returns == second.episode_returns
    for a, b in zip(first.q_network.parameters(), second.q_network.parameters(), strict=True):
        assert torch.equal(a, b)


def test_dqn_learns_the_math_multiple_choice_view():
    result = train(
        Args(
            env="ScoreMathChoice-v0",
            seed=SEED,
            gamma=1.0,
            total_timesteps=8_000,
            train_frequency=2,
            learning_starts=1_000,
            buffer_size=8_000,
            target_network_frequency=200,
            exploration_fraction=0.5,
            eval_episodes=1_000,
            eval_every=0,
            verbose=False,
        )
    )
    metrics = compute_metrics(result.final.correct_per_turn(), n_bootstrap=200)
    # Random play scores 25%; the optimum is 55.2% then 67.8% (MultipleChoiceView docstring).
    assert metrics.acc_t1.low > 0.40
    assert metrics.acc_t2.low > 0.50
    assert metrics.delta.value > 0.05


def test_training_stops_at_the_first_evaluation_reaching_the_threshold():
    result = train(grid_args(eval_every=500, stop_at_eval_return=1.0))
    periodic = result.evaluations[:-1]
    assert result.stopped_at_step == periodic[-1][0] < 3_000
    assert [e.mean_return >= 1.0 for _, e in periodic] == [False] * (len(periodic) - 1) + [True]
    assert result.final.success_rate == 1.0
