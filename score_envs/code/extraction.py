"""Find the program in a model's answer, without running or parsing any of it.

The rules, in order (the first that finds something wins):

1. **Fenced blocks.** Markdown code fences (three or more backticks or tildes, at any indentation)
   tagged ``python``, ``py``, ``python3``, ``py3`` or untagged. Blocks tagged with another
   language (``bash``, ``text``, ...) are ignored. Among the complete (closed) ones, the **last**
   wins, since a corrected program usually follows the first draft; when ``entry_point`` is given,
   the last block that defines it at top level (``def name(`` or ``name = ...``) wins over later
   blocks that do not (a usage example after the solution, say).
2. **An unterminated block.** When no Python block is closed, the text after the last Python
   opening fence (a generation cut off before its closing fence) is taken.
3. **Bare code.** When the answer has no fence at all, it is taken whole if it *looks like code*:
   it has a top-level ``def`` or ``class`` and every non-blank line that starts at column 0
   starts like a Python statement (a keyword, a decorator, a comment, an assignment, a call or a
   closing bracket). A line of prose ("Here is my solution:") makes the answer not code.

Blocks are dedented (fences inside indented list items) and stripped of blank edge lines; empty
blocks and programs longer than ``max_chars`` do not count. Work is linear in the answer's length
and nothing is executed, compiled or parsed by Python: the sandbox is the only place a program runs.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

MAX_PROGRAM_CHARS = 64_000
"""Longest program :func:`extract_program` returns; longer candidates count as no program."""

PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})
"""Fence info strings (lowercased) taken to mean Python; an untagged fence counts too."""

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^`\n]*")
_STATEMENT_KEYWORDS = (
    "def", "class", "import", "from", "async", "if", "elif", "else", "for", "while", "try",
    "except", "finally", "with", "return", "yield", "raise", "assert", "pass", "break",
    "continue", "global", "nonlocal", "del",
)  # fmt: skip
_STATEMENT_START = re.compile(
    r"(?:@|#|[)\]}'\"]|(?:" + "|".join(_STATEMENT_KEYWORDS) + r")\b"
    r"|[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?[ \t]*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|\*\*|>>|<<)?=(?!=)"
    r"|[A-Za-z_][\w.]*[ \t]*\(|[A-Za-z_][\w.]*[ \t]*,)"
)
_TOP_LEVEL_DEFINITION = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+\w", re.MULTILINE)


@dataclass(frozen=True)
class _Block:
    tag: str
    body: str
    closed: bool


def extract_program(
    text: str, *, entry_point: str | None = None, max_chars: int = MAX_PROGRAM_CHARS
) -> str | None:
    """The program in ``text`` (see the module docstring for the rules), or None.

    Example:
        >>> answer = "Draft:\\n```python\\ndef f(x): return x\\n```\\n" \\
        ...          "Fixed:\\n```python\\ndef f(x):\\n    return 2 * x\\n```\\nDone."
        >>> print(extract_program(answer))
        def f(x):
            return 2 * x
        <BLANKLINE>
        >>> extract_program("I do not know.") is None
        True
    """
    if not isinstance(text, str):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks, saw_fence = _fenced_blocks(text)
    python_blocks = [
        block
        for block in blocks
        if block.tag in PYTHON_TAGS and block.body and len(block.body) <= max_chars
    ]
    closed = [block.body for block in python_blocks if block.closed]
    if closed:
        if entry_point is not None:
            defining = [body for body in closed if defines(body, entry_point)]
            if defining:
                return defining[-1]
        return closed[-1]
    if python_blocks:  # only an unterminated block is left (it is always the last block)
        return python_blocks[-1].body
    if saw_fence:
        return None
    program = _strip_blank_edges(text)
    if program and len(program) <= max_chars and looks_like_code(program):
        return program
    return None


def defines(program: str, name: str) -> bool:
    """True when ``program`` defines ``name`` at top level (``def name(``, ``class name``,
    ``name = ...``), judged from the text alone.

    Example:
        >>> defines("import math\\n\\ndef area(r):\\n    return math.pi * r * r\\n", "area")
        True
        >>> defines("def helper():\\n    def area(r): ...\\n", "area")
        False
    """
    pattern = re.compile(
        rf"^(?:(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(|class[ \t]+{re.escape(name)}\b"
        rf"|{re.escape(name)}[ \t]*(?::[^=\n]*)?=(?!=))",
        re.MULTILINE,
    )
    return pattern.search(program) is not None


def looks_like_code(text: str) -> bool:
    """The bare-code test: a top-level ``def``/``class`` and no column-0 line of prose.

    Example:
        >>> looks_like_code("def f():\\n    return 1\\n\\nprint(f())\\n")
        True
        >>> looks_like_code("Here is the function:\\ndef f():\\n    return 1\\n")
        False
    """
    if _TOP_LEVEL_DEFINITION.search(text) is None:
        return False
    in_string: str | None = None
    for line in text.split("\n"):
        if in_string is not None:  # inside a triple-quoted string: anything goes
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if line.strip() and not line[0].isspace() and not _STATEMENT_START.match(line):
            return False
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                in_string = quote
                break
    return True


def _fenced_blocks(text: str) -> tuple[list[_Block], bool]:
    """Every fenced block in order (the last may be unclosed), and whether any fence was seen."""
    blocks: list[_Block] = []
    lines = text.split("\n")
    saw_fence = False
    opening: tuple[str, int, str] | None = None  # (fence character, fence length, tag)
    body: list[str] = []
    for line in lines:
        if opening is None:
            match = _FENCE.fullmatch(line)
            if match:
                saw_fence = True
                fence = match.group(1)
                opening = (fence[0], len(fence), match.group(2).lower())
                body = []
            continue
        stripped = line.strip()
        char, length, tag = opening
        if len(stripped) >= length and stripped == char * len(stripped):
            blocks.append(_Block(tag, _clean(body), closed=True))
            opening = None
        else:
            body.append(line)
    if opening is not None:
        blocks.append(_Block(opening[2], _clean(body), closed=False))
    return blocks, saw_fence


def _clean(lines: list[str]) -> str:
    return _strip_blank_edges(textwrap.dedent("\n".join(lines)))


def _strip_blank_edges(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""
