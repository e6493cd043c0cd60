"""What identifies a leaderboard run: environment id and options, policy spec, seed.

A :class:`RunConfig` is plain JSON data. It is written as the header of a results file, compared
when a run resumes (so episodes of two different configurations never end up in one file), and
sent to worker processes or Ray tasks, which rebuild the env and the policy from it: nothing that
cannot be rebuilt from text ever crosses a process boundary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from score_envs.policies.base import Policy

MAX_ENV_OPTION_CHARS = 10_000
"""Longest ``--env-kwargs`` JSON text accepted (options are names and small numbers)."""


@dataclass(frozen=True)
class RunConfig:
    """The configuration of one run: every episode of a results file shares it.

    Attributes:
        env_id: A Gymnasium id (``"ScoreMath-v0"``; ``"module:Env-v0"`` imports ``module``).
        env_kwargs: Keyword arguments for ``gym.make`` (JSON values only).
        policy: A policy spec for :func:`score_envs.policies.registry.build_policy`.
        seed: Episode ``i`` resets with ``seed + i`` (see :mod:`score_envs.eval.runner`).

    Example:
        >>> config = RunConfig("ScoreMath-v0", {"difficulty": 1}, "oracle", seed=3)
        >>> RunConfig.from_dict(config.as_dict()) == config
        True
    """

    env_id: str
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    policy: str = "oracle"
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.env_id, str) or not self.env_id.strip():
            raise ValueError(f"env id must be a non-empty string, got {self.env_id!r}")
        if not isinstance(self.policy, str) or not self.policy.strip():
            raise ValueError(f"policy spec must be a non-empty string, got {self.policy!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if not isinstance(self.env_kwargs, Mapping):
            raise ValueError(f"env kwargs must be a JSON object, got {self.env_kwargs!r}")
        try:
            # Round-trip through JSON: the header must hold exactly what the workers will use.
            canonical = json.loads(json.dumps(dict(self.env_kwargs), sort_keys=True))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"env kwargs must be JSON values: {exc}") from None
        object.__setattr__(self, "env_kwargs", canonical)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form written into the results file's header."""
        return {
            "env_id": self.env_id,
            "env_kwargs": dict(self.env_kwargs),
            "policy": self.policy,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Rebuild a config from :meth:`as_dict`'s output (raises ``ValueError`` when malformed)."""
        missing = [key for key in ("env_id", "env_kwargs", "policy", "seed") if key not in data]
        if missing:
            raise ValueError(f"run config lacks {', '.join(missing)}")
        return cls(data["env_id"], data["env_kwargs"], data["policy"], data["seed"])

    def make_env(self) -> gym.Env:
        """``gym.make(env_id, **env_kwargs)``, with a one-line error for an unknown id or option.

        Example:
            >>> RunConfig("ScoreMath-v0", {"families": ["arithmetic"]}).make_env().spec.id
            'ScoreMath-v0'
        """
        import score_envs  # noqa: F401 - registers the project's envs in worker processes too

        try:
            env = gym.make(self.env_id, **self.env_kwargs)
        except gym.error.Error as exc:
            raise ValueError(f"unknown environment {self.env_id!r}: {exc}") from None
        except TypeError as exc:
            raise ValueError(
                f"environment {self.env_id!r} rejects options {dict(self.env_kwargs)}: {exc}"
            ) from None
        except ModuleNotFoundError as exc:
            raise ValueError(f"environment {self.env_id!r}: {exc}") from None
        from score_envs.core.env import SelfCorrectionEnv
        from score_envs.core.spaces import AnyText

        # Policies write text: the env must take text actions (a multiple-choice view does not).
        if not isinstance(env.unwrapped, SelfCorrectionEnv) or not isinstance(
            env.action_space, AnyText
        ):
            env.close()
            raise ValueError(
                f"environment {self.env_id!r} is not a text self-correction env: runs play "
                "text envs such as ScoreMath-v0 and ScoreCode-v0 (the grid worlds and the "
                "multiple-choice views are for the agents in agents/)"
            )
        return env

    def make_policy(self) -> Policy:
        """A fresh policy built from the spec (each worker or thread gets its own)."""
        from score_envs.policies.registry import build_policy

        return build_policy(self.policy)


def parse_env_options(kwargs_json: str | None, options: Iterable[str] = ()) -> dict[str, Any]:
    """Env keyword arguments from ``--env-kwargs JSON`` and repeated ``--env-opt KEY=VALUE``.

    ``VALUE`` is read as JSON when it parses (``3``, ``[1, 2]``, ``true``, ``"x"``) and as a plain
    string otherwise, so ``--env-opt feedback=binary`` needs no quotes. A comma-separated value
    without brackets (``families=arithmetic,fractions``) becomes a list of strings. ``--env-opt``
    wins over the same key in ``--env-kwargs``.

    Example:
        >>> parse_env_options('{"difficulty": 2}', ["families=arithmetic,fractions", "max_turns=3"])
        {'difficulty': 2, 'families': ['arithmetic', 'fractions'], 'max_turns': 3}
        >>> parse_env_options(None, ["families=arithmetic", "difficulty=2-4"])
        {'families': ['arithmetic'], 'difficulty': [2, 4]}
    """
    result: dict[str, Any] = {}
    if kwargs_json is not None:
        if len(kwargs_json) > MAX_ENV_OPTION_CHARS:
            raise ValueError(
                f"--env-kwargs must be at most {MAX_ENV_OPTION_CHARS} characters, "
                f"got {len(kwargs_json)}"
            )
        try:
            parsed = json.loads(kwargs_json)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"--env-kwargs must be a JSON object, got {kwargs_json!r}: {exc}"
            ) from None
        if not isinstance(parsed, dict):
            raise ValueError(f"--env-kwargs must be a JSON object, got {kwargs_json!r}")
        result.update(parsed)
    for option in options:
        key, has_value, value = option.partition("=")
        key = key.strip()
        if not has_value or not key.isidentifier():
            raise ValueError(f"--env-opt must look like KEY=VALUE, got {option!r}")
        result[key] = _option_value(value.strip())
    return _normalised(result)


def _normalised(options: dict[str, Any]) -> dict[str, Any]:
    """One spelling per meaning, so equal runs compare equal in results files.

    ``families=arithmetic`` and ``families=arithmetic,fractions`` both become lists, and
    ``difficulty=2-4`` (the demo's spelling) becomes ``[2, 4]``.
    """
    families = options.get("families")
    if isinstance(families, str):
        options["families"] = [families]
    difficulty = options.get("difficulty")
    if isinstance(difficulty, str):
        match = re.fullmatch(r"\s*([0-9]+)\s*-\s*([0-9]+)\s*", difficulty)
        if match is None:
            raise ValueError(f"difficulty must look like 3, 2-4 or [2, 4], got {difficulty!r}")
        options["difficulty"] = [int(match.group(1)), int(match.group(2))]
    return options


def _option_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if "," in text:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text
