"""Modular arithmetic: remainders of large powers and multiplicative inverses."""

from __future__ import annotations

import math
import random

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    pick_distractors,
)

# level -> (modulus range, exponent range, base range, inverse problems allowed?)
LEVELS: dict[int, tuple[tuple[int, int], tuple[int, int], tuple[int, int], bool]] = {
    1: ((5, 12), (2, 6), (2, 20), False),
    2: ((7, 30), (5, 30), (2, 50), False),
    3: ((10, 60), (20, 200), (2, 99), True),
    4: ((20, 100), (100, 2000), (2, 999), True),
    5: ((100, 1000), (1000, 1_000_000), (2, 9999), True),
}


def power_cycle(base: int, modulus: int) -> tuple[int, int]:
    """``(start, period)``: from exponent ``start`` on, ``base**k mod modulus`` repeats.

    Example:
        >>> power_cycle(2, 12)  # 2, 4, 8, 4, 8, ...
        (2, 2)
    """
    seen: dict[int, int] = {}
    value, exponent = base % modulus, 1
    while value not in seen:
        seen[value] = exponent
        value, exponent = value * base % modulus, exponent + 1
    return seen[value], exponent - seen[value]


class Modular(MathFamily):
    """The remainder of ``a^e`` modulo ``m``, or the inverse of ``a`` modulo ``m``.

    Difficulty (measurable: the modulus range, and the exponent range of power problems):

    =====  ===========  ===================  ========================================
    level  modulus      exponent             kinds
    =====  ===========  ===================  ========================================
    1      5..12        2..6                 power
    2      7..30        5..30                power
    3      10..60       20..200              power, or inverse (one time in three)
    4      20..100      100..2000            power, or inverse
    5      100..1000    1000..1000000        power, or inverse
    =====  ===========  ===================  ========================================

    The base is never a multiple of the modulus; inverse problems use a base coprime to it.
    Distractors: the exponent off by one either way, ``a * e mod m``, the exponent reduced
    modulo ``m`` instead of modulo the cycle length; for inverses, ``m - inverse``, ``a``
    itself, Fermat's formula ``a^(m-2)`` applied to a composite modulus.

    Example:
        >>> Modular().generate(random.Random(0), 1).params["kind"]
        'power'
    """

    name = "modular"
    description = "Remainders of large powers and modular inverses."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        (m_low, m_high), (e_low, e_high), (b_low, b_high), inverses = LEVELS[difficulty]
        modulus = rng.randint(m_low, m_high)
        kind = "inverse" if inverses and rng.randrange(3) == 0 else "power"
        while True:
            base = rng.randint(b_low, b_high)
            if base % modulus != 0 and (kind == "power" or math.gcd(base, modulus) == 1):
                break
        if kind == "inverse":
            return self._inverse(base, modulus)
        return self._power(base, rng.randint(e_low, e_high), modulus)

    def _power(self, base: int, exponent: int, modulus: int) -> Problem:
        answer = pow(base, exponent, modulus)
        mistakes = [
            pow(base, exponent - 1, modulus),
            pow(base, exponent + 1, modulus),
            base * exponent % modulus,
            pow(base, exponent % modulus, modulus),
        ]
        start, period = power_cycle(base, modulus)
        if exponent < start + period:
            steps = [f"Multiply step by step modulo ${modulus}$."]
            reduced = exponent
        else:
            reduced = start + (exponent - start) % period
            steps = [
                f"Compute the powers of ${base}$ modulo ${modulus}$: from ${base}^{{{start}}}$ on "
                f"they repeat with period ${period}$.",
                f"Since ${exponent} \\equiv {reduced}$ in that cycle, "
                f"${base}^{{{exponent}}} \\equiv {base}^{{{reduced}}} \\pmod{{{modulus}}}$.",
            ]
        steps.append(f"${base}^{{{reduced}}} \\equiv {answer} \\pmod{{{modulus}}}$.")
        return Problem(
            question=(
                f"What is the remainder when ${base}^{{{exponent}}}$ is divided by ${modulus}$?"
            ),
            answer=str(answer),
            distractors=pick_distractors(
                answer, mistakes, str, ((answer + k) % modulus for k in range(1, modulus))
            ),
            solution="\n".join(steps) + "\n" + final_answer_sentence(str(answer)),
            params={"kind": "power", "base": base, "exponent": exponent, "modulus": modulus},
        )

    def _inverse(self, base: int, modulus: int) -> Problem:
        answer = pow(base, -1, modulus)
        mistakes = [modulus - answer, base % modulus, pow(base, modulus - 2, modulus)]
        product = base * answer
        steps = [
            f"Use the extended Euclidean algorithm on ${base}$ and ${modulus}$ to find the "
            f"inverse ${answer}$.",
            f"Check: ${base} \\cdot {answer} = {product} = {product // modulus} \\cdot {modulus}"
            f" + 1 \\equiv 1 \\pmod{{{modulus}}}$.",
        ]
        return Problem(
            question=(
                f"Find the multiplicative inverse of ${base}$ modulo ${modulus}$, "
                f"as an integer from $0$ to ${modulus - 1}$."
            ),
            answer=str(answer),
            distractors=pick_distractors(
                answer, mistakes, str, ((answer + k) % modulus for k in range(1, modulus))
            ),
            solution="\n".join(steps) + "\n" + final_answer_sentence(str(answer)),
            params={"kind": "inverse", "base": base, "exponent": -1, "modulus": modulus},
        )
