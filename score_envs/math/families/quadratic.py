"""Quadratic equations with rational roots; the answer is the set of distinct real roots."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Number,
    Problem,
    exact_ratio,
    final_answer_sentence,
    format_number,
    format_polynomial,
    format_terms,
    pick_distractors,
)

Roots = tuple[Number, ...]
"""Distinct roots in ascending order (ints or Fractions: equal values compare alike)."""


def _root_set(first: Number, second: Number) -> Roots:
    if first == second:
        return (first,)
    return (first, second) if first < second else (second, first)


def _format_roots(roots: Roots) -> str:
    """``format_root_set`` for roots already distinct and sorted, as every :data:`Roots` is."""
    return ", ".join(map(format_number, roots))


def _reciprocal(value: Number) -> Number:
    return Fraction(1, value) if type(value) is int else 1 / value


def _lowest_terms(leading: int, root_numerator: int) -> tuple[int, int]:
    """Divide ``(px - q)`` by ``gcd(p, q)``; the product of such factors has no common factor."""
    common = math.gcd(leading, root_numerator)
    return leading // common, root_numerator // common


def _factor(leading: int, root_numerator: int) -> str:
    """``(leading x - root_numerator)`` as text, e.g. ``(2x + 3)``."""
    return "(" + format_terms([(leading, "x"), (-root_numerator, "")]) + ")"


class Quadratic(MathFamily):
    """Solve ``ax^2 + bx + c = 0`` built from rational roots; a double root is listed once.

    Difficulty (measurable: ``|a * c|``, the product the "ac method" has to split into factor
    pairs, grows on average with the level; a mean of about 10 / 40 / 170 / 320 / 1000):

    =====  ====================================  ======================================
    level  built as                              roots
    =====  ====================================  ======================================
    1      ``(x - r)(x - s)``                    distinct integers in -6..6
    2      ``(x - r)(x - s)``                    integers in -12..12, may be double
    3      ``a(x - r)(x - s)``, a in 2..4        integers in -8..8, may be double
    4      ``(px - q)(rx - s)``, p, r in 1..6    rationals, numerators 1..12 in size
    5      as 4 with p, r in 1..9, moved terms   rationals, numerators 1..15 in size
    =====  ====================================  ======================================

    From level 2 on about one problem in six has a double root (listed once). From level 4 on
    the factors have no common divisor, so neither has the equation; at level 5
    the linear and constant terms are moved to the right-hand side.
    Distractors: the roots with flipped signs, one root only, the numerators without dividing by
    the leading coefficients, the reciprocals, the roots doubled (the quadratic formula without
    the ``2a``), ``r, -r`` for a double root.

    Example:
        >>> Quadratic().generate(random.Random(5), 1).question.startswith("Find all real")
        True
    """

    name = "quadratic"
    description = "Solve a quadratic equation with rational roots."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        if difficulty <= 3:
            root_bound = {1: 6, 2: 12, 3: 8}[difficulty]
            scale = rng.randint(2, 4) if difficulty == 3 else 1
            first = rng.randint(-root_bound, root_bound)
            second = first
            double = difficulty >= 2 and rng.randrange(6) == 0 and first != 0
            while not double and second == first:
                second = rng.randint(-root_bound, root_bound)
            p, q, r, s = 1, first, 1, second
        else:
            leading_bound, numerator_bound = (6, 12) if difficulty == 4 else (9, 15)
            scale = 1
            while True:
                p, r = rng.randint(1, leading_bound), rng.randint(1, leading_bound)
                q = rng.randint(1, numerator_bound) * rng.choice((1, -1))
                s = rng.randint(1, numerator_bound) * rng.choice((1, -1))
                p, q = _lowest_terms(p, q)
                r, s = _lowest_terms(r, s)
                if rng.randrange(6) == 0:  # a double root now and then
                    r, s = p, q
                if p > 1 or r > 1:  # at least one root is not an integer
                    break
        roots = _root_set(exact_ratio(q, p), exact_ratio(s, r))
        coefficients = [scale * p * r, -scale * (p * s + q * r), scale * q * s]
        a, b, c = coefficients
        if difficulty == 5:
            equation = f"{format_polynomial([a, 0, 0])} = {format_polynomial([-b, -c])}"
        else:
            equation = f"{format_polynomial(coefficients)} = 0"

        first_root, last_root = roots[0], roots[-1]
        mistakes: list[Roots | None] = [
            _root_set(-first_root, -last_root),
            (first_root,) if len(roots) == 2 else _root_set(first_root, -first_root),
            (last_root,) if len(roots) == 2 else None,
            _root_set(q, s) if (p, r) != (1, 1) else None,
            _root_set(_reciprocal(first_root), _reciprocal(last_root)) if 0 not in roots else None,
            _root_set(2 * first_root, 2 * last_root),
        ]
        fallbacks = (_root_set(first_root, last_root + k) for k in range(1, 20))

        answer_text = _format_roots(roots)
        factored = _factor(p, q) + ("^2" if (p, q) == (r, s) else _factor(r, s))
        gathered = format_polynomial(coefficients)
        steps = []
        if difficulty == 5:
            steps.append(f"Move every term to the left: ${gathered} = 0$.")
        prefix = "" if scale == 1 else str(scale)
        steps.append(f"Factor: ${gathered} = {prefix}{factored}$.")
        roots_text = " or ".join(f"$x = {format_number(x)}$" for x in roots)
        steps.append(f"Setting each factor to zero gives {roots_text}.")
        return Problem(
            question=(
                f"Find all real solutions of ${equation}$. "
                "List the distinct solutions separated by commas."
            ),
            answer=answer_text,
            distractors=pick_distractors(roots, mistakes, _format_roots, fallbacks),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"coefficients": coefficients, "factors": [[p, q], [r, s]], "scale": scale},
        )
