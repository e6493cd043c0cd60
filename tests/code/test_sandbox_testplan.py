"""Planning tests (testplan.py) and the parent's bounded evaluator (evaluate.py)."""

from __future__ import annotations

import pytest

from score_envs.code.sandbox import evaluate
from score_envs.code.sandbox.testplan import CheckerPlan, ProbePlan, make_plan


def test_probes_carry_the_calls_and_never_the_expected_values():
    plan = make_plan(
        [
            "assert add(1, 2) == 31337",
            "assert abs(add(0.5, 0.25) - 0.75125) < 1e-3",
            "assert sorted(pair('b', 'a')) == ['a', 'b']",
        ]
    )
    assert isinstance(plan, ProbePlan)
    assert plan.probes == ("add(1, 2)", "add(0.5, 0.25)", "pair('b', 'a')")
    text = " ".join(plan.probes)
    assert "31337" not in text and "0.75125" not in text and "['a', 'b']" not in text


def test_check_source_uses_its_parameter_name_and_imports():
    source = "import math\n\ndef check(f):\n    assert math.isclose(f(2), 1.4142, rel_tol=1e-3)\n"
    plan = make_plan(source, "root")
    assert isinstance(plan, ProbePlan)
    assert (plan.probes, plan.candidate_name, plan.prelude) == (("f(2)",), "f", ("import math",))


def test_trivially_true_asserts_are_not_counted():
    plan = make_plan("def check(c):\n    assert True, 'note'\n    assert c(1) == 1\n", "f")
    assert plan.total == 1


@pytest.mark.parametrize(
    "tests",
    [
        ["assert f(1) == [i for i in range(1)]"],  # computed expectation
        ["x = 3", "assert f(x) == 3"],  # a test variable
        ["assert f(1).startswith('a')"],  # a method of the result
        ["assert f(1) is 5"],  # identity with a non-singleton
        ["assert sorted(f(1), key=len) == []"],  # a key function
    ],
)
def test_shapes_the_parent_cannot_evaluate_go_to_the_checker(tests):
    assert isinstance(make_plan(tests), CheckerPlan)


def test_loop_in_check_goes_to_the_checker_with_program_names():
    source = "def check(c):\n    for x in range(3):\n        assert c(x) == helper(x)\n"
    plan = make_plan(source, "f")
    assert isinstance(plan, CheckerPlan)
    assert plan.program_names == ("helper",)


def test_names_defined_by_trusted_helpers_are_not_program_names():
    source = "def check(c):\n    for x in range(3):\n        assert c(encode(x)) == x\n"
    plan = make_plan(source, "decode", helpers="def encode(x):\n    return x\n")
    assert isinstance(plan, CheckerPlan)
    assert plan.program_names == ()


def test_entry_point_named_in_tests_is_the_program_even_if_helpers_define_it():
    source = "def check(c):\n    assert c(1) == f(1)\n"
    plan = make_plan(source, "f", helpers="def f(x):\n    pass\n")
    assert isinstance(plan, ProbePlan)
    assert plan.probes == ("c(1)", "f(1)")


def test_stdlib_module_named_by_tests_is_the_real_module():
    plan = make_plan(["assert f(string.ascii_lowercase) == 26"])
    assert isinstance(plan, ProbePlan)
    assert plan.prelude == ("import string",)


def test_builtin_shadowed_by_program_is_still_the_builtin_in_the_parent():
    plan = make_plan(["assert sorted(f()) == [1, 2]"])
    assert plan.probes == ("f()",)


def _check(tree, *values):
    return evaluate.evaluate(tree, [evaluate.ProbeResult(value) for value in values])


def test_evaluator_compares_chains_and_short_circuits():
    chain = ("compare", ("const", 1), ["Lt", "Lt"], [("probe", 0), ("const", 3)])
    assert _check(chain, 2) is True
    assert _check(chain, 5) is False
    either = ("bool", "Or", [("probe", 0), ("probe", 1)])
    assert _check(either, "x", "y") == "x"


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
