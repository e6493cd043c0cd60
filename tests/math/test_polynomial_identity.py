"""The exact polynomial tier: expansions decide equality, and anything else is left alone."""

from __future__ import annotations

import random

import pytest

from score_envs.math import equivalence
from score_envs.math.parsing import parse_answer
from score_envs.math.polynomial_identity import (
    MAX_DEGREE,
    MAX_POWER,
    expand_polynomial,
    polynomial_identity,
)


def node(text: str):
    return parse_answer(text).node


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("(x+1)^2", "x^2 + 2x + 1"),
        ("(x-2)(x+3)", "x^2 + x - 6"),
        ("\\frac{x}{2} + \\frac{x}{2}", "x"),
        ("(x+y)^3", "x^3 + 3x^2y + 3xy^2 + y^3"),
        ("2^{3}x", "8x"),
    ],
)
def test_equal_polynomials_are_identical(first, second):
    assert polynomial_identity(node(first), node(second)) is True


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("(x+1)^2", "x^2 + 1"),
        ("x^3 - 10x + 24", "x^3 + 4x^2 - 10x + 24"),
        ("xy", "yx + 1"),
        ("(x-1)(x-2)(x-3)(x-4) + 5", "5"),  # vanishes at crafted points, not identically
    ],
)
def test_different_polynomials_are_not_identical(first, second):
    assert polynomial_identity(node(first), node(second)) is False


@pytest.mark.parametrize(
    "text",
    [
        "\\sqrt{x}",
        "\\sin x",
        "\\pi x",
        "\\frac{1}{x}",
        "x^{-1}",
        "x^{\\frac{1}{2}}",
        "\\frac{x}{0}",
    ],
)
def test_non_polynomials_are_left_to_the_numeric_test(text):
    assert expand_polynomial(node(text)) is None
    assert polynomial_identity(node(text), node("x")) is None


def test_a_power_of_a_sum_above_the_cap_is_left_to_the_numeric_test():
    assert expand_polynomial(node(f"(x^2+x)^{{{MAX_POWER + 1}}}")) is None
    assert expand_polynomial(node(f"(x^2+x)^{{{MAX_POWER // 4}}}")) is not None


def test_a_monomial_takes_any_power_within_the_degree_cap():
    assert expand_polynomial(node(f"(2x)^{{{MAX_POWER + 1}}}")) is not None
    assert expand_polynomial(node(f"x^{{{MAX_DEGREE + 1}}}")) is None


def test_an_expansion_beyond_the_work_cap_gives_up():
    assert expand_polynomial(node("(x+y+z+w)^{20}")) is None


def test_check_equivalence_gives_the_same_verdicts_with_and_without_the_tier(monkeypatch):
    rng = random.Random(7)

    def expression(depth: int = 0) -> str:
        if depth > 2 or rng.random() < 0.3:
            return rng.choice(["x", "y", "2", "-3", "\\frac{1}{2}", "0"])
        pick = rng.randrange(4)
        if pick == 0:
            return f"({expression(depth + 1)})^{{{rng.randint(0, 3)}}}"
        operator = "+" if pick == 1 else "-" if pick == 2 else ""
        return f"({expression(depth + 1)}){operator}({expression(depth + 1)})"

    pairs = []
    for _ in range(150):
        first = expression()
        pairs.append((first, rng.choice([expression(), f"({first})(1)", f"{first} + 0"])))

    def verdicts():
        equivalence._prepare.cache_clear()
        return [equivalence.check_equivalence(a, b) for a, b in pairs]

    with_tier = verdicts()
    monkeypatch.setattr(equivalence, "polynomial_identity", lambda first, second: None)
    assert verdicts() == with_tier
    assert any(verdict for verdict, _ in with_tier) and not all(v for v, _ in with_tier)
