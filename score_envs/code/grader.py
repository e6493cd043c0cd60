"""Grade a model's answer to a code task: extract the program, run the hidden tests in the sandbox.

The grader never raises on model text: an answer without a program is graded wrong with reason
``no_program_found``; anything the program does is the sandbox's business, and its status
(``passed``, ``failed``, ``error``, ``syntax_error``, ``timeout``, ``memory``, ``output_limit``)
becomes the reason. ``Grade.detail`` carries the sandbox's short description of the first failing
test (input, expected and actual output) or the error, for the ``tests`` feedback mode.

## HumanEval: putting the prompt and the program together

HumanEval shows the model a prompt (imports, helper functions, the signature and docstring). Models
answer either with the whole function or with its body only, and often leave out the prompt's
imports and helpers. :func:`assemble_program` therefore always keeps the prompt's context:

- the program defines the entry point at top level: the prompt's text *before* the entry point's
  ``def`` (imports and helpers) is put in front of the program; the model's own definitions win
  because they come later;
- otherwise the program is taken as the function's body: it is indented under the prompt, as
  the original HumanEval harness does with completions.

``from __future__`` imports of the program are moved to the very top, where Python requires them.
MBPP's ``test_setup_code`` is put in front of the program.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from score_envs.code.extraction import defines, extract_program
from score_envs.code.sandbox.api import run_tests
from score_envs.code.sandbox.limits import Limits
from score_envs.core.grading import Grade
from score_envs.core.task import Task

NO_PROGRAM_FOUND = "no_program_found"
"""``Grade.reason`` when the answer holds no Python program."""

NO_PROGRAM_DETAIL = (
    "No Python program was found in the answer; write the complete program in a ```python code "
    "block."
)

MAX_DETAIL_CHARS = 1_000
"""Feedback detail is cut to this many characters (the sandbox's detail is short already)."""

_FUTURE_IMPORT = re.compile(r"^from[ \t]+__future__[ \t]+import[^\n]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class CodeGrader:
    """Grades an attempt by running the task's hidden tests on the program it contains.

    Args:
        timeout_s: The sandbox's time budget for one program: its CPU-time limit, from which
            the wall-clock cap is derived (:class:`score_envs.code.Limits`).
        memory_mb: Address-space limit of the program's process, in MiB (at least 64).

    The task's ``metadata`` must hold ``tests`` (a tuple of assert strings, or a HumanEval
    ``check(candidate)`` source) and ``entry_point``; optional ``completion_prompt`` (HumanEval)
    and ``setup_code`` (MBPP) are used by :func:`assemble_program`, and optional ``helpers``
    (trusted source the tests may call, HumanEval's prompt) goes to the sandbox.

    Example:
        >>> from score_envs.code.procedural import make_task
        >>> task = make_task("gcd_lcm", 1, seed=0)
        >>> CodeGrader()(task, "I cannot write this.").reason
        'no_program_found'
    """

    timeout_s: float = 5.0
    memory_mb: int = 512

    def __post_init__(self) -> None:
        try:  # the sandbox's own rules, checked now rather than at the first attempt
            Limits.from_budget(self.timeout_s, self.memory_mb)
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    def __call__(self, task: Task, attempt: str) -> Grade:
        """Grade ``attempt`` on ``task``; never raises on any attempt text."""
        tests = task.metadata.get("tests")
        if not tests:
            raise ValueError(f"task {task.task_id!r} has no hidden tests in metadata['tests']")
        entry_point = task.metadata.get("entry_point")
        program = extract_program(attempt, entry_point=entry_point)
        if program is None:
            return Grade(False, NO_PROGRAM_FOUND, None, NO_PROGRAM_DETAIL)
        report = run_tests(
            assemble_program(task, program),
            tests,
            entry_point=entry_point,
            timeout_s=float(self.timeout_s),
            memory_mb=self.memory_mb,
            helpers=task.metadata.get("helpers"),
        )
        detail = None if report.passed else _cut(report.detail)
        return Grade(bool(report.passed), str(report.status), program, detail)


def assemble_program(task: Task, program: str) -> str:
    """The source the sandbox runs for ``program`` on ``task`` (see the module docstring).

    Example:
        >>> prompt = "import math\\n\\ndef area(r):\\n    # The area of a circle of radius r.\\n"
        >>> task = Task("HumanEval/x", prompt, "", "code:humaneval", 0,
        ...             {"entry_point": "area", "completion_prompt": prompt})
        >>> print(assemble_program(task, "return math.pi * r * r\\n"))
        import math
        <BLANKLINE>
        def area(r):
            # The area of a circle of radius r.
            return math.pi * r * r
        <BLANKLINE>
    """
    futures = "".join(
        match.group(0).rstrip("\n") + "\n" for match in _FUTURE_IMPORT.finditer(program)
    )
    body = _FUTURE_IMPORT.sub("", program) if futures else program
    prompt = task.metadata.get("completion_prompt")
    entry_point = task.metadata.get("entry_point")
    if prompt and entry_point:
        if defines(body, entry_point):
            body = _context_before(prompt, entry_point) + body
        else:
            body = prompt + textwrap.indent(body, "    ")
    setup = task.metadata.get("setup_code")
    if setup:
        body = setup.rstrip("\n") + "\n\n" + body
    return futures + body


def _context_before(prompt: str, entry_point: str) -> str:
    """The prompt's text before its top-level ``def entry_point(`` (imports and helpers)."""
    match = re.search(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(entry_point)}[ \t]*\(", prompt, re.M)
    return prompt[: match.start()] if match else ""


def _cut(detail: object) -> str | None:
    if detail is None:
        return None
    text = str(detail)
    if len(text) <= MAX_DETAIL_CHARS:
        return text
    return text[: MAX_DETAIL_CHARS - 3] + "..."
