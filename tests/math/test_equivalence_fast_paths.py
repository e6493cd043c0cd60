"""The plain-answer fast path of ``check_equivalence`` gives the verdicts of the full path."""

from __future__ import annotations

import random

import pytest

from score_envs.math import equivalence
from score_envs.math.equivalence import check_equivalence


@pytest.mark.parametrize(
    ("predicted", "reference", "verdict"),
    [
        ("007", "7", True),
        ("0.75", "\\frac{3}{4}", True),
        ("-\\dfrac{6}{8}", "-0.75", True),
        ("2\\sqrt{2}", "\\sqrt{8}", True),
        ("-\\sqrt{4}", "-2", True),
        ("\\sqrt{4}", "-2", False),
        ("36\\sqrt{3}", "6\\sqrt{3}", False),
        ("5, 3", "3, 5", True),
        ("-5, -3", "3, 5", False),
        ("\\frac{1}{2}, 4", "0.5, 4, 4", True),
    ],
)
def test_plain_answers_get_their_exact_verdict(predicted, reference, verdict):
    expected = (verdict, "equivalent" if verdict else "not_equivalent")
    assert check_equivalence(predicted, reference) == expected


@pytest.mark.parametrize("text", ["\\frac{1}{0}", "1,000", "3, x", "\\sqrt{x}", "(1, 2)"])
def test_answers_outside_the_plain_forms_take_the_full_path(text):
    assert equivalence._plain_verdict(text, "1") is None


def test_fast_path_verdicts_match_the_full_path(monkeypatch):
    rng = random.Random(11)

    def item() -> str:
        number = str(rng.choice([0, 1, 2, 3, 4, 8, 9, 12, 18, 27, 72]))
        sign = rng.choice(["", "-"])
        return rng.choice(
            [
                sign + number,
                f"{sign}\\frac{{{number}}}{{{rng.choice([1, 2, 3, 4])}}}",
                f"{sign}{rng.choice(['', number])}\\sqrt{{{number}}}",
                f"{sign}{rng.randint(0, 9)}.{rng.randint(0, 99)}",
            ]
        )

    def answer() -> str:
        if rng.random() < 0.3:
            return ", ".join(item() for _ in range(rng.randint(2, 3)))
        return item()

    pairs = [(answer(), answer()) for _ in range(400)] + [(a, a) for a in ("1, 2", "3\\sqrt{2}")]

    def verdicts():
        equivalence._prepare.cache_clear()
        return [check_equivalence(a, b) for a, b in pairs]

    fast = verdicts()
    monkeypatch.setattr(equivalence, "_plain_verdict", lambda predicted, reference: None)
    assert verdicts() == fast
