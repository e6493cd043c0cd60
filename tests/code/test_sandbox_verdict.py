"""verdict.judge: which kills count as the CPU-time limit, and how failures are explained."""

from __future__ import annotations

import ast
import os
import signal

import pytest

from score_envs.code.sandbox import harness, protocol, testplan, verdict, wire
from score_envs.code.sandbox.limits import Limits

PLAN = testplan.make_plan(["assert f(1) == 2"])
LIMITS = Limits.from_budget(1.0, 128)  # CPU limit 1 s
KILLED = int(signal.SIGKILL)  # a wait status: terminated by SIGKILL


def _judge_killed(cpu_s: float, killed_by_supervisor: bool) -> verdict.Judgement:
    """A probe run whose program process died of SIGKILL before sending any result."""
    report = {
        "who": "supervisor",
        "timed_out": False,
        "killed": False,
        "program": {
            "status": KILLED,
            "cpu_s": cpu_s,
            "killed_by_supervisor": killed_by_supervisor,
        },
    }
    return verdict.judge(PLAN, LIMITS, verdict.RunOutput(status=protocol.dumps(report)))


def test_kernel_kill_with_under_reported_cpu_time_is_a_timeout():
    # A threaded busy loop stopped by RLIMIT_CPU was once reported at 0.88 s of a 1 s limit.
    judgement = _judge_killed(0.88, killed_by_supervisor=False)
    assert judgement.status == "timeout", judgement.detail


def test_server_kill_below_the_cpu_limit_is_not_blamed_on_it():
    judgement = _judge_killed(0.88, killed_by_supervisor=True)
    assert judgement.status == "error", judgement.detail


def test_kernel_kill_after_little_cpu_time_is_an_error():
    judgement = _judge_killed(0.1, killed_by_supervisor=False)
    assert judgement.status == "error", judgement.detail
    assert "SIGKILL" in judgement.detail


def _probe_run(*results: object) -> verdict.RunOutput:
    """A probe run whose program sent these results (each ``["ok", value]``, value as data)."""
    encoded = [["ok", wire.encode(value)] for value in results]
    message = {"load": {"ok": True}, "results": encoded}
    return verdict.RunOutput(result=protocol.dumps(message))


@pytest.mark.parametrize(
    "body",
    [
        ["expected = {'a': 1}", "assert c('a') == expected"],
        ["expected = ('probe', 7)", "assert c('a') == expected"],
        ["expected = {i: i * i for i in range(3)}", "assert c('a') == expected"],
    ],
)
def test_failed_check_against_a_computed_container_is_explained(body):
    # These used to raise TypeError/IndexError out of run_tests: the explanation walked into
    # the expected value as if it were part of the tree.
    plan = testplan.make_plan("def check(c):\n" + "".join(f"    {line}\n" for line in body), "f")
    judgement = verdict.judge(plan, LIMITS, _probe_run(0))
    assert judgement.status == "failed"
    assert "c('a') returned 0" in judgement.detail


def test_explanation_that_cannot_be_built_gives_a_plainer_detail():
    # An assertion too deep to unparse (kept as a node): rebuilding its text raises.
    deep: ast.expr = ast.Constant(1)
    for _ in range(10_000):
        deep = ast.UnaryOp(ast.USub(), deep)
    check = testplan.ParentCheck(deep, ("compare", ("probe", 0), ["Eq"], [("const", 1)]))
    plan = testplan.ProbePlan(("f(1)",), (), "candidate", (check,))
    judgement = verdict.judge(plan, LIMITS, _probe_run(2))
    assert (judgement.status, judgement.passed_count) == ("failed", 0)
    assert judgement.detail == "failed: a test"


def test_probe_that_does_not_compile_is_an_error_of_the_tests():
    # Run the harness itself on a job whose call does not compile, then judge what it sent.
    job = {
        "program": "def f(x):\n    return x\n",
        "entry_point": "f",
        "candidate_name": "candidate",
        "prelude": [],
        "probes": ["candidate(1)", "candidate((1)"],
    }
    read_end, write_end = os.pipe()
    try:
        harness.run_probes(job, write_end)
        os.close(write_end)
        write_end = -1
        sent = os.read(read_end, 1 << 16)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    plan = testplan.make_plan(["assert f(1) == 1", "assert f(2) == 2"])
    judgement = verdict.judge(plan, LIMITS, verdict.RunOutput(result=sent))
    assert judgement.status == "error"
    assert judgement.detail.startswith("the tests' calls do not compile: SyntaxError")
