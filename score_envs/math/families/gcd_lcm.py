"""Greatest common divisors and least common multiples via prime factorisations."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    number_fallbacks,
    pick_distractors,
)

# level -> (how many numbers, largest number, kinds)
LEVELS: dict[int, tuple[int, int, tuple[str, ...]]] = {
    1: (2, 50, ("gcd",)),
    2: (2, 100, ("gcd", "lcm")),
    3: (2, 500, ("gcd", "lcm")),
    4: (3, 1000, ("gcd", "lcm")),
    5: (3, 10_000, ("gcd", "lcm")),
}


def factorize(n: int) -> dict[int, int]:
    """Prime factorisation ``{prime: exponent}`` of ``n >= 1`` by trial division.

    Example:
        >>> factorize(360)
        {2: 3, 3: 2, 5: 1}
    """
    factors: dict[int, int] = {}
    prime = 2
    while prime * prime <= n:
        while n % prime == 0:
            factors[prime] = factors.get(prime, 0) + 1
            n //= prime
        prime += 1
    if n > 1:
        factors[n] = factors.get(n, 0) + 1
    return factors


def format_factorization(n: int) -> str:
    """``360`` -> ``2^{3} \\cdot 3^{2} \\cdot 5`` (LaTeX).

    Example:
        >>> format_factorization(360)
        '2^{3} \\\\cdot 3^{2} \\\\cdot 5'
    """
    parts = [str(p) if e == 1 else f"{p}^{{{e}}}" for p, e in sorted(factorize(n).items())]
    return " \\cdot ".join(parts) if parts else "1"


class GcdLcm(MathFamily):
    """The greatest common divisor or least common multiple of two or three integers.

    Difficulty (measurable: the largest number allowed, 50/100/500/1000/10000, and how many
    numbers, 2/2/2/3/3):

    =====  =======  ============  ==========
    level  numbers  each at most  kinds
    =====  =======  ============  ==========
    1      2        50            gcd
    2      2        100           gcd, lcm
    3      2        500           gcd, lcm
    4      3        1000          gcd, lcm
    5      3        10000         gcd, lcm
    =====  =======  ============  ==========

    The numbers are distinct multiples of a shared factor >= 2, so the gcd is never trivially 1.
    Distractors: gcd and lcm confused, a common divisor that is not the greatest, the smallest
    number, the plain product, the result for only the first two numbers.

    Example:
        >>> GcdLcm().generate(random.Random(0), 1).params["kind"]
        'gcd'
    """

    name = "gcd_lcm"
    description = "Greatest common divisor or least common multiple of two or three integers."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        count, bound, kinds = LEVELS[difficulty]
        kind = rng.choice(kinds)
        shared = rng.randint(2, math.isqrt(bound))
        numbers: list[int] = []
        while len(numbers) < count:
            candidate = shared * rng.randint(2, bound // shared)
            if candidate not in numbers:
                numbers.append(candidate)
        gcd, lcm = math.gcd(*numbers), math.lcm(*numbers)
        answer = gcd if kind == "gcd" else lcm
        smallest_prime = min(factorize(gcd))
        if kind == "gcd":
            mistakes = [
                lcm,
                gcd // smallest_prime,
                min(numbers),
                math.gcd(*numbers[:2]) if count == 3 else None,
            ]
        else:
            mistakes = [
                gcd,
                math.prod(numbers),
                math.lcm(*numbers[:2]) if count == 3 else None,
                max(numbers),
            ]
        listed = ", ".join(f"{n} = {format_factorization(n)}" for n in numbers)
        rule = "smallest" if kind == "gcd" else "largest"
        steps = [
            f"Factor: ${listed}$.",
            f"Take each prime to the {rule} power it has among the numbers: "
            f"${format_factorization(answer)} = {answer}$.",
        ]
        name = "greatest common divisor" if kind == "gcd" else "least common multiple"
        return Problem(
            question=f"Find the {name} of {_listing(numbers)}.",
            answer=str(answer),
            distractors=pick_distractors(answer, mistakes, str, number_fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(str(answer)),
            params={"kind": kind, "numbers": numbers},
        )


def _listing(numbers: Sequence[int]) -> str:
    shown = [f"${n}$" for n in numbers]
    return ", ".join(shown[:-1]) + (", and " if len(shown) > 2 else " and ") + shown[-1]
