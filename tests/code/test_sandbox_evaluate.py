"""The parent's bounded evaluator (evaluate.py): comparisons, probes, comprehensions, limits."""

from __future__ import annotations

import pytest

from score_envs.code.sandbox import evaluate


def _value(tree, *probe_values):
    return evaluate.evaluate(tree, [evaluate.ProbeResult(value) for value in probe_values])


def _range(*bounds):
    return ("call", "range", [("const", bound) for bound in bounds], {})


def _for(target, iterable, *conditions):
    return ("for", target, iterable, list(conditions))


def test_evaluator_compares_chains_and_short_circuits():
    chain = ("compare", ("const", 1), ["Lt", "Lt"], [("probe", 0), ("const", 3)])
    assert _value(chain, 2) is True
    assert _value(chain, 5) is False
    either = ("bool", "Or", [("probe", 0), ("probe", 1)])
    assert _value(either, "x", "y") == "x"


def test_evaluator_reports_the_probe_that_raised():
    result = evaluate.ProbeResult(raised=True, type_name="KeyError", message="'k'", line=3)
    with pytest.raises(evaluate.ProbeRaised) as caught:
        evaluate.evaluate(("probe", 0), [result])
    assert (caught.value.type_name, caught.value.line) == ("KeyError", 3)


@pytest.mark.parametrize(
    "tree",
    [
        ("binary", "Mult", ("const", [0]), ("const", 10**9)),
        ("binary", "Pow", ("const", 10), ("const", 10**7)),
        ("binary", "LShift", ("const", 1), ("const", 10**8)),
        ("binary", "Mod", ("const", "%s"), ("const", 1)),
        ("call", "round", [("const", 1), ("const", -(10**6))], {}),
        ("call", "int", [("const", "9" * 10_000)], {}),
    ],
)
def test_evaluator_refuses_work_that_would_be_huge(tree):
    with pytest.raises(evaluate.EvaluationLimit):
        evaluate.evaluate(tree, [])


def test_list_comprehension_filters_and_maps():
    # [i ** 2 for i in range(-3, 4) if i > 0]
    square = ("binary", "Pow", ("var", "i"), ("const", 2))
    positive = ("compare", ("var", "i"), ["Gt"], [("const", 0)])
    tree = ("listcomp", square, [_for("i", _range(-3, 4), positive)])
    assert _value(tree) == [1, 4, 9]


def test_later_generators_see_earlier_variables():
    # [(i, j) for i in range(3) for j in range(i)]
    inner = ("call", "range", [("var", "i")], {})
    tree = (
        "listcomp",
        ("tuple", [("var", "i"), ("var", "j")]),
        [_for("i", _range(3)), _for("j", inner)],
    )
    assert _value(tree) == [(1, 0), (2, 0), (2, 1)]


def test_dict_and_set_comprehensions_unpack_their_targets():
    pairs = ("const", [("a", 1), ("b", 2), ("c", 1)])
    by_value = ("dictcomp", ("var", "v"), ("var", "k"), [_for(("k", "v"), pairs)])
    values = ("setcomp", ("var", "v"), [_for(("k", "v"), pairs)])
    assert _value(by_value) == {1: "c", 2: "b"}
    assert _value(values) == {1, 2}


def test_generator_expression_is_lazy_like_pythons():
    # any(1 // i for i in [1, 0]) stops at the first true item, before dividing by zero
    divide = ("binary", "FloorDiv", ("const", 1), ("var", "i"))
    tree = ("call", "any", [("genexp", divide, [_for("i", ("const", [1, 0]))])], {})
    assert _value(tree) is True


def test_comprehension_variables_do_not_leak_out():
    tree = ("tuple", [("listcomp", ("var", "i"), [_for("i", _range(2))]), ("var", "i")])
    with pytest.raises(evaluate.EvaluationLimit):
        _value(tree)


def test_comprehension_over_a_huge_range_raises_instead_of_hanging():
    tree = ("listcomp", ("var", "i"), [_for("i", _range(10**6))])
    with pytest.raises(evaluate.EvaluationLimit):
        _value(tree)


def test_nested_comprehensions_share_one_step_budget():
    tree = ("listcomp", ("var", "j"), [_for("i", _range(1000)), _for("j", _range(1000))])
    with pytest.raises(evaluate.EvaluationLimit):
        _value(tree)


def test_comprehension_that_repeats_large_operations_runs_out_of_work():
    # [big == big for i in range(100)] with a million-item list: few steps, much work
    big = ("const", list(range(10**6)))
    same = ("compare", big, ["Eq"], [big])
    with pytest.raises(evaluate.EvaluationLimit):
        _value(("listcomp", same, [_for("i", _range(100))]))


@pytest.mark.parametrize("bounds", [(10**7,), (10**30,), (0, 10**40, 3)])
def test_ranges_longer_than_the_limit_are_refused(bounds):
    with pytest.raises(evaluate.EvaluationLimit):
        _value(_range(*bounds))


def test_sum_of_a_range_is_evaluated():
    assert _value(("call", "sum", [_range(1, 101)], {})) == 5050


def test_probe_indices_never_take_a_constant_for_a_node():
    # A computed dict or tuple held as a value (B1), a constant shaped like a probe node, and a
    # comprehension variable named "probe" are not probes.
    tree = (
        "bool",
        "And",
        [
            ("compare", ("probe", 1), ["Eq"], [("const", {"a": 1}), ("const", ("probe", 7))]),
            ("listcomp", ("var", "probe"), [_for(("probe", "x"), ("const", [(1, 2)]))]),
            ("call", "isinstance", [("probe", 0), ("name", "int")], {}),
            ("slice", None, ("probe", 2), None),
        ],
    )
    assert evaluate.probe_indices(tree) == [1, 0, 2]


def test_one_budget_is_shared_by_the_evaluations_given_it():
    budget = evaluate.Budget()
    tree = ("call", "sum", [("listcomp", ("var", "i"), [_for("i", _range(60_000))])], {})
    assert evaluate.evaluate(tree, [], budget) == sum(range(60_000))
    with pytest.raises(evaluate.EvaluationLimit):
        evaluate.evaluate(tree, [], budget)
    assert evaluate.evaluate(tree, []) == sum(range(60_000))  # a fresh budget of its own


def test_a_given_budget_is_charged_outside_comprehensions_too():
    tree = ("call", "list", [_range(1000)], {})
    assert len(evaluate.evaluate(tree, [])) == 1000
    with pytest.raises(evaluate.EvaluationLimit):
        evaluate.evaluate(tree, [], evaluate.Budget(work=500))


@pytest.mark.parametrize("function", ["str", "repr"])
def test_text_longer_than_the_limit_is_refused_before_it_is_built(function):
    # 20 references to one 10**6-character string: 2 * 10**7 characters of text
    big = ("binary", "Mult", ("list", [("const", "x" * 10**6)]), ("const", 20))
    with pytest.raises(evaluate.EvaluationLimit):
        evaluate.evaluate(("call", function, [big], {}), [])


@pytest.mark.parametrize(
    "value",
    [[1, 2.5, None, "a\n", b"\x00"], {3: (4, frozenset({5}))}, list(range(1000)), 2**100],
)
def test_text_of_a_value_within_the_limit_is_pythons(value):
    for function, expected in (("str", str(value)), ("repr", repr(value))):
        assert evaluate.evaluate(("call", function, [("const", value)], {}), []) == expected
