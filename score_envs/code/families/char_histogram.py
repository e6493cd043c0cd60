"""``char_histogram``: count the letters of a text in a dict (dict building)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class CharHistogram(CodeFamily):
    """Letter counts; the traps are case, non-letters and texts without letters."""

    name = "char_histogram"
    category = "dict"
    function_name = "char_histogram"
    signature = "def char_histogram(text: str) -> dict[str, int]:"
    specification = """
    Count how often each ASCII letter occurs in `text`, ignoring case.

    Return a plain dict that maps each lowercase letter occurring in `text` (in either case)
    to its number of occurrences. Characters other than the letters a-z and A-Z (spaces,
    digits, punctuation) are not counted. A text without letters gives an empty dict.
"""
    reference = """
def char_histogram(text):
    counts = {}
    for ch in text.lower():
        if "a" <= ch <= "z":
            counts[ch] = counts.get(ch, 0) + 1
    return counts
"""
    bugs = (
        # Starts every count at zero.
        """
def char_histogram(text):
    counts = {}
    for ch in text.lower():
        if "a" <= ch <= "z":
            if ch in counts:
                counts[ch] += 1
            else:
                counts[ch] = 0
    return counts
""",
        # Returns sorted (letter, count) pairs instead of a dict.
        """
def char_histogram(text):
    counts = {}
    for ch in text.lower():
        if "a" <= ch <= "z":
            counts[ch] = counts.get(ch, 0) + 1
    return sorted(counts.items())
""",
        # Counts every character, spaces and punctuation included.
        """
def char_histogram(text):
    counts = {}
    for ch in text.lower():
        counts[ch] = counts.get(ch, 0) + 1
    return counts
""",
        # Case-sensitive: 'A' and 'a' are counted apart.
        """
def char_histogram(text):
    counts = {}
    for ch in text:
        if ch.isalpha():
            counts[ch] = counts.get(ch, 0) + 1
    return counts
""",
        # Counts letters and digits.
        """
def char_histogram(text):
    counts = {}
    for ch in text.lower():
        if ch.isalnum():
            counts[ch] = counts.get(ch, 0) + 1
    return counts
""",
    )
    size_unit = "characters"
    size_limits = (8, 12, 20, 30, 40)
    example_size = 8

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the text."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Lowercase letters from a small alphabet (so letters repeat), 2..``size`` long."""
        return ("".join(rng.choice("abcdeo") for _ in range(rng.randint(2, size))),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Spaces, capitals, digits and punctuation, texts without letters."""
        return (
            EdgeCase("spaces between words", 2, (rng.choice(("to be or not", "see a bee")),)),
            EdgeCase("upper case letters", 3, (rng.choice(("AbBa", "Mom")),)),
            EdgeCase("digits and punctuation", 4, ("a1!b2?a, 9",)),
            EdgeCase("no letters", 5, ("",)),
            EdgeCase("no letters", 5, ("12 ?!",)),
        )
