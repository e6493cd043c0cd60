"""The resource limits of one sandboxed run, derived from ``timeout_s`` and ``memory_mb``.

Verdicts must not depend on how fast or busy the machine is, so the binding limit is *CPU time*
(``RLIMIT_CPU``), which a slow or loaded machine does not use up faster. The wall clock only stops
programs that burn no CPU (sleepers, processes blocked on a pipe); it is deliberately generous so
that a loaded machine never turns a correct program into a timeout. Every ``TestReport`` carries the
:class:`Limits` it ran under.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

MIN_MEMORY_MB = 64
"""Below this the interpreter itself cannot start the program (it maps ~30 MB before any test)."""

MAX_TIMEOUT_S = 3600.0
"""An hour of CPU per program is far beyond any test; larger values are a caller's mistake."""

MAX_RESULT_BYTES = 4 * 1024 * 1024
"""Cap on the results message a sandboxed process sends back (more is a failed run)."""

MAX_PROGRAM_CHARS = 1_000_000
"""A program longer than this is graded ``error`` without being run."""


def wall_time_for(cpu_time_s: int) -> float:
    """The wall-clock cap that goes with a CPU-time limit: ``2 * cpu_time_s + 1`` seconds.

    Twice the CPU limit plus a second leaves room for a machine running other work at the same
    time (two busy programs per core still reach their CPU limit first), while a program that
    sleeps forever is stopped after a bounded wait.

    Example:
        >>> wall_time_for(5)
        11.0
    """
    return 2.0 * cpu_time_s + 1.0


@dataclass(frozen=True)
class Limits:
    """Everything one sandboxed run is allowed, recorded in its report.

    Attributes:
        timeout_s: The caller's time budget, in seconds.
        cpu_time_s: ``RLIMIT_CPU`` of the program's process: ``timeout_s`` rounded up to whole
            seconds (the kernel's granularity); the process is killed when it has used this much.
        wall_time_s: After this many seconds the run's whole process tree is killed
            (``2 * cpu_time_s + 1``, see :func:`wall_time_for`).
        memory_mb: ``RLIMIT_AS`` (address space) of each process of the run, in MiB.
        max_processes: ``RLIMIT_NPROC``: processes and threads the program may have at once.
        max_open_files: ``RLIMIT_NOFILE``.
        max_file_mb: ``RLIMIT_FSIZE`` (largest file the program may write), and the size of its
            private scratch file system, in MiB.
        max_output_bytes: stdout and stderr together; more ends the run with ``output_limit``.
    """

    timeout_s: float
    cpu_time_s: int
    wall_time_s: float
    memory_mb: int
    max_processes: int = 16
    max_open_files: int = 64
    max_file_mb: int = 16
    max_output_bytes: int = 1024 * 1024

    @classmethod
    def from_budget(cls, timeout_s: float, memory_mb: int) -> Limits:
        """Validate the caller's budget and derive the other limits from it.

        Example:
            >>> Limits.from_budget(2.5, 256).cpu_time_s
            3
            >>> Limits.from_budget(0, 256)
            Traceback (most recent call last):
            ...
            ValueError: timeout_s must be a positive number of seconds up to 3600, got 0
        """
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, (int, float))
            or not math.isfinite(timeout_s)
            or not 0 < timeout_s <= MAX_TIMEOUT_S
        ):
            raise ValueError(
                f"timeout_s must be a positive number of seconds up to {MAX_TIMEOUT_S:g}, "
                f"got {timeout_s!r}"
            )
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int):
            raise TypeError(f"memory_mb must be an int (MiB), got {type(memory_mb).__name__}")
        if memory_mb < MIN_MEMORY_MB:
            raise ValueError(f"memory_mb must be at least {MIN_MEMORY_MB}, got {memory_mb}")
        cpu_time_s = max(1, math.ceil(timeout_s))
        return cls(
            timeout_s=float(timeout_s),
            cpu_time_s=cpu_time_s,
            wall_time_s=wall_time_for(cpu_time_s),
            memory_mb=memory_mb,
        )

    def to_dict(self) -> dict[str, float | int]:
        """The limits as a plain dict (for JSON logs and the child's request).

        Example:
            >>> Limits.from_budget(1.0, 128).to_dict()["wall_time_s"]
            3.0
        """
        return {name: getattr(self, name) for name in _FIELD_NAMES}


_FIELD_NAMES = tuple(field.name for field in fields(Limits))
