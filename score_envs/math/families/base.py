"""What every procedural math family shares: the problem record, the family interface, answer
formatting in the verifier's canonical forms, and the exact selection of wrong answers.

Answers are computed with ``int`` and :class:`fractions.Fraction` only (never ``eval`` or floats),
so they are exact and print the same on every machine. Distractors are plausible *wrong* answers
(a dropped carry, a sign error, one root only ...): :func:`pick_distractors` compares them with the
answer as exact values before they are rendered, so a distractor can never be a disguised copy of
the answer (``\\frac{2}{4}`` for ``\\frac{1}{2}``) that a discrete view would then count as wrong.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

from score_envs.core.task import check_difficulty

MIN_DISTRACTORS = 3
"""Each problem carries at least this many distinct wrong answers (enough for a 4-way choice)."""

MAX_DISTRACTORS = 5
"""Realistic mistakes beyond this many add length to metadata and nothing to a 4-way choice."""

Number = int | Fraction
Value = TypeVar("Value", bound=Hashable)


@dataclass(frozen=True)
class Problem:
    """One generated problem.

    Attributes:
        question: The statement shown to the agent (LaTeX in ``$...$`` allowed).
        answer: The exact reference answer in the verifier's canonical form.
        distractors: 3..5 distinct plausible wrong answers, each from a named realistic mistake.
        solution: A short worked solution whose last sentence states the answer in the paper's
            "Final Answer: The final answer is $X$. I hope it is correct." form, so it can be
            used as a supervised target as is.
        params: The numbers drawn (JSON-friendly: ints, strings, lists), for traceability and
            for tests that measure what a difficulty level changes.

    Example:
        >>> Problem("What is $1 + 1$?", "2", ("1", "3", "11"), "...", {"operands": [1, 1]}).answer
        '2'
    """

    question: str
    answer: str
    distractors: tuple[str, ...]
    solution: str
    params: Mapping[str, Any] = field(default_factory=dict)


class MathFamily(ABC):
    """A procedural family: ``generate(rng, difficulty)`` is a pure function of the RNG state.

    Subclasses set ``name`` and ``description`` and implement :meth:`_generate`; every random
    draw goes through the given :class:`random.Random`, so a seed fixes the problem on every
    machine. The class docstring of each family states what each difficulty level changes, in a
    way a test can measure.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def generate(self, rng: random.Random, difficulty: int) -> Problem:
        """Draw one problem at ``difficulty`` (1..5) from ``rng``."""
        return self._generate(rng, check_difficulty(difficulty))

    @abstractmethod
    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        """Draw one problem; ``difficulty`` is already validated."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


# ---------------------------------------------------------------------------------------------
# Canonical answer formatting (the forms the math verifier accepts).


def format_number(value: Number) -> str:
    """An exact rational as ``42``, ``-7``, ``\\frac{3}{4}`` or ``-\\frac{3}{4}`` (reduced).

    Example:
        >>> format_number(Fraction(-6, 8)), format_number(Fraction(10, 5)), format_number(-7)
        ('-\\\\frac{3}{4}', '2', '-7')
    """
    if type(value) is int:  # the common case, without building a Fraction
        return str(value)
    if not isinstance(value, Fraction):
        value = Fraction(value)
    # Plain int operations on the parts: comparing a Fraction with 0 costs as much as the rest.
    numerator, denominator = value.numerator, value.denominator
    if denominator == 1:
        return str(numerator)
    if numerator < 0:
        return f"-\\frac{{{-numerator}}}{{{denominator}}}"
    return f"\\frac{{{numerator}}}{{{denominator}}}"


def exact_ratio(numerator: int, denominator: int) -> Number:
    """``numerator / denominator`` exactly: an int when it divides, else a reduced Fraction.

    Equal values compare and hash alike either way, so this is ``Fraction(numerator,
    denominator)`` for every use here, but the common whole-number case stays a cheap int.

    Example:
        >>> exact_ratio(6, -3), exact_ratio(6, 4)
        (-2, Fraction(3, 2))
    """
    if numerator % denominator == 0:
        return numerator // denominator
    return Fraction(numerator, denominator)


def format_tuple(values: Iterable[Number]) -> str:
    """An ordered tuple such as ``(\\frac{1}{2}, 3)``.

    Example:
        >>> format_tuple([2, -3])
        '(2, -3)'
    """
    return "(" + ", ".join(map(format_number, values)) + ")"


def format_root_set(roots: Iterable[Number]) -> str:
    """An unordered set of roots as a bare list sorted ascending; a double root appears once.

    Example:
        >>> format_root_set([3, Fraction(-1, 2), 3])
        '-\\\\frac{1}{2}, 3'
    """
    return ", ".join(format_number(r) for r in sorted(set(map(Fraction, roots))))


def format_terms(terms: Iterable[tuple[Number, str]]) -> str:
    """A signed sum of ``(coefficient, monomial)`` pairs; zero terms vanish, unit coefficients too.

    Example:
        >>> format_terms([(6, "x^2"), (-1, "x"), (-6, "")])
        '6x^2 - x - 6'
    """
    text = ""
    for coefficient, monomial in terms:
        if coefficient != 0:
            text = _with_term(text, coefficient, monomial)
    return text or "0"


def format_polynomial(coefficients: Sequence[Number], variable: str = "x") -> str:
    """A polynomial in standard descending order from its coefficients (highest degree first).

    Example:
        >>> format_polynomial([6, 5, -6])
        '6x^2 + 5x - 6'
    """
    text = ""
    power = len(coefficients)
    for coefficient in coefficients:
        power -= 1
        if coefficient == 0:
            continue
        # _with_term, inlined: polynomials are rendered several times per problem.
        if coefficient < 0:
            sign, magnitude = (" - " if text else "-"), -coefficient
        else:
            sign, magnitude = (" + " if text else ""), coefficient
        if power == 0:
            monomial = ""
        elif power == 1:
            monomial = variable
        else:
            monomial = f"{variable}^{power}"
        if magnitude == 1 and monomial:
            text += sign + monomial
        else:
            number = str(magnitude) if type(magnitude) is int else format_number(magnitude)
            text += sign + number + monomial
    return text or "0"


def _with_term(text: str, coefficient: Number, monomial: str) -> str:
    """``text`` (a sum so far, maybe empty) followed by one nonzero signed term."""
    negative = coefficient < 0
    magnitude = -coefficient if negative else coefficient
    body = monomial if (monomial and magnitude == 1) else format_number(magnitude) + monomial
    if text:
        return text + (" - " if negative else " + ") + body
    return "-" + body if negative else body


def simplify_sqrt(radicand: int) -> tuple[int, int]:
    """Write ``sqrt(radicand)`` as ``coefficient * sqrt(rest)`` with ``rest`` square-free.

    Example:
        >>> simplify_sqrt(72)
        (6, 2)
    """
    if radicand < 1:
        raise ValueError(f"radicand must be a positive int, got {radicand}")
    coefficient, rest, factor = 1, radicand, 2
    while factor * factor <= rest:
        while rest % (factor * factor) == 0:
            rest //= factor * factor
            coefficient *= factor
        factor += 1
    return coefficient, rest


def format_sqrt(radicand: int) -> str:
    """``sqrt(radicand)`` in simplest radical form: ``2\\sqrt{3}``, ``\\sqrt{7}`` or ``5``.

    Example:
        >>> format_sqrt(12), format_sqrt(7), format_sqrt(25)
        ('2\\\\sqrt{3}', '\\\\sqrt{7}', '5')
    """
    coefficient, rest = simplify_sqrt(radicand)
    if rest == 1:
        return str(coefficient)
    return ("" if coefficient == 1 else str(coefficient)) + f"\\sqrt{{{rest}}}"


def final_answer_sentence(answer: str) -> str:
    """The paper's closing sentence, so solutions double as supervised targets.

    Example:
        >>> final_answer_sentence("4")
        'Final Answer: The final answer is $4$. I hope it is correct.'
    """
    return f"Final Answer: The final answer is ${answer}$. I hope it is correct."


# ---------------------------------------------------------------------------------------------
# Distractors.


def pick_distractors(
    answer: Value,
    mistakes: Iterable[Value | None],
    render: Callable[[Value], str],
    fallbacks: Iterable[Value | None] = (),
) -> tuple[str, ...]:
    """Render up to :data:`MAX_DISTRACTORS` distinct wrong values, realistic mistakes first.

    Values are compared exactly (ints, Fractions, tuples of them) before rendering, so a
    candidate equal to the answer or to an earlier candidate is skipped; ``None`` marks a
    mistake that does not apply to this problem. ``fallbacks`` (consumed lazily, only if the
    realistic mistakes give fewer than :data:`MIN_DISTRACTORS`) must eventually supply enough.

    Example:
        >>> pick_distractors(4, [5, 4, None, 3, 5], str, fallbacks=[6, 7])
        ('5', '3', '6')
    """
    seen: set[Hashable] = {answer}
    chosen: list[str] = []

    def take(candidates: Iterable[Value | None], limit: int) -> None:
        for candidate in candidates:
            if len(chosen) >= limit:
                return
            if candidate is None:
                continue
            known = len(seen)
            seen.add(candidate)  # hashed once (a Fraction's hash is not cheap): new if it grew
            if len(seen) > known:
                chosen.append(render(candidate))

    take(mistakes, MAX_DISTRACTORS)
    if len(chosen) < MIN_DISTRACTORS:
        take(fallbacks, MIN_DISTRACTORS)
    if len(chosen) < MIN_DISTRACTORS:
        raise RuntimeError(f"only {len(chosen)} distractors for answer {render(answer)!r}")
    return tuple(chosen)


def number_fallbacks(answer: Number) -> Iterable[Number]:
    """Near misses of a numeric answer (off by one, by ten, sign) for :func:`pick_distractors`.

    Example:
        >>> list(number_fallbacks(5))[:4]
        [6, 4, -5, 15]
    """
    yield answer + 1
    yield answer - 1
    yield -answer
    yield answer + 10
    yield answer - 10
    yield 2 * answer + 1
