"""Arithmetic with fractions: common denominators, reciprocals, reducing the result."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    format_number,
    number_fallbacks,
    pick_distractors,
)

# level -> (number of operands, largest denominator, allowed operations)
LEVELS: dict[int, tuple[int, int, tuple[str, ...]]] = {
    1: (2, 6, ("+", "-")),
    2: (2, 9, ("+", "-", "*", "/")),
    3: (2, 12, ("+", "-", "*", "/")),
    4: (3, 15, ("+", "-", "*", "/")),
    5: (3, 20, ("+", "-", "*", "/")),
}

SYMBOLS = {"+": "+", "-": "-", "*": "\\times", "/": "\\div"}


def _apply(operation: str, x: Fraction, y: Fraction) -> Fraction:
    if operation == "+":
        return x + y
    if operation == "-":
        return x - y
    if operation == "*":
        return x * y
    return x / y


def operation_mistakes(operation: str, x: Fraction, y: Fraction) -> list[Fraction | None]:
    """Wrong results of ``x op y`` that students actually produce, most common first.

    Example:
        >>> [str(v) for v in operation_mistakes("+", Fraction(1, 2), Fraction(1, 3))]
        ['2/5', '1/3', '1/6']
    """
    p, q, r, s = x.numerator, x.denominator, y.numerator, y.denominator
    if operation == "+":
        # added numerators and denominators; multiplied the denominators only; subtracted
        return [Fraction(p + r, q + s), Fraction(p + r, q * s), x - y]
    if operation == "-":
        return [
            Fraction(p - r, q - s) if q != s else None,
            y - x,  # subtracted in the wrong order
            Fraction(p - r, q * s),
            x + y,
        ]
    if operation == "*":
        return [x / y, Fraction(p * r, q), x + y]  # cross-multiplied; lost one denominator
    return [x * y, y / x, Fraction(p * s, q)]  # did not invert; inverted the wrong one


def _ignoring_parentheses(ops: list[str], x: Fraction, y: Fraction, z: Fraction) -> Fraction | None:
    """``x op0 (y op1 z)``: the parentheses ignored (None when that divides by zero)."""
    right = _apply(ops[1], y, z)
    if ops[0] == "/" and right == 0:
        return None
    return _apply(ops[0], x, right)


def _explain(operation: str, x: Fraction, y: Fraction) -> str:
    result = _apply(operation, x, y)
    fx, fy, fr = format_number(x), format_number(y), format_number(result)
    if operation in "+-":
        common = math.lcm(x.denominator, y.denominator)
        nx = x.numerator * (common // x.denominator)
        ny = y.numerator * (common // y.denominator)
        combined = nx + ny if operation == "+" else nx - ny
        unreduced = f"\\frac{{{combined}}}{{{common}}}"
        reduced = "" if unreduced == fr else f" = {fr}"
        return (
            f"With the common denominator ${common}$: ${fx} {operation} {fy} = "
            f"\\frac{{{nx}}}{{{common}}} {operation} \\frac{{{ny}}}{{{common}}} = "
            f"{unreduced}{reduced}$."
        )
    if operation == "*":
        return f"Multiply numerators and denominators and reduce: ${fx} \\times {fy} = {fr}$."
    return (
        f"Dividing is multiplying by the reciprocal: ${fx} \\div {fy} = "
        f"{fx} \\times {format_number(1 / y)} = {fr}$."
    )


class Fractions(MathFamily):
    """``x op y`` (or ``(x op y) op z``) on proper fractions; the answer is reduced.

    Difficulty (measurable: the largest possible denominator, and the number of operands):

    =====  ========  =================  ===========================
    level  operands  denominators in    operations
    =====  ========  =================  ===========================
    1      2         2..6               ``+ -``
    2      2         2..9               ``+ - * /``
    3      2         2..12              ``+ - * /``
    4      3         2..15              ``+ - * /`` (parenthesised)
    5      3         2..20              ``+ - * /`` (parenthesised)
    =====  ========  =================  ===========================

    Distractors: adding numerators and denominators, multiplying denominators only, subtracting
    in the wrong order, dividing without inverting, inverting the wrong fraction, ignoring the
    parentheses.

    Example:
        >>> problem = Fractions().generate(random.Random(1), 1)
        >>> problem.params["operations"][0] in ("+", "-")
        True
    """

    name = "fractions"
    description = "Add, subtract, multiply and divide fractions; answer in lowest terms."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        count, max_denominator, operations = LEVELS[difficulty]
        while True:  # redraw the rare degenerate case (an intermediate zero divisor)
            fractions_ = [self._proper_fraction(rng, max_denominator) for _ in range(count)]
            ops = [rng.choice(operations) for _ in range(count - 1)]
            if count == 2 or _apply(ops[0], fractions_[0], fractions_[1]) != 0:
                break
        if count == 2:
            x, y = fractions_
            answer = _apply(ops[0], x, y)
            mistakes = operation_mistakes(ops[0], x, y)
            expression = f"{format_number(x)} {SYMBOLS[ops[0]]} {format_number(y)}"
            steps = _explain(ops[0], x, y)
        else:
            x, y, z = fractions_
            inner = _apply(ops[0], x, y)
            answer = _apply(ops[1], inner, z)
            first_mistake = operation_mistakes(ops[0], x, y)[0]
            mistakes = [
                _apply(ops[1], first_mistake, z) if first_mistake is not None else None,
                *operation_mistakes(ops[1], inner, z),
                _ignoring_parentheses(ops, x, y, z),
            ]
            expression = (
                f"\\left({format_number(x)} {SYMBOLS[ops[0]]} {format_number(y)}\\right) "
                f"{SYMBOLS[ops[1]]} {format_number(z)}"
            )
            steps = (
                "First the parentheses. "
                + _explain(ops[0], x, y)
                + "\nThen: "
                + _explain(ops[1], inner, z)
            )
        answer_text = format_number(answer)
        return Problem(
            question=f"Compute ${expression}$. Give the answer in lowest terms.",
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_number, number_fallbacks(answer)),
            solution=steps + "\n" + final_answer_sentence(answer_text),
            params={
                "fractions": [[f.numerator, f.denominator] for f in fractions_],
                "operations": ops,
            },
        )

    @staticmethod
    def _proper_fraction(rng: random.Random, max_denominator: int) -> Fraction:
        denominator = rng.randint(2, max_denominator)
        return Fraction(rng.choice(_COPRIME_NUMERATORS[denominator]), denominator)


_COPRIME_NUMERATORS: dict[int, tuple[int, ...]] = {
    denominator: tuple(n for n in range(1, denominator) if math.gcd(n, denominator) == 1)
    for denominator in range(2, max(bound for _, bound, _ in LEVELS.values()) + 1)
}
"""The numerators of the proper fractions in lowest terms, by denominator, in ascending order."""
