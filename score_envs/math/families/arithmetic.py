"""Multi-digit integer addition, subtraction and multiplication, the school algorithms."""

from __future__ import annotations

import random

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    format_number,
    number_fallbacks,
    pick_distractors,
)

OPERATIONS = ("+", "-", "*")


def _random_with_digits(rng: random.Random, digits: int) -> int:
    return rng.randint(10 ** (digits - 1), 10**digits - 1)


def _digits(value: int) -> list[int]:
    """Decimal digits of ``abs(value)``, least significant first."""
    return [int(c) for c in reversed(str(abs(value)))]


def add_without_carry(a: int, b: int) -> int:
    """Column sums mod 10: the answer of someone who forgets every carry (a, b >= 0).

    Example:
        >>> add_without_carry(58, 67)
        15
    """
    da, db = _digits(a), _digits(b)
    width = max(len(da), len(db))
    da += [0] * (width - len(da))
    db += [0] * (width - len(db))
    return sum(((x + y) % 10) * 10**i for i, (x, y) in enumerate(zip(da, db, strict=True)))


def subtract_without_borrow(a: int, b: int) -> int:
    """Column-wise ``|digit_a - digit_b|``: the "smaller from larger" mistake (a >= b >= 0).

    Example:
        >>> subtract_without_borrow(52, 38)
        26
    """
    da, db = _digits(a), _digits(b)
    db += [0] * (len(da) - len(db))
    return sum(abs(x - y) * 10**i for i, (x, y) in enumerate(zip(da, db, strict=True)))


def multiply_without_shift(a: int, b: int) -> int:
    """The sum of the partial products ``a * digit`` with the place-value shift forgotten.

    Example:
        >>> multiply_without_shift(12, 34)
        84
    """
    return sum(a * d for d in _digits(b))


class Arithmetic(MathFamily):
    """Multi-digit ``a + b``, ``a - b`` or ``a * b`` over the integers.

    Difficulty (measurable: the digit count of the larger operand is exactly ``difficulty + 1``):

    ======  ==========================  ============================================
    level   addition / subtraction      multiplication
    ======  ==========================  ============================================
    1       2-digit op 1..2-digit       2-digit x 1-digit
    2       3-digit op 2..3-digit       3-digit x 2-digit
    3       4-digit op 3..4-digit       4-digit x 2-digit
    4       5-digit op 4..5-digit       5-digit x 3-digit
    5       6-digit op 5..6-digit       6-digit x 3-digit
    ======  ==========================  ============================================

    Subtraction results are non-negative at levels 1-2 and may be negative from level 3 on.
    Distractors: forgotten carries/borrows, partial products not shifted, the sign flipped, one
    copy of a factor too few, a carry added to the wrong column (off by ten).

    Example:
        >>> problem = Arithmetic().generate(random.Random(0), 2)
        >>> problem.params["operation"] in OPERATIONS
        True
    """

    name = "arithmetic"
    description = "Multi-digit integer addition, subtraction and multiplication."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        operation = rng.choice(OPERATIONS)
        long_digits = difficulty + 1
        if operation == "*":
            short_digits = (difficulty + 2) // 2
            a = _random_with_digits(rng, long_digits)
            b = _random_with_digits(rng, short_digits)
        else:
            a = _random_with_digits(rng, long_digits)
            b = _random_with_digits(rng, rng.choice((long_digits - 1, long_digits)))
            if operation == "-":
                a, b = max(a, b), min(a, b)
                if difficulty >= 3 and rng.randrange(2):
                    a, b = b, a  # a negative result from level 3 on
        if operation == "+":
            return self._addition(a, b)
        if operation == "-":
            return self._subtraction(a, b)
        return self._multiplication(a, b)

    def _addition(self, a: int, b: int) -> Problem:
        answer = a + b
        mistakes = [add_without_carry(a, b), answer - 10, answer + 10, answer - 1]
        solution = (
            f"Add column by column from the units digit, carrying tens: ${a} + {b} = {answer}$.\n"
            + final_answer_sentence(str(answer))
        )
        return self._problem(a, b, "+", answer, mistakes, solution)

    def _subtraction(self, a: int, b: int) -> Problem:
        answer = a - b
        big, small = max(a, b), min(a, b)
        magnitude = big - small
        no_borrow = subtract_without_borrow(big, small)
        mistakes = [
            -answer,
            no_borrow if a >= b else -no_borrow,
            answer + 10,
            answer - 10,
        ]
        steps = f"Subtract column by column, borrowing as needed: ${big} - {small} = {magnitude}$."
        if a < b:
            steps += f" Since ${a} < {b}$, the difference is negative: ${a} - {b} = {answer}$."
        solution = steps + "\n" + final_answer_sentence(str(answer))
        return self._problem(a, b, "-", answer, mistakes, solution)

    def _multiplication(self, a: int, b: int) -> Problem:
        answer = a * b
        partials = [a * d * 10**i for i, d in enumerate(_digits(b))]
        mistakes = [
            multiply_without_shift(a, b) if b >= 10 else None,
            answer - a,
            answer + 10,
            answer - 10,
        ]
        if len(partials) > 1:
            shown = " + ".join(str(p) for p in partials)
            steps = (
                f"Multiply ${a}$ by each digit of ${b}$, shifting by place value: "
                f"${shown} = {answer}$."
            )
        else:
            steps = f"Multiply digit by digit, carrying: ${a} \\times {b} = {answer}$."
        solution = steps + "\n" + final_answer_sentence(str(answer))
        return self._problem(a, b, "*", answer, mistakes, solution)

    def _problem(
        self, a: int, b: int, operation: str, answer: int, mistakes: list, solution: str
    ) -> Problem:
        symbol = "\\times" if operation == "*" else operation
        return Problem(
            question=f"Compute ${a} {symbol} {b}$.",
            answer=format_number(answer),
            distractors=pick_distractors(answer, mistakes, format_number, number_fallbacks(answer)),
            solution=solution,
            params={"operation": operation, "operands": [a, b]},
        )
