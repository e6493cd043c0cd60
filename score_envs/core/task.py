"""Tasks and task sources: the one-way start of the data flow (TaskSource -> env -> verifier).

A :class:`Task` is plain, immutable data, so it can be logged, hashed, sent to another process or
rebuilt from its id. A :class:`TaskSource` turns a 64-bit seed into a task deterministically, so the
same seed gives the same task on every machine (sources use :class:`random.Random`, whose stream is
specified by Python, never hash order or the platform's floating point).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

TASK_SEED_BITS = 63
"""Task seeds are drawn in ``[0, 2**63)`` so they fit a signed 64-bit integer (JSON, numpy, SQL)."""


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
