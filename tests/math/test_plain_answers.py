"""The plain-form fast path (score_envs/math/plain_answers.py) gives the full path's verdicts."""

from __future__ import annotations

import random

import pytest

from score_envs.math import equivalence
from score_envs.math.equivalence import check_equivalence
from score_envs.math.plain_answers import plain_number, plain_polynomial, plain_verdict
from score_envs.math.procedural import family_names, procedural_task

SEED = 11


def full_path_verdicts(monkeypatch, pairs):
    """The verdicts of ``check_equivalence`` with the fast path switched off."""
    monkeypatch.setattr(equivalence, "plain_verdict", lambda predicted, reference: None)
    equivalence._prepare.cache_clear()
    verdicts = [check_equivalence(a, b) for a, b in pairs]
    monkeypatch.undo()
    return verdicts


@pytest.mark.parametrize(
    ("predicted", "reference", "verdict"),
    [
        ("007", "7", True),
        ("0.75", "\\frac{3}{4}", True),
        ("-\\dfrac{6}{8}", "-0.75", True),
        ("2\\sqrt{2}", "\\sqrt{8}", True),
        ("-\\sqrt{4}", "-2", True),
        ("\\sqrt{4}", "-2", False),
        ("-0", "0.0", True),
        ("36\\sqrt{3}", "6\\sqrt{3}", False),
        ("5, 3", "3, 5", True),
        ("-5, -3", "3, 5", False),
        ("\\frac{1}{2}, 4", "0.5, 4, 4", True),
        ("3", "3, 3", True),
        ("-3", "-3, 3", False),
        ("(2, 3)", "(2, 3.0)", True),
        ("(2, 3)", "(3, 2)", False),
        ("(1, 2, 3)", "(1, 2)", False),
        ("(-\\frac{11}{27}, 4)", "(-\\frac{22}{54}, 2\\sqrt{4})", True),
        ("12x^2-28x+15", "12x^2 - 28x + 15", True),
        ("15 - 28x + 12x^2", "12x^2 - 28x + 15", True),
        ("12x^2 - 10x + 15", "12x^2 - 28x + 15", False),
        ("x^{2} + x - x", "x^2", True),
        ("x^1", "x", True),
        ("3y", "3x", False),
        ("x - x", "y - y", True),
        ("(٣, 2)", "(3, 2)", True),  # other scripts' decimal digits, as the full path reads them
        ("３x + 1", "3x + 1", True),
    ],
)
def test_plain_answers_get_their_exact_verdict(predicted, reference, verdict):
    assert plain_verdict(predicted, reference) is verdict
    expected = (verdict, "equivalent" if verdict else "not_equivalent")
    assert check_equivalence(predicted, reference) == expected


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        ("\\frac{1}{0}", "1"),
        ("1,000", "1"),
        ("3, x", "1"),
        ("\\sqrt{x}", "1"),
        ("(1, 2)", "1"),
        ("(1, 2)", "1, 2"),
        ("(1, 2]", "(1, 2)"),
        ("(3)", "3"),
        ("x^23", "x^{23}"),
        ("2x^2 3", "6x^2"),
        ("+x", "x"),
        ("2xy", "2yx"),
        ("x^2", "2\\sqrt{2}"),
        ("e^2", "x^2"),
    ],
)
def test_answers_outside_the_plain_forms_take_the_full_path(predicted, reference):
    assert plain_verdict(predicted, reference) is None


def test_a_number_is_keyed_by_its_sign_and_exact_square():
    assert plain_number("-\\frac{6}{8}") == (-1, 9, 16)
    assert plain_number("3\\sqrt{2}") == plain_number("\\sqrt{18}") == (1, 18, 1)
    assert plain_number("\\frac{3}{0}") is None


def test_a_polynomial_is_keyed_by_its_collected_nonzero_terms():
    assert plain_polynomial("2x^2 - x + 3 - x^{2}") == {("x", 2, 1), ("x", 1, -1), ("", 0, 3)}
    assert plain_polynomial("x - x") == frozenset()
    assert plain_polynomial("x^{123}") is None


def _random_number(rng: random.Random) -> str:
    number = str(rng.choice([0, 1, 2, 3, 4, 8, 9, 12, 18, 27, 72]))
    sign = rng.choice(["", "-"])
    return rng.choice(
        [
            sign + number,
            f"{sign}\\frac{{{number}}}{{{rng.choice([1, 2, 3, 4])}}}",
            f"{sign}{rng.choice(['', number])}\\sqrt{{{number}}}",
            f"{sign}{rng.randint(0, 9)}.{rng.choice(['0', '5', '25', '50'])}",
        ]
    )


def _random_polynomial(rng: random.Random) -> str:
    terms = []
    for index in range(rng.randint(1, 4)):
        coefficient = rng.choice(["", "", "1", "2", "3", "0", "12"])
        letter = rng.choice(["x", "x", "y", ""]) or ("" if coefficient else "x")
        power = rng.choice(["", "", "^2", "^3", "^{2}", "^{12}", "^1"]) if letter else ""
        sign = rng.choice(["", "-"]) if index == 0 else rng.choice([" + ", " - ", "+", "-"])
        terms.append(sign + coefficient + letter + power)
    return "".join(terms)


def _random_answer(rng: random.Random, shape: float) -> str:
    if shape < 0.3:
        return _random_number(rng)
    if shape < 0.45:
        return ", ".join(_random_number(rng) for _ in range(rng.randint(1, 3)))
    if shape < 0.6:
        return "(" + ", ".join(_random_number(rng) for _ in range(rng.randint(2, 3))) + ")"
    return _random_polynomial(rng)


def test_fast_path_verdicts_match_the_full_path_on_random_answers(monkeypatch):
    rng = random.Random(SEED)
    pairs = []
    for _ in range(500):
        shape = rng.random()  # mostly two answers of the same shape, sometimes of two shapes
        other = shape if rng.random() < 0.8 else rng.random()
        pairs.append((_random_answer(rng, shape), _random_answer(rng, other)))
    # Near copies, so that equal values in different forms are well represented.
    pairs += [(a, a.replace(" ", "").replace("\\frac", "\\dfrac")) for a, _ in pairs[:150]]
    decided = sum(plain_verdict(a, b) is not None for a, b in pairs)
    equivalence._prepare.cache_clear()
    fast = [check_equivalence(a, b) for a, b in pairs]
    assert decided > len(pairs) // 2  # the comparison exercises the fast path, not only the full
    assert fast == full_path_verdicts(monkeypatch, pairs)


def test_fast_path_verdicts_match_the_full_path_on_every_family(monkeypatch):
    pairs = []
    for family in family_names():
        for level in (1, 3, 5):
            for seed in range(4):
                task = procedural_task(family, level, seed)
                answer = task.answer
                pairs += [(wrong, answer) for wrong in task.metadata["distractors"]]
                pairs += [(answer.replace(" ", ""), answer), (answer.replace("x", "y"), answer)]
    fast = [check_equivalence(a, b) for a, b in pairs]
    assert fast == full_path_verdicts(monkeypatch, pairs)
