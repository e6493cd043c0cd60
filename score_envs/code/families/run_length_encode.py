"""``run_length_encode``: compress runs of equal characters (string handling)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class RunLengthEncode(CodeFamily):
    """Run-length encoding; the traps are the last run, empty texts and counts of 10 or more."""

    name = "run_length_encode"
    category = "string"
    function_name = "run_length_encode"
    signature = "def run_length_encode(text: str) -> str:"
    specification = """
    Encode `text` by replacing each maximal run of equal characters with the character
    followed by the length of the run in decimal.

    Every run is encoded, including runs of length one; counts of 10 or more are written in
    full. Upper and lower case letters are different characters. The empty text encodes to the
    empty string.
"""
    reference = """
def run_length_encode(text):
    parts = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and text[end] == text[start]:
            end += 1
        parts.append(text[start] + str(end - start))
        start = end
    return "".join(parts)
"""
    bugs = (
        # Emits a run only when the character changes, so the last run is lost.
        """
def run_length_encode(text):
    parts = []
    count = 1
    for i in range(1, len(text)):
        if text[i] == text[i - 1]:
            count += 1
        else:
            parts.append(text[i - 1] + str(count))
            count = 1
    return "".join(parts)
""",
        # Leaves out the count of runs of length one.
        """
def run_length_encode(text):
    parts = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and text[end] == text[start]:
            end += 1
        parts.append(text[start] + (str(end - start) if end - start > 1 else ""))
        start = end
    return "".join(parts)
""",
        # Counts from zero: every count is one too small.
        """
def run_length_encode(text):
    parts = []
    start = 0
    while start < len(text):
        end = start + 1
        while end < len(text) and text[end] == text[start]:
            end += 1
        parts.append(text[start] + str(end - start - 1))
        start = end
    return "".join(parts)
""",
        # Splits runs longer than nine, a different convention than the one asked for.
        """
def run_length_encode(text):
    parts = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and text[end] == text[start] and end - start < 9:
            end += 1
        parts.append(text[start] + str(end - start))
        start = end
    return "".join(parts)
""",
        # Ignores case, merging 'a' and 'A'.
        """
def run_length_encode(text):
    text = text.lower()
    parts = []
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and text[end] == text[start]:
            end += 1
        parts.append(text[start] + str(end - start))
        start = end
    return "".join(parts)
""",
    )
    size_unit = "characters"
    size_limits = (6, 10, 16, 24, 40)
    example_size = 6

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the text."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Runs of one to four lowercase letters (neighbouring runs differ), at most ``size``."""
        target = rng.randint(min(3, size), size)
        text = ""
        previous = ""
        while len(text) < target:
            letter = rng.choice([c for c in "abcd" if c != previous])
            text += letter * min(rng.randint(1, 4), target - len(text))
            previous = letter
        return (text,)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """One character, the empty text, long runs, mixed case."""
        letter = rng.choice("xyz")
        return (
            EdgeCase("single character", 2, (letter,)),
            EdgeCase("empty text", 3, ("",)),
            EdgeCase("run of ten or more", 4, (letter * rng.randint(10, 14) + "ab",)),
            EdgeCase("upper and lower case", 5, ("aAAab",)),
        )
