"""Tests for score_envs.math.equivalence: exact, structural, bounded equivalence."""

from __future__ import annotations

import threading

import pytest

from score_envs.math.equivalence import REASONS, answers_equivalent, check_equivalence


def same(predicted: str, reference: str) -> bool:
    return answers_equivalent(predicted, reference)


# -- exact rationals ---------------------------------------------------------------------------


def test_decimal_equals_fraction_exactly():
    assert same("0.25", r"\frac14")


def test_truncated_repeating_decimal_is_not_the_fraction():
    assert not same("0.3333333", r"\frac{1}{3}")


def test_many_digit_truncation_is_still_not_the_fraction():
    assert not same("0." + "3" * 60, "1/3")


def test_mixed_number_equals_improper_fraction():
    assert same(r"2\frac{1}{3}", "7/3")


def test_plain_mixed_number_equals_improper_fraction():
    assert same("2 1/3", r"\frac{7}{3}")


def test_integer_power_is_evaluated_exactly():
    assert same("2^{100}", "1267650600228229401496703205376")


def test_integer_power_off_by_one_is_detected():
    assert not same("2^{100}", "1267650600228229401496703205377")


def test_thousands_separator_equals_plain_integer():
    assert same("1,000", "1000")


def test_comma_space_is_a_list_not_a_thousands_separator():
    assert not same("1, 000", "1000")


# -- percent, units, degrees ----------------------------------------------------------------------


def test_percent_equals_the_number_without_its_sign():
    assert same(r"50\%", "50")


def test_percent_equals_its_value():
    assert same("0.5", r"50\%")


def test_without_percent_sign_a_number_is_not_its_hundredth():
    assert not same("50", "0.5")


def test_unit_on_one_side_is_ignored():
    assert same(r"5\text{ cm}", "5")


def test_different_units_are_not_equivalent():
    assert not same("5 cm", "5 m")


def test_degree_sign_is_dropped():
    assert same(r"30^\circ", "30")


# -- irrational numbers ---------------------------------------------------------------------------


def test_decimal_approximation_is_not_the_irrational_reference():
    assert not same("1.41421356", r"\sqrt{2}")


def test_fifty_digits_of_pi_are_not_pi():
    assert not same("3.14159265358979323846264338327950288419716939937510", r"\pi")


def test_tiny_perturbation_of_an_irrational_is_detected():
    assert not same(r"\pi + 10^{-100}", r"\pi")


def test_tiny_exponential_perturbation_is_detected():
    assert not same(r"\pi + e^{-500}", r"\pi")


def test_equal_radicals_in_different_forms():
    assert same(r"2\sqrt{3}", r"\sqrt{12}")


def test_rationalised_denominator():
    assert same(r"\frac{1}{1+\sqrt2}", r"\sqrt2-1")


def test_expression_that_simplifies_to_a_rational():
    assert same(r"\sin(\pi/6)", "0.5")


def test_logarithm_that_is_an_integer():
    assert same(r"\log_2 8", "3")


def test_real_cube_root_of_a_negative_number():
    assert same(r"\sqrt[3]{-8}", "-2")


def test_complex_numbers_compare_by_value():
    assert same("(1+i)^2", "2i")


# -- expressions in free symbols -----------------------------------------------------------------


def test_polynomial_identity():
    assert same("x^2+2x+1", "(x+1)^2")


def test_polynomial_that_differs_in_one_coefficient():
    assert not same("x^2+2x+1", "x^2+3x+1")


def test_renamed_variable_is_a_different_expression():
    assert not same("t^2+1", "x^2+1")


def test_square_root_of_a_square_is_not_the_variable():
    assert not same(r"\sqrt{x^2}", "x")


def test_trigonometric_identity():
    assert same(r"\sin^2 x + \cos^2 x", "1")


def test_large_polynomial_power_identity():
    assert same("(x+1)^{20}", "(1+x)^{20}")


# -- structures ----------------------------------------------------------------------------------


def test_tuple_order_matters():
    assert not same("(2, -3)", "(-3, 2)")


def test_tuple_length_matters():
    assert not same("(1, 2)", "(1, 2, 0)")


def test_set_order_does_not_matter():
    assert same("3, -2", "-2, 3")


def test_set_overlap_is_not_equality():
    assert not same("1, 2", "1, 3")


def test_subset_is_not_equality():
    assert not same("1, 2", "1, 2, 3")


def test_repeated_set_element_counts_once():
    assert same("1, 1, 2", "1, 2")


def test_one_element_set_equals_its_element():
    assert same(r"\{3\}", "3")


def test_bare_list_is_not_a_tuple():
    assert not same("2, -3", "(2, -3)")


def test_plus_minus_equals_the_two_values():
    assert same(r"1 \pm \sqrt{2}", r"1-\sqrt2, 1+\sqrt2")


def test_assignments_joined_by_or_equal_the_values():
    assert same(r"x=1 \text{ or } x=2", "2, 1")


def test_interval_closedness_matters():
    assert not same("[1, 3)", "(1, 3]")


def test_bracket_at_infinity_is_ignored():
    assert same(r"[1, \infty]", r"[1, \infty)")


def test_union_order_does_not_matter():
    assert same(r"(-\infty, 2] \cup [3, \infty)", r"[3, \infty) \cup (-\infty, 2]")


def test_inequality_equals_its_interval():
    assert same(r"x \ge 2", r"[2, \infty)")


def test_column_vector_equals_its_tuple():
    assert same(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(1, 2)")


def test_transposed_matrix_is_different():
    assert not same(
        r"\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
    )


def test_assignments_to_several_variables_equal_the_point():
    assert same("y = 3, x = 2", "(2, 3)")


def test_assignments_in_the_wrong_order_of_values_are_not_the_point():
    assert not same("x = 3, y = 2", "(2, 3)")


# -- relations -----------------------------------------------------------------------------------


def test_equations_with_proportional_sides_are_equivalent():
    assert same("y = 2x + 1", "2x - y + 1 = 0")


def test_different_lines_are_not_equivalent():
    assert not same("3x-y+13=0", "3x+4y+14=0")


def test_inequality_scaled_by_a_positive_factor():
    assert same("2x < 6", "x < 3")


def test_inequality_direction_matters():
    assert not same("x < 3", "x > 3")


def test_strictness_matters():
    assert not same(r"x \le 3", "x < 3")


def test_reversed_inequality_is_the_same():
    assert same("x < 3", "3 > x")


def test_single_variable_assignment_is_compared_by_value():
    assert same("x = 3", "3")


def test_assignment_to_a_different_variable_is_different():
    assert not same("x = 3", "y = 3")


def test_squared_equation_is_not_the_root():
    assert not same("x^2 = 4", "x = 2")


# -- text and reasons ----------------------------------------------------------------------------


def test_word_answers_ignore_case():
    assert same(r"\text{No}", "no")


def test_look_alike_letter_is_unparsable():
    assert check_equivalence("х", "x") == (False, "unparsable")  # Cyrillic ha


def test_malformed_prediction_is_unparsable():
    assert check_equivalence(r"\frac{1}", "1") == (False, "unparsable")


def test_empty_prediction_has_no_answer():
    assert check_equivalence("  ", "1") == (False, "no_answer_found")


def test_huge_power_is_too_large():
    assert check_equivalence("10^{10^{10}}", "1") == (False, "too_large")


def test_every_reason_is_a_documented_code():
    pairs = [("1", "1"), ("2", "1"), ("", "1"), ("(", "1"), ("9^{9^{9}}", "1")]
    assert {check_equivalence(p, r)[1] for p, r in pairs} <= set(REASONS)


def test_non_string_reference_is_a_caller_error():
    with pytest.raises(TypeError):
        check_equivalence("1", 1)  # type: ignore[arg-type]


def test_undefined_prediction_is_not_equivalent():
    assert check_equivalence("1/0", "1") == (False, "not_equivalent")


# -- the forms produced by the procedural task families ------------------------------------------

FAMILY_FORMS = {
    "42": ["42", "42.0", "+42", "$42$", r"\boxed{42}", "x = 42", "４２"],
    "-7": ["-7", "−7", "-7.00", "-(7)", "(-7)"],
    r"\frac{3}{4}": ["3/4", "0.75", r"\dfrac34", r"\frac{6}{8}", r"\tfrac{3}{4}", "75\\%"],
    r"-\frac{3}{4}": ["-3/4", "-0.75", r"\frac{-3}{4}", r"\frac{3}{-4}", r"-\dfrac34"],
    "0.25": [r"\frac14", "1/4", ".25", "0.250", r"25\%"],
    "(2, -3)": ["(2,-3)", r"\left(2, -3\right)", "(2.0, -3)", r"(\frac{4}{2}, -3)"],
    "-2, 3": ["3, -2", "-2,3", r"\{3, -2\}", r"x = -2 \text{ or } x = 3", "x=3, x=-2"],
    r"2\sqrt{3}": [r"\sqrt{12}", r"2\sqrt3", "2√3", r"2 \cdot \sqrt{3}", "sqrt(12)"],
    "x^2 + 2x + 1": ["(x+1)^2", "x^2+2x+1", "1 + 2x + x^2", "(x+1)(x+1)", "x²+2x+1"],
    r"\frac{1}{3}": ["1/3", r"\frac{2}{6}", r"\dfrac13"],
}


@pytest.mark.parametrize(
    ("reference", "predicted"),
    [(reference, predicted) for reference, forms in FAMILY_FORMS.items() for predicted in forms],
)
def test_task_family_answer_written_differently_is_equivalent(reference, predicted):
    assert check_equivalence(predicted, reference) == (True, "equivalent")


@pytest.mark.parametrize(
    ("reference", "predicted"),
    [(reference, predicted) for reference, forms in FAMILY_FORMS.items() for predicted in forms],
)
def test_task_family_reference_used_as_prediction_is_symmetric(reference, predicted):
    assert check_equivalence(reference, predicted) == (True, "equivalent")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (a, b)
        for index, a in enumerate(FAMILY_FORMS)
        for b in list(FAMILY_FORMS)[index + 1 :]
        if {a, b} != {"x^2 + 2x + 1", "(x+1)^2"}
    ],
)
def test_different_task_family_answers_are_not_equivalent(first, second):
    assert not same(first, second)


# -- determinism and threads ---------------------------------------------------------------------

HARD_PAIRS = [
    (r"\frac{1}{1+\sqrt2}", r"\sqrt2-1"),
    (r"\pi + 10^{-300}", r"\pi"),
    (r"\sin(10^{100})", r"\sin(10^{100})+0"),
    ("(x+y)^{5}", "x^5+5x^4y+10x^3y^2+10x^2y^3+5xy^4+y^5"),
    (r"\log_3 7", r"\frac{\ln 7}{\ln 3}"),
    (r"e^{\pi\sqrt{163}}", "262537412640768744"),
]


def test_verdicts_are_the_same_when_repeated():
    first = [check_equivalence(p, r) for p, r in HARD_PAIRS]
    assert [check_equivalence(p, r) for p, r in HARD_PAIRS] == first


def test_concurrent_threads_get_the_serial_verdicts():
    expected = [check_equivalence(p, r) for p, r in HARD_PAIRS]
    results: dict[int, list[tuple[bool, str]]] = {}

    def worker(index: int) -> None:
        results[index] = [check_equivalence(p, r) for p, r in HARD_PAIRS * 3]

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results[index] == expected * 3 for index in range(4))


def test_near_integer_is_not_the_integer():
    # e^(pi sqrt 163) is within 1e-12 of an integer; a loose tolerance would accept it.
    assert not same(r"e^{\pi\sqrt{163}}", "262537412640768744")
