"""Planning tests (testplan.py): what the program process gets, and what the parent keeps."""

from __future__ import annotations

import ast
import math

import pytest

from score_envs.code import run_tests
from score_envs.code.sandbox import evaluate, testplan
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
        ["assert all(f(x) for x in range(3))"],  # a call of the program inside a comprehension
        ["x = 3", "assert f(x) == 3"],  # a test variable
        ["assert f(1).startswith('a')"],  # a method of the result
        ["assert f(1) is 5"],  # identity with a non-singleton
        ["assert sorted(f(1), key=len) == []"],  # a key function
    ],
)
def test_shapes_the_parent_cannot_evaluate_go_to_the_checker(tests):
    assert isinstance(make_plan(tests), CheckerPlan)


def test_value_from_the_program_goes_to_the_checker_with_program_names():
    source = (
        "def check(c):\n    for x in range(3):\n        r = c(x)\n        assert r == helper(x)\n"
    )
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


def _check_source(*body_lines, before=""):
    return before + "def check(c):\n" + "".join(f"    {line}\n" for line in body_lines)


# --- loops, test values and comprehensions ----------------------------------------------------


def test_loop_is_unrolled_with_values_written_into_the_probes():
    plan = make_plan(
        _check_source("for x in range(2, 5):", "    assert c(x, x + 1) == str(x)"), "f"
    )
    assert isinstance(plan, ProbePlan)
    assert plan.probes == ("c(2, 3)", "c(3, 4)", "c(4, 5)")


def test_each_iteration_of_an_unrolled_loop_is_one_counted_test():
    source = _check_source(
        "assert c(0, 0) == 0",
        "for a in range(2):",
        "    for b in range(3):",
        "        assert c(a, b) == a * b",
    )
    assert make_plan(source, "f").total == 1 + 2 * 3


def test_unrolled_check_compares_with_the_iterations_expected_value():
    plan = make_plan(_check_source("for x in range(3):", "    assert c(x) == 10 * x"), "f")
    last = plan.checks[2]
    results = [evaluate.ProbeResult(value) for value in (0, 10, 20)]
    assert evaluate.evaluate(last.tree, results) is True
    results[2] = evaluate.ProbeResult(2)
    assert evaluate.evaluate(last.tree, results) is False


def test_failing_iteration_stops_the_report_at_its_own_assertion():
    tests = _check_source("for x in range(2, 6):", "    assert c(x, x + 1) == str(x)")
    program = "def f(a, b):\n    return 'bad' if a in (3, 4) else str(a)\n"
    report = run_tests(program, tests, entry_point="f")
    assert report.status == "failed"
    assert report.detail.startswith("failed: assert c(x, x + 1) == str(x) (with x = 3);")
    assert "c(3, 4) returned 'bad'" in report.detail


def test_assigned_constants_are_computed_in_the_parent_and_never_sent():
    source = _check_source(
        "lst = list(range(-5, 6, 2))",
        "odd_sum = 31337 + sum([i ** 2 for i in lst if i > 0])",
        "assert c(lst) == odd_sum",
    )
    plan = make_plan(source, "f")
    assert isinstance(plan, ProbePlan)
    assert plan.probes == ("c([-5, -3, -1, 1, 3, 5])",)
    assert plan.checks[0].tree == ("compare", ("probe", 0), ["Eq"], [("const", 31337 + 35)])
    assert "31372" not in plan.probes[0]


def test_comprehension_in_an_assert_is_computed_once_when_planning():
    plan = make_plan(["assert f(3) == [i * i for i in range(3)]"])
    assert isinstance(plan, ProbePlan)
    assert plan.checks[0].tree == ("compare", ("probe", 0), ["Eq"], [("const", [0, 1, 4])])


def test_generator_consumed_by_a_builtin_is_computed_when_planning():
    plan = make_plan(["assert f(4) == sum(i for i in range(4) if i % 2)"])
    assert plan.checks[0].tree == ("compare", ("probe", 0), ["Eq"], [("const", 4)])


def test_loop_over_a_name_bound_to_a_constant_unpacks_its_items():
    source = _check_source(
        "cases = [(1, 'one'), (2, 'two')]",
        "for number, word in cases:",
        "    assert c(word) == number",
    )
    plan = make_plan(source, "f")
    assert plan.probes == ("c('one')", "c('two')")


def test_loop_over_a_module_constant_is_unrolled():
    source = _check_source("for x in CASES:", "    assert c(x) == x", before="CASES = [4, 5]\n\n")
    assert make_plan(source, "f").probes == ("c(4)", "c(5)")


def test_loop_variable_named_like_a_helper_parameter_is_a_test_value():
    source = _check_source("for x in range(2):", "    assert c(x) == x")
    plan = make_plan(source, "f", helpers="def f(x):\n    return x\n")
    assert plan.probes == ("c(0)", "c(1)")


def test_literal_for_each_plain_value_round_trips_exactly():
    values = [
        None,
        True,
        -7,
        2**80,
        0.1,
        -0.0,
        1e300,
        'it\'s "q"\n\u00e9',
        b"\x00'",
        (1,),
        (),
        [[]],
    ]
    values += [{"k": (1, 2.5)}, {3, 1, 2}]
    source = _check_source(
        "for x in VALUES:", "    assert c(x) is None", before=f"VALUES = {values!r}\n"
    )
    plan = make_plan(source, "f")
    sent = [ast.literal_eval(probe[2:-1]) for probe in plan.probes]
    assert sent == values
    assert [type(value) for value in sent] == [type(value) for value in values]
    assert math.copysign(1.0, sent[5]) == -1.0


def test_infinities_and_the_empty_set_are_sent_without_any_name():
    source = _check_source("for x in [float('inf'), -float('inf'), set()]:", "    assert c(x) == 0")
    assert make_plan(source, "f").probes == ("c(1e999)", "c(-1e999)", "c({*()})")


def test_set_of_strings_keeps_the_checker_plan():
    # str hashes are salted per process: the program's copy of the set could iterate otherwise.
    source = _check_source("s = {'pear', 'apple', 'fig'}", "assert c(s) == 3")
    assert isinstance(make_plan(source, "f"), CheckerPlan)


def test_names_bound_inside_a_probe_keep_their_own_meaning():
    source = _check_source("k = 10", "assert c([i + k for i in range(2)]) == 0")
    assert make_plan(source, "f").probes == ("c([10, 11])",)


def test_probe_free_iteration_that_holds_is_not_counted():
    source = _check_source("for x in range(3):", "    assert x < 5", "    assert c(x) == x")
    assert make_plan(source, "f").total == 3


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (["r = c(3)", "assert r == 1"], "a value computed by the program"),
        (["for x in range(3):", "    r = c(x)", "    assert r == x"], "the same, in a loop"),
        (["for x in range(2000):", "    assert c(x) == x"], "more iterations than the cap"),
        (["for x in [float('nan')]:", "    assert c(x) == 0"], "nan has no literal"),
        (["x = range(3)", "assert c(x) == 3"], "a range has no literal"),
        (["big = 'a' * 200_000", "assert c(big) == 1"], "a probe over the size cap"),
        (["for x in {1, 2}:", "    assert c(x) == x"], "a loop over a set"),
        (["x = [i for i in range(10 ** 6)]", "assert c(x) == 0"], "a huge comprehension"),
        (["for x in range(2):", "    assert c(x) == x", "else:", "    pass"], "a loop's else"),
        (["for x in range(2):", "    if x:", "        assert c(x) == x"], "an if statement"),
        (["sum = 3", "assert c(sum) == 3"], "a test value hiding a builtin"),
        (["assert c(X) == 1", "X = 2"], "a local read before it is bound"),
        (["x = 1 / 0", "assert c(x) == 1"], "a test value that raises"),
    ],
)
def test_shapes_the_parent_cannot_compute_keep_the_checker_plan(body, why):
    source = _check_source(*body, before="X = 1\n\n")
    assert isinstance(make_plan(source, "f"), CheckerPlan), why


def test_check_with_values_but_no_call_after_unrolling_keeps_the_checker_plan():
    assert isinstance(make_plan(_check_source("for x in []:", "    assert c(x)"), "f"), CheckerPlan)


def test_check_that_never_calls_the_program_is_still_refused():
    with pytest.raises(ValueError, match="never call the program"):
        make_plan(_check_source("assert 1 + 1 == 2"), "f")


def test_probe_text_is_the_tests_own_source_where_exact():
    source = _check_source('assert c("a", [1,2]) == 3', "assert c(\n        'b') == 4")
    assert make_plan(source, "f").probes == ('c("a", [1,2])', "c('b')")


def test_loop_limit_constant_is_the_documented_cap():
    at_cap = _check_source(f"for x in range({testplan.MAX_UNROLLED_ASSERTS}):", "    assert c(x)")
    assert make_plan(at_cap, "f").total == testplan.MAX_UNROLLED_ASSERTS


# --- probes rebuilt with test values (B2) -----------------------------------------------------


def _passes_in_plain_python(program: str, tests: str, entry_point: str) -> bool:
    """The reference: run our own check source and program in this process, as Python would."""
    program_namespace: dict = {}
    exec(program, program_namespace)  # the tests' own trusted programs
    tests_namespace: dict = {}
    exec(tests, tests_namespace)
    try:
        tests_namespace["check"](program_namespace[entry_point])
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(
    ("values", "call", "program"),
    [
        (
            "[258, 1]",
            "c(x.to_bytes(2, 'big')) == x",
            "def f(b):\n    return int.from_bytes(b, 'big')\n",
        ),
        ("[-2, 3]", "c(lambda t: x ** t, 2) == x ** 2", "def f(g, t):\n    return g(t)\n"),
        ("[-2.5, 4]", "c((lambda: x)) == x", "def f(g):\n    return g()\n"),
        ("[-7, 7]", "c([x][0], -x) == 0", "def f(a, b):\n    return a + b\n"),
    ],
)
def test_rebuilt_probe_keeps_the_meaning_of_each_test_value(values, call, program):
    tests = _check_source(f"for x in {values}:", f"    assert {call}")
    assert _passes_in_plain_python(program, tests, "f")
    plan = make_plan(tests, "f")
    assert isinstance(plan, ProbePlan)
    for probe in plan.probes:
        ast.parse(probe, mode="eval")  # every probe sent is valid Python
    report = run_tests(program, tests, entry_point="f")
    assert report.passed, report.detail


def test_negative_literal_before_a_power_is_parenthesised():
    source = _check_source("for x in [-2]:", "    assert c(lambda t: x ** t, 2) == 4")
    assert make_plan(source, "f").probes == ("c(lambda t: (-2) ** t, 2)",)


def test_int_literal_before_an_attribute_is_parenthesised():
    source = _check_source("for n in [258]:", "    assert c(n.to_bytes(2, 'big')) == n")
    assert make_plan(source, "f").probes == ("c((258).to_bytes(2, 'big'))",)


def test_test_value_inside_an_f_string_keeps_the_checker_plan():
    # Python 3.10/3.11 cannot parse f'<{'ab'}>': the literal is never spliced into an f-string.
    tests = _check_source("for w in ['ab', \"c'd\"]:", "    assert c(f'<{w}>') == len(w) + 2")
    assert isinstance(make_plan(tests, "f"), CheckerPlan)
    assert run_tests("def f(s):\n    return len(s)\n", tests, entry_point="f").passed


# --- depth (B3) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tests",
    [
        ["assert f(1) == " + "+".join(["1"] * 500)],
        _check_source("assert c(1) == " + "+".join(["1"] * 500)),
        _check_source("x = " + "+".join(["1"] * 500), "assert c(x) == 500"),
        _check_source("x = 1", "assert c(lambda t: t + " + "+".join(["1"] * 500) + " + x) == 1"),
    ],
)
def test_expression_deeper_than_the_limit_goes_to_the_checker(tests):
    assert isinstance(make_plan(tests, "f"), CheckerPlan)


@pytest.mark.parametrize(
    "tests",
    [
        ["assert f(1) == " + "+".join(["1"] * 900)],
        _check_source("assert c(1) == " + "+".join(["1"] * 900)),
    ],
)
def test_deep_assertion_is_judged_as_python_would(tests):
    program = "def f(x):\n    return 900\n"
    assert run_tests(program, tests, entry_point="f").passed
    assert run_tests("def f(x):\n    return 899\n", tests, entry_point="f").status == "failed"


def test_expression_at_the_depth_limit_is_still_parent_checked():
    depth = testplan.MAX_EXPRESSION_DEPTH - 5
    assert isinstance(make_plan(["assert f(1) == " + "+".join(["1"] * depth)]), ProbePlan)


# --- short circuits (B4) ------------------------------------------------------------------------

LOOPS_ON_ZERO = "def f(n):\n    while n % 2 == 0:\n        n //= 2\n    return n\n"


def test_probe_skipped_by_a_short_circuit_is_never_sent():
    tests = _check_source("for n in [0, 3]:", "    assert n == 0 or c(n) == n")
    assert make_plan(tests, "f").probes == ("c(3)",)
    assert _passes_in_plain_python(LOOPS_ON_ZERO, tests, "f")
    assert run_tests(LOOPS_ON_ZERO, tests, entry_point="f", timeout_s=1).passed


def test_branch_a_conditional_expression_skips_is_never_sent():
    tests = _check_source("for n in [0, 5]:", "    assert (c(n) == n) if n else True")
    assert make_plan(tests, "f").probes == ("c(5)",)
    assert run_tests(LOOPS_ON_ZERO, tests, entry_point="f", timeout_s=1).passed


def test_plain_asserts_skip_probes_as_python_does():
    plan = make_plan(["assert f(2) == 1 and (2 > 3 and f(0) == 0)", "assert f(3) == 3"])
    assert isinstance(plan, CheckerPlan)  # the first operand needs a probe: its course does too
    plan = make_plan(["assert 2 > 3 and f(0) == 0 or f(3) == 3"])
    assert plan.probes == ("f(3)",)


def test_short_circuit_whose_every_probe_is_skipped_goes_to_the_checker():
    # Python never calls the program here; the checker runs it as Python does.
    assert isinstance(make_plan(["assert True or f(0) == 0"]), CheckerPlan)


@pytest.mark.parametrize(
    "body",
    [
        ["assert c(1) == 1 or c(0) == 0"],
        ["assert (c(0) if c(1) else c(2)) == 1"],
    ],
)
def test_course_that_depends_on_a_probe_keeps_the_checker_plan(body):
    assert isinstance(make_plan(_check_source(*body), "f"), CheckerPlan)


def test_probes_are_sent_in_pythons_evaluation_order():
    counter = "import itertools\n_calls = itertools.count(1)\ndef f():\n    return next(_calls)\n"
    tests = [
        "assert {f(): f(), f(): f()} == {1: 2, 3: 4}",
        "assert round(f(), ndigits=f()) == 5",
    ]
    assert run_tests(counter, tests).passed


# --- sets (B5) -------------------------------------------------------------------------------


@pytest.mark.parametrize("display", ["{8, 0}", "{0, 8}", "{16, 8, 0}", "{(1, 9), (2, 1)}"])
def test_set_is_sent_so_that_it_iterates_as_in_the_parent(display):
    tests = _check_source(f"s = {display}", "assert c(s) == list(s)")
    program = "def f(s):\n    return list(s)\n"
    assert _passes_in_plain_python(program, tests, "f")
    plan = make_plan(tests, "f")
    assert isinstance(plan, ProbePlan)
    assert run_tests(program, tests, entry_point="f").passed


def test_set_no_display_can_rebuild_keeps_the_checker_plan():
    # {3, 9} left in a larger set's table iterates 3, 9; any new set of 3 and 9 iterates 9, 3.
    source = _check_source("s = set(range(20)) ^ (set(range(20)) - {3, 9})", "assert c(s) == 0")
    assert isinstance(make_plan(source, "f"), CheckerPlan)


# --- planning budget (B6) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # more statements than MAX_PLAN_STATEMENTS, each cheap
        ["for a in range(1000):", "    for b in range(20):", "        pass", "assert c(1) == 1"],
        # comprehensions that each fit the evaluator's bounds but not one plan's shared budget
        ["for i in range(3):", "    assert c(i) == sum([j for j in range(60000)])"],
        # an allowed but large operation repeated by a loop
        ["for i in range(20):", "    x = len(list(range(10 ** 6)))", "assert c(1) == 1"],
        # more expression nodes than MAX_PLAN_NODES
        ["for a in range(200):", "    y = [" + ", ".join(["a"] * 1000) + "]", "assert c(1) == 1"],
    ],
)
def test_plan_over_its_budget_goes_to_the_checker(body):
    assert isinstance(make_plan(_check_source(*body), "f"), CheckerPlan)


def test_plan_holding_a_large_computed_value_is_not_cached():
    small = _check_source("expected = list(range(10))", "assert c(1) == expected")
    large = _check_source("expected = list(range(10 ** 6))", "assert c(1) == expected")
    assert make_plan(small, "f") is make_plan(small, "f")
    first = make_plan(large, "f")
    assert isinstance(first, ProbePlan)
    assert make_plan(large, "f") is not first


# --- later probes must not reveal expected values (P1) -------------------------------------

ROUND_TRIP = (
    "def check(candidate):\n"
    "    for plain, cipher in [('attack', 'dwwdfn'), ('zebra', 'cheud')]:\n"
    "        assert candidate(plain) == cipher\n"
    "        assert decode(cipher) != ''\n"
)


def test_round_trip_whose_later_call_spells_the_expected_value_starts_a_new_stage():
    plan = make_plan(["assert encode('attack') == 'dwwdfn'", "assert decode('dwwdfn') == 'attack'"])
    assert isinstance(plan, ProbePlan)
    assert plan.stages == (1,)  # decode('dwwdfn') only once encode('attack') has answered
    plan = make_plan(ROUND_TRIP, "encode")
    assert isinstance(plan, ProbePlan) and plan.stages


def test_expected_value_inside_a_later_argument_counts():
    items = ["assert f(3) == [1, 20]", "assert g(([1, 20], 5)) == 0"]
    assert make_plan(items).stages == (1,)
    items = ["assert f(3) == -42", "assert g(-42) == 0"]
    assert make_plan(items).stages == (1,)


@pytest.mark.parametrize(
    "items",
    [
        # guessable values: small ints, bools, None, empty strings and containers
        ["assert f(1) == 2", "assert f(2) == 3", "assert f([]) == True", "assert f(True) == []"],
        # a value the program was shown before (by its own call or an earlier one)
        ["assert f('abc') == 'abc'", "assert f('abc') == 'abc'"],
        ["assert g('xyz') == 1", "assert f('abc') == 'xyz'", "assert f('xyz') == 'abc'"],
        # an expected value no call spells
        ["assert f('abc') == 'cba'", "assert f('hello') == 'olleh'"],
    ],
)
def test_calls_that_show_nothing_new_stay_parent_checked(items):
    assert isinstance(make_plan(items), ProbePlan)


def test_literal_calls_carry_values_and_other_probes_stay_source():
    plan = make_plan(
        [
            "assert f([1, -2], {'a': (1, 2.5), 3: None}, k=-0.5) == 1",
            "assert f(b'x', 'y', ..., +3, -1j) == 1",
            "assert f({1, 2}) == 1",  # a set: its order could change crossing marshal
            "assert f(*[1]) == 1",
            "assert f(2 ** 3) == 1",
            "assert f(-True) == 1",
            "assert f({[1]: 2}) == 1",  # unhashable key: raised in the sandbox, from the source
            "assert f.m(1) == 1",
            "assert f(x=1, x=2) == 1",  # parses, but does not compile
            "assert f(__debug__=1) == 1",  # likewise
            "assert f(**{'x': 1}) == 1",
        ]
    )
    assert isinstance(plan, ProbePlan)
    calls = plan.literal_calls
    assert calls[0] == ("f", ([1, -2], {"a": (1, 2.5), 3: None}), {"k": -0.5})
    assert calls[1] == ("f", (b"x", "y", ..., 3, -1j), None)
    assert calls[2:] == (None,) * 9
    assert make_plan(["assert f(x=1) == 2"]).literal_calls == (("f", (), {"x": 1}),)
    # a loop's probes carry test values spliced into their source: compiled, not literal
    looped = make_plan(_check_source("for x in [1, 2]:", "    assert c(x) == x"), "f")
    assert looped.literal_calls == ()


def test_literal_calls_run_like_their_source():
    program = (
        "def f(xs, *, k=0):\n"
        "    xs.append(k)\n"  # each call gets its own new list, as evaluating the source gives
        "    return len(xs), xs[-1]\n"
        "def g(x):\n"
        "    raise ValueError(x)\n"
    )
    tests = ["assert f([1]) == (2, 0)", "assert f([1], k=5) == (2, 5)", "assert f([]) == (1, 0)"]
    assert make_plan(tests).literal_calls[1] == ("f", ([1],), {"k": 5})
    report = run_tests(program, tests)
    assert report.passed and report.passed_count == 3
    # the same reports as for compiled calls: the program's line, Python's NameError
    raising = run_tests(program, ["assert g('boom') == 1"])
    assert raising.status == "error"
    assert "g('boom') raised ValueError: boom (line 5 of the program)" in raising.detail
    missing = run_tests(program, ["assert h(1) == 1"])
    assert missing.status == "error"
    assert "h(1) raised NameError: name 'h' is not defined" in missing.detail
    repeated = run_tests(program, ["assert f([], k=1, k=2) == (1, 2)"])
    assert repeated.status == "error" and "keyword argument repeated" in repeated.detail
