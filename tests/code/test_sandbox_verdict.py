"""verdict.judge on fork-server reports: which kills count as the CPU-time limit."""

from __future__ import annotations

import signal

from score_envs.code.sandbox import protocol, testplan, verdict
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
