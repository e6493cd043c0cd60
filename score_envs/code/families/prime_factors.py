"""``prime_factors``: factorise an integer (number theory)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class PrimeFactors(CodeFamily):
    """Factorisation by trial division; the traps are multiplicity, the last factor and 1."""

    name = "prime_factors"
    category = "number theory"
    function_name = "prime_factors"
    signature = "def prime_factors(n: int) -> list[int]:"
    specification = """
    Return the prime factorisation of `n` (an integer >= 1) as a list of primes in ascending
    order, each repeated as often as it divides `n`.

    The product of the list is `n`; prime_factors(1) is the empty list.
"""
    reference = """
def prime_factors(n):
    factors = []
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1
    if n > 1:
        factors.append(n)
    return factors
"""
    bugs = (
        # Each prime only once.
        """
def prime_factors(n):
    factors = []
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            factors.append(divisor)
            while n % divisor == 0:
                n //= divisor
        divisor += 1
    if n > 1:
        factors.append(n)
    return factors
""",
        # Forgets the prime factor left above the square root.
        """
def prime_factors(n):
    factors = []
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1
    return factors
""",
        # Stops one divisor early (divisor * divisor < n).
        """
def prime_factors(n):
    factors = []
    divisor = 2
    while divisor * divisor < n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1
    if n > 1:
        factors.append(n)
    return factors
""",
        # Treats 1 as a factor of itself.
        """
def prime_factors(n):
    if n == 1:
        return [1]
    factors = []
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1
    if n > 1:
        factors.append(n)
    return factors
""",
    )
    size_unit = "largest n"
    size_limits = (100, 1_000, 10_000, 1_000_000, 1_000_000_000)
    example_size = 100

    def input_size(self, args: tuple[Any, ...]) -> int:
        """The number itself."""
        return args[0]

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """A composite-leaning n in 4..``size``: a random number times a small prime."""
        small = rng.choice((2, 2, 3, 3, 5, 7))
        return (small * rng.randint(2, max(2, size // small)),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """n = 1, primes, prime powers, a large prime factor, a product of two large primes."""
        return (
            EdgeCase("n is 1", 2, (1,)),
            EdgeCase("n is prime", 2, (rng.choice((13, 97, 101, 997)),)),
            EdgeCase("prime power", 3, (rng.choice((49, 64, 81, 121, 243)),)),
            EdgeCase("large prime factor", 4, (2 * rng.choice((9967, 9973)),)),
            EdgeCase("product of two large primes", 5, (31601 * 31607,)),
            EdgeCase("product of two large primes", 5, (999983,)),
        )
