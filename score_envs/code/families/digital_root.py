"""``digital_root``: repeated digit sums (number theory, iteration)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class DigitalRoot(CodeFamily):
    """Iterated digit sum; the traps are stopping after one round, zero and multiples of 9."""

    name = "digital_root"
    category = "number theory"
    function_name = "digital_root"
    signature = "def digital_root(n: int) -> int:"
    specification = """
    Return the digital root of the non-negative integer `n`: replace `n` by the sum of its
    decimal digits, again and again, until a single digit remains.

    A single-digit `n` (including 0) is its own digital root.
"""
    reference = """
def digital_root(n):
    while n >= 10:
        n = sum(int(digit) for digit in str(n))
    return n
"""
    bugs = (
        # Only one round of summing.
        """
def digital_root(n):
    return sum(int(digit) for digit in str(n))
""",
        # Keeps the last digit of the digit sum.
        """
def digital_root(n):
    return sum(int(digit) for digit in str(n)) % 10
""",
        # n % 9 is 0 for multiples of nine.
        """
def digital_root(n):
    return n % 9
""",
        # The closed form, wrong for zero.
        """
def digital_root(n):
    return 1 + (n - 1) % 9
""",
    )
    size_unit = "digits"
    size_limits = (2, 4, 8, 16, 40)
    example_size = 3

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Number of decimal digits."""
        return len(str(args[0]))

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """A number of 2..``size`` digits whose digit sum has two digits (two rounds needed)."""
        while True:
            digits = rng.randint(2, max(2, size))
            n = rng.randint(10 ** (digits - 1), 10**digits - 1)
            if sum(int(digit) for digit in str(n)) >= 10:
                return (n,)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Single digits, zero, multiples of nine, numbers needing three rounds."""
        return (
            EdgeCase("single digit", 2, (rng.randint(1, 9),)),
            EdgeCase("zero", 3, (0,)),
            EdgeCase("multiple of nine", 4, (9 * rng.randint(2, 1000),)),
            EdgeCase("multiple of nine", 4, (999,)),
            EdgeCase("three rounds needed", 5, (int("9" * rng.randint(12, 20)) - 1,)),
        )
