"""Probabilities of dice and coin events, by counting equally likely outcomes."""

from __future__ import annotations

import collections
import functools
import itertools
import math
import random
from collections.abc import Callable
from fractions import Fraction

from score_envs.math.families.base import (
    MathFamily,
    Problem,
    final_answer_sentence,
    format_number,
    pick_distractors,
)

FACES = range(1, 7)

# one-die events: (key, description, predicate)
ONE_DIE_EVENTS: tuple[tuple[str, str, Callable[[int], bool]], ...] = (
    ("even", "an even number", lambda v: v % 2 == 0),
    ("odd", "an odd number", lambda v: v % 2 == 1),
    ("prime", "a prime number", lambda v: v in (2, 3, 5)),
    ("multiple_of_3", "a multiple of $3$", lambda v: v % 3 == 0),
)


def _dice_counts(dice: int, predicate: Callable[[int], bool]) -> tuple[int, int, int, int]:
    """``(favourable, total, favourable unordered, total unordered)`` for sums of ``dice`` dice.

    The unordered counts are the classic mistake of treating ``(2, 5)`` and ``(5, 2)`` as one
    outcome.
    """
    ordered, unordered = _sum_counts(dice)
    favourable = sum(count for total, count in ordered if predicate(total))
    favourable_unordered = sum(count for total, count in unordered if predicate(total))
    return favourable, 6**dice, favourable_unordered, sum(count for _, count in unordered)


@functools.cache
def _sum_counts(dice: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """How many ordered and unordered rolls of ``dice`` dice have each sum: ``(sum, count)``.

    The events only look at the sum, so counting by sum once per number of dice replaces
    enumerating the 216 rolls of three dice for every problem.
    """
    ordered = collections.Counter(map(sum, itertools.product(FACES, repeat=dice)))
    unordered = collections.Counter(map(sum, itertools.combinations_with_replacement(FACES, dice)))
    return tuple(sorted(ordered.items())), tuple(sorted(unordered.items()))


class Probability(MathFamily):
    """The probability of an event for fair dice or coins, as a reduced fraction.

    Difficulty (measurable: the number of equally likely outcomes, 6 / 36 / 64..128 / 216 /
    256..1024, grows strictly):

    =====  ==========================================  ===========
    level  experiment and event                        outcomes
    =====  ==========================================  ===========
    1      one die: even, odd, prime, >k, ...          6
    2      two dice: the sum equals / is at least s    36
    3      6 or 7 coins: exactly k heads               64 or 128
    4      three dice: the sum equals s                216
    5      8 to 10 coins: at least k heads             256 to 1024
    =====  ==========================================  ===========

    Every event has a probability strictly between 0 and 1.
    Distractors: the complement, the count off by one, ordered outcomes counted as unordered,
    ``>`` read as ``>=`` (and back), one arrangement of heads instead of all of them.

    Example:
        >>> Probability().generate(random.Random(0), 2).params["outcomes"]
        36
    """

    name = "probability"
    description = "Probabilities of dice and coin events as reduced fractions."

    def _generate(self, rng: random.Random, difficulty: int) -> Problem:
        if difficulty == 1:
            return self._one_die(rng)
        if difficulty in (2, 4):
            return self._dice_sum(rng, dice=difficulty // 2 + 1)
        return self._coins(rng, difficulty)

    def _one_die(self, rng: random.Random) -> Problem:
        kind = rng.randrange(len(ONE_DIE_EVENTS) + 2)
        k = None
        if kind < len(ONE_DIE_EVENTS):
            event, description, predicate = ONE_DIE_EVENTS[kind]
            mistakes_boundary = None
        elif kind == len(ONE_DIE_EVENTS):
            k = rng.randint(1, 4)
            event, description = "greater_than", f"a number greater than ${k}$"
            predicate = lambda v: v > k  # noqa: E731
            mistakes_boundary = Fraction(sum(1 for v in FACES if v >= k), 6)
        else:
            k = rng.randint(2, 5)
            event, description = "at_most", f"a number at most ${k}$"
            predicate = lambda v: v <= k  # noqa: E731
            mistakes_boundary = Fraction(sum(1 for v in FACES if v < k), 6)
        favourable = sum(1 for v in FACES if predicate(v))
        answer = Fraction(favourable, 6)
        mistakes = [1 - answer, mistakes_boundary, Fraction(favourable + 1, 6)]
        mistakes.append(Fraction(favourable - 1, 6))
        listed = ", ".join(str(v) for v in FACES if predicate(v))
        steps = [f"The favourable faces are ${listed}$: ${favourable}$ of $6$ equally likely."]
        question = (
            f"A fair six-sided die is rolled. What is the probability of rolling {description}?"
        )
        params = {"kind": "one_die", "outcomes": 6, "event": event, "k": k}
        return self._problem(question, answer, mistakes, steps, params)

    def _dice_sum(self, rng: random.Random, dice: int) -> Problem:
        low, high = dice, 6 * dice
        if dice == 2 and rng.randrange(2):
            target = rng.randint(low + 1, high)
            relation, predicate = "at least", (lambda total: total >= target)
            favourable_strict = _dice_counts(dice, lambda total: total > target)[0]
            boundary = Fraction(favourable_strict, 6**dice)
        else:
            target = rng.randint(low, high) if dice == 2 else rng.randint(low + 1, high - 1)
            relation, predicate = "equal to", (lambda total: total == target)
            boundary = None
        favourable, total, favourable_unordered, total_unordered = _dice_counts(dice, predicate)
        answer = Fraction(favourable, total)
        mistakes = [
            Fraction(favourable_unordered, total_unordered),
            1 - answer,
            boundary,
            Fraction(favourable + 1, total),
            Fraction(favourable - 1, total),
        ]
        count_word = {2: "Two", 3: "Three"}[dice]
        steps = [
            f"There are $6^{{{dice}}} = {total}$ equally likely ordered outcomes.",
            f"Counting the ordered rolls whose sum is {relation} ${target}$ gives ${favourable}$.",
        ]
        question = (
            f"{count_word} fair six-sided dice are rolled. What is the probability that the sum "
            f"of the numbers rolled is {relation} ${target}$?"
        )
        params = {
            "kind": f"{dice}_dice",
            "outcomes": total,
            "relation": relation.replace(" ", "_"),
            "target": target,
        }
        return self._problem(question, answer, mistakes, steps, params)

    def _coins(self, rng: random.Random, difficulty: int) -> Problem:
        flips = rng.randint(6, 7) if difficulty == 3 else rng.randint(8, 10)
        total = 2**flips
        if difficulty == 3:
            heads = rng.randint(1, flips - 1)
            favourable = math.comb(flips, heads)
            relation = "exactly"
            mistakes = [
                Fraction(1, total),  # one arrangement only
                Fraction(sum(math.comb(flips, j) for j in range(heads, flips + 1)), total),
                1 - Fraction(favourable, total),
                Fraction(1, flips + 1),  # the numbers of heads taken as equally likely
            ]
            steps = [
                f"Choose the positions of the heads: $\\binom{{{flips}}}{{{heads}}} = "
                f"{favourable}$ of the $2^{{{flips}}} = {total}$ equally likely sequences."
            ]
        else:
            heads = rng.randint(2, flips - 1)
            favourable = sum(math.comb(flips, j) for j in range(heads, flips + 1))
            relation = "at least"
            mistakes = [
                Fraction(math.comb(flips, heads), total),  # exactly instead of at least
                Fraction(favourable - math.comb(flips, heads), total),  # more than
                1 - Fraction(favourable, total),
                Fraction(flips - heads + 1, flips + 1),
            ]
            terms = " + ".join(f"\\binom{{{flips}}}{{{j}}}" for j in range(heads, flips + 1))
            steps = [
                f"Add the ways to get ${heads}$ or more heads: ${terms} = {favourable}$ "
                f"of the $2^{{{flips}}} = {total}$ equally likely sequences."
            ]
        answer = Fraction(favourable, total)
        question = (
            f"A fair coin is flipped ${flips}$ times. What is the probability of getting "
            f"{relation} ${heads}$ heads?"
        )
        params = {
            "kind": f"coins_{relation.replace(' ', '_')}",
            "outcomes": total,
            "flips": flips,
            "heads": heads,
        }
        return self._problem(question, answer, mistakes, steps, params)

    @staticmethod
    def _problem(
        question: str,
        answer: Fraction,
        mistakes: list[Fraction | None],
        steps: list[str],
        params: dict,
    ) -> Problem:
        answer_text = format_number(answer)
        fallbacks = (Fraction(answer.numerator + k, answer.denominator) for k in range(1, 50))
        # 0 <= m <= 1 on the int parts (the denominator is positive), without Fraction compares
        usable = [m for m in mistakes if m is not None and 0 <= m.numerator <= m.denominator]
        steps.append(f"The probability is ${answer_text}$ in lowest terms.")
        return Problem(
            question=question + " Give the answer as a fraction in lowest terms.",
            answer=answer_text,
            distractors=pick_distractors(answer, usable, format_number, fallbacks),
            solution="\n".join(steps) + "\n" + final_answer_sentence(answer_text),
            params=params,
        )
