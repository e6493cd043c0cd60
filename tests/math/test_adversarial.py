"""Red-team regressions: answers written to be graded right while wrong, or to break the grader.

Each table entry is one attack (see ``docs/verifier.md``, section "Attacks"). A wrong answer must
never be graded correct (the reward-hacking direction); a correct answer written in an unusual
but valid way must still be graded correct; every call must return within a generous bound from
a worker thread. Timings are reported by ``benchmarks/bench_verifier.py``, not asserted here.
"""

from __future__ import annotations

import logging
import random
import threading
from fractions import Fraction

import pytest

from score_envs.core.grading import Grade
from score_envs.math.equivalence import check_equivalence
from score_envs.math.numeric import comparison_seed, sample_points
from score_envs.math.verifier import grade_answer

SECONDS_PER_CALL = 5.0  # the design bound is 1 s; a loaded CI machine must not make this flaky
ORIGINAL_FIXED_SEED = 0x5C0E  # the seed the sampler used before points depended on the answers


def graded(response: str, reference: str) -> Grade:
    """Grade from a worker thread, failing the test if it raises or does not return in time."""
    box: list[Grade | BaseException] = []

    def run() -> None:
        try:
            box.append(grade_answer(response, reference))
        except BaseException as error:  # reported below
            box.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS_PER_CALL)
    assert box, f"grading {response[:60]!r} did not return within {SECONDS_PER_CALL} s"
    assert isinstance(box[0], Grade), f"grading {response[:60]!r} raised {box[0]!r}"
    return box[0]


def correct(predicted: str, reference: str) -> bool:
    return graded(f"\\boxed{{{predicted}}}", reference).correct


# -- hedging with several candidates ---------------------------------------------------------------

HEDGES = [
    (r"1, 2, 3, 4", "2"),  # a list of candidates for a single value
    (r"\{1, 2, 3, 4\}", r"\{1, 2\}"),  # a superset of a set answer
    (r"1 \text{ or } 2", "1"),
    (r"5\text{ or six}", "5"),  # the alternative hidden in a unit-like label
    (r"\pm 3", "3"),
    (r"3 \lor 4", "3"),
    (r"x = 1, y = 2", r"\{1, 2\}"),  # a point is not a solution set
    (r"x = 1, y = 2", r"\{2, 1\}"),
    (r"(-\infty, \infty)", "5"),
    (r"x", "5"),  # a free variable
    (r"\text{any}", "5"),
    (r"\text{any real number}", "5"),
    (r"x \ne 5", "5"),
    (r"x \approx 5", "5"),
    (r"x > 4", "5"),
    (r"\infty", "5"),
]


@pytest.mark.parametrize(("predicted", "reference"), HEDGES)
def test_hedged_answer_is_not_credited(predicted, reference):
    assert not correct(predicted, reference)


def test_only_the_last_box_counts():
    assert not graded(r"\boxed{1}\boxed{2}", "1").correct


def test_last_box_is_graded_when_several_are_written():
    assert graded(r"\boxed{1}\boxed{2}", "2").correct


def test_empty_box_has_no_credit():
    assert not graded(r"\boxed{ }", "5").correct


# -- undefined values that might compare equal -------------------------------------------------

UNDEFINED = [
    (r"\frac{0}{0}", "0"),
    (r"0/0", "5"),
    (r"\frac{1}{0}", r"\infty"),
    (r"\infty - \infty", "0"),
    (r"0 \cdot \infty", "0"),
    (r"1^{\infty}", "1"),
    (r"\log(0)", r"-\infty"),
    (r"\tan(\pi/2)", r"\infty"),
    (r"(-1)!", r"\infty"),
    (r"\frac{x - x}{x - x}", "1"),
    (r"\frac{1}{\sin^2 x + \cos^2 x - 1}", "0"),
]


@pytest.mark.parametrize(("predicted", "reference"), UNDEFINED)
def test_undefined_expression_equals_nothing(predicted, reference):
    assert not correct(predicted, reference)


def test_zero_to_the_zero_is_one_by_convention():
    assert correct("0^0", "1")


def test_square_root_of_minus_one_is_the_imaginary_unit():
    assert correct(r"\sqrt{-1}", "i")


# -- the deterministic sampler -----------------------------------------------------------------


def vanishing_polynomial(roots: list[float]) -> str:
    """(x - a)(x - b)... with the exact binary values of the given sample coordinates."""
    factors = []
    for root in roots:
        value = Fraction(root)
        factors.append(rf"\left(x - \frac{{{value.numerator}}}{{{value.denominator}}}\right)")
    return "".join(factors)


def points_of_the_old_fixed_sampler() -> list[float]:
    """The four x values the sampler used when its seed was a constant (read from its source)."""
    rng = random.Random(ORIGINAL_FIXED_SEED)
    values = []
    for index in range(4):
        magnitude = 0.55 + 0.9 * rng.random()
        values.append(-magnitude if index == 2 else magnitude)
    return values


def test_polynomial_vanishing_at_the_old_fixed_sample_points_is_rejected():
    assert not correct(vanishing_polynomial(points_of_the_old_fixed_sampler()) + " + 5", "5")


def test_polynomial_vanishing_at_the_points_of_another_answer_is_rejected():
    # The points of the pair (P + 5, 5) depend on P itself: predicting them is a fixed point of a
    # hash. The best an attacker can do is aim at the points of some other pair.
    points = sample_points(("x",), comparison_seed("x + 5", "5"))
    assert not correct(vanishing_polynomial([point[0][1] for point in points]) + " + 5", "5")


PIECEWISE = [
    (r"|x| + |y|", r"|x| + y"),  # the second variable must take negative values too
    (r"\sqrt{y^2}", "y"),
    (r"\sqrt{a^2 b^2}", "ab"),  # and the product of two variables must
    (r"\arcsin(\sin x)", "x"),  # equal only for |x| < pi/2: magnitudes reach 3.5
    (r"\arctan(\tan x)", "x"),
    (r"\frac{|x|}{x}", "1"),
    (r"|x - 1|", "x - 1"),
]


@pytest.mark.parametrize(("predicted", "reference"), PIECEWISE)
def test_identity_true_only_near_zero_or_for_positive_values_is_rejected(predicted, reference):
    assert not correct(predicted, reference)


STEP_FUNCTIONS = [
    (r"\lceil |x|/2 \rceil", "1"),
    (r"\lceil |x| - 0.5 \rceil", "1"),
    (r"5 + \lfloor \frac{|x|}{10} \rfloor", "5"),
    (r"\lceil x \rceil - \lfloor x \rfloor", "1"),
    (r"\lfloor x^2 \rfloor", "1"),
]


@pytest.mark.parametrize(("predicted", "reference"), STEP_FUNCTIONS)
def test_step_function_of_a_variable_does_not_pass_for_a_constant(predicted, reference):
    assert not correct(predicted, reference)


def test_step_function_of_a_variable_equals_itself():
    assert correct(r"\lfloor x \rfloor + 1", r"\lfloor x \rfloor + 1")


# -- near misses -------------------------------------------------------------------------------

NEAR_MISSES = [
    (r"\pi + 10^{-1000}", r"\pi"),
    (r"\pi + e^{-1000}", r"\pi"),
    (r"\sqrt{2 + 10^{-399}}", r"\sqrt{2}"),
    (r"\sqrt{2} \cdot \frac{10^{399} + 1}{10^{399}}", r"\sqrt{2}"),
    (r"3.14159265358979323846264338327950288419716939937510582097494459", r"\pi"),
    ("1." + "0" * 398 + "1", "1"),
    # Products of tiny factors: each factor is visible, the product hides below the tolerance.
    (r"\sqrt{2} + \sin(10^{-399})\sin(10^{-399})", r"\sqrt{2}"),
    (r"\sqrt{2} + " + r"\frac{\pi}{\pi+10^{300}}" * 6, r"\sqrt{2}"),
    (r"\sqrt{2} + x" + r"\sin(10^{-9})" * 10, r"\sqrt{2}"),
    # Taylor cancellations: the difference is a higher power of a small number.
    (r"\sqrt{2} + \sin(10^{-100}) - 10^{-100}", r"\sqrt{2}"),
    (r"\sqrt{2} + \sin(10^{-100}) - 10^{-100} + \frac{10^{-300}}{6}", r"\sqrt{2}"),
    (r"\sqrt{2} + e^{10^{-100}} - 1 - 10^{-100}", r"\sqrt{2}"),
    (r"\sqrt{2} + \cos(10^{-100}) - 1 + \frac{10^{-200}}{2}", r"\sqrt{2}"),
    (r"\sqrt{2} + \ln(1 + 10^{-100}) - 10^{-100} + \frac{10^{-200}}{2}", r"\sqrt{2}"),
    (r"\sqrt{2} + \sin(\pi + 10^{-100}) + 10^{-100}", r"\sqrt{2}"),
    (r"\sqrt{2} + \tan(10^{-100}) - \sin(10^{-100})", r"\sqrt{2}"),
    (r"\sqrt{2} + \arctan(10^{-100}) - 10^{-100}", r"\sqrt{2}"),
    (r"\sqrt{2} + x(\sin(10^{-100}) - 10^{-100})", r"\sqrt{2}"),
    (r"e^{\pi\sqrt{163}} - 640320^3 - 744", "0"),  # an almost-integer
]


@pytest.mark.parametrize(("predicted", "reference"), NEAR_MISSES)
def test_near_miss_is_not_equivalent(predicted, reference):
    assert not correct(predicted, reference)


EXACT_CANCELLATIONS = [
    (r"\sin(\pi)", "0"),
    (r"\cos\left(\frac{\pi}{2}\right)", "0"),
    (r"5 + \sin(\pi) \sin(\pi)", "5"),
    (r"\sqrt{12} - 2\sqrt{3} + 5", "5"),
    (r"(\sqrt{12} - 2\sqrt{3})x + 5", "5"),
    (r"e^{i\pi} + 1", "0"),
    (r"\ln(\sqrt{e}\sqrt{e})", "1"),
    (r"10^{100} + \pi - 10^{100}", r"\pi"),
    (r"(\sin^2 x + \cos^2 x - 1) \cdot 10^{50}", "0"),
    (r"\sqrt{2} + \sin(\pi \cdot 10^{300})", r"\sqrt{2}"),
    (r"\cos(2^{2000}\pi)", "1"),
    (r"\tan\left(\frac{\pi}{2} - 10^{-300}\right)", r"\cot(10^{-300})"),
]


@pytest.mark.parametrize(("predicted", "reference"), EXACT_CANCELLATIONS)
def test_true_identity_with_internal_cancellation_is_equivalent(predicted, reference):
    assert correct(predicted, reference)


def test_logarithm_with_base_near_one_is_graded_without_an_internal_error(caplog):
    with caplog.at_level(logging.ERROR, logger="score_envs.math.equivalence"):
        grade = graded(r"\boxed{\log_{1+10^{-300}}(3)}", "5")
    assert (grade.correct, caplog.records) == (False, [])


def test_logarithm_with_base_near_one_is_evaluated():
    assert correct(r"\log_{1+10^{-300}}\left((1+10^{-300})^2\right)", "2")


# -- labels, invisible commands, Unicode ---------------------------------------------------------

LABELS_THAT_CHANGE_THE_MEANING = [
    r"5\text{ or more}",
    r"5\text{ or fewer}",
    r"5\text{ at most}",
    r"5\text{ and six}",
    r"5\text{ not}",
    r"5 \text{ is wrong}",
    r"5 \text{ meters or feet}",
]


@pytest.mark.parametrize("predicted", LABELS_THAT_CHANGE_THE_MEANING)
def test_label_that_changes_the_meaning_is_not_dropped(predicted):
    assert not correct(predicted, "5")


def test_plain_label_is_still_dropped():
    assert correct(r"5\text{ apples}", "5")


def test_phantom_content_is_invisible_so_it_is_not_graded():
    assert not correct(r"\phantom{5}6", "5")


@pytest.mark.parametrize(
    "predicted", [r"\phantom{5}6", r"\hphantom{5}6", r"\vphantom{5}6", r"6\hspace{1cm}"]
)
def test_answer_next_to_invisible_commands_is_read_as_shown(predicted):
    assert correct(predicted, "6")


@pytest.mark.parametrize(
    "predicted", [r"\color{red}5", r"\color{red}{5}", r"\textcolor{red}{5}", r"\boldsymbol{5}"]
)
def test_colour_and_bold_do_not_change_the_value(predicted):
    assert correct(predicted, "5")


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_are_ignored(invisible):
    assert correct(f"1{invisible}2", "12")


def test_right_to_left_override_is_refused():
    # Displayed as 12 but read as 21: neither reading may be credited.
    assert graded("\\boxed{\u202e21\u202c}", "21").reason == "unparsable"


@pytest.mark.parametrize(("predicted", "reference"), [("а", "a"), ("х + 1", "x + 1"), ("2а", "2a")])
def test_cyrillic_look_alike_is_not_a_latin_letter(predicted, reference):
    assert not correct(predicted, reference)


@pytest.mark.parametrize(
    ("predicted", "reference"), [("５", "5"), ("x²", "x^2"), ("x⁻¹", r"\frac{1}{x}"), ("½", "0.5")]
)
def test_unicode_presentation_forms_keep_their_value(predicted, reference):
    assert correct(predicted, reference)


def test_combining_strikethrough_digit_is_refused():
    assert not correct("5\u0336", "5")


def test_text_wrapped_number_is_the_number():
    assert correct(r"\text{5}", "5")


# -- structure conventions ---------------------------------------------------------------------


def test_assignments_to_two_variables_equal_the_point():
    assert correct("x = 1, y = 2", "(1, 2)")


def test_assignment_systems_in_any_order_are_equal():
    assert correct("y = 2, x = 1", "x = 1, y = 2")


def test_subscripted_variables_are_ordered_numerically():
    assert correct("x_{10} = 2, x_2 = 1", "(1, 2)")


def test_variable_may_stand_on_the_right_of_the_equals_sign():
    assert correct("2 = x", "2")


def test_assignments_to_one_variable_are_its_solution_set():
    assert correct(r"x = 1 \text{ or } x = 2", r"\{1, 2\}")


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        (r"(xyz)^{10}", r"x^{10}y^{10}z^{10}"),
        ("2abc", "2cba"),
        (r"\frac{abc}{4R}", r"\frac{cab}{4R}"),
    ],
)
def test_short_letter_run_inside_a_formula_is_a_product(predicted, reference):
    assert correct(predicted, reference)


def test_bare_word_is_compared_as_a_word():
    assert not correct("odd", "even")


# -- extraction ---------------------------------------------------------------------------------


def test_final_answer_sentence_inside_a_box_gives_its_answer():
    response = r"\boxed{Final Answer: The final answer is 3. I hope it is correct.}"
    assert graded(response, "3").correct


def test_box_inside_the_final_answer_sentence_wins():
    response = r"\boxed{7} Final Answer: The final answer is $\boxed{3}$. I hope it is correct."
    assert (graded(response, "3").correct, graded(response, "7").correct) == (True, False)


def test_later_gsm8k_marker_overrides_an_earlier_box():
    assert graded("The answer is \\boxed{3}.\n#### 5", "5").correct


def test_unclosed_box_does_not_swallow_the_rest():
    assert graded(r"\boxed{3}\boxed{5", "3").correct


def test_box_after_many_unclosed_boxes_is_not_found():
    # Extraction looks at a bounded number of boxes from the end; too many unclosed ones mean no
    # answer rather than unbounded work.
    assert graded(r"\boxed{3}" + r"\boxed{" * 20, "3").reason == "no_answer_found"


# -- size and work ------------------------------------------------------------------------------

GIANTS = [
    r"2^{2^{2^{2^{2}}}}",
    r"\exp(\exp(100))",
    r"10^{10^{5}}",
    r"\binom{10^9}{5 \cdot 10^8}",
    r"(1000!)^{20}",
    r"((((((((((2^2)^2)^2)^2)^2)^2)^2)^2)^2)^2)^{2^{20}}",
    r"\sqrt{2} + 2^{-20000}",
    r"\sin(e^{e^{e^{e^{1.4}}}})",
]


@pytest.mark.parametrize("predicted", GIANTS)
def test_giant_value_is_refused_as_too_large(predicted):
    assert graded(f"\\boxed{{{predicted}}}", "5").reason == "too_large"


def test_equal_giants_in_different_notation_are_refused_not_computed():
    assert graded(r"\boxed{10^{10^{5}}}", "10^{100000}").reason == "too_large"


def test_binomial_with_a_huge_top_and_a_small_bottom_is_computed():
    assert correct(r"\binom{10^{9}}{2}", "499999999500000000")


def repeated(template: str, count: int, separator: str = "+") -> str:
    return separator.join(template.format(index=index + 2) for index in range(count))


HEAVY = {
    "functions at high precision": r"10^{-1100} + " + repeated(r"\sin({index})", 70),
    "complex inverse functions": r"10^{-1100}x + " + repeated(r"\arcsin({index}x + i)", 45),
    "general powers": r"10^{-1100} + " + repeated(r"{index}^{{\sqrt{{{index}}}}}", 40),
    "power tower of a variable": "x^{" * 12 + "x" + "}" * 12,
    "nested square roots": r"\sqrt{" * 35 + "2" + "}" * 35,
    "nested inverse sines": r"\arcsin(" * 30 + "x" + ")" * 30,
    "exponential tower": r"e^{e^{e^{e^{x}}}}",
    "power sum exponent": r"(x+1)^{10^{30} + z}",
    "rational power sum exponent": r"\left(\frac{1}{7^7}\right)^{10^{30} + z}",
    "many symbolic set items": r"\{" + repeated(r"x + {index}", 60, ", ") + r"\}",
    "ten thousand tuple items": "(" + ", ".join(["1"] * 10_000) + ")",
    "long decimal": "0." + "3" * 999,
    "deep braces under the cap": "{" * 39 + "1" + "}" * 39,
}


@pytest.mark.parametrize("name", list(HEAVY))
def test_heavy_answer_returns_a_documented_verdict(name):
    predicted = HEAVY[name]
    for reference in ("5", predicted, r"\{x + 2, x + 3\}"):
        grade = graded(f"\\boxed{{{predicted}}}", reference)
        assert grade.reason in {"equivalent", "not_equivalent", "too_large", "unparsable"}


def test_symbolic_fallback_does_not_expand_a_power_of_a_huge_exponent_sum():
    # sympy's expand() would split a^(10^30 + z) into a^(10^30) a^z and compute a^(10^30).
    grade = graded(r"\boxed{(3 + 10^{-30})}", r"10^{30} + \left(\frac{1}{7^7}\right)^{10^{30} + z}")
    assert not grade.correct


def test_same_pair_gets_the_same_verdict_from_concurrent_threads():
    pairs = [(entry[0], entry[1]) for entry in NEAR_MISSES + EXACT_CANCELLATIONS]
    expected = [check_equivalence(predicted, reference) for predicted, reference in pairs]
    results: list[list[tuple[bool, str]]] = []

    def run() -> None:
        results.append([check_equivalence(p, r) for p, r in pairs])

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS_PER_CALL * len(pairs))
    assert results == [expected] * 4
