"""``fibonacci_mod``: Fibonacci numbers modulo m (number theory; fast doubling at level 5)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class FibonacciMod(CodeFamily):
    """F(n) mod m; the traps are the base cases, m = 1, and n too large for a loop at level 5.

    Up to level 4 (n <= 10**5) a loop that reduces modulo m at every step is fast enough; level 5
    draws n up to 10**18, which needs O(log n) work (fast doubling or matrix powers) to finish
    within the sandbox's CPU limit.
    """

    name = "fibonacci_mod"
    category = "number theory"
    function_name = "fibonacci_mod"
    signature = "def fibonacci_mod(n: int, m: int) -> int:"
    specification = """
    Return F(n) mod m, where F is the Fibonacci sequence F(0) = 0, F(1) = 1,
    F(k) = F(k - 1) + F(k - 2).

    `n` is a non-negative integer that may be as large as 10**18, and `m` is an integer >= 1.
    The result is in the range 0 <= result < m.
"""
    reference = """
def fibonacci_mod(n, m):
    def pair(k):
        # (F(k) mod m, F(k + 1) mod m) by fast doubling.
        if k == 0:
            return (0, 1 % m)
        a, b = pair(k // 2)
        c = a * (2 * b - a) % m
        d = (a * a + b * b) % m
        return (d, (c + d) % m) if k % 2 else (c, d)

    return pair(n)[0]
"""
    bugs = (
        # Off by one: F(n + 1).
        """
def fibonacci_mod(n, m):
    def pair(k):
        if k == 0:
            return (0, 1 % m)
        a, b = pair(k // 2)
        c = a * (2 * b - a) % m
        d = (a * a + b * b) % m
        return (d, (c + d) % m) if k % 2 else (c, d)

    return pair(n)[1]
""",
        # A sign slip in the doubling formula: F(2k) = F(k) * (2 F(k+1) + F(k)).
        """
def fibonacci_mod(n, m):
    def pair(k):
        if k == 0:
            return (0, 1 % m)
        a, b = pair(k // 2)
        c = a * (2 * b + a) % m
        d = (a * a + b * b) % m
        return (d, (c + d) % m) if k % 2 else (c, d)

    return pair(n)[0]
""",
        # Base case returns n without reducing it modulo m.
        """
def fibonacci_mod(n, m):
    def pair(k):
        if k == 0:
            return (0, 1)
        a, b = pair(k // 2)
        c = a * (2 * b - a) % m
        d = (a * a + b * b) % m
        return (d, (c + d) % m) if k % 2 else (c, d)

    if n < 2:
        return n
    return pair(n)[0]
""",
        # Off by one the other way: F(n - 1).
        """
def fibonacci_mod(n, m):
    def pair(k):
        if k == 0:
            return (0, 1 % m)
        a, b = pair(k // 2)
        c = a * (2 * b - a) % m
        d = (a * a + b * b) % m
        return (d, (c + d) % m) if k % 2 else (c, d)

    return pair(n - 1)[0] if n > 0 else 0
""",
    )
    size_unit = "largest n"
    size_limits = (20, 200, 5_000, 100_000, 10**18)
    example_size = 10

    def input_size(self, args: tuple[Any, ...]) -> int:
        """The index n."""
        return args[0]

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """n in 2..``size`` and a modulus in 2..1000, sometimes 10**9 + 7."""
        modulus = rng.choice((rng.randint(2, 1000), rng.randint(2, 1000), 10**9 + 7))
        return (rng.randint(2, size), modulus)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """n = 0 and 1, m = 1, m larger than F(n), a huge n."""
        return (
            EdgeCase("n is 0 or 1", 2, (0, rng.randint(2, 50))),
            EdgeCase("n is 0 or 1", 2, (1, rng.randint(2, 50))),
            EdgeCase("modulus 1", 3, (rng.randint(2, 30), 1)),
            EdgeCase("modulus 1", 3, (1, 1)),
            EdgeCase("modulus larger than F(n)", 4, (rng.randint(5, 15), 10**6)),
            EdgeCase("huge n", 5, (10**18 - rng.randint(0, 1000), 10**9 + 7)),
        )
