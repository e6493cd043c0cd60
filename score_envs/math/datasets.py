"""MATH- and GSM8K-format JSONL files as tasks, and the task source that serves them.

Formats (one JSON object per line; ``.jsonl`` or gzip-compressed ``.jsonl.gz``; blank lines are
skipped):

- **MATH** (Hendrycks et al.): ``{"problem", "solution", "level": "Level 3", "type": "Algebra"}``.
  The reference answer is the content of the last brace-matched ``\\boxed{...}`` of the
  solution, or the ``"answer"`` field where a file has one (MATH500 / PRM800K files do, with
  ``"subject"`` in place of ``"type"`` and an int level). ``family`` is ``"math:" + type``
  (``"math"`` without one); ``difficulty`` is the level 1..5, or 0 for ``"Level ?"`` (a few
  MATH problems have no level) or no level field.
- **GSM8K** (Cobbe et al.): ``{"question", "answer"}`` where the answer is the reasoning
  followed by ``#### N``. The reference is ``N`` with thousands separators removed. GSM8K has no
  levels, so ``difficulty`` is 0; ``metadata["steps"]`` (the reasoning lines) is there to
  filter by length instead.

Each task's id is ``"<file stem>/<index>"`` where ``index`` counts records (0-based, blank
lines not counted); ``metadata`` holds ``source`` (``"dataset"``), ``format``, ``path``,
``index``, ``line`` (1-based line number in the file) and the reference ``solution``.

Bad files raise :class:`DatasetError` (a ``ValueError``) naming the file and, where there is
one, the line: missing file, invalid UTF-8 or JSON, a line that is not an object, a missing
or mistyped field, no ``\\boxed{}`` in a MATH solution, no ``####`` in a GSM8K answer. Sizes are
capped (:data:`MAX_LINE_BYTES`, :data:`MAX_FILE_BYTES`, counted after decompression) because a
dataset path may come from a command line or a config file: a broken or hostile file must fail
fast instead of exhausting memory (a gzip bomb, a single multi-gigabyte line).
"""

from __future__ import annotations

import gzip
import json
import operator
import os
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from score_envs.core.task import TASK_SEED_BITS, Task

MAX_LINE_BYTES = 1 << 20
"""1 MiB: a MATH or GSM8K record is a few KiB; a longer line is not a problem statement."""

MAX_FILE_BYTES = 512 << 20
"""512 MiB of (decompressed) text: far above MATH (~20 MB) or GSM8K (~5 MB), far below RAM."""

FORMATS = ("auto", "math", "gsm8k")

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_LEVEL = re.compile(r"\s*Level\s+(\S+)\s*")


class DatasetError(ValueError):
    """A dataset file that cannot be loaded; the message names the file and line."""


class DatasetFileNotFoundError(DatasetError, FileNotFoundError):
    """The dataset path does not exist (catchable as ``ValueError`` or ``FileNotFoundError``)."""


def last_boxed_content(text: str) -> str | None:
    """The content of the last brace-matched ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``.

    Braces escaped as ``\\{`` and ``\\}`` do not count. A box whose braces never close is
    skipped; None when no box is complete. One left-to-right pass, so the cost stays linear even
    for a line full of unclosed boxes.

    Example:
        >>> last_boxed_content(r"so $x = \\boxed{1}$, and finally $\\boxed{\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'
    """
    closing: dict[int, int] = {}  # index of "{" -> index of its matching "}"
    open_braces: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2  # an escaped character, including \\{ and \\}
            continue
        if char == "{":
            open_braces.append(index)
        elif char == "}" and open_braces:
            closing[open_braces.pop()] = index
        index += 1
    best: tuple[int, str] | None = None
    for command in _BOX_COMMANDS:
        start = text.rfind(command)
        while start >= 0:
            brace = start + len(command)
            while brace < len(text) and text[brace] == " ":
                brace += 1
            if brace in closing:
                if best is None or start > best[0]:
                    best = (start, text[brace + 1 : closing[brace]])
                break
            start = text.rfind(command, 0, start)
    return None if best is None else best[1]


def gsm8k_final_answer(answer: str) -> str | None:
    """The number after the last ``####`` of a GSM8K answer, without thousands separators.

    Example:
        >>> gsm8k_final_answer("3 + 4 = <<3+4=7>>7 boxes\\n#### 1,234")
        '1234'
    """
    marker = answer.rfind("####")
    if marker < 0:
        return None
    final = answer[marker + 4 :].strip().replace(",", "")
    return final or None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def _open_binary(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for each non-blank line, enforcing the size caps."""
    if not path.is_file():
        raise DatasetFileNotFoundError(f"{path}: dataset file not found")
    total = 0
    try:
        with _open_binary(path) as stream:
            line_number = 0
            while True:
                raw = stream.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                line_number += 1
                total += len(raw)
                if len(raw) > MAX_LINE_BYTES:
                    raise DatasetError(
                        f"{path}:{line_number}: line longer than {MAX_LINE_BYTES} bytes"
                    )
                if total > MAX_FILE_BYTES:
                    raise DatasetError(f"{path}: more than {MAX_FILE_BYTES} bytes of text")
                yield line_number, _parse_line(path, line_number, raw)
    except (OSError, EOFError, zlib.error) as exc:  # unreadable, corrupt or truncated gzip
        raise DatasetError(f"{path}: cannot read: {exc}") from exc


def _parse_line(path: Path, line_number: int, raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}:{line_number}: not valid UTF-8 ({exc.reason})") from None
    if not text.strip():
        return {}
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DatasetError(f"{path}:{line_number}: malformed JSON: {exc}") from None
    if not isinstance(record, dict) or not record:
        raise DatasetError(
            f"{path}:{line_number}: expected a non-empty JSON object, got {type(record).__name__}"
        )
    return record


def _field(record: Mapping[str, Any], name: str, where: str, required: bool = True) -> Any:
    if name not in record:
        if required:
            raise DatasetError(f"{where}: missing field {name!r}")
        return None
    value = record[name]
    if not isinstance(value, str):
        raise DatasetError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
    return value


def _detect(record: Mapping[str, Any], where: str) -> str:
    if "problem" in record:
        return "math"
    if "question" in record:
        return "gsm8k"
    raise DatasetError(
        f"{where}: cannot tell the format: expected MATH keys ('problem', 'solution') or "
        f"GSM8K keys ('question', 'answer'), got {sorted(record)[:10]}"
    )


def _math_level(record: Mapping[str, Any], where: str) -> int:
    level = record.get("level")
    if level is None:
        return 0
    if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5:
        return level
    if isinstance(level, str):
        match = _LEVEL.fullmatch(level)
        if match and match.group(1) == "?":
            return 0
        if match and match.group(1) in ("1", "2", "3", "4", "5"):
            return int(match.group(1))
    raise DatasetError(
        f"{where}: field 'level' must be 'Level 1'..'Level 5' or 1..5, got {level!r}"
    )


def _math_task(record: Mapping[str, Any], where: str) -> tuple[Task, dict[str, Any]]:
    problem = _field(record, "problem", where)
    explicit = _field(record, "answer", where, required=False)
    has_explicit = explicit is not None and bool(explicit.strip())
    solution = _field(record, "solution", where, required=not has_explicit)
    if has_explicit:
        answer = explicit.strip()
    else:
        boxed = last_boxed_content(solution)
        if boxed is None:
            raise DatasetError(f"{where}: no \\boxed{{...}} answer in field 'solution'")
        answer = boxed.strip()
        if not answer:
            raise DatasetError(f"{where}: empty \\boxed{{}} answer in field 'solution'")
    subject = _field(record, "type", where, required=False)
    if subject is None:
        subject = _field(record, "subject", where, required=False)
    family = f"math:{subject}" if subject else "math"
    extra = {"format": "math", "solution": solution}
    task = Task("", problem, answer, family, _math_level(record, where))
    return task, extra


def _gsm8k_task(record: Mapping[str, Any], where: str) -> tuple[Task, dict[str, Any]]:
    question = _field(record, "question", where)
    full_answer = _field(record, "answer", where)
    final = gsm8k_final_answer(full_answer)
    if final is None:
        raise DatasetError(f"{where}: no '#### <number>' final answer in field 'answer'")
    reasoning = full_answer[: full_answer.rfind("####")]
    steps = sum(1 for line in reasoning.splitlines() if line.strip())
    extra = {"format": "gsm8k", "solution": full_answer, "steps": steps}
    return Task("", question, final, "gsm8k", 0), extra


def load_math_dataset(path: str | os.PathLike[str], format: str = "auto") -> list[Task]:
    """Load a MATH- or GSM8K-format JSONL file (``.jsonl`` or ``.jsonl.gz``) as tasks.

    Args:
        path: The file.
        format: ``"math"``, ``"gsm8k"``, or ``"auto"`` to decide per line from its keys
            (``"problem"`` means MATH, ``"question"`` means GSM8K).

    Raises:
        DatasetError: A ``ValueError`` naming the file and line (see the module docstring).

    Example:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "toy.jsonl"
        ...     _ = path.write_text('{"question": "2 + 3?", "answer": "2 + 3 = 5\\\\n#### 5"}\\n')
        ...     task = load_math_dataset(path)[0]
        >>> task.task_id, task.answer, task.family, task.metadata["line"]
        ('toy/0', '5', 'gsm8k', 1)
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    file_path = Path(os.fspath(path))
    stem = _stem(file_path)
    tasks: list[Task] = []
    for line_number, record in _records(file_path):
        if not record:
            continue  # a blank line
        where = f"{file_path}:{line_number}"
        kind = _detect(record, where) if format == "auto" else format
        task, extra = (_math_task if kind == "math" else _gsm8k_task)(record, where)
        index = len(tasks)
        metadata = {
            "source": "dataset",
            "path": str(file_path),
            "index": index,
            "line": line_number,
            **extra,
        }
        tasks.append(replace(task, task_id=f"{stem}/{index}", metadata=metadata))
    if not tasks:
        raise DatasetError(f"{file_path}: no records (the file is empty or blank)")
    return tasks


def load_math_jsonl(path: str | os.PathLike[str]) -> list[Task]:
    """Load a MATH-format JSONL file; see :func:`load_math_dataset`.

    Example:
        >>> import pathlib, tempfile
        >>> record = {"problem": "Half of 1?", "solution": "$\\\\boxed{\\\\frac{1}{2}}$",
        ...           "level": "Level 1", "type": "Prealgebra"}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "toy.jsonl"
        ...     _ = path.write_text(json.dumps(record) + "\\n")
        ...     task = load_math_jsonl(path)[0]
        >>> task.answer, task.family, task.difficulty
        ('\\\\frac{1}{2}', 'math:Prealgebra', 1)
    """
    return load_math_dataset(path, format="math")


def load_gsm8k_jsonl(path: str | os.PathLike[str]) -> list[Task]:
    """Load a GSM8K-format JSONL file; see :func:`load_math_dataset`.

    Example:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "toy.jsonl"
        ...     _ = path.write_text('{"question": "Q?", "answer": "#### 1,234"}\\n')
        ...     load_gsm8k_jsonl(path)[0].answer
        '1234'
    """
    return load_math_dataset(path, format="gsm8k")


class DatasetSource:
    """A :class:`~score_envs.core.task.TaskSource` over a fixed list of tasks.

    ``task_from_seed(seed)`` returns task ``seed % len(tasks)``. The env draws seeds uniformly
    from ``[0, 2**63)``, and for any dataset size ``n`` the bias of ``seed % n`` is below
    ``n / 2**63`` (negligible), so tasks are drawn uniformly. Task ids are ``"{name}/{index}"``
    and ``task_from_id`` accepts exactly those.

    Args:
        tasks: The tasks, in order (their own ids are replaced by ``"{name}/{index}"``).
        name: The dataset name, conventionally the file stem (what the loaders use).

    Example:
        >>> source = DatasetSource([Task("x", "1 + 1?", "2", "toy", 0)], name="toy")
        >>> source.task_from_seed(12345).task_id, source.task_from_id("toy/0").answer
        ('toy/0', '2')
    """

    def __init__(self, tasks: Sequence[Task], name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if len(tasks) == 0:
            raise ValueError(f"dataset {name!r} has no tasks")
        rebuilt = []
        for index, task in enumerate(tasks):
            if not isinstance(task, Task):
                raise ValueError(f"tasks[{index}] must be a Task, got {type(task).__name__}")
            metadata = {"source": "dataset", **task.metadata, "dataset": name, "index": index}
            rebuilt.append(replace(task, task_id=f"{name}/{index}", metadata=metadata))
        self.name = name
        self.tasks: tuple[Task, ...] = tuple(rebuilt)

    def __len__(self) -> int:
        return len(self.tasks)

    def task_from_seed(self, seed: int) -> Task:
        """Task ``seed % len(self)``; ``seed`` must be an int in ``[0, 2**63)``."""
        if isinstance(seed, bool):
            raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {seed!r}")
        try:
            value = operator.index(seed)
        except TypeError:
            raise ValueError(
                f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {seed!r}"
            ) from None
        if not 0 <= value < 2**TASK_SEED_BITS:
            raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {value}")
        return self.tasks[value % len(self.tasks)]

    def task_from_id(self, task_id: str) -> Task:
        """The task whose id is ``"{name}/{index}"``."""
        prefix = f"{self.name}/"
        index_text = task_id[len(prefix) :] if isinstance(task_id, str) else ""
        if (
            not isinstance(task_id, str)
            or not task_id.startswith(prefix)
            or not index_text.isdigit()
            or not index_text.isascii()
            or str(int(index_text)) != index_text
        ):
            raise ValueError(
                f"task_id must look like '{self.name}/<index>' for dataset {self.name!r}, "
                f"got {task_id!r}"
            )
        index = int(index_text)
        if index >= len(self.tasks):
            raise ValueError(
                f"task_id {task_id!r}: index {index} out of range for dataset {self.name!r} "
                f"with {len(self.tasks)} tasks"
            )
        return self.tasks[index]

    def __repr__(self) -> str:
        return f"DatasetSource(name={self.name!r}, tasks={len(self.tasks)})"
