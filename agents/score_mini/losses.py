"""The loss terms every trainer of the miniature is built from, each small enough to unit-test.

Per attempt the reward is instantaneous (gamma = 0, DESIGN.md section 1): attempt 1's tokens are
credited with attempt 1's reward only and attempt 2's tokens with attempt 2's reward (plus, in
SCoRe's Stage II, the shaping bonus ``alpha * (r2 - r1)``). Putting the bonus into attempt 1's
credit teaches the model to fail on purpose (measured: Acc@t1 fell to 4.7%), so it never goes there.

The KL penalties are exact: the vocabulary is tiny, so ``KL(pi(.|prefix) || pi_ref(.|prefix))`` is
summed over all next characters at each position of the chosen attempt, not estimated from the
sampled token. Each trainer is one :class:`Objective`:

================================  ============  ============  =====  =========  =========
trainer                           reward t1     reward t2     alpha  KL t1      KL t2
================================  ============  ============  =====  =========  =========
naive multi-turn REINFORCE        yes           yes           0      beta1      beta1
SCoRe Stage I                     no            yes           0      beta2      0
SCoRe Stage II                    yes           yes           alpha  beta1      beta1
================================  ============  ============  =====  =========  =========
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Objective:
    """Which rewards and KL terms a policy-gradient update uses.

    Attributes:
        reward_first: Credit attempt 1's tokens with ``r1``.
        reward_second: Credit attempt 2's tokens with ``r2`` (plus the bonus).
        alpha: Shaping bonus weight: attempt 2's reward becomes ``r2 + alpha * (r2 - r1)``.
        kl_first: KL weight on attempt 1's positions.
        kl_second: KL weight on attempt 2's positions.

    Example:
        >>> Objective(reward_first=False, kl_first=1.0).alpha
        0.0
    """

    reward_first: bool = True
    reward_second: bool = True
    alpha: float = 0.0
    kl_first: float = 0.0
    kl_second: float = 0.0


def shaped_rewards(
    r1: torch.Tensor, r2: torch.Tensor, alpha: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-attempt rewards with the shaping bonus on attempt 2 only.

    Example:
        >>> first, second = shaped_rewards(torch.tensor([0., 1.]), torch.tensor([1., 0.]), 10.0)
        >>> first.tolist(), second.tolist()
        ([0.0, 1.0], [11.0, -10.0])
    """
    return r1, r2 + alpha * (r2 - r1)


def batch_baseline(rewards: torch.Tensor) -> torch.Tensor:
    """Advantages: rewards minus the batch mean (REINFORCE's per-batch baseline), no gradient.

    Example:
        >>> batch_baseline(torch.tensor([1., 0., 0., 1.])).tolist()
        [0.5, -0.5, -0.5, 0.5]
    """
    return (rewards - rewards.mean()).detach()


def reinforce_loss(
    token_log_probs: torch.Tensor, mask: torch.Tensor, advantages: torch.Tensor
) -> torch.Tensor:
    """``-mean_batch[advantage * log pi(attempt)]`` over the positions in ``mask``.

    ``token_log_probs`` and ``mask`` are ``[batch, time]``; the attempt's log-probability is the
    sum of its tokens' log-probabilities.

    Example:
        >>> logp = torch.log(torch.tensor([[0.5, 0.5], [0.25, 1.0]]))
        >>> mask = torch.tensor([[1., 0.], [1., 0.]])
        >>> round(reinforce_loss(logp, mask, torch.tensor([1., -1.])).item(), 4)
        -0.3466
    """
    return -(advantages.detach() * (token_log_probs * mask).sum(dim=1)).mean()


def kl_to_reference(
    log_probs: torch.Tensor, reference_log_probs: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Exact ``KL(pi || pi_ref)`` of the next-token distributions, summed over the positions in
    ``mask`` (``[batch, time]``) and averaged over the batch; ``log_probs`` are
    ``[batch, time, vocab]``. The reference gets no gradient.

    Example:
        >>> same = torch.log(torch.full((1, 2, 2), 0.5))
        >>> kl_to_reference(same, same, torch.ones(1, 2)).item()
        0.0
    """
    reference = reference_log_probs.detach()
    per_position = (log_probs.exp() * (log_probs - reference)).sum(dim=-1)
    return (per_position * mask).sum(dim=1).mean()


def objective_loss(
    objective: Objective,
    token_log_probs: torch.Tensor,
    log_probs: torch.Tensor,
    reference_log_probs: torch.Tensor,
    first_mask: torch.Tensor,
    second_mask: torch.Tensor,
    r1: torch.Tensor,
    r2: torch.Tensor,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The total loss of ``objective`` on a batch of two-attempt rollouts, and its parts.

    Example:
        >>> logp = torch.log(torch.full((2, 3, 2), 0.5))
        >>> taken = logp[..., 0]
        >>> m1, m2 = torch.tensor([[1., 0, 0]] * 2), torch.tensor([[0, 0, 1.]] * 2)
        >>> loss, parts = objective_loss(Objective(), taken, logp, logp, m1, m2,
        ...                              torch.tensor([1., 0.]), torch.tensor([1., 1.]))
        >>> parts["kl_first"], parts["kl_second"]
        (0.0, 0.0)
    """
    reward_first, reward_second = shaped_rewards(r1, r2, objective.alpha)
    loss = torch.zeros((), dtype=log_probs.dtype)
    parts: dict[str, float] = {}
    if objective.reward_first:
        pg_first = reinforce_loss(token_log_probs, first_mask, batch_baseline(reward_first))
        loss = loss + pg_first
        parts["pg_first"] = pg_first.item()
    if objective.reward_second:
        pg_second = reinforce_loss(token_log_probs, second_mask, batch_baseline(reward_second))
        loss = loss + pg_second
        parts["pg_second"] = pg_second.item()
    kl_first = kl_to_reference(log_probs, reference_log_probs, first_mask)
    kl_second = kl_to_reference(log_probs, reference_log_probs, second_mask)
    loss = loss + objective.kl_first * kl_first + objective.kl_second * kl_second
    parts["kl_first"] = kl_first.item()
    parts["kl_second"] = kl_second.item()
    parts["loss"] = loss.item()
    return loss, parts
