"""agents/score_mini/losses.py: each term acts on the right tokens with the right credit."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agents.score_mini.losses import (  # noqa: E402
    Objective,
    batch_baseline,
    kl_to_reference,
    objective_loss,
    reinforce_loss,
    shaped_rewards,
)

BATCH, TIME, VOCAB = 4, 6, 5
FIRST = torch.tensor([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]] * BATCH)
SECOND = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0, 0.0]] * BATCH)


def _log_probs(seed: int, requires_grad: bool = False) -> torch.Tensor:
    logits = torch.randn(BATCH, TIME, VOCAB, generator=torch.Generator().manual_seed(seed))
    return torch.log_softmax(logits, -1).requires_grad_(requires_grad)


def test_kl_is_zero_against_an_identical_reference():
    log_probs = _log_probs(0)
    assert kl_to_reference(log_probs, log_probs, FIRST).item() == pytest.approx(0.0, abs=1e-7)


def test_kl_equals_the_exact_divergence_summed_over_masked_positions():
    policy, reference = _log_probs(0), _log_probs(1)
    per_position = (policy.exp() * (policy - reference)).sum(-1)
    expected = per_position[:, :2].sum(1).mean()
    assert kl_to_reference(policy, reference, FIRST).item() == pytest.approx(expected.item())


def test_kl_ignores_positions_outside_its_attempt():
    policy, reference = _log_probs(0), _log_probs(1)
    changed = reference.clone()
    changed[:, 2:] = _log_probs(2)[:, 2:]  # differ only outside attempt 1
    assert kl_to_reference(policy, changed, FIRST).item() == pytest.approx(
        kl_to_reference(policy, reference, FIRST).item()
    )


def test_kl_gradient_reaches_only_the_tokens_of_its_attempt():
    policy = _log_probs(0, requires_grad=True)
    kl_to_reference(policy, _log_probs(1), SECOND).backward()
    per_position = policy.grad.abs().sum(dim=(0, 2))
    assert per_position[[3, 4]].gt(0).all() and per_position[[0, 1, 2, 5]].eq(0).all()


def test_kl_gives_the_reference_no_gradient():
    reference = _log_probs(1, requires_grad=True)
    kl = kl_to_reference(_log_probs(0, requires_grad=True), reference, FIRST)
    kl.backward()
    assert reference.grad is None


def test_shaping_bonus_changes_attempt_two_reward_only():
    r1, r2 = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([1.0, 0.0, 1.0, 0.0])
    first, second = shaped_rewards(r1, r2, alpha=10.0)
    assert first.tolist() == r1.tolist()
    assert second.tolist() == [11.0, -10.0, 1.0, 0.0]


def test_shaping_bonus_leaves_attempt_one_gradient_unchanged():
    r1, r2 = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([1.0, 0.0, 1.0, 1.0])
    grads = []
    for alpha in (0.0, 10.0):
        log_probs = _log_probs(0, requires_grad=True)
        taken = log_probs[..., 0]
        loss, _ = objective_loss(
            Objective(alpha=alpha), taken, log_probs, log_probs.detach(), FIRST, SECOND, r1, r2
        )
        loss.backward()
        grads.append(log_probs.grad.clone())
    assert torch.equal(grads[0][:, :2], grads[1][:, :2])
    assert not torch.equal(grads[0][:, 3:5], grads[1][:, 3:5])


def test_batch_baseline_centres_the_rewards():
    advantages = batch_baseline(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    assert advantages.tolist() == [0.75, -0.25, -0.25, -0.25]


def test_equal_rewards_give_no_policy_gradient():
    log_probs = _log_probs(0, requires_grad=True)
    taken = log_probs[..., 0]
    reinforce_loss(taken, FIRST, batch_baseline(torch.ones(BATCH))).backward()
    assert log_probs.grad.abs().sum().item() == 0.0


def test_reinforce_raises_the_probability_of_above_average_attempts():
    logits = torch.zeros(2, 1, 2, requires_grad=True)
    taken = torch.log_softmax(logits, -1)[..., 0]
    loss = reinforce_loss(taken, torch.ones(2, 1), batch_baseline(torch.tensor([1.0, 0.0])))
    loss.backward()
    # Episode 0 was rewarded above the mean: descending the loss raises its token's logit.
    assert logits.grad[0, 0, 0].item() < 0 < logits.grad[1, 0, 0].item()


def test_stage_one_objective_has_no_attempt_one_reward_term():
    log_probs = _log_probs(0, requires_grad=True)
    objective = Objective(reward_first=False, reward_second=True, kl_first=1.0)
    r = torch.tensor([1.0, 0.0, 0.0, 1.0])
    _, parts = objective_loss(
        objective, log_probs[..., 0], log_probs, log_probs, FIRST, SECOND, r, r
    )
    assert "pg_first" not in parts and "pg_second" in parts
