"""Systems of linear equations (2x2, then 3x3) with a unique solution as an ordered tuple."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Number,
    Problem,
    exact_ratio,
    final_answer_sentence,
    format_number,
    format_terms,
    format_tuple,
    pick_distractors,
)

# level -> (unknowns, largest |coefficient|, integer solution?)
LEVELS: dict[int, tuple[int, int, bool]] = {
    1: (2, 3, True),
    2: (2, 6, True),
    3: (2, 9, False),
    4: (3, 4, True),
    5: (3, 9, True),
}

VARIABLES = ("x", "y", "z")


def determinant(matrix: Sequence[Sequence[Fraction | int]]) -> Fraction | int:
    """Exact determinant by cofactor expansion (enough for 2x2 and 3x3).

    An int for an integer matrix (int arithmetic is about ten times cheaper than Fraction's),
    a Fraction as soon as one entry is.

    Example:
        >>> determinant([[1, 2], [3, 4]]), determinant([[Fraction(1, 2), 0], [0, 4]])
        (-2, Fraction(2, 1))
    """
    size = len(matrix)
    if size == 1:
        return matrix[0][0]
    if size == 2:
        (a, b), (c, d) = matrix
        return a * d - b * c
    if size == 3:  # the rule of Sarrus: the 3x3 systems of levels 4 and 5
        (a, b, c), (d, e, f), (g, h, i) = matrix
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    total: Fraction | int = 0
    for column, entry in enumerate(matrix[0]):
        minor = [row[:column] + row[column + 1 :] for row in matrix[1:]]
        term = entry * determinant(minor)
        total = total - term if column % 2 else total + term
    return total


def _replaced_determinants(matrix: Sequence[Sequence[int]], rhs: Sequence[int]) -> list[int]:
    """Cramer's numerators: the determinant with each column in turn replaced by ``rhs``."""
    if len(matrix) == 2:  # the 2x2 rule written out: this runs three times per problem
        (a, b), (c, d) = matrix
        e, f = rhs
        return [e * d - b * f, a * f - e * c]
    if len(matrix) == 3:  # the rule of Sarrus with each column replaced in turn
        (a, b, c), (d, e, f), (g, h, i) = matrix
        r, s, t = rhs
        return [
            r * (e * i - f * h) - b * (s * i - f * t) + c * (s * h - e * t),
            a * (s * i - f * t) - r * (d * i - f * g) + c * (d * t - s * g),
            a * (e * t - s * h) - b * (d * t - s * g) + r * (d * h - e * g),
        ]
    numerators = []
    for column in range(len(matrix)):
        replaced = [[*row[:column], rhs[i], *row[column + 1 :]] for i, row in enumerate(matrix)]
        numerators.append(determinant(replaced))
    return numerators


def solve(matrix: Sequence[Sequence[int]], rhs: Sequence[int]) -> tuple[Number, ...] | None:
    """The unique solution by Cramer's rule, or None when the system is singular.

    Values are exact: an int where the value is whole, else a reduced Fraction.

    Example:
        >>> solve([[1, 1], [1, -1]], [3, 1]), solve([[2, 0], [0, 1]], [1, 1])
        ((2, 1), (Fraction(1, 2), 1))
    """
    base = determinant(matrix)
    if base == 0:
        return None
    return tuple(exact_ratio(value, base) for value in _replaced_determinants(matrix, rhs))


def _fallbacks(answer: tuple[Number, ...]) -> Iterator[tuple[Number, ...]]:
    """Near misses of a solution, for the rare problem whose realistic mistakes coincide."""
    yield (answer[0] + 1, *answer[1:])
    yield (answer[0], answer[1] + 1, *answer[2:])
    yield (-answer[0], *answer[1:])
    yield (answer[0] - 1, *answer[1:])
    yield (answer[0], answer[1] - 1, *answer[2:])


def _nonzero(rng: random.Random, bound: int) -> int:
    return rng.randint(1, bound) * rng.choice((1, -1))


class LinearSystem(MathFamily):
    """Solve a square linear system; the answer is the ordered tuple ``(x, y)`` or ``(x, y, z)``.

    Difficulty (measurable: the pair ``(unknowns, largest |coefficient|)`` grows
    lexicographically):

    =====  ========  ====================  ==========================================
    level  unknowns  abs(coefficients) in  solution
    =====  ========  ====================  ==========================================
    1      2         1..3                  integers in -5..5
    2      2         1..6                  integers in -9..9
    3      2         1..9                  rational (right-hand sides in -20..20)
    4      3         1..4                  integers in -5..5
    5      3         1..9                  integers in -9..9
    =====  ========  ====================  ==========================================

    Distractors: the values listed in the wrong order, one value with the wrong sign, the
    solution after dropping the sign of a right-hand side or of a coefficient.

    Example:
        >>> LinearSystem().generate(random.Random(0), 4).answer.count(",")
        2
    """

    name = "linear_system"
    description = "Solve a 2x2 or 3x3 system of linear equations."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        size, bound, integer_solution = LEVELS[difficulty]
        solution_bound = 5 if bound <= 4 else 9
        while True:  # redraw singular systems (rare)
            matrix = [[_nonzero(rng, bound) for _ in range(size)] for _ in range(size)]
            if integer_solution:
                values = [rng.randint(-solution_bound, solution_bound) for _ in range(size)]
                rhs = [sum(c * v for c, v in zip(row, values, strict=True)) for row in matrix]
            else:
                rhs = [rng.randint(-20, 20) for _ in range(size)]
            base = determinant(matrix)
            if base != 0 and any(rhs):  # all-zero right-hand sides are degenerate
                break
        numerators = _replaced_determinants(matrix, rhs)
        answer = tuple(exact_ratio(value, base) for value in numerators)
        names = VARIABLES[:size]
        equations = [
            format_terms(zip(row, names, strict=True)) + f" = {value}"
            for row, value in zip(matrix, rhs, strict=True)
        ]
        flipped_rhs = [-rhs[0], *rhs[1:]]
        flipped_matrix = [list(row) for row in matrix]
        flipped_matrix[-1][0] = -flipped_matrix[-1][0]
        # The same matrix with the first right-hand side's sign dropped: the same determinant.
        flipped_numerators = _replaced_determinants(matrix, flipped_rhs)
        mistakes = [
            (answer[1], answer[0], *answer[2:]),  # listed in the wrong order
            (answer[0], -answer[1], *answer[2:]),
            tuple(exact_ratio(value, base) for value in flipped_numerators),
            solve(flipped_matrix, rhs),
            tuple(reversed(answer)),
        ]
        answer_text = format_tuple(answer)
        steps = [f"The determinant of the coefficients is ${format_number(base)} \\neq 0$."]
        for column, (name, numerator) in enumerate(zip(names, numerators, strict=True)):
            steps.append(
                f"By Cramer's rule ${name} = \\frac{{{numerator}}}{{{base}}} = "
                f"{format_number(answer[column])}$."
            )
        system = " \\\\ ".join(equations)
        tuple_names = "(" + ", ".join(names) + ")"
        return Problem(
            question=(
                f"Solve the system $\\begin{{cases}} {system} \\end{{cases}}$. "
                f"Give the answer as an ordered tuple ${tuple_names}$."
            ),
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_tuple, _fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"matrix": matrix, "rhs": rhs},
        )
