"""Tests for score_envs.math.parsing: the bounded parser and the sympy builder."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from score_envs.math.parsing import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_LITERAL_DIGITS,
    MAX_TOKENS,
    Add,
    Const,
    Div,
    Expr,
    Func,
    Interval,
    Matrix,
    Mul,
    Neg,
    Num,
    Pow,
    Relation,
    Root,
    SetAnswer,
    Sym,
    TextAnswer,
    TooLarge,
    TupleAnswer,
    UnionAnswer,
    Unparsable,
    parse_answer,
    to_sympy,
)

ONE, TWO, THREE = Num(Fraction(1)), Num(Fraction(2)), Num(Fraction(3))
X = Sym("x")


def node(text: str):
    answer = parse_answer(text)
    assert isinstance(answer, Expr), answer
    return answer.node


def sym(text: str):
    return to_sympy(node(text))


def test_decimal_literal_is_an_exact_rational():
    assert node("0.1") == Num(Fraction(1, 10))


def test_frac_with_single_digit_arguments():
    assert node(r"\frac12") == Div(ONE, TWO)


def test_frac_single_digit_arguments_then_a_factor():
    assert node(r"\frac12x") == Mul((Div(ONE, TWO), X))


def test_frac_leftover_digit_cannot_follow_implicitly():
    with pytest.raises(Unparsable):
        parse_answer(r"\frac123")


def test_sqrt_with_single_digit_argument():
    assert node(r"\sqrt2") == Root(TWO, TWO)


def test_sqrt_with_index():
    assert node(r"\sqrt[3]{x}") == Root(THREE, X)


def test_caret_number_is_the_whole_number():
    assert node("2^10") == Pow(TWO, Num(Fraction(10)))


def test_power_is_right_associative():
    assert node("2^3^2") == Pow(TWO, Pow(THREE, TWO))


def test_minus_binds_looser_than_power():
    assert node("-x^2") == Neg(Pow(X, TWO))


def test_juxtaposition_is_multiplication():
    assert node(r"2x\pi") == Mul((TWO, X, Const("pi")))


def test_number_after_a_factor_is_refused():
    with pytest.raises(Unparsable):
        parse_answer("2 3")


def test_number_after_factorial_multiplies():
    assert node("3!2") == Mul((Func("factorial", THREE), TWO))


@pytest.mark.parametrize("text", [r"2\frac{1}{3}", r"2\frac13", "2 1/3"])
def test_mixed_number(text):
    assert node(text) == Num(Fraction(7, 3))


def test_negative_mixed_number():
    assert node(r"-2\frac{1}{3}") == Neg(Num(Fraction(7, 3)))


def test_integer_times_improper_fraction_is_a_product():
    assert node(r"2\frac{4}{3}") == Mul((TWO, Div(Num(Fraction(4)), THREE)))


def test_e_and_i_are_constants():
    assert node("e+i") == Add((Const("e"), Const("i")))


def test_subscripted_symbol():
    assert node("x_{12}") == Sym("x_12")


def test_greek_command_is_a_symbol():
    assert node(r"\theta") == Sym("theta")


def test_function_argument_runs_over_juxtaposed_letters():
    assert node(r"\sin 2x") == Func("sin", Mul((TWO, X)))


def test_absolute_value_bars():
    assert node("|x|") == Func("abs", X)


def test_parenthesised_pair_is_a_tuple():
    assert parse_answer("(1, 2)") == TupleAnswer((Expr(ONE), Expr(TWO)))


def test_mixed_brackets_make_an_interval():
    assert parse_answer("[1, 2)") == Interval(ONE, TWO, True, False)


def test_union_of_intervals():
    answer = parse_answer(r"[1,2]\cup(3,\infty)")
    assert isinstance(answer, UnionAnswer) and len(answer.parts) == 2


def test_bare_list_is_a_set():
    assert parse_answer("1, 2") == SetAnswer((Expr(ONE), Expr(TWO)))


def test_escaped_braces_make_a_set():
    assert parse_answer(r"\{1, 2\}") == SetAnswer((Expr(ONE), Expr(TWO)))


def test_empty_set():
    assert parse_answer(r"\emptyset") == SetAnswer(())


def test_plus_minus_makes_two_values():
    assert parse_answer(r"1 \pm x") == SetAnswer((Expr(Add((ONE, X))), Expr(Add((ONE, Neg(X))))))


def test_plus_minus_inside_frac_numerator():
    answer = parse_answer(r"\frac{1 \pm x}{2}")
    assert isinstance(answer, SetAnswer) and len(answer.items) == 2


def test_plus_minus_assignment_makes_two_assignments():
    answer = parse_answer(r"x = 1 \pm 2")
    assert isinstance(answer, SetAnswer) and all(isinstance(i, Relation) for i in answer.items)


def test_equation_is_a_relation():
    assert parse_answer("y = 2x") == Relation(("=",), (Sym("y"), Mul((TWO, X))))


def test_chained_inequality():
    assert parse_answer(r"1 < x \le 3") == Relation(("<", "<="), (ONE, X, THREE))


def test_membership_relation():
    assert parse_answer(r"x \in [1, 2]") == Relation(("in",), (X, Interval(ONE, TWO, True, True)))


def test_matrix_rows():
    assert parse_answer(r"\begin{pmatrix} 1 & 2 \\ 3 & x \end{pmatrix}") == Matrix(
        ((ONE, TWO), (THREE, X))
    )


def test_ragged_matrix_is_refused():
    with pytest.raises(Unparsable):
        parse_answer(r"\begin{pmatrix} 1 & 2 \\ 3 \end{pmatrix}")


def test_word_makes_a_text_answer():
    assert parse_answer("Monday") == TextAnswer("monday")


@pytest.mark.parametrize("text", ["х", "(1, 2", r"\frac{1}", r"\unknown{2}", "1 +", "", "x'"])
def test_malformed_input_is_unparsable(text):
    with pytest.raises(Unparsable):
        parse_answer(text)


def test_token_cap():
    with pytest.raises(TooLarge):
        parse_answer("+".join(["1"] * (MAX_TOKENS // 2 + 1)))


def test_nesting_cap():
    depth = MAX_DEPTH + 1
    with pytest.raises(TooLarge):
        parse_answer("(" * depth + "1" + ")" * depth)


def test_sign_chain_cap():
    with pytest.raises(TooLarge):
        parse_answer("-" * (MAX_DEPTH + 1) + "1")


def test_literal_digit_cap():
    with pytest.raises(TooLarge):
        parse_answer("9" * (MAX_LITERAL_DIGITS + 1))


def test_item_cap():
    with pytest.raises(TooLarge):
        parse_answer(",".join(["x"] * (MAX_ITEMS + 1)))


def test_to_sympy_builds_exact_objects():
    assert sym(r"\frac{3}{4} + 2\sqrt{3}") == sympy.Rational(3, 4) + 2 * sympy.sqrt(3)


def test_to_sympy_builds_symbols_and_powers():
    x = sympy.Symbol("x")
    assert sym("(x+1)^2") == sympy.Pow(x + 1, 2)


def test_to_sympy_real_odd_root_of_a_negative_number():
    assert sym(r"\sqrt[3]{-8}") == -2


def test_to_sympy_logarithm_to_a_base():
    assert sym(r"\log_2 8") == 3


def test_to_sympy_refuses_a_huge_exponent_before_computing():
    with pytest.raises(TooLarge):
        sym("9^{9^{9}}")


def test_to_sympy_refuses_a_huge_factorial():
    with pytest.raises(TooLarge):
        sym("5000!")


def test_to_sympy_refuses_a_huge_power_of_a_rational():
    with pytest.raises(TooLarge):
        sym("(10^{100})^{500}")
