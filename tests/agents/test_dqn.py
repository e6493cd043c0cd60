"""agents/dqn.py: TD and Double-DQN targets on hand-made batches, the buffer, short real runs,
range checks of Args and the command line's one-line errors."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from agents.dqn import Args, QNetwork, ReplayBuffer, linear_schedule, td_targets, train, update  # noqa: E402
from score_envs.metrics import compute_metrics  # noqa: E402
from score_envs.wrappers import optimal_accuracy  # noqa: E402

SEED = 3
ROOT = Path(__file__).resolve().parents[2]
NUMERIC_FIELDS = [
    f.name
    for f in dataclasses.fields(Args)
    if f.type in ("int", "float") and f.name != "stop_at_eval_return"  # any number stops
]
FLOAT_FIELDS = [f.name for f in dataclasses.fields(Args) if f.type == "float"]


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


def test_dqn_learns_the_code_multiple_choice_view():
    # Every step runs the candidate in the code sandbox (about 8 ms), so the budget is small:
    # 2000 steps (1000 two-turn episodes) with a gradient step each, then 300 unseen tasks.
    result = train(
        Args(
            env="ScoreCodeChoice-v0",
            seed=SEED,
            gamma=1.0,
            total_timesteps=2_000,
            learning_starts=400,
            buffer_size=2_000,
            target_network_frequency=100,
            exploration_fraction=0.5,
            eval_episodes=300,
            eval_every=0,
            verbose=False,
        )
    )
    metrics = compute_metrics(result.final.correct_per_turn(), n_bootstrap=200)
    best_t1, best_t2 = optimal_accuracy(3, (1.0, 1.0))  # 63.4% then 74.5%; chance is 1/3
    assert 0.5 < metrics.acc_t1.low and metrics.acc_t1.value < best_t1 + 0.05
    assert metrics.acc_t2.value > metrics.acc_t1.value
    assert metrics.acc_t2.value < best_t2 + 0.05


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_every_numeric_field_refuses_a_negative_value(name):
    with pytest.raises(ValueError, match=rf"^{name} must be (>=|>|in) "):
        Args(**{name: -1})


@pytest.mark.parametrize("name", FLOAT_FIELDS)
def test_every_float_field_refuses_nan(name):
    with pytest.raises(ValueError, match=rf"^{name} must be "):
        Args(**{name: math.nan})


@pytest.mark.parametrize(
    "name", ["gamma", "tau", "start_epsilon", "end_epsilon", "exploration_fraction"]
)
def test_probabilities_and_fractions_refuse_values_above_one(name):
    with pytest.raises(ValueError, match=rf"^{name} must be in \(?\[?0, 1\], got 1\.5$"):
        Args(**{name: 1.5})


@pytest.mark.parametrize("name", ["learning_rate", "tau", "batch_size", "total_timesteps"])
def test_step_sizes_and_counts_refuse_zero(name):
    with pytest.raises(ValueError, match=rf"^{name} must be "):
        Args(**{name: 0})


def test_zero_means_none_for_eval_every_learning_starts_and_correction_bonus():
    args = Args(eval_every=0, learning_starts=0, correction_bonus=0.0)
    assert (args.eval_every, args.learning_starts, args.correction_bonus) == (0, 0, 0.0)


def test_command_line_reports_an_unknown_env_in_one_line_with_status_2():
    # The real `python -m` entry point: its module is __main__, yet errors must name agents.dqn.
    completed = subprocess.run(
        [sys.executable, "-m", "agents.dqn", "--env", "Nope-v0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stdout == "" and completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("agents.dqn: error: env 'Nope-v0' cannot be made")
