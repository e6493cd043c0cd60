"""Systems of linear equations (2x2, then 3x3) with a unique solution as an ordered tuple."""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Problem,
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


def determinant(matrix: Sequence[Sequence[Fraction | int]]) -> Fraction:
    """Exact determinant by cofactor expansion (enough for 2x2 and 3x3).

    Example:
        >>> determinant([[1, 2], [3, 4]])
        Fraction(-2, 1)
    """
    return Fraction(_cofactor_expansion(matrix))


def _cofactor_expansion(matrix: Sequence[Sequence[Fraction | int]]) -> Fraction | int:
    # Plain ints stay ints (integer matrices are the common case, and int arithmetic is about
    # ten times cheaper than Fraction's); a Fraction entry makes its products Fractions.
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
        term = entry * _cofactor_expansion(minor)
        total = total - term if column % 2 else total + term
    return total


def solve(matrix: Sequence[Sequence[int]], rhs: Sequence[int]) -> tuple[Fraction, ...] | None:
    """The unique solution by Cramer's rule, or None when the system is singular.

    Example:
        >>> [str(v) for v in solve([[1, 1], [1, -1]], [3, 1])]
        ['2', '1']
    """
    base = _cofactor_expansion(matrix)
    if base == 0:
        return None
    solution = []
    for column in range(len(matrix)):
        replaced = [
            [rhs[i] if j == column else entry for j, entry in enumerate(row)]
            for i, row in enumerate(matrix)
        ]
        solution.append(Fraction(_cofactor_expansion(replaced)) / base)
    return tuple(solution)


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
            answer = solve(matrix, rhs)
            if answer is not None and any(rhs):  # all-zero right-hand sides are degenerate
                break
        names = VARIABLES[:size]
        equations = [
            format_terms(zip(row, names, strict=True)) + f" = {value}"
            for row, value in zip(matrix, rhs, strict=True)
        ]
        flipped_rhs = [-rhs[0], *rhs[1:]]
        flipped_matrix = [list(row) for row in matrix]
        flipped_matrix[-1][0] = -flipped_matrix[-1][0]
        mistakes = [
            (answer[1], answer[0], *answer[2:]),  # listed in the wrong order
            (answer[0], -answer[1], *answer[2:]),
            solve(matrix, flipped_rhs),
            solve(flipped_matrix, rhs),
            tuple(reversed(answer)),
        ]
        fallbacks = [
            (answer[0] + 1, *answer[1:]),
            (answer[0], answer[1] + 1, *answer[2:]),
            (-answer[0], *answer[1:]),
            (answer[0] - 1, *answer[1:]),
            (answer[0], answer[1] - 1, *answer[2:]),
        ]
        answer_text = format_tuple(answer)
        base = determinant(matrix)
        steps = [f"The determinant of the coefficients is ${format_number(base)} \\neq 0$."]
        for column, name in enumerate(names):
            replaced = [
                [rhs[i] if j == column else entry for j, entry in enumerate(row)]
                for i, row in enumerate(matrix)
            ]
            numerator = determinant(replaced)
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
            distractors=pick_distractors(answer, mistakes, format_tuple, fallbacks),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"matrix": matrix, "rhs": rhs},
        )
