"""Play policies through an environment and collect per-episode records.

Episode ``i`` of a run with seed ``s`` always resets with ``seed=s + i`` and gives the policy an
RNG seeded from ``(s, i)``: every episode is reproducible on its own, whatever ran before it, which
is what makes runs resumable and splittable over workers with identical results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from score_envs.metrics import EpisodeOutcome
from score_envs.policies.base import Policy


@dataclass(frozen=True)
class EpisodeRecord:
    """Everything a leaderboard needs about one finished episode (JSON-ready via ``as_dict``)."""

    index: int
    seed: int
    task_id: str
    family: str
    difficulty: int
    attempts: tuple[str, ...]
    correct_per_turn: tuple[bool, ...]
    reasons_per_turn: tuple[str, ...]
    extracted_per_turn: tuple[str | None, ...]
    seconds: float
    policy_seconds: tuple[float, ...] = ()

    @property
    def outcome(self) -> EpisodeOutcome:
        """The part of the record the metrics module uses."""
        return EpisodeOutcome(self.task_id, self.correct_per_turn, self.family)

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (lists instead of tuples) for JSON lines."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpisodeRecord:
        """Rebuild a record from :meth:`as_dict`'s output, checking every field's type.

        Results files are read back from disk, so a hand-edited or foreign line must fail with
        the field it breaks, not deep inside the metrics.

        Example:
            >>> record = EpisodeRecord(0, 7, "t/0", "arithmetic", 1, ("4", "4"), (True, True),
            ...                        ("equivalent", "equivalent"), ("4", "4"), 0.01)
            >>> EpisodeRecord.from_dict(record.as_dict()) == record
            True
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"an episode must be a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for name, check in _FIELD_CHECKS.items():
            if name not in data:
                if name == "policy_seconds":
                    values[name] = ()
                    continue
                raise ValueError(f"episode lacks the field {name!r}")
            value = data[name]
            if not check(value):
                raise ValueError(f"episode field {name!r} has an unexpected value {value!r:.80}")
            values[name] = tuple(value) if isinstance(value, list) else value
        turns = len(values["correct_per_turn"])
        for name in ("attempts", "reasons_per_turn", "extracted_per_turn"):
            if len(values[name]) != turns:
                raise ValueError(
                    f"episode {values['index']}: {name} has {len(values[name])} entries but "
                    f"correct_per_turn has {turns}"
                )
        return cls(**values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, (list, tuple)) and all(check(v) for v in value)


_FIELD_CHECKS: dict[str, Callable[[Any], bool]] = {
    "index": lambda v: _is_int(v) and v >= 0,
    "seed": lambda v: _is_int(v) and v >= 0,
    "task_id": lambda v: isinstance(v, str),
    "family": lambda v: isinstance(v, str),
    "difficulty": _is_int,
    "attempts": _list_of(lambda v: isinstance(v, str)),
    "correct_per_turn": lambda v: _list_of(lambda b: isinstance(b, bool))(v) and len(v) >= 1,
    "reasons_per_turn": _list_of(lambda v: isinstance(v, str)),
    "extracted_per_turn": _list_of(lambda v: v is None or isinstance(v, str)),
    "seconds": _is_number,
    "policy_seconds": _list_of(_is_number),
}


def play_episode(env: gym.Env, policy: Policy, *, index: int, seed: int) -> EpisodeRecord:
    """Play one episode of ``env`` with ``policy``; episode ``index`` of a run seeded ``seed``.

    Example:
        >>> import gymnasium as gym, score_envs
        >>> from score_envs.policies import OraclePolicy
        >>> env = gym.make("ScoreMath-v0")
        >>> play_episode(env, OraclePolicy(), index=0, seed=7).correct_per_turn
        (True, True)
    """
    start = time.perf_counter()
    _, info = env.reset(seed=seed + index)
    task = env.unwrapped.task
    policy.start_episode(task, np.random.default_rng([seed, index]))
    attempts, extracted, policy_seconds = [], [], []
    terminated = truncated = False
    while not (terminated or truncated):
        asked = time.perf_counter()
        attempt = policy.next_attempt(info["messages"])
        policy_seconds.append(time.perf_counter() - asked)
        _, _, terminated, truncated, info = env.step(attempt)
        attempts.append(attempt)
        extracted.append(info.get("extracted_answer"))
    return EpisodeRecord(
        index=index,
        seed=seed + index,
        task_id=task.task_id,
        family=task.family,
        difficulty=task.difficulty,
        attempts=tuple(attempts),
        correct_per_turn=tuple(info["correct_per_turn"]),
        reasons_per_turn=tuple(info["reasons_per_turn"]),
        extracted_per_turn=tuple(extracted),
        seconds=time.perf_counter() - start,
        policy_seconds=tuple(policy_seconds),
    )


def run_episodes(
    env: gym.Env,
    policy: Policy,
    *,
    episodes: int | Iterable[int],
    seed: int,
    on_episode: Callable[[EpisodeRecord], None] | None = None,
) -> list[EpisodeRecord]:
    """Play ``episodes`` (a count, or explicit episode indices) and return their records.

    ``on_episode`` is called after each episode (progress bars, appending to a results file).
    """
    if isinstance(episodes, int):
        if episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {episodes}")
        indices: Iterable[int] = range(episodes)
    else:
        indices = episodes
    records = []
    for index in indices:
        record = play_episode(env, policy, index=index, seed=seed)
        records.append(record)
        if on_episode is not None:
            on_episode(record)
    return records
