"""``second_largest``: the second largest distinct value of a list (list scanning)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class SecondLargest(CodeFamily):
    """Second largest distinct value; the traps are duplicates, negatives and short lists."""

    name = "second_largest"
    category = "list"
    function_name = "second_largest"
    signature = "def second_largest(numbers: list[int]) -> int | None:"
    specification = """
    Return the second largest distinct value in `numbers`.

    Values equal to the largest one do not count as second largest. Return None when
    `numbers` has fewer than two distinct values (including the empty list). `numbers` is not
    modified.
"""
    reference = """
def second_largest(numbers):
    distinct = sorted(set(numbers))
    return distinct[-2] if len(distinct) >= 2 else None
"""
    bugs = (
        # Off by one: the third largest.
        """
def second_largest(numbers):
    ordered = sorted(set(numbers), reverse=True)
    return ordered[2] if len(ordered) > 2 else None
""",
        # The second smallest.
        """
def second_largest(numbers):
    ordered = sorted(set(numbers))
    return ordered[1] if len(ordered) >= 2 else None
""",
        # Forgets to move the old largest down when a new largest appears.
        """
def second_largest(numbers):
    largest = second = None
    for n in numbers:
        if largest is None or n > largest:
            largest = n
        elif n != largest and (second is None or n > second):
            second = n
    return second
""",
        # Ignores duplicates of the largest value.
        """
def second_largest(numbers):
    if len(numbers) < 2:
        return None
    return sorted(numbers)[-2]
""",
        # Starts from zero, which is wrong for negative numbers.
        """
def second_largest(numbers):
    largest = second = 0
    for n in numbers:
        if n > largest:
            largest, second = n, largest
        elif second < n < largest:
            second = n
    return second if len(set(numbers)) >= 2 else None
""",
        # Crashes instead of returning None.
        """
def second_largest(numbers):
    return sorted(set(numbers))[-2]
""",
    )
    size_unit = "list length"
    size_limits = (5, 8, 12, 20, 40)
    example_size = 5

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the list."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two to ``size`` distinct values in 1..99, in random order."""
        return (rng.sample(range(1, 100), rng.randint(2, size)),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """A repeated largest value, negatives, all equal, fewer than two elements."""
        top = rng.randint(50, 99)
        low = rng.randint(1, 40)
        return (
            EdgeCase("largest value repeated", 2, ([low, top, top, low - 1],)),
            EdgeCase("negative numbers", 3, ([-rng.randint(5, 9), -rng.randint(1, 4), -20],)),
            EdgeCase("all values equal", 4, ([low, low, low],)),
            EdgeCase("fewer than two elements", 5, ([],)),
            EdgeCase("fewer than two elements", 5, ([top],)),
        )
