"""Plumbing the reference agents share: a command line from an ``Args`` dataclass, range checks of
its fields, seeding, env construction, greedy evaluation and the ``__main__`` entry point.

Only plumbing lives here; every agent's learning rule (targets, losses, buffers) stays in its own
file so that each agent reads top to bottom, in the spirit of CleanRL.

A mistake on the command line (a negative count, an unknown env id, malformed ``--env-kwargs``,
an env the agent cannot play) is the user's, not a bug: :func:`run_main` reports it the way
``argparse`` reports an unknown flag, as one line ``agents.dqn: error: ...`` and exit status 2,
instead of a traceback. Errors raised later, while training, are bugs and keep their traceback.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import math
import random
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar, get_type_hints

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

    A ``ValueError`` from ``cls`` itself (its range checks) ends the program like any other
    command-line mistake: one line ``PROG: error: ...`` on stderr and exit status 2.
    """
    hints = get_type_hints(cls)
    docs = field_docs(cls)
    parser = argparse.ArgumentParser(
        prog=program_name(cls),
        description=(inspect.getmodule(cls).__doc__ or "").split("\n")[0],
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
    values = vars(parser.parse_args(argv))
    try:
        return cls(**values)
    except ValueError as error:
        exit_with_error(parser.prog, error)


def program_name(cls: type) -> str:
    """The dotted module name of ``cls``, also when that module runs as ``python -m`` (the name
    is then ``__main__``, which would make every agent's errors read ``__main__: error: ...``).

    Example:
        >>> from agents.dqn import Args
        >>> program_name(Args)
        'agents.dqn'
    """
    module = sys.modules.get(cls.__module__)
    spec = getattr(module, "__spec__", None)
    return spec.name if spec is not None else cls.__module__


def exit_with_error(prog: str, error: BaseException) -> NoReturn:
    """End the program as ``argparse`` ends it on a bad flag: ``PROG: error: MESSAGE`` as one
    line on stderr, exit status 2.

    Example:
        >>> try:
        ...     exit_with_error("agents.dqn", ValueError("seed must be >= 0, got -1"))
        ... except SystemExit as stop:
        ...     stop.code
        2
    """
    message = " ".join(str(error).split()) or type(error).__name__
    sys.stderr.write(f"{prog}: error: {message}\n")
    raise SystemExit(2)


@dataclass(frozen=True)
class Range:
    """The values a numeric ``Args`` field accepts: between ``low`` and ``high``, each end
    included unless its ``*_open`` flag says otherwise. NaN is never inside.

    Example:
        >>> Range(0, 1, low_open=True).describe(), Range(0, 1).contains(1.5)
        ('in (0, 1]', False)
    """

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the range (never for NaN)."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)

    def describe(self) -> str:
        """``>= 1``, ``> 0`` or ``in [0, 1]``: the range as an error message states it."""
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


COUNT = Range(1)
"""Counts that must be at least one: steps, episodes, sizes, frequencies."""
NON_NEGATIVE = Range(0)
"""Seeds, optional counts (0: none) and weights that may be zero."""
POSITIVE = Range(0, low_open=True)
"""Step sizes and norms: strictly positive."""
PROBABILITY = Range(0, 1)
"""Probabilities, fractions and discount factors."""
ANY_NUMBER = Range(-math.inf, math.inf)
"""Any number but NaN (thresholds, where an infinity means "never")."""


def check_ranges(args: object, ranges: dict[str, Range]) -> None:
    """Raise ``ValueError`` naming the first field of ``args`` outside its range.

    Each agent's ``Args.__post_init__`` calls it, so a bad value fails when ``Args`` is built,
    from the command line or from code, not as a silent no-op or a crash deep in training.

    Example:
        >>> @dataclass
        ... class Demo:
        ...     batch_size: int = 64
        >>> check_ranges(Demo(batch_size=0), {"batch_size": COUNT})
        Traceback (most recent call last):
        ...
        ValueError: batch_size must be >= 1, got 0
    """
    for name, allowed in ranges.items():
        value = getattr(args, name)
        if not allowed.contains(value):
            raise ValueError(f"{name} must be {allowed.describe()}, got {value!r}")


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


def make_raw_env(env_id: str, env_kwargs: str = "{}") -> gym.Env:
    """``gym.make(env_id, **env_kwargs)``, with the user's mistakes as ``ValueError`` naming them.

    An unknown id, a keyword the env does not take or a value it refuses is a bad ``--env`` or
    ``--env-kwargs``; the message says which, so that :func:`run_main` can report it in one line.

    Example:
        >>> make_raw_env("Nope-v0")
        Traceback (most recent call last):
        ...
        ValueError: env 'Nope-v0' cannot be made: Environment `Nope` doesn't exist...
    """
    kwargs = parse_env_kwargs(env_kwargs)
    try:
        return gym.make(env_id, **kwargs)
    except (gym.error.Error, ImportError) as error:
        raise ValueError(f"env {env_id!r} cannot be made: {error}") from error
    except (TypeError, ValueError) as error:
        raise ValueError(f"env {env_id!r} refused env_kwargs {env_kwargs}: {error}") from error


def make_env(env_id: str, env_kwargs: str = "{}", correction_bonus: float = 0.0) -> gym.Env:
    """``gym.make(env_id, **env_kwargs)`` as a network reads it: a flat ``float32`` vector.

    Discrete and ``Dict`` observations are flattened (one-hot, concatenation); a
    ``correction_bonus > 0`` wraps the env in :class:`~score_envs.wrappers.CorrectionBonus` with
    that ``alpha`` (self-correction envs only). User errors raise ``ValueError``
    (:func:`make_raw_env`), as does an env without ``Discrete`` actions.

    Example:
        >>> env = make_env("ScoreGridWorld-v0", '{"size": 3}')
        >>> env.observation_space.shape, env.reset(seed=0)[0].tolist()
        ((9,), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    """
    return as_network_input(make_raw_env(env_id, env_kwargs), correction_bonus)


def as_network_input(env: gym.Env, correction_bonus: float = 0.0) -> gym.Env:
    """Wrap a made env as :func:`make_env` does: optional bonus, flat ``float32`` observations.

    Example:
        >>> env = as_network_input(gym.make("ScoreGridWorld-v0", size=2))
        >>> env.observation_space.shape, env.observation_space.dtype
        ((4,), dtype('float32'))
    """
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    if not isinstance(env.action_space, spaces.Discrete):
        env.close()
        raise ValueError(
            f"env {env_id!r} has action space {env.action_space}; "
            "the reference agents need a Discrete action space"
        )
    if correction_bonus > 0:
        env = CorrectionBonus(env, alpha=correction_bonus)
    space = env.observation_space
    if not (isinstance(space, spaces.Box) and len(space.shape) == 1):
        env = gym.wrappers.FlattenObservation(env)
    if env.observation_space.dtype != np.float32:
        env = gym.wrappers.DtypeObservation(env, np.float32)
    return env


def run_main(
    cls: type[ArgsT],
    make_envs: Callable[[ArgsT], tuple[gym.Env, ...]],
    train: Callable[..., Any],
    argv: Sequence[str] | None = None,
) -> Any:
    """An agent's ``__main__``: parse ``argv`` into ``cls``, build the envs, then train.

    Mistakes in the input (a field out of range, an env that cannot be made or that the agent
    cannot play: ``ValueError`` or ``gymnasium.error.Error`` from ``cls`` or ``make_envs``) end
    the program with one line ``PROG: error: ...`` on stderr and exit status 2, as ``argparse``
    does for an unknown flag. ``train(args, *envs)`` runs outside that net: its errors are bugs.

    Example:
        >>> from agents import dqn
        >>> run_main(dqn.Args, dqn.make_envs, dqn.train, ["--env", "Nope-v0"])
        Traceback (most recent call last):
        ...
        SystemExit: 2
    """
    args = parse_args(cls, argv)
    try:
        envs = make_envs(args)
    except (ValueError, gym.error.Error) as error:
        exit_with_error(program_name(cls), error)
    return train(args, *envs)


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
