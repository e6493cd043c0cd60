"""``rotate_list``: rotate a list to the right (list slicing)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class RotateList(CodeFamily):
    """Rotation by k; the traps are k = 0, k beyond the length, negative k, empty lists."""

    name = "rotate_list"
    category = "list"
    function_name = "rotate_list"
    signature = "def rotate_list(items: list[int], k: int) -> list[int]:"
    specification = """
    Return a new list with the elements of `items` rotated `k` places to the right: the last
    `k` elements move to the front, in order.

    `k` may be zero, larger than the length of the list (rotating by the length gives the
    list back), or negative (rotating |k| places to the left). Rotating an empty list gives
    an empty list. `items` is not modified.
"""
    reference = """
def rotate_list(items, k):
    if not items:
        return []
    k %= len(items)
    return items[len(items) - k:] + items[:len(items) - k]
"""
    bugs = (
        # Rotates to the left.
        """
def rotate_list(items, k):
    if not items:
        return []
    k %= len(items)
    return items[k:] + items[:k]
""",
        # Off by one: rotates k - 1 places.
        """
def rotate_list(items, k):
    if not items:
        return []
    k = (k - 1) % len(items)
    return items[len(items) - k:] + items[:len(items) - k]
""",
        # No modulo: k larger than the length is wrong.
        """
def rotate_list(items, k):
    if k == 0:
        return list(items)
    return items[-k:] + items[:-k]
""",
        # Crashes on the empty list.
        """
def rotate_list(items, k):
    k %= len(items)
    return items[len(items) - k:] + items[:len(items) - k]
""",
    )
    size_unit = "list length"
    size_limits = (5, 8, 12, 20, 30)
    example_size = 5

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the list."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Three to ``size`` distinct values and 1 <= k < length."""
        items = rng.sample(range(1, 100), rng.randint(min(3, size), size))
        return (items, rng.randint(1, len(items) - 1))

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """k = 0, k >= length, negative k, the empty list."""
        items = rng.sample(range(1, 100), 5)
        return (
            EdgeCase("zero rotation", 2, (items, 0)),
            EdgeCase("rotation by the length or more", 3, (items, 5)),
            EdgeCase("rotation by the length or more", 3, (items, 5 + rng.randint(1, 4))),
            EdgeCase("negative rotation", 4, (items, -rng.randint(1, 4))),
            EdgeCase("negative rotation", 4, (items, -rng.randint(6, 9))),
            EdgeCase("empty list", 5, ([], rng.randint(1, 3))),
        )
