"""The verdict type every verifier returns, and the grader protocol the turn loop calls.

Model output is never an error: whatever an attempt contains, a grader returns a :class:`Grade`
with a reason code that ends up in ``info``, so a run can tell "wrong" from "no answer found" from
"too large to check".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from score_envs.core.task import Task


@dataclass(frozen=True)
class Grade:
    """The verdict on one attempt.

    Attributes:
        correct: True only when the attempt is right (reward 1.0), else False (reward 0.0).
        reason: A short machine-readable code (math: ``equivalent``, ``not_equivalent``,
            ``no_answer_found``, ``unparsable``, ``too_large``, ``truncated``; code: the sandbox
            status).
        extracted: What the grader took from the attempt (the final answer, the program), or None.
        detail: Optional human-readable detail, used by task-specific feedback (for code: the
            failing test). Never contains hidden reference data that feedback must not reveal.
    """

    correct: bool
    reason: str
    extracted: str | None = None
    detail: str | None = None

    @property
    def reward(self) -> float:
        """1.0 when correct else 0.0: the paper's binary per-attempt reward."""
        return 1.0 if self.correct else 0.0


class Grader(Protocol):
    """A pure function from (task, attempt text) to a :class:`Grade`; never raises on any text."""

    def __call__(self, task: Task, attempt: str) -> Grade: ...
