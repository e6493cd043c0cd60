"""Expanding products of polynomials into standard form."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    format_polynomial,
    pick_distractors,
)

Coefficients = tuple[int, ...]

# level -> (degrees of the factors, largest |coefficient|); a degree-1 factor "ax" (level 1's
# monomial) is written with a zero constant.
LEVELS: dict[int, tuple[tuple[int, ...], int]] = {
    1: ((1, 1), 9),
    2: ((1, 1), 9),
    3: ((1, 2), 7),
    4: ((1, 1, 1), 5),
    5: ((2, 2), 7),
}


def multiply(left: Sequence[int], right: Sequence[int]) -> Coefficients:
    """Product of two polynomials given by descending coefficients.

    Example:
        >>> multiply([2, 3], [3, -2])
        (6, 5, -6)
    """
    result = [0] * (len(left) + len(right) - 1)
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            result[i + j] += a * b
    return tuple(result)


def _canonical(coefficients: Sequence[int]) -> Coefficients:
    """Drop leading zeros so equal polynomials have equal keys."""
    index = 0
    while index < len(coefficients) - 1 and coefficients[index] == 0:
        index += 1
    return tuple(coefficients[index:])


def _terms(factor: Sequence[int]) -> list[tuple[int, int]]:
    """The nonzero ``(power, coefficient)`` terms of a factor, highest power first."""
    degree = len(factor) - 1
    return [(degree - i, c) for i, c in enumerate(factor) if c != 0]


def term_products(factors: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Every term-by-term product ``(power, coefficient)`` of the factors, in FOIL order.

    Example:
        >>> term_products([[1, 2], [1, -3]])  # x*x, x*(-3), 2*x, 2*(-3)
        [(2, 1), (1, -3), (1, 2), (0, -6)]
    """
    products = []
    for combination in itertools.product(*(_terms(f) for f in factors)):
        power, coefficient = 0, 1
        for term_power, term_coefficient in combination:
            power += term_power
            coefficient *= term_coefficient
        products.append((power, coefficient))
    return products


def _from_products(products: Sequence[tuple[int, int]], degree: int) -> Coefficients:
    coefficients = [0] * (degree + 1)
    for power, coefficient in products:
        coefficients[degree - power] += coefficient
    return _canonical(coefficients)


def _fallbacks(answer: Coefficients) -> Iterator[Coefficients]:
    """Near misses (a constant or leading coefficient off by one), used only if needed."""
    yield _canonical((*answer[:-1], answer[-1] + 1))
    yield _canonical((answer[0] + 1, *answer[1:]))
    yield _canonical((*answer[:-1], answer[-1] - 1))


class Polynomial(MathFamily):
    """Expand a product of polynomials in ``x``; the answer is in descending standard form.

    Difficulty (measurable: the number of term-by-term products to collect, 2/4/6/8/9):

    =====  ==================================  =================  ========
    level  product                             abs(coefficients)  products
    =====  ==================================  =================  ========
    1      ``ax(bx + c)``                      1..9               2
    2      ``(ax + b)(cx + d)``                1..9               4
    3      ``(ax + b)(cx^2 + dx + e)``         1..7               6
    4      ``(ax + b)(cx + d)(ex + f)``        1..5               8
    5      ``(ax^2 + bx + c)(dx^2 + ex + f)``  1..7               9
    =====  ==================================  =================  ========

    Every coefficient is nonzero and each factor's leading coefficient is positive except the
    monomial's. Distractors: one cross product forgotten, one cross product with the wrong
    sign, the inner coefficients with the wrong sign, only the "first" and "last" products
    kept (the ``(a + b)^2 = a^2 + b^2`` mistake).

    Example:
        >>> len(Polynomial().generate(random.Random(0), 4).params["factors"])
        3
    """

    name = "polynomial"
    description = "Expand a product of polynomials into standard form."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        degrees, bound = LEVELS[difficulty]

        def coefficient(leading: bool) -> int:
            magnitude = rng.randint(1, bound)
            return magnitude if leading else magnitude * rng.choice((1, -1))

        factors: list[list[int]] = []
        for index, degree in enumerate(degrees):
            factor = [coefficient(leading=(j == 0)) for j in range(degree + 1)]
            if difficulty == 1 and index == 0:
                factor = [coefficient(leading=False), 0]  # the monomial ax
            factors.append(factor)

        answer: Coefficients = (1,)
        for factor in factors:
            answer = multiply(answer, factor)
        degree = len(answer) - 1
        products = term_products(factors)
        outer = products[1]  # first term of the first factor times the rest's later terms
        sign_slip = [*products[:1], (outer[0], -outer[1]), *products[2:]]
        inner_flipped = tuple(c if i in (0, degree) else -c for i, c in enumerate(answer))
        ends_only = [products[0], products[-1]]
        mistakes = [
            _from_products([*products[:1], *products[2:]], degree),
            _from_products(sign_slip, degree),
            inner_flipped,
            _from_products(ends_only, degree),
        ]

        def shown(factor: Sequence[int]) -> str:
            if factor[-1] == 0 and len(factor) == 2:
                return format_polynomial(factor)  # a monomial needs no parentheses
            return "(" + format_polynomial(factor) + ")"

        expression = "".join(shown(f) for f in factors)
        answer_text = format_polynomial(answer)
        if len(factors) == 3:
            first_two = multiply(factors[0], factors[1])
            steps = [
                f"First ${shown(factors[0])}{shown(factors[1])} = {format_polynomial(first_two)}$.",
                f"Then multiply by ${shown(factors[2])}$ term by term and collect like terms.",
            ]
        else:
            steps = [
                "Multiply every term of the first factor by every term of the second "
                f"(${len(products)}$ products) and collect like terms."
            ]
        steps.append(f"${expression} = {answer_text}$.")
        return Problem(
            question=f"Expand and simplify ${expression}$.",
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_polynomial, _fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"factors": factors},
        )
