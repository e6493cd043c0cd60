"""Simplest radical form: ``sqrt(72) = 6 sqrt(2)``, and sums of like radicals."""

from __future__ import annotations

import random

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    format_sqrt,
    pick_distractors,
)

SQUARE_FREE = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15)

# level -> (range of the square root taken out, square-free parts allowed, terms)
LEVELS: dict[int, tuple[tuple[int, int], tuple[int, ...], int]] = {
    1: ((2, 4), (2, 3, 5, 6, 7), 1),
    2: ((3, 7), SQUARE_FREE[:7], 1),
    3: ((5, 10), SQUARE_FREE, 1),
    4: ((8, 16), SQUARE_FREE, 1),
    5: ((5, 20), SQUARE_FREE, 2),
}


class Radicals(MathFamily):
    """Write ``sqrt(n)`` (or ``sqrt(n) + sqrt(m)``) in simplest radical form ``a\\sqrt{b}``.

    Difficulty (measurable: the largest radicand grows, since both the square factor and the
    square-free part are drawn from wider ranges):

    =====  ===================  ===================  =========================
    level  square factor a^2    square-free part b   expression
    =====  ===================  ===================  =========================
    1      a in 2..4            2, 3, 5, 6, 7        ``sqrt(a^2 b)``
    2      a in 3..7            2..11 square-free    ``sqrt(a^2 b)``
    3      a in 5..10           2..15 square-free    ``sqrt(a^2 b)``
    4      a in 8..16           2..15 square-free    ``sqrt(a^2 b)``
    5      a, c in 5..20        2..15 square-free    ``sqrt(a^2 b) + sqrt(c^2 b)``
    =====  ===================  ===================  =========================

    Distractors (all different in value, never merely another way of writing the answer): the
    square factor left squared outside the root, the inside and outside swapped, the outside
    factor off by one, and for sums the radicands added under one root or the product taken.

    Example:
        >>> Radicals().generate(random.Random(0), 1).answer.count("\\\\sqrt")
        1
    """

    name = "radicals"
    description = "Simplify square roots and sums of like square roots."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        (a_low, a_high), parts, terms = LEVELS[difficulty]
        rest = rng.choice(parts)
        outside = [rng.randint(a_low, a_high)]
        while len(outside) < terms:
            candidate = rng.randint(a_low, a_high)
            if candidate not in outside:
                outside.append(candidate)
        radicands = [a * a * rest for a in outside]
        total = sum(outside)
        answer_key = total * total * rest  # the answer is sqrt(answer_key)
        # Keys of wrong answers: each stands for sqrt(key).
        mistakes = [
            total**4 * rest,  # a^2 sqrt(b): the square not rooted
            rest * rest * total,  # b sqrt(a): inside and outside swapped
            (total - 1) ** 2 * rest,
            (total + 1) ** 2 * rest,
        ]
        if terms == 2:
            mistakes = [
                sum(radicands),  # sqrt(x) + sqrt(y) = sqrt(x + y)
                (outside[0] * outside[1]) ** 2 * rest,
                total**2 * rest * 2,
                *mistakes,
            ]
        steps = []
        for coefficient, radicand in zip(outside, radicands, strict=True):
            steps.append(
                f"${radicand} = {coefficient * coefficient} \\cdot {rest}$ and "
                f"${coefficient * coefficient} = {coefficient}^2$, so "
                f"$\\sqrt{{{radicand}}} = {format_sqrt(radicand)}$."
            )
        if terms == 2:
            steps.append(
                f"Like radicals add: ${format_sqrt(radicands[0])} + {format_sqrt(radicands[1])}"
                f" = {format_sqrt(answer_key)}$."
            )
        expression = " + ".join(f"\\sqrt{{{r}}}" for r in radicands)
        answer_text = format_sqrt(answer_key)
        return Problem(
            question=f"Simplify ${expression}$ to simplest radical form.",
            answer=answer_text,
            distractors=pick_distractors(
                answer_key,
                mistakes,
                format_sqrt,
                ((total + k) ** 2 * rest for k in range(2, 50)),
            ),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params={"radicands": radicands, "outside": outside, "square_free": rest},
        )
