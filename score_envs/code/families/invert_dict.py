"""``invert_dict``: group the keys of a dict by value (dict building)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase

_NAMES = (
    "ant bee cat dog eel fox gnu hen ibis jay kiwi lark mole newt owl pig quail rat seal toad "
    "urchin vole wasp yak"
).split()


class InvertDict(CodeFamily):
    """Inverting a many-to-one mapping; the traps are collisions, order and empty input."""

    name = "invert_dict"
    category = "dict"
    function_name = "invert_dict"
    signature = "def invert_dict(mapping: dict[str, int]) -> dict[int, list[str]]:"
    specification = """
    Invert `mapping`: return a dict that maps each value of `mapping` to the list of keys that
    have that value, sorted in ascending order.

    Several keys may share a value; every key appears in exactly one list. `mapping` is not
    modified. An empty mapping gives an empty dict.
"""
    reference = """
def invert_dict(mapping):
    inverted = {}
    for key, value in mapping.items():
        inverted.setdefault(value, []).append(key)
    return {value: sorted(keys) for value, keys in inverted.items()}
"""
    bugs = (
        # Keeps only one key per value, as a bare string.
        """
def invert_dict(mapping):
    return {value: key for key, value in mapping.items()}
""",
        # Keeps only the last key seen for each value.
        """
def invert_dict(mapping):
    return {value: [key] for key, value in mapping.items()}
""",
        # Forgets to sort the lists.
        """
def invert_dict(mapping):
    inverted = {}
    for key, value in mapping.items():
        inverted.setdefault(value, []).append(key)
    return inverted
""",
        # Sorts in descending order.
        """
def invert_dict(mapping):
    inverted = {}
    for key, value in mapping.items():
        inverted.setdefault(value, []).append(key)
    return {value: sorted(keys, reverse=True) for value, keys in inverted.items()}
""",
    )
    size_unit = "keys"
    size_limits = (4, 6, 8, 12, 16)
    example_size = 4

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Number of keys."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two to ``size`` keys in random order; fewer distinct values than keys."""
        count = rng.randint(2, size)
        keys = rng.sample(_NAMES, count)
        return ({key: rng.randrange(max(1, count // 2)) for key in keys},)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """An empty mapping, one key, one shared value, negative values."""
        keys = rng.sample(_NAMES, 3)
        return (
            EdgeCase("empty mapping", 2, ({},)),
            EdgeCase("single key", 3, ({keys[0]: rng.randint(1, 9)},)),
            EdgeCase("all keys share a value", 4, (dict.fromkeys(sorted(keys, reverse=True), 1),)),
            EdgeCase("negative and zero values", 5, ({keys[0]: -1, keys[1]: 0, keys[2]: -1},)),
        )
