"""Tests for score_envs.math.normalize: notation removed, meaning kept."""

from __future__ import annotations

import pytest

from score_envs.math.normalize import NormalizedAnswer, normalize_answer


def text_of(answer: str) -> str:
    return normalize_answer(answer).text


@pytest.mark.parametrize(
    ("raw", "number", "unit"),
    [
        (r"5\text{ cm}", "5", "centimeter"),
        (r"5 \text{cm}", "5", "centimeter"),
        ("5 cm", "5", "centimeter"),
        (r"7\mbox{ meters}", "7", "meter"),
        (r"5\text{ m}", "5", "meter"),
        ("12 inches", "12", "inch"),
        ("3 hours", "3", "hour"),
        ("6 ft", "6", "foot"),
    ],
)
def test_unit_is_stripped_and_recorded(raw, number, unit):
    assert normalize_answer(raw) == NormalizedAnswer(number, unit)


def test_unit_power_is_part_of_the_unit():
    assert normalize_answer(r"20\text{ cm}^2") == NormalizedAnswer("20", "centimeter^2")


def test_square_prefix_is_a_unit_power():
    assert normalize_answer(r"10\text{ square units}") == NormalizedAnswer("10", "unit^2")


def test_text_label_after_a_number_is_a_unit_like_label():
    assert normalize_answer(r"4\text{ apples}") == NormalizedAnswer("4", "apple")


def test_bare_single_letter_is_not_taken_for_a_unit():
    assert normalize_answer("5 m") == NormalizedAnswer("5 m")


def test_bare_unknown_word_is_kept():
    assert normalize_answer("5 ways") == NormalizedAnswer("5 ways")


def test_variable_power_is_not_a_unit():
    assert normalize_answer("2x^2") == NormalizedAnswer("2x^2")


@pytest.mark.parametrize("raw", [r"30^\circ", r"30^{\circ}", "30°", r"30\degree"])
def test_degree_signs_become_the_degree_unit(raw):
    assert normalize_answer(raw) == NormalizedAnswer("30", "degree")


@pytest.mark.parametrize("raw", [r"50\%", "50%", "50 percent"])
def test_trailing_percent_is_stripped_and_flagged(raw):
    assert normalize_answer(raw) == NormalizedAnswer("50", None, True)


def test_dollar_sign_is_the_dollar_unit():
    assert normalize_answer(r"\$5.50") == NormalizedAnswer("5.50", "dollar")


def test_math_dollars_are_delimiters_not_money():
    assert normalize_answer("$x+1$") == NormalizedAnswer("x+1")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,000", "1000"),
        ("12,345,678", "12345678"),
        ("1,000.5", "1000.5"),
        ("1{,}000", "1000"),
        (r"1\,000", "1000"),
        ("1,000, 2,000", "1000, 2000"),
        ("(1,000, 2)", "(1000, 2)"),
    ],
)
def test_thousands_separators_are_joined(raw, expected):
    assert text_of(raw) == expected


@pytest.mark.parametrize("raw", ["1,2", "1, 000", "(2,100)", "10,20"])
def test_list_commas_are_kept(raw):
    assert text_of(raw) == raw


def test_left_right_and_spacing_are_removed():
    assert text_of(r"\left( 1,\!2 \right)") == "( 1,2 )"


def test_invisible_delimiters_are_removed():
    assert text_of(r"\left. x \right|") == "x |"


def test_matrix_row_break_survives_spacing_removal():
    assert (
        text_of(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}") == r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"
    )


@pytest.mark.parametrize("raw", [r"\dfrac{1}{2}", r"\tfrac{1}{2}", r"\cfrac{1}{2}"])
def test_fraction_variants_become_frac(raw):
    assert text_of(raw) == r"\frac{1}{2}"


def test_binomial_variants_become_binom():
    assert text_of(r"\dbinom{5}{2}") == r"\binom{5}{2}"


def test_display_delimiters_are_removed():
    assert text_of(r"\[ \displaystyle \frac12 \]") == r"\frac12"


def test_whole_answer_box_is_unwrapped():
    assert text_of(r"\boxed{\frac{1}{2}}") == r"\frac{1}{2}"


def test_text_group_is_unwrapped():
    assert text_of(r"\text{(A)}") == "(A)"


def test_or_between_values_becomes_a_list_separator():
    assert text_of(r"x=1 \text{ or } x=2") == "x=1 , x=2"


def test_whole_answer_word_is_marked_as_text():
    assert normalize_answer(r"\text{No}") == NormalizedAnswer("No", is_text=True)


def test_trailing_period_is_removed():
    assert text_of("42.") == "42"


def test_full_width_digits_become_ascii():
    assert text_of("１２３") == "123"


def test_unicode_minus_becomes_hyphen_minus():
    assert text_of("−7") == "-7"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3×4", r"3 \times 4"),
        ("12÷4", r"12 \div 4"),
        ("√2", r"\sqrt2"),
        ("2π", r"2\pi"),
        ("x²", "x^{2}"),
        ("½", r"\frac{1}{2}"),
        ("x ≤ 3", r"x \le 3"),
    ],
)
def test_unicode_math_symbols_become_latex(raw, expected):
    assert text_of(raw) == expected


def test_cyrillic_look_alike_is_kept_as_is():
    assert text_of("х") == "х"  # Cyrillic ha, not Latin x


def test_overlong_answer_is_left_untouched():
    raw = "1," * 600
    assert text_of(raw) == raw
