"""Tasks and task sources: the one-way start of the data flow (TaskSource -> env -> verifier).

A :class:`Task` is plain, immutable data, so it can be logged, hashed, sent to another process or
rebuilt from its id. A :class:`TaskSource` turns a 64-bit seed into a task deterministically, so the
same seed gives the same task on every machine (sources use :class:`random.Random`, whose stream is
specified by Python, never hash order or the platform's floating point).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

TASK_SEED_BITS = 63
"""Task seeds are drawn in ``[0, 2**63)`` so they fit a signed 64-bit integer (JSON, numpy, SQL)."""

DIFFICULTY_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
"""Every procedural family (math and code) accepts exactly these levels."""


def dataset_name(path: str | os.PathLike[str]) -> str:
    """The name a dataset-backed source goes by: the file name without ``.jsonl``/``.json``/``.gz``.

    Example:
        >>> dataset_name("data/gsm8k_test.jsonl.gz")
        'gsm8k_test'
    """
    name = os.path.basename(os.fspath(path))
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def check_task_seed(seed: object) -> int:
    """Return ``seed`` as an int if it is one in ``[0, 2**63)``, else raise ``ValueError``.

    Accepts numpy integers (``operator.index``), refuses bools, floats and strings.

    Example:
        >>> check_task_seed(7)
        7
    """
    if isinstance(seed, bool):
        raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {seed!r}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {seed!r}") from None
    if not 0 <= value < 2**TASK_SEED_BITS:
        raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {value}")
    return value


def check_difficulty(difficulty: object) -> int:
    """Return ``difficulty`` if it is an int in 1..5, else raise ``ValueError`` naming it.

    Example:
        >>> check_difficulty(3)
        3
    """
    if isinstance(difficulty, bool) or not isinstance(difficulty, int):
        raise ValueError(f"difficulty must be an int 1..5, got {difficulty!r}")
    if difficulty not in DIFFICULTY_LEVELS:
        raise ValueError(f"difficulty must be 1..5, got {difficulty}")
    return difficulty


def resolve_difficulties(
    difficulty: int | tuple[int, int] | Sequence[int] | None,
) -> tuple[int, ...]:
    """The levels a task source draws from: all (None), one level, a ``(low, high)`` range, a list.

    Example:
        >>> resolve_difficulties((2, 4)), resolve_difficulties([5, 1, 5])
        ((2, 3, 4), (1, 5))
    """
    if difficulty is None:
        return DIFFICULTY_LEVELS
    if isinstance(difficulty, (bool, str, bytes)) or not isinstance(difficulty, (int, Sequence)):
        raise ValueError(
            "difficulty must be an int 1..5, a (low, high) tuple or a list of levels, "
            f"got {difficulty!r}"
        )
    if isinstance(difficulty, int):
        return (check_difficulty(difficulty),)
    if isinstance(difficulty, tuple) and len(difficulty) == 2:
        low, high = (check_difficulty(level) for level in difficulty)
        if low > high:
            raise ValueError(f"difficulty range must have low <= high, got {difficulty!r}")
        return tuple(range(low, high + 1))
    if len(difficulty) == 0:
        raise ValueError("difficulty list must not be empty")
    return tuple(sorted({check_difficulty(level) for level in difficulty}))


@dataclass(frozen=True)
class Task:
    """One problem of an episode.

    Attributes:
        task_id: Stable identifier; for procedural sources it encodes family, difficulty and
            seed, so ``source.task_from_id(task_id)`` rebuilds the same task.
        prompt: The problem statement alone (no instruction template around it).
        answer: The exact reference answer (a LaTeX-ish string for math, reference code for code).
        family: Task family name (``"arithmetic"``, ``"math:Algebra"``, ...).
        difficulty: 1..5 for procedural families; the dataset's level where it has one.
        metadata: Traceability and extras: ``source``, ``seed``/``index``, ``distractors``
            (plausible wrong answers for discrete views and noisy policies), hidden tests for code
            tasks.

    Example:
        >>> Task("arithmetic/d1/0", "What is 2 + 2?", "4", "arithmetic", 1).answer
        '4'
    """

    task_id: str
    prompt: str
    answer: str
    family: str
    difficulty: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only view: a task is shared between env, policies and recorders and must not drift.
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __reduce__(self) -> tuple[type[Task], tuple[Any, ...]]:
        # A mappingproxy cannot be pickled; tasks cross process boundaries (async vector envs,
        # process and Ray backends), so pickle the fields and rebuild the read-only view.
        fields = (self.task_id, self.prompt, self.answer, self.family, self.difficulty)
        return (Task, (*fields, dict(self.metadata)))


@runtime_checkable
class TaskSource(Protocol):
    """Anything that makes tasks from seeds.

    ``task_from_seed`` must be a pure function of its argument: the env draws the seed from its own
    ``np_random`` and the source never holds random state of its own.
    """

    def task_from_seed(self, seed: int) -> Task:
        """Return the task for ``seed`` (an integer in ``[0, 2**63)``)."""
        ...

    def task_from_id(self, task_id: str) -> Task:
        """Rebuild the task whose ``task_id`` this source produced earlier."""
        ...
