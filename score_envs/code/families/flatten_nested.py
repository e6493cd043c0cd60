"""``flatten_nested``: flatten arbitrarily nested lists (recursion)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


def _nested(rng: random.Random, depth: int, counter: list[int]) -> list[Any]:
    """A list whose elements are ints or (while depth remains) nested lists."""
    items: list[Any] = []
    for _ in range(rng.randint(1, 3)):
        if depth > 1 and rng.random() < 0.45:
            items.append(_nested(rng, depth - 1, counter))
        else:
            counter[0] += rng.randint(1, 9)
            items.append(counter[0])
    return items


def _depth(value: Any) -> int:
    if not isinstance(value, list):
        return 0
    return 1 + max((_depth(item) for item in value), default=0)


class FlattenNested(CodeFamily):
    """Flattening to any depth; the traps are one-level flattening, order and empty lists."""

    name = "flatten_nested"
    category = "recursion"
    function_name = "flatten_nested"
    signature = "def flatten_nested(items: list) -> list[int]:"
    specification = """
    Flatten `items`, a list whose elements are integers or lists of the same kind (nested to
    any depth), into a flat list of its integers in left-to-right order.

    Empty lists contribute nothing. `items` is not modified.
"""
    reference = """
def flatten_nested(items):
    flat = []
    for item in items:
        if isinstance(item, list):
            flat.extend(flatten_nested(item))
        else:
            flat.append(item)
    return flat
"""
    bugs = (
        # Flattens one level only.
        """
def flatten_nested(items):
    flat = []
    for item in items:
        if isinstance(item, list):
            flat.extend(item)
        else:
            flat.append(item)
    return flat
""",
        # A stack walk that forgets to restore the order.
        """
def flatten_nested(items):
    flat = []
    stack = list(items)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            flat.append(item)
    return flat
""",
        # Treats an empty list as a value.
        """
def flatten_nested(items):
    flat = []
    for item in items:
        if isinstance(item, list) and item:
            flat.extend(flatten_nested(item))
        else:
            flat.append(item)
    return flat
""",
        # Recurses into the first element only.
        """
def flatten_nested(items):
    if not items:
        return []
    first, rest = items[0], items[1:]
    if isinstance(first, list):
        return flatten_nested(first) + rest
    return [first] + flatten_nested(rest)
""",
    )
    size_unit = "nesting depth (levels of lists inside the outer list)"
    size_limits = (2, 3, 4, 6, 8)
    example_size = 2

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Levels of lists inside the outer list."""
        return _depth(args[0]) - 1

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """A random nested list, 2..``size`` levels deep inside the outer list."""
        while True:
            items = _nested(rng, size + 1, [0])
            if _depth(items) >= 3:
                return (items,)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Flat input, empty sublists, deep nesting, empty input, only empty lists."""
        value = rng.randint(1, 9)
        deep: list[Any] = [value]
        for _ in range(rng.randint(6, 9)):
            deep = [deep]
        return (
            EdgeCase("already flat", 2, ([value, value + 1, value + 2],)),
            EdgeCase("empty sublists", 2, ([[], [value, []], value + 1],)),
            EdgeCase("deep nesting", 3, (deep,)),
            EdgeCase("empty input", 4, ([],)),
            EdgeCase("only empty lists", 5, ([[], [[]], [[], [[]]]],)),
        )
