"""agents/reinforce.py: returns, baseline subtraction, the loss's gradient, short real runs,
range checks of Args and the command line's one-line errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the `agents` extra; without it these tests skip

from torch.distributions import Categorical  # noqa: E402

from agents.reinforce import (  # noqa: E402
    Args,
    advantages_from,
    discounted_returns,
    main,
    policy_loss,
    train,
)
from score_envs.metrics import compute_metrics  # noqa: E402

SEED = 5
NUMERIC_FIELDS = [f.name for f in dataclasses.fields(Args) if f.type in ("int", "float")]


def test_discounted_returns_accumulate_backwards():
    assert discounted_returns([1.0, 1.0, 1.0], gamma=0.9).tolist() == pytest.approx(
        [2.71, 1.9, 1.0]
    )


def test_undiscounted_returns_are_reward_to_go():
    assert discounted_returns([0.0, 1.0, 10.0], gamma=1.0).tolist() == [11.0, 11.0, 10.0]


def test_truncated_episode_bootstraps_from_the_value_of_its_last_state():
    assert discounted_returns([1.0, 1.0], gamma=0.5, bootstrap_value=8.0).tolist() == [
        3.5,
        5.0,
    ]


def test_advantage_is_return_minus_baseline():
    advantages = advantages_from(torch.tensor([5.0, 2.0]), torch.tensor([1.0, 3.0]), False)
    assert advantages.tolist() == [4.0, -1.0]


def test_advantages_carry_no_gradient_into_the_baseline():
    baseline = torch.tensor([1.0, 2.0], requires_grad=True)
    advantages = advantages_from(torch.tensor([3.0, 3.0]), baseline, True)
    assert advantages.grad_fn is None and not advantages.requires_grad


def test_normalised_advantages_have_zero_mean_and_unit_std():
    advantages = advantages_from(torch.tensor([1.0, 2.0, 6.0]), torch.zeros(3), True)
    assert advantages.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert advantages.std().item() == pytest.approx(1.0, abs=1e-6)


def test_a_constant_baseline_adds_no_expected_gradient():
    # E_a[grad log pi(a) * b] = b * grad sum_a pi(a) = 0: subtracting a baseline cannot bias the
    # policy gradient. Exact expectation over the 3 actions, weighted by pi.
    logits = torch.tensor([0.3, -1.0, 2.0], requires_grad=True)
    distribution = Categorical(logits=logits)
    actions = torch.arange(3)
    weights = distribution.probs.detach()
    expected = (weights * distribution.log_prob(actions) * 7.0).sum()
    (gradient,) = torch.autograd.grad(expected, logits)
    assert gradient.abs().max().item() < 1e-6


def test_loss_gradient_raises_actions_with_positive_advantage():
    logits = torch.zeros(3, requires_grad=True)
    distribution = Categorical(logits=logits)
    actions = torch.tensor([0, 1])
    loss = policy_loss(distribution.log_prob(actions), torch.tensor([1.0, -1.0]), torch.zeros(2), 0)
    loss.backward()
    with torch.no_grad():
        probs = torch.softmax(logits - 0.5 * logits.grad, 0)
    assert probs[0] > 1 / 3 > probs[1]


def test_entropy_bonus_pushes_towards_uniform_when_advantages_vanish():
    logits = torch.tensor([2.0, 0.0, 0.0], requires_grad=True)
    distribution = Categorical(logits=logits)
    loss = policy_loss(
        distribution.log_prob(torch.tensor([0])), torch.zeros(1), distribution.entropy()[None], 1.0
    )
    loss.backward()
    with torch.no_grad():
        after = Categorical(logits=logits - 0.1 * logits.grad).entropy()
    assert after > distribution.entropy()


def test_reinforce_improves_cartpole_return():
    result = train(
        Args(
            env="CartPole-v1",
            seed=SEED,
            total_episodes=240,
            eval_episodes=1,
            anneal_lr=False,
            verbose=False,
        )
    )
    returns = result.episode_returns
    assert np.mean(returns[-40:]) > 3 * np.mean(returns[:40])


def test_reinforce_learns_the_math_multiple_choice_view():
    result = train(
        Args(
            env="ScoreMathChoice-v0",
            seed=SEED,
            gamma=1.0,
            total_episodes=6_000,
            episodes_per_update=32,
            learning_rate=3e-3,
            eval_episodes=1_000,
            verbose=False,
        )
    )
    metrics = compute_metrics(result.greedy.correct_per_turn(), n_bootstrap=200)
    assert metrics.acc_t1.low > 0.40
    assert metrics.acc_t2.low > 0.50
    assert metrics.delta.value > 0.05


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_every_numeric_field_refuses_a_negative_value(name):
    with pytest.raises(ValueError, match=rf"^{name} must be (>=|>|in) "):
        Args(**{name: -1})


@pytest.mark.parametrize("name", ["learning_rate", "value_learning_rate", "episodes_per_update"])
def test_step_sizes_and_batch_counts_refuse_zero(name):
    with pytest.raises(ValueError, match=rf"^{name} must be "):
        Args(**{name: 0})


def test_gamma_above_one_is_refused():
    with pytest.raises(ValueError, match=r"^gamma must be in \[0, 1\], got 1\.5$"):
        Args(gamma=1.5)


def test_command_line_reports_a_negative_episode_count_in_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--total-episodes", "-5"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "agents.reinforce: error: total_episodes must be >= 1, got -5\n"
    )


def test_command_line_reports_continuous_actions_in_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--env", "Pendulum-v1"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("agents.reinforce: error: env 'Pendulum-v1' has action space Box")
