"""Stage II reward shaping of the SCoRe paper: a bonus for turning a wrong attempt right.

See :class:`CorrectionBonus` for why it goes to the second attempt only.
"""

from __future__ import annotations

import math
from typing import Any, SupportsFloat

import gymnasium as gym

PAPER_ALPHA = 10.0
"""The shaping weight of the paper (Table 5, MATH and MBPP)."""


def correction_bonus(
    previous_reward: float, reward: float, *, bonus_weight: float, penalty_weight: float
) -> float:
    """The shaping term for an attempt given the previous attempt's reward.

    ``bonus_weight * (reward - previous_reward)`` when the attempt improves on the previous one,
    ``penalty_weight * (reward - previous_reward)`` (negative) when it gets worse, 0 otherwise.
    A pure function, so learners can recompute the shaped return outside the env;
    :class:`CorrectionBonus` adds exactly this to the reward of every attempt after the first.

    Example:
        >>> correction_bonus(0.0, 1.0, bonus_weight=10.0, penalty_weight=10.0)
        10.0
        >>> correction_bonus(1.0, 0.0, bonus_weight=10.0, penalty_weight=2.0)
        -2.0
    """
    change = float(reward) - float(previous_reward)
    if change > 0:
        return bonus_weight * change
    if change < 0:
        return penalty_weight * change
    return 0.0


class CorrectionBonus(gym.Wrapper[str, str, str, str], gym.utils.RecordConstructorArgs):
    """Add ``alpha * (r2 - r1)`` to the reward of the second attempt (the paper's Stage II).

    The bonus goes to attempt 2's reward only, never to attempt 1's: the paper's rewards are
    instantaneous (gamma = 0), and putting the bonus into attempt 1's return is reward hacking in
    practice (DESIGN.md section 7: Acc@t1 fell to 4.7% in our miniature run). With more than two
    turns, every attempt ``t >= 2`` gets the shaping relative to attempt ``t - 1``, so the bonuses
    of an episode telescope to ``alpha * (r_N - r_1)`` for equal weights.

    Why the KL terms matter: over one episode the policy collects
    ``r1 + r2 + alpha (r2 - r1) = (1 - alpha) r1 + (1 + alpha) r2``. For ``alpha >= 1`` a correct
    first attempt no longer pays (``alpha = 1``) or even costs (``alpha > 1``), so the cheapest
    optimum is to fail attempt 1 on purpose and answer right at attempt 2. The paper keeps the
    first attempt near the reference model with a KL penalty (beta1; Stage I pins it even harder),
    which is what makes ``alpha = 10`` a bonus for *genuine* corrections instead. Watch
    :func:`score_envs.metrics.compute_metrics`'s ``reward_hacking_suspected`` when training with
    this wrapper.

    The wrapped env's reward is kept in ``info["raw_reward"]`` and the added term in
    ``info["correction_bonus"]`` (0.0 on the first attempt), so recorders and logs can separate
    the two. Correctness in ``info`` is untouched.

    Args:
        env: A self-correction env (its reward per attempt is the correctness, 1.0 or 0.0).
        alpha: Shaping weight (default 10.0, the paper's); must be >= 0.
        bonus_weight: Weight for improvements (wrong -> right); defaults to ``alpha``.
        penalty_weight: Weight for regressions (right -> wrong); defaults to ``alpha``.

    Example:
        >>> import gymnasium as gym, score_envs
        >>> from score_envs.policies.base import format_final_answer
        >>> env = CorrectionBonus(gym.make("ScoreMath-v0"), alpha=10.0)
        >>> _ = env.reset(seed=0)
        >>> _, reward, *_ = env.step("I do not know.")
        >>> reward
        0.0
        >>> answer = format_final_answer(env.unwrapped.task.answer)
        >>> _, reward, terminated, _, info = env.step(answer)
        >>> reward, info["raw_reward"], info["correction_bonus"], terminated
        (11.0, 1.0, 10.0, True)
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        alpha: float = PAPER_ALPHA,
        bonus_weight: float | None = None,
        penalty_weight: float | None = None,
    ) -> None:
        _check_weight("alpha", alpha)
        bonus_weight = alpha if bonus_weight is None else bonus_weight
        penalty_weight = alpha if penalty_weight is None else penalty_weight
        _check_weight("bonus_weight", bonus_weight)
        _check_weight("penalty_weight", penalty_weight)
        gym.utils.RecordConstructorArgs.__init__(
            self, alpha=alpha, bonus_weight=bonus_weight, penalty_weight=penalty_weight
        )
        gym.Wrapper.__init__(self, env)
        self.alpha = float(alpha)
        self.bonus_weight = float(bonus_weight)
        self.penalty_weight = float(penalty_weight)
        self._previous_reward: float | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Reset the env and forget the previous attempt."""
        self._previous_reward = None
        return super().reset(seed=seed, options=options)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env; attempts after the first get the shaping term added to their reward."""
        observation, reward, terminated, truncated, info = self.env.step(action)
        raw_reward = float(reward)
        bonus = 0.0
        if self._previous_reward is not None:
            bonus = correction_bonus(
                self._previous_reward,
                raw_reward,
                bonus_weight=self.bonus_weight,
                penalty_weight=self.penalty_weight,
            )
        self._previous_reward = raw_reward
        info = dict(info)
        info["raw_reward"] = raw_reward
        info["correction_bonus"] = bonus
        return observation, raw_reward + bonus, terminated, truncated, info


def _check_weight(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
