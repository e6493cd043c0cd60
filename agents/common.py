"""Plumbing the reference agents share: a command line from an ``Args`` dataclass, seeding, env
construction and greedy evaluation.

Only plumbing lives here; every agent's learning rule (targets, losses, buffers) stays in its own
file so that each agent reads top to bottom, in the spirit of CleanRL.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

import score_envs  # noqa: F401  (registers the project's env ids with Gymnasium)
from score_envs.wrappers.correction_bonus import CorrectionBonus

ArgsT = TypeVar("ArgsT")

_PARSERS: dict[Any, Callable[[str], Any]] = {int: int, float: float, str: str}


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (the string literal after the field).

    Python keeps no such docstrings at run time, so they are read from the class's source, as
    ``tyro`` does; a class whose source is unavailable gets no help texts.

    Example:
        >>> from agents.dqn import Args
        >>> field_docs(Args)["seed"]
        'Seed of random, numpy, torch and the env'
    """
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def parse_args(cls: type[ArgsT], argv: Sequence[str] | None = None) -> ArgsT:
    """Build an ``argparse`` command line from the fields of ``cls`` and parse ``argv``.

    Each field ``learning_rate: float = 1e-3`` becomes ``--learning-rate`` with its default and
    its field docstring as help; ``bool`` fields get ``--name`` / ``--no-name``.

    Example:
        >>> @dataclass
        ... class Demo:
        ...     learning_rate: float = 1e-3
        ...     '''Adam step size.'''
        ...     double: bool = True
        ...     '''Use Double-DQN targets.'''
        >>> parse_args(Demo, ["--learning-rate", "0.01", "--no-double"])
        Demo(learning_rate=0.01, double=False)
    """
    hints = get_type_hints(cls)
    docs = field_docs(cls)
    parser = argparse.ArgumentParser(
        prog=cls.__module__, description=(inspect.getmodule(cls).__doc__ or "").split("\n")[0]
    )
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        flag = "--" + item.name.replace("_", "-")
        kind = hints[item.name]
        help_text = f"{docs.get(item.name, '')} (default: {item.default!r})"
        if kind is bool:
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=item.default, help=help_text
            )
        elif kind in _PARSERS:
            parser.add_argument(flag, type=_PARSERS[kind], default=item.default, help=help_text)
        else:
            raise TypeError(f"field {item.name!r} of {cls.__name__} has unsupported type {kind}")
    return cls(**vars(parser.parse_args(argv)))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (the env is seeded at reset).

    Example:
        >>> seed_everything(3); a = torch.rand(1); seed_everything(3); bool(torch.rand(1) == a)
        True
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def parse_env_kwargs(text: str) -> dict[str, Any]:
    """Keyword arguments for ``gym.make`` from a JSON object (the ``--env-kwargs`` flag).

    Example:
        >>> parse_env_kwargs('{"size": 8, "max_steps": 40}')
        {'size': 8, 'max_steps': 40}
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"env_kwargs must be a JSON object, got {text!r}: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"env_kwargs must be a JSON object, got {text!r}")
    return value


def make_env(env_id: str, env_kwargs: str = "{}", correction_bonus: float = 0.0) -> gym.Env:
    """``gym.make(env_id, **env_kwargs)`` as a network reads it: a flat ``float32`` vector.

    Discrete and ``Dict`` observations are flattened (one-hot, concatenation); a
    ``correction_bonus > 0`` wraps the env in :class:`~score_envs.wrappers.CorrectionBonus` with
    that ``alpha`` (self-correction envs only).

    Example:
        >>> env = make_env("ScoreGridWorld-v0", '{"size": 3}')
        >>> env.observation_space.shape, env.reset(seed=0)[0].tolist()
        ((9,), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    """
    env = gym.make(env_id, **parse_env_kwargs(env_kwargs))
    if correction_bonus > 0:
        env = CorrectionBonus(env, alpha=correction_bonus)
    space = env.observation_space
    if not (isinstance(space, spaces.Box) and len(space.shape) == 1):
        env = gym.wrappers.FlattenObservation(env)
    if env.observation_space.dtype != np.float32:
        env = gym.wrappers.DtypeObservation(env, np.float32)
    if not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(
            f"the reference agents need a Discrete action space, got {env.action_space}"
        )
    return env


@dataclass
class Evaluation:
    """Outcome of greedy evaluation episodes.

    Attributes:
        returns: Undiscounted return of each episode.
        lengths: Steps of each episode.
        final_infos: The ``info`` of each episode's last step (``is_success``,
            ``correct_per_turn``, ...).
    """

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    final_infos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mean_return(self) -> float:
        """Mean undiscounted return."""
        return float(np.mean(self.returns))

    @property
    def success_rate(self) -> float:
        """Fraction of episodes whose last ``info`` says ``is_success`` (goal envs)."""
        return float(np.mean([bool(info.get("is_success", False)) for info in self.final_infos]))

    def correct_per_turn(self) -> list[list[bool]]:
        """Per-attempt correctness of each episode (self-correction envs), for the metrics."""
        return [list(info["correct_per_turn"]) for info in self.final_infos]


def evaluate(
    env: gym.Env, act: Callable[[np.ndarray], int], episodes: int, seed: int
) -> Evaluation:
    """Play ``episodes`` episodes with ``act`` (observation -> action) from seeds ``seed``, ...

    Example:
        >>> env = make_env("ScoreGridWorld-v0", '{"size": 2}')
        >>> evaluate(env, lambda obs: 3 if obs[0] == 1 else 1, episodes=2, seed=0).returns
        [1.0, 1.0]
    """
    result = Evaluation()
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        total, steps, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(act(obs))
            total += float(reward)
            steps += 1
            done = terminated or truncated
        result.returns.append(total)
        result.lengths.append(steps)
        result.final_infos.append(info)
    return result
