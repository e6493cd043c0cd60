"""Counting: combinations, permutations, and arrangements of letters with repeats."""

from __future__ import annotations

import math
import random
from collections import Counter

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    number_fallbacks,
    pick_distractors,
)

# level -> (range of n, the number of objects; kinds of question)
LEVELS: dict[int, tuple[tuple[int, int], tuple[str, ...]]] = {
    1: ((4, 7), ("choose",)),
    2: ((6, 9), ("choose", "arrange")),
    3: ((8, 12), ("choose", "arrange", "letters")),
    4: ((10, 15), ("choose", "arrange", "letters")),
    5: ((12, 18), ("choose", "arrange", "letters")),
}

LETTERS = "ABCDEFGHKLMNPRST"


class Combinatorics(MathFamily):
    """Count committees ``C(n, r)``, ordered selections ``P(n, r)``, or distinct arrangements of
    a string with repeated letters ``n! / (c1! c2! ...)``.

    Difficulty (measurable: ``n``, the number of objects, is drawn from a range that moves up):

    =====  ======  ==================================
    level  n       kinds
    =====  ======  ==================================
    1      4..7    choose
    2      6..9    choose, arrange
    3      8..12   choose, arrange, letters
    4      10..15  choose, arrange, letters
    5      12..18  choose, arrange, letters
    =====  ======  ==================================

    ``r`` is in ``2..min(n - 2, 6)`` for committees and ``2..min(n - 1, 4)`` for ordered
    selections; a letter string has 2..5 distinct letters, at least one repeated.
    Distractors: order counted when it does not matter (and the reverse), ``r`` off by one,
    ``n`` off by one, repetition allowed (``n^r``), repeated letters not divided out (or only
    the largest group, or divided by the counts instead of their factorials).

    Example:
        >>> Combinatorics().generate(random.Random(0), 1).params["kind"]
        'choose'
    """

    name = "combinatorics"
    description = "Combinations, permutations and arrangements with repeated letters."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        (n_low, n_high), kinds = LEVELS[difficulty]
        n = rng.randint(n_low, n_high)
        kind = rng.choice(kinds)
        if kind == "choose":
            r = rng.randint(2, min(n - 2, 6))
            answer = math.comb(n, r)
            mistakes = [math.perm(n, r), math.comb(n, r - 1), math.comb(n - 1, r), n**r]
            question = (
                f"A club has ${n}$ members. In how many ways can a committee of ${r}$ members "
                "be chosen?"
            )
            steps = [
                f"The order of the members does not matter, so count combinations: "
                f"$\\binom{{{n}}}{{{r}}} = \\frac{{{n}!}}{{{r}! \\cdot {n - r}!}} = {answer}$."
            ]
            params = {"kind": kind, "n": n, "r": r}
        elif kind == "arrange":
            r = rng.randint(2, min(n - 1, 4))
            answer = math.perm(n, r)
            mistakes = [math.comb(n, r), n**r, math.perm(n, r - 1), math.factorial(n)]
            question = (
                f"In how many ways can ${r}$ of ${n}$ different books be placed in a row "
                "on a shelf?"
            )
            product = " \\cdot ".join(str(n - i) for i in range(r))
            steps = [f"The order matters, so count permutations: ${product} = {answer}$."]
            params = {"kind": kind, "n": n, "r": r}
        else:
            word = self._letters(rng, n)
            counts = sorted(Counter(word).values(), reverse=True)
            repeats = math.prod(math.factorial(c) for c in counts)
            answer = math.factorial(n) // repeats
            mistakes = [
                math.factorial(n),
                math.factorial(n) // math.factorial(counts[0]),
                math.factorial(n) // math.prod(counts),
            ]
            question = f"How many distinct arrangements of the letters of {word} are there?"
            repeated = [c for c in counts if c > 1]
            denominator = " \\cdot ".join(f"{c}!" for c in repeated)
            times = ", ".join(str(c) for c in repeated)
            steps = [
                f"There are ${n}$ letters; the repeated letters occur ${times}$ times, so divide "
                f"${n}!$ by their factorials: $\\frac{{{n}!}}{{{denominator}}} = {answer}$."
            ]
            params = {"kind": kind, "n": n, "word": word}
        return Problem(
            question=question,
            answer=str(answer),
            distractors=pick_distractors(answer, mistakes, str, number_fallbacks(answer)),
            solution="\n".join(steps) + "\n" + final_answer_sentence(str(answer)),
            params=params,
        )

    @staticmethod
    def _letters(rng: random.Random, length: int) -> str:
        distinct = rng.randint(2, 5)
        letters = rng.sample(LETTERS, distinct)
        counts = [1] * distinct
        for _ in range(length - distinct):
            counts[rng.randrange(distinct)] += 1
        pool = [letter for letter, count in zip(letters, counts, strict=True) for _ in range(count)]
        rng.shuffle(pool)
        return "".join(pool)
