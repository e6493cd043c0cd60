"""``merge_sorted``: merge two sorted lists (list processing)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


def _sorted_values(rng: random.Random, count: int) -> list[int]:
    return sorted(rng.randint(-20, 60) for _ in range(count))


class MergeSorted(CodeFamily):
    """Merging sorted lists; the traps are leftovers, duplicates and empty lists."""

    name = "merge_sorted"
    category = "list"
    function_name = "merge_sorted"
    signature = "def merge_sorted(first: list[int], second: list[int]) -> list[int]:"
    specification = """
    Merge two lists that are each sorted in ascending order into one ascending list.

    The result holds every element of both lists, duplicates included (a value that occurs
    twice in total occurs twice in the result). Either list may be empty. The inputs are not
    modified.
"""
    reference = """
def merge_sorted(first, second):
    merged = []
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i] <= second[j]:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged + first[i:] + second[j:]
"""
    bugs = (
        # Forgets the elements left over when one list runs out.
        """
def merge_sorted(first, second):
    merged = []
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i] <= second[j]:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged
""",
        # Concatenates without merging.
        """
def merge_sorted(first, second):
    return first + second
""",
        # Drops duplicates.
        """
def merge_sorted(first, second):
    return sorted(set(first) | set(second))
""",
        # Keeps only the leftovers of the first list.
        """
def merge_sorted(first, second):
    merged = []
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i] <= second[j]:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged + first[i:]
""",
    )
    size_unit = "total length"
    size_limits = (6, 10, 16, 24, 40)
    example_size = 6

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Total length of both lists."""
        return len(args[0]) + len(args[1])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two non-empty ascending lists whose lengths add up to 2..``size``."""
        total = rng.randint(2, size)
        cut = rng.randint(1, total - 1)
        return (_sorted_values(rng, cut), _sorted_values(rng, total - cut))

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """One empty list, values shared by both lists, both empty, very uneven lengths."""
        values = _sorted_values(rng, 4)
        return (
            EdgeCase("one list empty", 2, ([], values)),
            EdgeCase("one list empty", 2, (values, [])),
            EdgeCase("values in both lists", 3, ([1, 2, 2, 5], [2, 3, 5])),
            EdgeCase("both lists empty", 4, ([], [])),
            EdgeCase("very different lengths", 5, ([100], _sorted_values(rng, 9))),
        )
