"""Find the final answer in a model's response.

Explicit markers, in whatever order they appear; **the one that starts last wins** (a model that
boxes a draft and then states a different final answer is graded on the final one):

- ``\\boxed{...}`` / ``\\fbox{...}`` with brace matching (``\\{``/``\\}`` do not count), and
  ``\\boxed 5`` without braces (up to the next space or ``$``). An unclosed box is skipped in
  favour of an earlier closed one.
- The Minerva/SCoRe sentence ``Final Answer: The final answer is X. I hope it is correct.``; ``X``
  is read up to ``I hope it is correct`` (or the end of its line), and if it starts with ``$`` the
  math between the dollars is taken. A box inside the sentence starts later, so it wins: the box
  content is the answer.
- GSM8K's ``#### X`` (to the end of its line).

Fallbacks, only when no explicit marker is present, and deliberately conservative (a response that
is a dump of numbers must not have one of them picked as "the answer"):

1. the last ``answer is X`` / ``answer: X`` phrase (``X`` up to the end of the sentence or line);
2. a response that *is* a bare answer: one line of at most 100 characters without prose words and
   without numbers separated only by spaces (such as ``42``, ``$\\frac{3}{4}$`` or ``x = 2``).

There is no "last number in the text" fallback.

Only the last :data:`MAX_TEXT_CHARS` characters are searched, so the cost is linear in a bounded
window; :func:`score_envs.math.verifier.grade_answer` refuses longer responses as ``truncated``.
"""

from __future__ import annotations

import re

MAX_TEXT_CHARS = 65_536
"""Only this many trailing characters of a response are searched (graders refuse longer ones)."""
MAX_BARE_ANSWER_CHARS = 100
"""A whole response is taken as a bare answer only up to this length."""
_MAX_BOX_TRIES = 8

_BRACE_SCAN = re.compile(r"\\.|[{}]", re.DOTALL)
_MINERVA = re.compile(r"final\s+answer\s+is", re.IGNORECASE)
_HOPE = re.compile(r"i\s+hope\s+it\s+is\s+correct", re.IGNORECASE)
_ANSWER_PHRASE = re.compile(r"\banswer\s*(?:is\b|:)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n")
_NUMBER_RUN = re.compile(r"\d\s+\d")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{4,}")
_MATH_WORDS = frozenset(
    "sqrt infty infinity matrix pmatrix bmatrix vmatrix arcsin arccos arctan sinh cosh tanh".split()
)


def extract_answer(text: str) -> str | None:
    """Return the final answer written in ``text``, or None when there is none.

    Example:
        >>> extract_answer(r"So $x = 2$, and the area is $\\boxed{\\frac{1}{2}}$.")
        '\\\\frac{1}{2}'
        >>> extract_answer("Final Answer: The final answer is $42$. I hope it is correct.")
        '42'
        >>> extract_answer("Adding them up gives 7 + 5 = 12.\\n#### 12")
        '12'
        >>> extract_answer("I tried 3, 7 and 12 but I am not sure.") is None
        True
    """
    if not isinstance(text, str):
        return None
    window = text[-MAX_TEXT_CHARS:]
    best = _last_box(window)
    # Only a marker that starts after the last box can win, so the other two are searched for
    # after it (the box usually ends the response: the case-insensitive scan of a long text for
    # the Minerva sentence would cost more than all the rest).
    after = 0 if best is None else best[0] + 1
    for candidate in (_last_minerva(window, after), _last_gsm8k(window, after)):
        if candidate is not None and (best is None or candidate[0] > best[0]):
            best = candidate
    if best is not None:
        return best[1]
    return _last_answer_phrase(window) or _bare_answer(window)


def _last_box(text: str) -> tuple[int, str] | None:
    end = len(text)
    for _ in range(_MAX_BOX_TRIES):
        start = max(text.rfind("\\boxed", 0, end), text.rfind("\\fbox", 0, end))
        if start < 0:
            return None
        end = start
        after = start + (6 if text.startswith("\\boxed", start) else 5)
        position = after
        while position < len(text) and text[position] in " \t":
            position += 1
        if position >= len(text):
            continue
        if text[position] == "{":
            close = _matching_brace(text, position)
            if close is None:
                continue
            content = text[position + 1 : close].strip()
        elif position > after or not text[position].isalpha():
            # \boxed 5 : one token up to whitespace or the end of the math.
            stop = position
            while stop < len(text) and not text[stop].isspace() and text[stop] != "$":
                stop += 1
            content = text[position:stop].strip()
        else:
            continue  # \boxedsomething is another command
        if content:
            return start, content
    return None


def _matching_brace(text: str, open_index: int) -> int | None:
    close = text.find("}", open_index + 1)
    if close < 0:
        return None
    if text.find("{", open_index + 1, close) < 0 and text.find("\\", open_index + 1, close) < 0:
        return close  # the usual flat box, \boxed{42}: nothing nested or escaped before its "}"
    depth = 0
    for match in _BRACE_SCAN.finditer(text, open_index):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return match.start()
    return None


def _last_match(pattern: re.Pattern[str], text: str, start: int = 0) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text, start):  # noqa: B007 - we want the final match
        pass
    return last


def _last_minerva(text: str, after: int = 0) -> tuple[int, str] | None:
    """The last Minerva sentence that starts at ``after`` or later."""
    match = _last_match(_MINERVA, text, after)
    if match is None:
        return None
    rest = text[match.end() :]
    hope = _HOPE.search(rest)
    if hope is not None:
        rest = rest[: hope.start()]
    else:
        newline = rest.find("\n", 1 if rest.startswith("\n") else 0)
        rest = rest if newline < 0 else rest[:newline]
    content = _math_or_sentence(rest.strip().lstrip(":").strip(), whole_line=True)
    return (match.start(), content) if content else None


def _last_gsm8k(text: str, after: int = 0) -> tuple[int, str] | None:
    """The last ``#### X`` marker, if it starts at ``after`` or later."""
    start = text.rfind("####")
    if start < after:
        return None
    rest = text[start + 4 :]
    newline = rest.find("\n")
    content = (rest if newline < 0 else rest[:newline]).strip()
    content = _math_or_sentence(content, whole_line=True)
    return (start, content) if content else None


def _last_answer_phrase(text: str) -> str | None:
    match = _last_match(_ANSWER_PHRASE, text)
    if match is None:
        return None
    rest = text[match.end() :].lstrip(" \t:*")
    return _math_or_sentence(rest, whole_line=False) or None


def _math_or_sentence(text: str, whole_line: bool) -> str:
    """The ``$...$`` span at the start of ``text``, else the text up to the sentence's end."""
    if text.startswith("$"):
        delimiter = "$$" if text.startswith("$$") else "$"
        close = text.find(delimiter, len(delimiter))
        if close > 0:
            return text[len(delimiter) : close].strip()
        return text.strip("$ ").rstrip(".").strip()
    if not whole_line:
        end = _SENTENCE_END.search(text)
        if end is not None:
            text = text[: end.start()]
    return text.strip().rstrip(".").strip()


def _bare_answer(text: str) -> str | None:
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_BARE_ANSWER_CHARS or "\n" in stripped:
        return None
    if stripped.startswith("$") and stripped.endswith("$"):
        stripped = stripped.strip("$").strip()
    if _NUMBER_RUN.search(stripped):
        return None  # numbers separated only by spaces: a dump, not an answer
    for word in _PROSE_WORD.findall(stripped):
        if word.lower() not in _MATH_WORDS:
            return None
    stripped = stripped.rstrip(".").strip()
    return stripped or None
