"""Tests for score_envs.math.numeric: exact and numeric evaluation under a work budget."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import pytest

from score_envs.math.numeric import (
    MAGNITUDE_BANDS,
    SAMPLE_POINTS,
    WORK_BUDGET,
    Budget,
    ExactEvaluator,
    Unsampleable,
    agree,
    comparison_seed,
    evaluate_everywhere,
    sample_points,
)
from score_envs.math.parsing import TooLarge, parse_answer

SEED = 20240917


def node(text: str):
    return parse_answer(text).node  # type: ignore[union-attr]


def exact(text: str) -> Fraction | None:
    return ExactEvaluator(Budget()).value(node(text))


def numerically_equal(first: str, second: str, seed: int = SEED) -> bool | None:
    budget = Budget()
    nodes = [node(first), node(second)]
    return agree(evaluate_everywhere(nodes, ExactEvaluator(budget), budget, seed), 0, 1)


# -- budget --------------------------------------------------------------------------------------


def test_budget_refuses_work_beyond_its_allowance():
    budget = Budget()
    budget.charge(WORK_BUDGET)
    with pytest.raises(TooLarge):
        budget.charge(1)


# -- exact evaluation ----------------------------------------------------------------------------


def test_exact_evaluation_of_rational_arithmetic():
    assert exact(r"\frac{3}{4} + 2^{-2} \cdot 3") == Fraction(3, 2)


def test_exact_root_of_a_perfect_power():
    assert exact(r"\sqrt[3]{\frac{8}{27}}") == Fraction(2, 3)


def test_irrational_root_is_not_exact():
    assert exact(r"\sqrt{2}") is None


def test_binomial_with_huge_top_and_small_bottom_is_computed():
    assert exact(r"\binom{10^{9}}{2}") == Fraction(10**9 * (10**9 - 1) // 2)


def test_binomial_whose_value_is_huge_is_refused_before_computing():
    with pytest.raises(TooLarge):
        exact(r"\binom{10^{9}}{5 \cdot 10^{8}}")


def test_binomial_with_bottom_above_top_is_zero():
    assert exact(r"\binom{3}{5}") == 0


def test_logarithm_with_base_within_float_rounding_of_one_is_left_to_the_numeric_test():
    assert exact(r"\log_{1+10^{-300}}(3)") is None


def test_exact_logarithm_of_a_power():
    assert exact(r"\log_{2}(1024)") == 10


# -- sample points -------------------------------------------------------------------------------


def test_seed_does_not_depend_on_the_order_of_the_answers():
    assert comparison_seed("x^2", "(x+1)^2") == comparison_seed("(x+1)^2", "x^2")


def test_seed_changes_when_the_answer_changes():
    assert comparison_seed("x^2 + 1", "5") != comparison_seed("x^2 + 2", "5")


def test_seed_is_the_same_in_a_process_with_another_hash_salt():
    # A hash, not Python's salted hash(): every process and machine draws the same points.
    code = "from score_envs.math.numeric import comparison_seed; print(comparison_seed('x', 'y'))"
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout
    assert int(output) == comparison_seed("x", "y")


def test_sample_points_are_deterministic_for_a_seed():
    assert sample_points(("x", "y"), 7) == sample_points(("x", "y"), 7)


def test_every_coordinate_takes_both_signs_twice():
    points = sample_points(("a", "b", "c", "d"), SEED)
    for position in range(4):
        signs = [point[position][1] < 0 for point in points]
        assert signs.count(True) == signs.count(False) == SAMPLE_POINTS // 2


def test_every_coordinate_takes_one_magnitude_from_each_band():
    points = sample_points(("x", "y", "z"), SEED)
    for position in range(3):
        magnitudes = sorted(abs(point[position][1]) for point in points)
        assert all(
            low <= value < high
            for value, (low, high) in zip(magnitudes, MAGNITUDE_BANDS, strict=True)
        )


@pytest.mark.parametrize("seed", range(20))
def test_two_variables_always_meet_every_sign_combination(seed):
    points = sample_points(("x", "y"), seed)
    combinations = {(x < 0, y < 0) for (_, x), (_, y) in points}
    assert len(combinations) == 4


# -- numeric identity testing ---------------------------------------------------------------------


def test_polynomial_identity_is_numerically_equal():
    assert numerically_equal("(x+1)^2", "x^2 + 2x + 1") is True


def test_different_polynomials_are_not_numerically_equal():
    assert numerically_equal("(x+1)^2", "x^2 + 1") is False


def test_true_zero_computed_inexactly_vanishes():
    assert numerically_equal(r"\sin(\pi) + \sqrt{2}", r"\sqrt{2}") is True


def test_cancellation_to_rounding_noise_vanishes():
    assert numerically_equal(r"\sqrt{12} - 2\sqrt{3} + 5", "5") is True


def test_difference_hidden_below_the_last_bit_is_found():
    # sin(t) - t is about -t^3/6 = 10^-301, below 2^-precision of the first pass.
    assert numerically_equal(r"\sqrt{2} + \sin(10^{-100}) - 10^{-100}", r"\sqrt{2}") is False


def test_product_of_tiny_factors_is_not_zero():
    assert numerically_equal(r"\sin(10^{-399})\sin(10^{-399})", "0") is False


def test_step_function_of_a_variable_cannot_be_sampled():
    budget = Budget()
    with pytest.raises(Unsampleable):
        evaluate_everywhere([node(r"\lceil |x|/2 \rceil")], ExactEvaluator(budget), budget, SEED)


def test_step_function_of_a_number_is_evaluated():
    assert numerically_equal(r"\lfloor \pi \rfloor + \sqrt{2}", r"3 + \sqrt{2}") is True


def test_expression_undefined_everywhere_is_inconclusive():
    assert numerically_equal(r"\frac{1}{x - x}", "5") is None
