"""Results files: one JSON line per finished episode, safe against ``kill -9`` at any moment.

Layout (JSON Lines, UTF-8)::

    {"type": "header", "format": "score-envs/results", "version": 1, "config": {...}, ...}
    {"type": "episode", "index": 0, "seed": 0, "task_id": ..., "attempts": [...], ...}
    {"type": "episode", "index": 2, ...}

The header holds the :class:`~score_envs.eval.config.RunConfig` (env id and options, policy spec,
seed), so ``eval`` refuses to resume into a file of another configuration and ``leaderboard``
refuses to mix environments. Episodes appear in the order they finished (with concurrency that is
not index order); readers key them by ``index``.

Why it survives SIGKILL:

- the header is written to a temporary file that is renamed into place, so a results file either
  does not exist or starts with a complete header;
- each batch of finished episodes is appended with one ``os.write`` of complete lines on an
  ``O_APPEND`` descriptor (no user-space buffer that a killed process could lose), and fsynced
  (at most every :data:`FSYNC_INTERVAL_SECONDS`, and on close: a killed process loses nothing
  the kernel has, only a machine crash can cost the last interval);
- a reader ignores a trailing line without its newline (a write cut short by a crash), and
  :func:`open_results` truncates it before appending, so the next run never sees a corrupt line;
- an exclusive ``flock`` keeps two runs from appending to one file at once (the kernel drops it
  when the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import score_envs
from score_envs.eval.config import RunConfig
from score_envs.eval.runner import EpisodeRecord

RESULTS_FORMAT = "score-envs/results"
"""The ``format`` field of every results file's header."""

RESULTS_VERSION = 1
"""Version of the layout; readers refuse versions they do not know."""

FSYNC_INTERVAL_SECONDS = 0.5
"""Appends are fsynced at most this often (and always on close)."""

MAX_LINE_BYTES = 16 * 1024 * 1024
"""A results line longer than this is refused (attempts are capped far below it by the envs)."""


class ResultsFileError(ValueError):
    """A results file that cannot be read or does not match the run (a user error)."""


@dataclass
class RunResults:
    """A results file read back: its header, config and finished episodes.

    Attributes:
        path: The file.
        header: The header line as written (config, score-envs version, creation time).
        config: The run configuration from the header.
        records: Finished episodes keyed by episode index.
        partial_tail_bytes: Length of an unfinished last line that was ignored (0 when none).
    """

    path: Path
    header: dict[str, Any]
    config: RunConfig
    records: dict[int, EpisodeRecord] = field(default_factory=dict)
    partial_tail_bytes: int = 0

    def ordered_records(self) -> list[EpisodeRecord]:
        """The episodes in index order (whatever order they finished in)."""
        return [self.records[index] for index in sorted(self.records)]


def read_results(path: str | os.PathLike[str]) -> RunResults:
    """Read a results file, ignoring an unfinished last line.

    Raises :class:`ResultsFileError` (a ``ValueError``) naming the file and line for a missing or
    unreadable file, a missing or foreign header, a corrupt line before the last one, or an
    episode index that appears twice.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
        >>> with open_results(path, RunConfig("ScoreMath-v0", {}, "oracle", 0)) as writer:
        ...     pass
        >>> read_results(path).config.policy, len(read_results(path).records)
        ('oracle', 0)
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsFileError(f"cannot read results file {str(path)!r}: {exc.strerror}") from None
    # Everything after the last newline is a line a killed or crashed writer did not finish.
    complete, _, tail = data.rpartition(b"\n")
    lines = complete.split(b"\n") if complete else []
    if not lines:
        raise ResultsFileError(f"results file {str(path)!r} is empty or has no complete header")
    header = _parse_line(path, 1, lines[0])
    config = _check_header(path, header)
    results = RunResults(path, header, config, partial_tail_bytes=len(tail))
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        entry = _parse_line(path, number, line)
        if entry.get("type") != "episode":
            raise ResultsFileError(
                f"{path}:{number}: expected an episode line, got type {entry.get('type')!r}"
            )
        try:
            record = EpisodeRecord.from_dict({k: v for k, v in entry.items() if k != "type"})
        except ValueError as exc:
            raise ResultsFileError(f"{path}:{number}: {exc}") from None
        if record.index in results.records:
            raise ResultsFileError(f"{path}:{number}: episode {record.index} appears twice")
        results.records[record.index] = record
    return results


class ResultsWriter:
    """Appends finished episodes to an open results file (see :func:`open_results`)."""

    def __init__(self, path: Path, descriptor: int, existing: RunResults) -> None:
        self.path = path
        self.existing = existing
        self.written = 0
        self._fd: int | None = descriptor
        self._last_sync = time.monotonic()
        self._unsynced = False

    @property
    def finished_indices(self) -> set[int]:
        """Indices of the episodes already in the file when it was opened."""
        return set(self.existing.records)

    def append(self, records: Iterable[EpisodeRecord]) -> None:
        """Append finished episodes with one ``write`` of complete lines."""
        if self._fd is None:
            raise ValueError(f"results file {str(self.path)!r} is closed")
        payload = b"".join(encode_episode(record) for record in records)
        if not payload:
            return
        view = memoryview(payload)
        while view:  # os.write may write less than asked (signals, huge payloads): finish it
            view = view[os.write(self._fd, view) :]
        self.written += payload.count(b"\n")
        self._unsynced = True
        if time.monotonic() - self._last_sync >= FSYNC_INTERVAL_SECONDS:
            self.sync()

    def sync(self) -> None:
        """Flush appended lines to the disk."""
        if self._fd is not None and self._unsynced:
            os.fsync(self._fd)
            self._unsynced = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """Sync, release the lock and close the file (idempotent)."""
        if self._fd is None:
            return
        try:
            self.sync()
        finally:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_results(path: str | os.PathLike[str], config: RunConfig) -> ResultsWriter:
    """Open ``path`` to append episodes of ``config``, creating it or resuming it.

    A new file gets its header atomically. An existing file must hold the same configuration
    (env id, env options, policy spec, seed), else :class:`ResultsFileError`; an unfinished last
    line left by a killed run is truncated away. The file stays locked until the writer closes.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
        >>> config = RunConfig("ScoreMath-v0", {}, "oracle", 0)
        >>> with open_results(path, config) as writer:
        ...     writer.finished_indices
        set()
    """
    path = Path(path)
    if not path.exists():
        _create_with_header(path, config)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
    except OSError as exc:
        raise ResultsFileError(f"cannot open results file {str(path)!r}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResultsFileError(
                f"results file {str(path)!r} is being written by another run (it is locked)"
            ) from None
        existing = read_results(path)
        if existing.config != config:
            raise ResultsFileError(
                f"results file {str(path)!r} holds another run "
                f"({describe_config(existing.config)}), not {describe_config(config)}; "
                "choose another --out or repeat the original options"
            )
        if existing.partial_tail_bytes:
            os.ftruncate(descriptor, path.stat().st_size - existing.partial_tail_bytes)
            os.fsync(descriptor)
        return ResultsWriter(path, descriptor, existing)
    except BaseException:
        os.close(descriptor)
        raise


def encode_episode(record: EpisodeRecord) -> bytes:
    """One results line (with its newline) for a finished episode.

    Example:
        >>> record = EpisodeRecord(0, 7, "t/0", "arithmetic", 1, ("4", "4"), (True, True),
        ...                        ("equivalent", "equivalent"), ("4", "4"), 0.01)
        >>> encode_episode(record)[:40]
        b'{"type": "episode", "index": 0, "seed": '
    """
    line = json.dumps({"type": "episode", **record.as_dict()}, ensure_ascii=False)
    return line.encode("utf-8") + b"\n"


def describe_config(config: RunConfig) -> str:
    """A short human description of a run configuration for error messages.

    Example:
        >>> describe_config(RunConfig("ScoreMath-v0", {"difficulty": 1}, "oracle", 3))
        'env ScoreMath-v0 {"difficulty": 1}, policy oracle, seed 3'
    """
    return (
        f"env {config.env_id} {json.dumps(dict(config.env_kwargs), sort_keys=True)}, "
        f"policy {config.policy}, seed {config.seed}"
    )


def _create_with_header(path: Path, config: RunConfig) -> None:
    header = {
        "type": "header",
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "config": config.as_dict(),
        "score_envs_version": score_envs.__version__,
        "created_unix": round(time.time(), 3),
    }
    line = json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ResultsFileError(
            f"cannot create results file {str(path)!r}: {exc.strerror}"
        ) from None
    try:
        # mkstemp makes the file private (0600); a results file is meant to be shared like any
        # file the user writes, so give it the permissions the umask allows.
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(handle, 0o666 & ~mask)
        with os.fdopen(handle, "wb") as stream:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
        # link() fails if another run created the file meanwhile: never clobber results.
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        _sync_directory(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _parse_line(path: Path, number: int, line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE_BYTES:
        raise ResultsFileError(f"{path}:{number}: line longer than {MAX_LINE_BYTES} bytes")
    try:
        entry = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ResultsFileError(
            f"{path}:{number}: not a JSON line (corrupt results file?)"
        ) from None
    if not isinstance(entry, dict):
        raise ResultsFileError(f"{path}:{number}: expected a JSON object")
    return entry


def _check_header(path: Path, header: dict[str, Any]) -> RunConfig:
    if header.get("type") != "header" or header.get("format") != RESULTS_FORMAT:
        raise ResultsFileError(
            f"{path} is not a score-envs results file (its first line is not a "
            f"{RESULTS_FORMAT} header)"
        )
    if header.get("version") != RESULTS_VERSION:
        raise ResultsFileError(
            f"{path}: results format version {header.get('version')!r} is not supported "
            f"(this score-envs reads version {RESULTS_VERSION})"
        )
    try:
        return RunConfig.from_dict(header.get("config") or {})
    except ValueError as exc:
        raise ResultsFileError(f"{path}: bad run config in the header: {exc}") from None
