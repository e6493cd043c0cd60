"""``interval_merge``: merge overlapping intervals (sorting and sweeping)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


def _interval(rng: random.Random) -> list[int]:
    start = rng.randint(0, 40)
    return [start, start + rng.randint(0, 8)]


class IntervalMerge(CodeFamily):
    """Interval union; the traps are unsorted input, touching and nested intervals."""

    name = "interval_merge"
    category = "list"
    function_name = "interval_merge"
    signature = "def interval_merge(intervals: list[list[int]]) -> list[list[int]]:"
    specification = """
    Merge overlapping closed intervals.

    Each interval is a list [start, end] with start <= end, covering every number from start
    to end inclusive. Intervals that overlap or touch (share an end point, like [1, 3] and
    [3, 5]) are merged into one. Return the merged intervals as lists [start, end], sorted by
    start. The input may be in any order and may be empty; it is not modified.
"""
    reference = """
def interval_merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
"""
    bugs = (
        # Forgets to sort the input.
        """
def interval_merge(intervals):
    merged = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
""",
        # Does not merge intervals that only touch.
        """
def interval_merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
""",
        # Takes the new end even when it is inside the current interval.
        """
def interval_merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged
""",
        # Returns tuples instead of lists.
        """
def interval_merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
""",
        # Loses the last interval.
        """
def interval_merge(intervals):
    if not intervals:
        return []
    ordered = sorted(intervals)
    merged = []
    start, end = ordered[0]
    for next_start, next_end in ordered[1:]:
        if next_start <= end:
            end = max(end, next_end)
        else:
            merged.append([start, end])
            start, end = next_start, next_end
    return merged
""",
    )
    size_unit = "intervals"
    size_limits = (3, 5, 8, 12, 20)
    example_size = 3

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Number of intervals."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two to ``size`` random intervals in 0..48, sorted by start."""
        return (sorted(_interval(rng) for _ in range(rng.randint(2, size))),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Unsorted input, touching intervals, nested intervals, empty and single inputs."""
        unsorted = [_interval(rng) for _ in range(4)]
        unsorted.sort(reverse=True)
        base = rng.randint(0, 20)
        return (
            EdgeCase("unsorted input", 2, (unsorted,)),
            EdgeCase("unsorted input", 2, ([[base + 10, base + 12], [base, base + 3]],)),
            EdgeCase("touching intervals", 3, ([[base, base + 3], [base + 3, base + 5]],)),
            EdgeCase("touching intervals", 3, ([[1, 2], [3, 4]],)),
            EdgeCase("nested intervals", 4, ([[base, base + 20], [base + 2, base + 3]],)),
            EdgeCase("empty or single interval", 5, ([],)),
            EdgeCase("empty or single interval", 5, ([[base, base]],)),
        )
