"""The verdict on one program: :class:`TestReport` and its statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from score_envs.code.sandbox.limits import Limits

Status = Literal["passed", "failed", "error", "syntax_error", "timeout", "memory", "output_limit"]

PASSED: Status = "passed"
FAILED: Status = "failed"
ERROR: Status = "error"
SYNTAX_ERROR: Status = "syntax_error"
TIMEOUT: Status = "timeout"
MEMORY: Status = "memory"
OUTPUT_LIMIT: Status = "output_limit"

STATUSES: tuple[Status, ...] = (
    PASSED,
    FAILED,
    ERROR,
    SYNTAX_ERROR,
    TIMEOUT,
    MEMORY,
    OUTPUT_LIMIT,
)
"""Every status a report can have. Only ``passed`` means the program passed."""

MAX_DETAIL_CHARS = 500
"""Reports keep feedback short: the first failing test and what went wrong, cut to this size."""


def shorten(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marking the cut with an ellipsis.

    Example:
        >>> shorten("abcdefgh", 6)
        'abc...'
    """
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


@dataclass(frozen=True)
class TestReport:
    """What happened when a program ran against its hidden tests.

    Attributes:
        passed: True only when every test ran and passed (``status == "passed"``).
        status: ``passed``; ``failed`` (a test's result was wrong); ``error`` (the program or a
            test raised, the program exited early, or it broke the protocol); ``syntax_error``;
            ``timeout`` (CPU-time or wall-clock limit); ``memory`` (``MemoryError`` under the
            address-space limit); ``output_limit`` (too much stdout/stderr).
        passed_count: Tests that passed (see ``docs/sandbox.md`` for how tests are counted).
        total: Tests that were counted.
        detail: Short human-readable reason: the first failing test with its actual result, the
            error, or the limit that was hit. Empty when the program passed.
        duration_s: Wall-clock seconds the run took, as seen by the caller.
        limits: The limits the run was under.
        isolation: ``namespaces`` (full isolation, see the docs) or ``basic`` (fallback).
    """

    __test__ = False  # pytest: this is not a test class despite its name

    passed: bool
    status: Status
    passed_count: int
    total: int
    detail: str
    duration_s: float
    limits: Limits
    isolation: str

    @property
    def timeout_s(self) -> float:
        """The caller's time budget (``limits.timeout_s``)."""
        return self.limits.timeout_s

    @property
    def cpu_time_s(self) -> int:
        """The CPU-time limit the program ran under (``limits.cpu_time_s``)."""
        return self.limits.cpu_time_s

    @property
    def wall_time_s(self) -> float:
        """The wall-clock cap of the run (``limits.wall_time_s``)."""
        return self.limits.wall_time_s

    @property
    def memory_mb(self) -> int:
        """The address-space limit of the program's process (``limits.memory_mb``)."""
        return self.limits.memory_mb

    def to_dict(self) -> dict[str, object]:
        """The report as plain data (for JSONL logs and ``info`` dicts)."""
        return {
            "passed": self.passed,
            "status": self.status,
            "passed_count": self.passed_count,
            "total": self.total,
            "detail": self.detail,
            "duration_s": self.duration_s,
            "isolation": self.isolation,
            "limits": self.limits.to_dict(),
        }
