"""The procedural math families: well-formed, correct, deterministic, and harder level by level.

Answers are checked against the drawn numbers by independent means (substitution, brute-force
enumeration, evaluation at sample points), never by re-running the family's own formulas.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import random
import re
import statistics
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from score_envs.math.families import DIFFICULTY_LEVELS, FAMILIES, MathFamily, Problem
from score_envs.math.families.base import (
    exact_ratio,
    final_answer_sentence,
    format_number,
    format_polynomial,
    format_root_set,
    format_sqrt,
    format_tuple,
    pick_distractors,
    simplify_sqrt,
)

SEED = 20240917
SEEDS_PER_LEVEL = 40
MEASURE_SAMPLES = 200

# ---------------------------------------------------------------------------------------------
# Parsers for the canonical answer forms. They also check the form is canonical (reduced
# fractions, sorted roots, descending polynomials), which is what the verifier relies on.

_INT = r"-?(?:0|[1-9]\d*)"
_FRACTION = r"(-?)\\frac\{([1-9]\d*)\}\{([1-9]\d*)\}"


def parse_number(text: str) -> Fraction:
    if re.fullmatch(_INT, text):
        return Fraction(int(text))
    match = re.fullmatch(_FRACTION, text)
    assert match, f"not a canonical number: {text!r}"
    sign, numerator, denominator = match.groups()
    numerator, denominator = int(numerator), int(denominator)
    assert denominator > 1 and math.gcd(numerator, denominator) == 1, f"not reduced: {text!r}"
    return Fraction(-numerator if sign else numerator, denominator)


def parse_tuple(text: str) -> tuple[Fraction, ...]:
    assert text.startswith("(") and text.endswith(")"), text
    return tuple(parse_number(part) for part in text[1:-1].split(", "))


def parse_roots(text: str) -> tuple[Fraction, ...]:
    roots = tuple(parse_number(part) for part in text.split(", "))
    assert list(roots) == sorted(set(roots)), f"roots not sorted and distinct: {text!r}"
    return roots


_TERM = re.compile(r"(?P<sign>^-|^| [+-] )(?P<coefficient>[1-9]\d*)?(?P<x>x(?:\^(?P<power>\d+))?)?")


def parse_polynomial(text: str) -> tuple[int, ...]:
    """Coefficients, highest degree first; asserts strictly descending powers."""
    powers: dict[int, int] = {}
    position = 0
    while position < len(text):
        match = _TERM.match(text, position)
        assert match and match.end() > position, f"bad polynomial {text!r} at {position}"
        has_x = match.group("x") is not None
        assert match.group("coefficient") or has_x, text
        power = int(match.group("power") or 1) if has_x else 0
        coefficient = int(match.group("coefficient") or 1)
        if match.group("sign").strip() == "-":
            coefficient = -coefficient
        assert not powers or power < min(powers), f"powers not descending: {text!r}"
        powers[power] = coefficient
        position = match.end()
    degree = max(powers)
    return tuple(powers.get(degree - i, 0) for i in range(degree + 1))


def parse_radical(text: str) -> int:
    """The N with value sqrt(N); asserts simplest radical form."""
    if re.fullmatch(r"[1-9]\d*", text):
        return int(text) ** 2
    match = re.fullmatch(r"([1-9]\d*)?\\sqrt\{([1-9]\d*)\}", text)
    assert match, f"not a radical: {text!r}"
    coefficient, radicand = int(match.group(1) or 1), int(match.group(2))
    assert coefficient != 1 or match.group(1) is None, text
    assert simplify_sqrt(radicand) == (1, radicand) and radicand > 1, f"not simplest: {text!r}"
    return coefficient * coefficient * radicand


PARSERS: dict[str, Callable[[str], Any]] = {
    "arithmetic": parse_number,
    "combinatorics": parse_number,
    "fractions": parse_number,
    "gcd_lcm": parse_number,
    "linear_equation": parse_number,
    "linear_system": parse_tuple,
    "modular": parse_number,
    "percent": parse_number,
    "polynomial": parse_polynomial,
    "probability": parse_number,
    "quadratic": parse_roots,
    "radicals": parse_radical,
    "sequence": parse_number,
}

# ---------------------------------------------------------------------------------------------
# Independent checks that the answer is right for the drawn numbers.

_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def check_arithmetic(params: dict, answer: Fraction) -> None:
    a, b = params["operands"]
    assert answer == _OPERATIONS[params["operation"]](a, b)


def check_fractions(params: dict, answer: Fraction) -> None:
    values = [Fraction(n, d) for n, d in params["fractions"]]
    result = values[0]
    for operation, value in zip(params["operations"], values[1:], strict=True):
        result = _OPERATIONS[operation](result, value)  # left to right = the parentheses
    assert answer == result


def check_linear_equation(params: dict, x: Fraction) -> None:
    c = params["coefficients"]
    form = params["form"]
    if form in (1, 2):
        assert c["a"] * x + c["b"] == c["d"]
    elif form == 3:
        assert c["a"] * x + c["b"] == c["c"] * x + c["d"]
    elif form == 4:
        assert c["a"] * (x + c["b"]) == c["c"] * x + c["d"]
    else:
        assert c["a"] * (x + c["b"]) + c["e"] == c["c"] * (x + c["d"])


def check_linear_system(params: dict, solution: tuple[Fraction, ...]) -> None:
    for row, value in zip(params["matrix"], params["rhs"], strict=True):
        assert sum(coefficient * s for coefficient, s in zip(row, solution, strict=True)) == value


def check_quadratic(params: dict, roots: tuple[Fraction, ...]) -> None:
    a, b, c = params["coefficients"]
    for root in roots:
        assert a * root * root + b * root + c == 0
    assert len(roots) == (1 if b * b - 4 * a * c == 0 else 2)


def check_modular(params: dict, answer: Fraction) -> None:
    base, modulus = params["base"], params["modulus"]
    assert 0 <= answer < modulus and answer.denominator == 1
    if params["kind"] == "inverse":
        assert base * int(answer) % modulus == 1
    else:
        assert answer == pow(base, params["exponent"], modulus)


def check_combinatorics(params: dict, answer: Fraction) -> None:
    n = params["n"]
    if params["kind"] == "choose":
        expected = math.factorial(n) // (
            math.factorial(params["r"]) * math.factorial(n - params["r"])
        )
    elif params["kind"] == "arrange":
        expected = math.prod(range(n - params["r"] + 1, n + 1))
    else:
        word = params["word"]
        assert len(word) == n
        expected = math.factorial(n)
        for letter in set(word):
            expected //= math.factorial(word.count(letter))
        if n <= 8:  # brute force where it is cheap
            assert expected == len(set(itertools.permutations(word)))
    assert answer == expected


def _evaluate(coefficients: tuple[int, ...] | list[int], x: int) -> int:
    return sum(c * x ** (len(coefficients) - 1 - i) for i, c in enumerate(coefficients))


def check_polynomial(params: dict, answer: tuple[int, ...]) -> None:
    assert len(answer) - 1 == sum(len(f) - 1 for f in params["factors"])  # the degree
    for x in (-3, -1, 0, 2, 5, 7):
        assert _evaluate(answer, x) == math.prod(_evaluate(f, x) for f in params["factors"])


def check_gcd_lcm(params: dict, answer: Fraction) -> None:
    numbers = params["numbers"]
    value = int(answer)
    # A common divisor g is the greatest iff the quotients n / g share no factor; a common
    # multiple m is the least iff the quotients m / n share no factor.
    if params["kind"] == "gcd":
        assert all(n % value == 0 for n in numbers)
        assert math.gcd(*(n // value for n in numbers)) == 1
    else:
        assert all(value % n == 0 for n in numbers)
        assert math.gcd(*(value // n for n in numbers)) == 1


_ONE_DIE = {
    "even": lambda v, k: v % 2 == 0,
    "odd": lambda v, k: v % 2 == 1,
    "prime": lambda v, k: v in (2, 3, 5),
    "multiple_of_3": lambda v, k: v % 3 == 0,
    "greater_than": lambda v, k: v > k,
    "at_most": lambda v, k: v <= k,
}


def check_probability(params: dict, answer: Fraction) -> None:
    kind = params["kind"]
    if kind == "one_die":
        outcomes = [(v,) for v in range(1, 7)]
        favourable = [o for o in outcomes if _ONE_DIE[params["event"]](o[0], params["k"])]
    elif kind.endswith("_dice"):
        dice = int(kind[0])
        outcomes = list(itertools.product(range(1, 7), repeat=dice))
        if params["relation"] == "at_least":
            favourable = [o for o in outcomes if sum(o) >= params["target"]]
        else:
            assert params["relation"] == "equal_to"
            favourable = [o for o in outcomes if sum(o) == params["target"]]
    else:
        outcomes = list(itertools.product("HT", repeat=params["flips"]))
        heads = params["heads"]
        if kind == "coins_exactly":
            favourable = [o for o in outcomes if o.count("H") == heads]
        else:
            favourable = [o for o in outcomes if o.count("H") >= heads]
    assert len(outcomes) == params["outcomes"]
    assert answer == Fraction(len(favourable), len(outcomes))
    assert 0 < answer < 1


def check_percent(params: dict, answer: Fraction) -> None:
    value = Fraction(params["start"])
    for change in params["changes"]:
        value += value * change / 100
        assert value.denominator == 1  # every intermediate price is whole dollars
    assert answer == value


def check_radicals(params: dict, answer_square: int) -> None:
    rest = params["square_free"]
    roots = []
    for radicand in params["radicands"]:
        assert radicand % rest == 0
        root = math.isqrt(radicand // rest)
        assert root * root * rest == radicand
        roots.append(root)
    assert answer_square == sum(roots) ** 2 * rest


def check_sequence(params: dict, answer: Fraction) -> None:
    n, first, kind = params["n"], params["first"], params["kind"]
    terms = [first]
    for _ in range(n - 1):
        if "ratio" in params:
            terms.append(terms[-1] * params["ratio"])
        else:
            terms.append(terms[-1] + params["difference"])
    if kind.endswith("_term"):
        assert answer == terms[-1]
    else:
        assert answer == sum(terms)
    for index, value in params.get("known_terms", []):
        assert first + (index - 1) * params["difference"] == value


CHECKERS: dict[str, Callable[[dict, Any], None]] = {
    "arithmetic": check_arithmetic,
    "combinatorics": check_combinatorics,
    "fractions": check_fractions,
    "gcd_lcm": check_gcd_lcm,
    "linear_equation": check_linear_equation,
    "linear_system": check_linear_system,
    "modular": check_modular,
    "percent": check_percent,
    "polynomial": check_polynomial,
    "probability": check_probability,
    "quadratic": check_quadratic,
    "radicals": check_radicals,
    "sequence": check_sequence,
}

# ---------------------------------------------------------------------------------------------
# What each family's docstring says grows with the level, computed from the drawn numbers.

MEASURES: dict[str, Callable[[dict], float]] = {
    "arithmetic": lambda p: max(len(str(abs(v))) for v in p["operands"]),
    "combinatorics": lambda p: p["n"],
    "fractions": lambda p: max(d for _, d in p["fractions"]),
    "gcd_lcm": lambda p: max(p["numbers"]),
    "linear_equation": lambda p: max(abs(c) for c in p["x_coefficients"]),
    # lexicographic (unknowns, largest |coefficient|), coefficients stay below 100
    "linear_system": lambda p: 100 * len(p["matrix"]) + max(abs(c) for r in p["matrix"] for c in r),
    "modular": lambda p: p["modulus"],
    "percent": lambda p: len(p["changes"]),
    "polynomial": lambda p: math.prod(sum(1 for c in f if c) for f in p["factors"]),
    "probability": lambda p: p["outcomes"],
    "quadratic": lambda p: abs(p["coefficients"][0] * p["coefficients"][2]),
    "radicals": lambda p: max(p["radicands"]),
    "sequence": lambda p: p["n"],
}


def _shown_numbers(name: str, params: dict) -> list[int]:
    """Numbers of the draw that the question must state."""
    if name == "arithmetic":
        return params["operands"]
    if name == "fractions":
        return [v for pair in params["fractions"] for v in pair]
    if name == "gcd_lcm":
        return params["numbers"]
    if name == "linear_equation":
        return [abs(v) for v in params["coefficients"].values() if v]
    if name == "linear_system":
        return [abs(v) for row in params["matrix"] for v in row if abs(v) != 1] + params["rhs"]
    if name == "modular":
        return [params["base"], params["modulus"]] + (
            [params["exponent"]] if params["kind"] == "power" else []
        )
    if name == "percent":
        return [params["start"], *(abs(c) for c in params["changes"])]
    if name == "polynomial":
        return [abs(v) for f in params["factors"] for v in f if abs(v) > 1]
    if name == "quadratic":
        return [abs(v) for v in params["coefficients"] if abs(v) > 1]
    if name == "radicals":
        return params["radicands"]
    if name == "sequence":
        known = [v for pair in params.get("known_terms", []) for v in pair]
        return [params["n"], *known] if known else [params["n"], params["first"]]
    if name == "combinatorics":
        return [params["n"], params["r"]] if params["kind"] != "letters" else []
    if name == "probability":
        return [params.get(key) for key in ("target", "flips", "heads", "k") if params.get(key)]
    raise AssertionError(f"no shown-numbers rule for {name}")


def _problems(name: str, difficulty: int, count: int = SEEDS_PER_LEVEL) -> list[Problem]:
    family = FAMILIES[name]
    return [family.generate(random.Random(SEED + seed), difficulty) for seed in range(count)]


LEVELS = [(name, level) for name in sorted(FAMILIES) for level in DIFFICULTY_LEVELS]
LEVEL_IDS = [f"{name}-d{level}" for name, level in LEVELS]


# ---------------------------------------------------------------------------------------------
# Registry.


def test_registry_holds_at_least_ten_families_keyed_by_their_names_in_sorted_order():
    assert len(FAMILIES) >= 10
    assert list(FAMILIES) == sorted(FAMILIES)
    for name, family in FAMILIES.items():
        assert isinstance(family, MathFamily)
        assert family.name == name and family.description


def test_every_family_has_a_parser_checker_and_difficulty_measure_in_this_file():
    assert set(FAMILIES) == set(PARSERS) == set(CHECKERS) == set(MEASURES)


def test_every_family_docstring_documents_its_levels():
    for family in FAMILIES.values():
        doc = type(family).__doc__ or ""
        assert "Difficulty" in doc and "measurable" in doc, family.name


# ---------------------------------------------------------------------------------------------
# Every family at every level.


@pytest.mark.parametrize(("name", "difficulty"), LEVELS, ids=LEVEL_IDS)
def test_answer_is_canonical_and_correct_for_the_drawn_numbers(name, difficulty):
    for problem in _problems(name, difficulty):
        assert problem.answer == problem.answer.strip() and problem.answer
        CHECKERS[name](dict(problem.params), PARSERS[name](problem.answer))


@pytest.mark.parametrize(("name", "difficulty"), LEVELS, ids=LEVEL_IDS)
def test_distractors_are_three_to_five_canonical_values_all_different_from_the_answer(
    name, difficulty
):
    for problem in _problems(name, difficulty):
        assert isinstance(problem.distractors, tuple)
        assert 3 <= len(problem.distractors) <= 5
        values = [PARSERS[name](d) for d in problem.distractors]
        answer = PARSERS[name](problem.answer)
        assert answer not in values, (problem.question, problem.distractors)
        assert len(set(values)) == len(values), problem.distractors


@pytest.mark.parametrize(("name", "difficulty"), LEVELS, ids=LEVEL_IDS)
def test_question_states_the_drawn_numbers(name, difficulty):
    for problem in _problems(name, difficulty, count=10):
        shown = set(re.findall(r"\d+", problem.question))
        for number in _shown_numbers(name, dict(problem.params)):
            assert str(abs(number)) in shown, (number, problem.question)


@pytest.mark.parametrize(("name", "difficulty"), LEVELS, ids=LEVEL_IDS)
def test_solution_ends_with_the_papers_final_answer_sentence(name, difficulty):
    for problem in _problems(name, difficulty, count=10):
        assert problem.solution.endswith("\n" + final_answer_sentence(problem.answer))


@pytest.mark.parametrize(("name", "difficulty"), LEVELS, ids=LEVEL_IDS)
def test_params_are_plain_json_data(name, difficulty):
    for problem in _problems(name, difficulty, count=10):
        assert json.loads(json.dumps(dict(problem.params))) == dict(problem.params)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_same_rng_seed_gives_the_same_problem(name):
    for difficulty in DIFFICULTY_LEVELS:
        first = FAMILIES[name].generate(random.Random(SEED), difficulty)
        second = FAMILIES[name].generate(random.Random(SEED), difficulty)
        assert first == second


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_different_seeds_give_varied_questions(name):
    for difficulty in DIFFICULTY_LEVELS:
        questions = {p.question for p in _problems(name, difficulty, count=50)}
        assert len(questions) >= 8, (difficulty, len(questions))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_documented_difficulty_measure_strictly_increases_with_the_level(name):
    means = []
    for difficulty in DIFFICULTY_LEVELS:
        problems = _problems(name, difficulty, count=MEASURE_SAMPLES)
        means.append(statistics.mean(MEASURES[name](dict(p.params)) for p in problems))
    assert all(low < high for low, high in itertools.pairwise(means)), means


@pytest.mark.parametrize("bad", [0, 6, -1, 2.0, True, "3", None])
def test_generate_rejects_a_difficulty_outside_one_to_five(bad):
    with pytest.raises(ValueError, match="difficulty must be"):
        FAMILIES["arithmetic"].generate(random.Random(0), bad)


def test_out_of_range_difficulty_message_names_the_value():
    with pytest.raises(ValueError, match=r"^difficulty must be 1\.\.5, got 9$"):
        FAMILIES["fractions"].generate(random.Random(0), 9)


# ---------------------------------------------------------------------------------------------
# Shared formatting and distractor helpers.


def test_format_number_reduces_and_puts_the_sign_in_front():
    assert format_number(Fraction(6, -8)) == "-\\frac{3}{4}"
    assert format_number(Fraction(12, 4)) == "3"
    assert format_number(0) == "0"


def test_format_tuple_and_root_set_forms():
    assert format_tuple([Fraction(1, 2), 3]) == "(\\frac{1}{2}, 3)"
    assert format_root_set([3, -2, 3]) == "-2, 3"
    assert format_root_set([Fraction(5, 2), Fraction(5, 2)]) == "\\frac{5}{2}"


def test_format_polynomial_skips_zero_terms_and_unit_coefficients():
    assert format_polynomial([1, 0, -1, 0]) == "x^3 - x"
    assert format_polynomial([-1, 2]) == "-x + 2"
    assert format_polynomial([0, 0]) == "0"


def test_format_sqrt_gives_simplest_radical_form():
    assert [format_sqrt(n) for n in (72, 7, 49, 1)] == ["6\\sqrt{2}", "\\sqrt{7}", "7", "1"]


def test_simplify_sqrt_rejects_non_positive_radicands():
    with pytest.raises(ValueError, match="radicand must be a positive int, got 0"):
        simplify_sqrt(0)


def test_pick_distractors_drops_values_equal_to_the_answer_even_when_written_differently():
    picked = pick_distractors(
        Fraction(1, 2), [Fraction(2, 4), Fraction(1, 3)], format_number, [1, 2]
    )
    assert picked == ("\\frac{1}{3}", "1", "2")


def test_pick_distractors_treats_an_int_and_an_equal_fraction_as_one_value():
    # Families keep whole values as ints (cheap) and the rest as Fractions: equal values must
    # still collide, inside tuples too.
    picked = pick_distractors(
        (1, Fraction(1, 2)),
        [(Fraction(2, 2), Fraction(2, 4)), (2, Fraction(1, 2)), (Fraction(4, 2), Fraction(1, 2))],
        format_tuple,
        [(3, 3), (4, 4)],
    )
    assert picked == ("(2, \\frac{1}{2})", "(3, 3)", "(4, 4)")


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(6, 3, 2), (6, -3, -2), (0, 5, 0), (6, 4, Fraction(3, 2)), (-1, 3, Fraction(-1, 3))],
)
def test_exact_ratio_is_an_int_when_whole_and_the_reduced_fraction_otherwise(
    numerator, denominator, expected
):
    value = exact_ratio(numerator, denominator)
    assert value == Fraction(numerator, denominator) == expected
    assert type(value) is type(expected)


def test_pick_distractors_caps_at_five_realistic_mistakes():
    assert len(pick_distractors(0, range(1, 20), str)) == 5


def test_pick_distractors_fails_loudly_when_too_few_wrong_values_exist():
    with pytest.raises(RuntimeError, match="only 1 distractors"):
        pick_distractors(0, [0, 1, 1], str, fallbacks=[0])


# ---------------------------------------------------------------------------------------------
# Agreement with the project's math verifier (written separately, so it is an independent
# check of both sides: the canonical answers must verify, the distractors must not).


def test_verifier_accepts_every_answer_and_rejects_every_distractor():
    equivalence = pytest.importorskip(
        "score_envs.math.equivalence", reason="the math verifier module is not available"
    )
    answers_equivalent = equivalence.answers_equivalent
    disagreements = []
    for name, difficulty in LEVELS:
        for problem in _problems(name, difficulty, count=20):
            if not answers_equivalent(problem.answer, problem.answer):
                disagreements.append(("answer rejected", name, difficulty, problem.answer))
            for distractor in problem.distractors:
                if answers_equivalent(distractor, problem.answer):
                    disagreements.append(("distractor accepted", name, problem.answer, distractor))
    assert not disagreements, disagreements[:10]
