"""``reverse_words``: reverse the order of the words of a text (string handling)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, 6)))


class ReverseWords(CodeFamily):
    """Words in reverse order; the traps are irregular spacing and blank texts."""

    name = "reverse_words"
    category = "string"
    function_name = "reverse_words"
    signature = "def reverse_words(text: str) -> str:"
    specification = """
    Return the words of `text` in reverse order, joined by single spaces.

    A word is a maximal run of non-whitespace characters. Words may be separated by several
    spaces and the text may start or end with spaces; the result has exactly one space between
    words and none at either end. A text without words gives the empty string.
"""
    reference = """
def reverse_words(text):
    return " ".join(reversed(text.split()))
"""
    bugs = (
        # Reverses the characters, not the words.
        """
def reverse_words(text):
    return text[::-1]
""",
        # Reverses each word in place instead of the word order.
        """
def reverse_words(text):
    return " ".join(word[::-1] for word in text.split())
""",
        # Splits on single spaces: empty words survive repeated and outer spaces.
        """
def reverse_words(text):
    return " ".join(reversed(text.split(" ")))
""",
        # Strips the ends but still splits on single spaces.
        """
def reverse_words(text):
    return " ".join(reversed(text.strip().split(" ")))
""",
    )
    size_unit = "words"
    size_limits = (3, 5, 8, 12, 20)
    example_size = 3

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Number of words."""
        return len(args[0].split())

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two to ``size`` lowercase words separated by single spaces."""
        return (" ".join(_word(rng) for _ in range(rng.randint(2, max(2, size)))),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """One word, runs of spaces, spaces at the ends, texts without words."""
        a, b, c = _word(rng), _word(rng), _word(rng)
        return (
            EdgeCase("single word", 2, (a,)),
            EdgeCase("repeated spaces", 3, (f"{a}  {b}   {c}",)),
            EdgeCase("leading and trailing spaces", 4, (f"  {a} {b} ",)),
            EdgeCase("no words", 5, ("",)),
            EdgeCase("no words", 5, ("   ",)),
        )
