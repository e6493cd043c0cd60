"""One linear equation in one unknown, from ``ax + b = c`` to parentheses on both sides."""

from __future__ import annotations

import random

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    exact_ratio,
    final_answer_sentence,
    format_number,
    format_terms,
    number_fallbacks,
    pick_distractors,
)

# level -> largest |coefficient of x| drawn
COEFFICIENT_BOUND = {1: 5, 2: 9, 3: 12, 4: 15, 5: 20}


def _nonzero(rng: random.Random, low: int, high: int) -> int:
    """A value with magnitude in ``low..high`` and a random sign."""
    return rng.randint(low, high) * rng.choice((1, -1))


def _linear(coefficient: int, constant: int) -> str:
    return format_terms([(coefficient, "x"), (constant, "")])


class LinearEquation(MathFamily):
    """Solve a linear equation for ``x``; the answer is an integer or a reduced fraction.

    Difficulty (measurable: the largest ``|coefficient of x|`` allowed, 5/9/12/15/20, and the
    number of ``x`` terms, 1/1/2/2/2):

    =====  ================================  ===========================
    level  form                              solution
    =====  ================================  ===========================
    1      ``ax + b = c``, a in 2..5         integer
    2      ``ax + b = c``, abs(a) in 2..9    rational
    3      ``ax + b = cx + d``               rational
    4      ``a(x + b) = cx + d``             rational
    5      ``a(x + b) + e = c(x + d)``       rational
    =====  ================================  ===========================

    Distractors: moving a constant without changing its sign, the same for the ``x`` term,
    dividing the wrong way round, forgetting to divide, not distributing over the parentheses,
    the opposite sign.

    Example:
        >>> LinearEquation().generate(random.Random(3), 1).question.startswith("Solve for $x$")
        True
    """

    name = "linear_equation"
    description = "Solve a linear equation in one unknown."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        bound = COEFFICIENT_BOUND[difficulty]
        e = 0
        while True:  # redraw until the x terms do not cancel
            if difficulty <= 2:
                c = 0
                if difficulty == 1:
                    a, b = rng.randint(2, bound), _nonzero(rng, 1, 10)
                    d = a * rng.randint(-10, 10) + b  # an integer solution
                else:
                    a, b, d = _nonzero(rng, 2, bound), _nonzero(rng, 1, 20), rng.randint(-20, 20)
                left, right = _linear(a, b), str(d)
            else:
                a, c, b = _nonzero(rng, 2, bound), _nonzero(rng, 2, bound), _nonzero(rng, 1, bound)
                if difficulty == 3:
                    d = rng.randint(-2 * bound, 2 * bound)
                    left, right = _linear(a, b), _linear(c, d)
                elif difficulty == 4:
                    d = rng.randint(-2 * bound, 2 * bound)
                    left, right = f"{a}({_linear(1, b)})", _linear(c, d)
                else:
                    d, e = _nonzero(rng, 1, bound), _nonzero(rng, 1, bound)
                    left = f"{a}({_linear(1, b)}) {'+' if e > 0 else '-'} {abs(e)}"
                    right = f"{c}({_linear(1, d)})"
            if a != c:
                break
        # The expanded equation: x_left * x + const_left = x_right * x + const_right.
        x_left, x_right = a, c
        const_left = a * b + e if difficulty >= 4 else b
        const_right = c * d if difficulty == 5 else d
        x_net, const_net = x_left - x_right, const_right - const_left
        answer = exact_ratio(const_net, x_net)
        mistakes = [
            exact_ratio(const_right + const_left, x_net),  # a constant moved without its sign
            exact_ratio(const_net, x_left + x_right) if x_left + x_right != 0 else None,
            exact_ratio(x_net, const_net) if const_net != 0 else None,  # divided the wrong way
            # not distributed: a(x + b) + e read as ax + b + e, c(x + d) as cx + d
            exact_ratio(d - (b + e), x_net) if difficulty >= 4 else None,
            const_net,  # forgot to divide
            -answer,
        ]
        answer_text = format_number(answer)
        steps = []
        if difficulty >= 4:
            expanded_left = _linear(x_left, const_left)
            expanded_right = _linear(x_right, const_right)
            steps.append(f"Expand: ${expanded_left} = {expanded_right}$.")
        steps.append(
            f"Collect the $x$ terms on the left and the constants on the right: "
            f"${format_terms([(x_net, 'x')])} = {const_net}$."
        )
        steps.append(f"Divide by ${x_net}$: $x = {answer_text}$.")
        steps.append(final_answer_sentence(answer_text))
        return Problem(
            question=f"Solve for $x$: ${left} = {right}$.",
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_number, number_fallbacks(answer)),
            solution="\n".join(steps),
            params={
                "form": difficulty,
                "coefficients": {"a": a, "b": b, "c": c, "d": d, "e": e},
                "x_coefficients": [a] if c == 0 else [a, c],
            },
        )
