"""``gcd_lcm``: greatest common divisor and least common multiple (number theory)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class GcdLcm(CodeFamily):
    """GCD and LCM together; the traps are the result type, zeros and lcm = a * b."""

    name = "gcd_lcm"
    category = "number theory"
    function_name = "gcd_lcm"
    signature = "def gcd_lcm(a: int, b: int) -> tuple[int, int]:"
    specification = """
    Return the tuple (greatest common divisor, least common multiple) of the non-negative
    integers `a` and `b`.

    By convention gcd(n, 0) = n, and the least common multiple is 0 when `a` or `b` is 0
    (so gcd_lcm(0, 0) is (0, 0)).
"""
    reference = """
def gcd_lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    if a == 0 or b == 0:
        return (x, 0)
    return (x, a // x * b)
"""
    bugs = (
        # lcm = a * b, right only for coprime numbers.
        """
def gcd_lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    return (x, a * b)
""",
        # A list instead of a tuple.
        """
def gcd_lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    if a == 0 or b == 0:
        return [x, 0]
    return [x, a // x * b]
""",
        # The two values swapped.
        """
def gcd_lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    if a == 0 or b == 0:
        return (0, x)
    return (a // x * b, x)
""",
        # Divides by the gcd without guarding zero.
        """
def gcd_lcm(a, b):
    x, y = a, b
    while y:
        x, y = y, x % y
    return (x, a * b // x)
""",
    )
    size_unit = "largest value"
    size_limits = (30, 100, 1_000, 1_000_000, 10**12)
    example_size = 30

    def input_size(self, args: tuple[Any, ...]) -> int:
        """The larger value."""
        return max(args)

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Two values up to ``size`` that share a common factor of at least 2."""
        common = rng.randint(2, max(2, min(12, size // 4)))
        limit = max(2, size // common)
        return (common * rng.randint(1, limit), common * rng.randint(1, limit))

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """One divides the other, coprime values, one zero, both zero."""
        small = rng.randint(2, 9)
        return (
            EdgeCase("one divides the other", 2, (small, small * rng.randint(2, 9))),
            EdgeCase("coprime values", 3, (rng.choice((8, 9, 25)), rng.choice((7, 11, 13)))),
            EdgeCase("one value is zero", 4, (0, small)),
            EdgeCase("one value is zero", 4, (small * 3, 0)),
            EdgeCase("both values zero", 5, (0, 0)),
        )
