"""Record every finished episode's per-turn correctness and compute the paper's metrics on it."""

from __future__ import annotations

from collections import deque
from typing import Any, SupportsFloat

import gymnasium as gym

from score_envs.metrics import EpisodeOutcome, SelfCorrectionMetrics, compute_metrics

DEFAULT_BUFFER_LENGTH = 10_000
"""Outcomes kept by default: enough for a 1-point standard error on Acc@t1 (SE <= 0.5/sqrt(n)),
small enough (a few MB) to leave a recorder running through a long training run."""


class RecordSelfCorrection(gym.Wrapper[str, str, str, str], gym.utils.RecordConstructorArgs):
    """Keep an :class:`~score_envs.metrics.EpisodeOutcome` for each finished episode.

    At the end of an episode the env reports ``info["correct_per_turn"]``; this wrapper turns it
    into an outcome (with ``info["task_id"]`` and ``info["family"]``) and appends it to a deque of
    the last ``buffer_length`` episodes, so ``metrics()`` describes recent behaviour during
    training. Correctness is read from ``info``, never from the reward, so the recorder gives the
    same figures inside or outside :class:`~score_envs.wrappers.CorrectionBonus` and under the
    wrappers ``gym.make`` adds. Episodes that end without ``correct_per_turn`` (cut short by a
    time limit, say) are not recorded; ``incomplete_episodes`` counts them.

    Args:
        env: A self-correction env.
        buffer_length: How many of the latest outcomes to keep (default 10_000); at least 1.

    Attributes:
        episode_count: Episodes recorded since construction, including those the buffer dropped.
        incomplete_episodes: Episodes that ended without ``correct_per_turn`` (not recorded).

    Example:
        >>> import gymnasium as gym, score_envs
        >>> from score_envs.policies.base import format_final_answer
        >>> env = RecordSelfCorrection(gym.make("ScoreMath-v0"))
        >>> for seed in range(3):
        ...     _ = env.reset(seed=seed)
        ...     _ = env.step("No idea.")
        ...     _ = env.step(format_final_answer(env.unwrapped.task.answer))
        >>> [outcome.correct_per_turn for outcome in env.outcomes]
        [(False, True), (False, True), (False, True)]
        >>> env.metrics(n_bootstrap=100).delta_i2c.value
        1.0
    """

    def __init__(self, env: gym.Env[str, str], buffer_length: int = DEFAULT_BUFFER_LENGTH) -> None:
        if (
            isinstance(buffer_length, bool)
            or not isinstance(buffer_length, int)
            or buffer_length < 1
        ):
            raise ValueError(f"buffer_length must be an int >= 1, got {buffer_length!r}")
        gym.utils.RecordConstructorArgs.__init__(self, buffer_length=buffer_length)
        gym.Wrapper.__init__(self, env)
        self.buffer_length = buffer_length
        self._outcomes: deque[EpisodeOutcome] = deque(maxlen=buffer_length)
        self.episode_count = 0
        self.incomplete_episodes = 0

    @property
    def outcomes(self) -> tuple[EpisodeOutcome, ...]:
        """The kept outcomes, oldest first (a snapshot; later episodes do not change it)."""
        return tuple(self._outcomes)

    def metrics(self, **kwargs: Any) -> SelfCorrectionMetrics:
        """:func:`~score_envs.metrics.compute_metrics` over the kept outcomes.

        ``kwargs`` (``n_bootstrap``, ``confidence``, ``seed``, ``baseline_acc_t1``) are passed
        through. Raises ``ValueError`` when no episode has finished yet.
        """
        if not self._outcomes:
            raise ValueError("no finished episode recorded yet: play an episode to the end first")
        return compute_metrics(tuple(self._outcomes), **kwargs)

    def clear(self) -> None:
        """Forget the kept outcomes (for example between evaluation rounds)."""
        self._outcomes.clear()

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env; when the episode ends, record its outcome."""
        observation, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            turns = info.get("correct_per_turn")
            if turns is None:
                self.incomplete_episodes += 1
            else:
                self._outcomes.append(
                    EpisodeOutcome(str(info.get("task_id", "")), tuple(turns), info.get("family"))
                )
                self.episode_count += 1
        return observation, reward, terminated, truncated, info
