"""Arithmetic and geometric sequences: n-th terms and sums of the first n terms."""

from __future__ import annotations

import random
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

# level -> (kind, range of n)
LEVELS: dict[int, tuple[str, tuple[int, int]]] = {
    1: ("arithmetic_term", (5, 15)),
    2: ("arithmetic_sum", (10, 20)),
    3: ("geometric_term", (15, 22)),
    4: ("geometric_sum", (20, 30)),
    5: ("arithmetic_sum_from_two_terms", (30, 80)),
}


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd`` ...

    Example:
        >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)]
        ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def arithmetic_sum(first: Number, difference: Number, n: int) -> Number:
    """``first + (first + d) + ... + (first + (n - 1) d)``, exactly.

    An int for whole-number terms (int arithmetic, the common case), else a Fraction.

    Example:
        >>> arithmetic_sum(1, 1, 100), arithmetic_sum(Fraction(1, 2), 1, 3)
        (5050, Fraction(9, 2))
    """
    twice = n * (2 * first + (n - 1) * difference)
    if type(twice) is int:
        return exact_ratio(twice, 2)
    return Fraction(twice) / 2


def geometric_sum(first: int, ratio: int, n: int) -> int:
    """``first * (1 + r + ... + r^(n - 1))`` for an integer ratio ``r != 1``.

    Example:
        >>> geometric_sum(3, 2, 4)
        45
    """
    return first * (ratio**n - 1) // (ratio - 1)


class Sequences(MathFamily):
    """Terms and partial sums of arithmetic and geometric sequences.

    Difficulty (measurable: ``n``, the index of the term or the number of terms summed, comes
    from a range that moves up, and each level asks a different kind of question):

    =====  ===================================================  ========
    level  question                                             n
    =====  ===================================================  ========
    1      the n-th term of an arithmetic sequence              5..15
    2      the sum of the first n terms, arithmetic             10..20
    3      the n-th term of a geometric sequence (ratio 2, 3,   15..22
           -2 or -3)
    4      the sum of the first n terms, geometric (ratio 2,    20..30
           3 or -2)
    5      the sum of the first n terms of an arithmetic        30..80
           sequence given two of its terms (not consecutive)
    =====  ===================================================  ========

    Distractors: ``n`` off by one either way, the ``/2`` of the sum formula forgotten, the first
    term forgotten, the ratio treated as a difference, the n-th term given instead of the sum.

    Example:
        >>> Sequences().generate(random.Random(0), 1).params["kind"]
        'arithmetic_term'
    """

    name = "sequence"
    description = "n-th terms and partial sums of arithmetic and geometric sequences."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        kind, (n_low, n_high) = LEVELS[difficulty]
        n = rng.randint(n_low, n_high)
        if kind.startswith("geometric"):
            first = rng.randint(1, 5) * rng.choice((1, -1))
            ratio = rng.choice((2, 3, -2, -3) if kind == "geometric_term" else (2, 3, -2))
            return self._geometric(kind, first, ratio, n)
        first = rng.randint(-20, 20)
        difference = rng.randint(1, 9) * rng.choice((1, -1))
        if kind == "arithmetic_sum_from_two_terms":
            p = rng.randint(2, 6)
            q = rng.randint(p + 2, 12)
            return self._from_two_terms(first, difference, p, q, n)
        return self._arithmetic(kind, first, difference, n)

    def _arithmetic(self, kind: str, first: int, difference: int, n: int) -> Problem:
        shown = ", ".join(str(first + i * difference) for i in range(4))
        nth = first + (n - 1) * difference
        if kind == "arithmetic_term":
            answer: Number = nth
            mistakes = [first + n * difference, first + (n - 2) * difference, n * difference]
            question = (
                f"The arithmetic sequence ${shown}, \\ldots$ continues. "
                f"What is its {ordinal(n)} term?"
            )
            steps = [
                f"The common difference is ${difference}$, so the {ordinal(n)} term is "
                f"${first} + ({n} - 1) \\cdot {_paren(difference)} = {nth}$."
            ]
        else:
            answer = arithmetic_sum(first, difference, n)
            mistakes = [
                2 * answer,
                arithmetic_sum(first, difference, n - 1),
                arithmetic_sum(first, difference, n + 1),
                n * nth,
            ]
            question = (
                f"What is the sum of the first ${n}$ terms of the arithmetic sequence "
                f"${shown}, \\ldots$?"
            )
            steps = [
                f"The {ordinal(n)} term is "
                f"${first} + {n - 1} \\cdot {_paren(difference)} = {nth}$.",
                f"The sum is $\\frac{{{n}({first} + {_paren(nth)})}}{{2}} = "
                f"{format_number(answer)}$.",
            ]
        params = {"kind": kind, "n": n, "first": first, "difference": difference}
        return self._problem(question, answer, mistakes, steps, params)

    def _geometric(self, kind: str, first: int, ratio: int, n: int) -> Problem:
        shown = ", ".join(str(first * ratio**i) for i in range(4))
        nth = first * ratio ** (n - 1)
        if kind == "geometric_term":
            answer = nth
            mistakes = [
                first * ratio**n,
                first * ratio ** (n - 2),
                -nth,
                first + (n - 1) * ratio,  # the ratio used as a difference
            ]
            question = (
                f"The geometric sequence ${shown}, \\ldots$ continues. "
                f"What is its {ordinal(n)} term?"
            )
            steps = [
                f"The common ratio is ${ratio}$, so the {ordinal(n)} term is "
                f"${first} \\cdot {_paren(ratio)}^{{{n - 1}}} = {nth}$."
            ]
        else:
            answer = geometric_sum(first, ratio, n)
            mistakes = [
                geometric_sum(first, ratio, n + 1),
                geometric_sum(first, ratio, n - 1),
                nth,
                first * (ratio**n - 1),  # forgot to divide by r - 1
            ]
            question = (
                f"What is the sum of the first ${n}$ terms of the geometric sequence "
                f"${shown}, \\ldots$?"
            )
            steps = [
                f"With first term ${first}$ and ratio ${ratio}$, the sum is "
                f"${first} \\cdot \\frac{{{_paren(ratio)}^{{{n}}} - 1}}{{{ratio} - 1}} = {answer}$."
            ]
        params = {"kind": kind, "n": n, "first": first, "ratio": ratio}
        return self._problem(question, answer, mistakes, steps, params)

    def _from_two_terms(self, first: int, difference: int, p: int, q: int, n: int) -> Problem:
        term_p, term_q = first + (p - 1) * difference, first + (q - 1) * difference
        answer = arithmetic_sum(first, difference, n)
        wrong_difference = exact_ratio(term_q - term_p, q - p + 1)  # counted terms, not gaps
        wrong_first = term_p - (p - 1) * wrong_difference
        mistakes = [
            arithmetic_sum(wrong_first, wrong_difference, n),
            2 * answer,
            arithmetic_sum(first, difference, n - 1),
            arithmetic_sum(term_p, difference, n),  # started the sum at the p-th term
        ]
        question = (
            f"In an arithmetic sequence the {ordinal(p)} term is ${term_p}$ and the "
            f"{ordinal(q)} term is ${term_q}$. What is the sum of the first ${n}$ terms?"
        )
        nth = first + (n - 1) * difference
        steps = [
            f"The difference is "
            f"$\\frac{{{term_q} - {_paren(term_p)}}}{{{q} - {p}}} = {difference}$, "
            f"so the first term is ${term_p} - {p - 1} \\cdot {_paren(difference)} = {first}$.",
            f"The {ordinal(n)} term is ${nth}$ and the sum is "
            f"$\\frac{{{n}({first} + {_paren(nth)})}}{{2}} = {format_number(answer)}$.",
        ]
        params = {
            "kind": "arithmetic_sum_from_two_terms",
            "n": n,
            "first": first,
            "difference": difference,
            "known_terms": [[p, term_p], [q, term_q]],
        }
        return self._problem(question, answer, mistakes, steps, params)

    @staticmethod
    def _problem(
        question: str, answer: Number, mistakes: list[Number], steps: list[str], params: dict
    ) -> Problem:
        answer_text = format_number(answer)
        return Problem(
            question=question,
            answer=answer_text,
            distractors=pick_distractors(answer, mistakes, format_number, number_fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params=params,
        )


def _paren(value: int) -> str:
    """Negative numbers in parentheses inside products: ``3 \\cdot (-2)``."""
    return f"({value})" if value < 0 else str(value)
