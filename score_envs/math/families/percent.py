"""Successive percentage changes of a price: a short word problem with an exact answer."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Number,
    Problem,
    exact_ratio,
    final_answer_sentence,
    format_number,
    number_fallbacks,
    pick_distractors,
)

PERCENTAGES = (10, 20, 25, 30, 40, 50)


def apply_changes(start: Number, changes: Sequence[int]) -> Number:
    """The value after each signed percentage change in turn (``+20`` = up 20%), exactly.

    An int when the start is one and the result is whole (int arithmetic, the common case),
    else a Fraction.

    Example:
        >>> apply_changes(200, [20, -25]), apply_changes(5, [10])
        (180, Fraction(11, 2))
    """
    factor, scale = math.prod(100 + change for change in changes), 100 ** len(changes)
    if type(start) is int:
        return exact_ratio(start * factor, scale)
    return Fraction(start) * factor / scale


def _describe(change: int) -> str:
    return f"{'increased' if change > 0 else 'decreased'} by ${abs(change)}\\%$"


class Percent(MathFamily):
    """A price goes through ``difficulty`` successive percentage increases or decreases.

    Difficulty (measurable: the number of successive changes equals the level, 1..5). The
    percentages come from 10, 20, 25, 30, 40, 50; the starting price is a multiple of the
    product of the changes' denominators, so every intermediate price is a whole number of
    dollars and the answer is an integer.

    Distractors: the percentages added up and applied once, the last change forgotten, the
    first change applied in the wrong direction, the net change reported instead of the price,
    the amount of a single change reported.

    Example:
        >>> len(Percent().generate(random.Random(0), 3).params["changes"])
        3
    """

    name = "percent"
    description = "Successive percentage increases and decreases of a price."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        changes = [rng.choice(PERCENTAGES) * rng.choice((1, -1)) for _ in range(difficulty)]
        # The denominator of (100 + c) / 100 in lowest terms, for each change.
        unit = math.prod(100 // math.gcd(100 + c, 100) for c in changes)
        start = unit * rng.randint(2, 20)
        answer = apply_changes(start, changes)
        mistakes = [
            apply_changes(start, [sum(changes)]) if sum(changes) > -100 else None,
            apply_changes(start, changes[:-1]),
            apply_changes(start, [-changes[0], *changes[1:]]),
            answer - start,
            exact_ratio(start * abs(changes[0]), 100),
        ]
        described = [_describe(c) for c in changes]
        if len(described) == 1:
            story = f"It is {described[0]}. What is the new price, in dollars?"
        else:
            chain = ", then ".join(described)
            story = f"It is {chain}. What is the final price, in dollars?"
        steps = []
        value: Number = start
        for count, change in enumerate(changes, start=1):
            new_value = apply_changes(start, changes[:count])
            steps.append(
                f"{_describe(change).capitalize()}: ${format_number(value)} \\cdot "
                f"\\frac{{{100 + change}}}{{100}} = {format_number(new_value)}$."
            )
            value = new_value
        answer_text = format_number(answer)
        return Problem(
            question=f"The price of an item is ${start}$ dollars. {story}",
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_number, number_fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"start": start, "changes": changes},
        )
