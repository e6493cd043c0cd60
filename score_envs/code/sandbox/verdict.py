"""Decide the verdict of a run in the parent, from what the run's processes sent back.

Inputs are the fork server's report on the run (trusted: the workers' exit statuses and CPU times,
whether the wall clock ran out or the parent asked for a kill) and the single results message of
the program process
(parent-checked plans) or of the checker process (checker plans). The program's message is
untrusted: it is parsed strictly, must hold exactly one result per probe, and is only ever
*compared* with expected values that stay in the parent.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from score_envs.code.sandbox import evaluate, protocol, report, wire
from score_envs.code.sandbox.limits import Limits
from score_envs.code.sandbox.testplan import CheckerPlan, ParentCheck, Plan, ProbePlan

CPU_SHARE_FOR_TIMEOUT = 0.9
"""A process the fork server SIGKILLed after using this share of its CPU limit was stopped by that
limit (the kernel's kill and the server's can race)."""

CPU_SHARE_FOR_KERNEL_KILL = 0.5
"""A process SIGKILLed by someone other than the fork server -- in practice the kernel enforcing
``RLIMIT_CPU`` (a program cannot SIGKILL itself as PID 1 of its namespace) -- after using this share
of its CPU limit was stopped by that limit. Lower than :data:`CPU_SHARE_FOR_TIMEOUT` because the
CPU time ``wait4`` reports comes from sampled ticks and can fall short of the precise figure the
limit is enforced on: a multi-threaded busy loop killed by the limit has been seen reported at
0.88 s of a 1 s limit, and was then misreported as an error instead of a timeout."""
SHOWN_CHARS = 120


@dataclass(frozen=True)
class Judgement:
    """The outcome of a run, before timing and limits are added."""

    status: report.Status
    passed_count: int
    total: int
    detail: str


@dataclass
class RunOutput:
    """What the parent collected from one run's pipes."""

    result: bytes = b""
    result_overflow: bool = False
    status: bytes = b""
    output_bytes: int = 0
    output_exceeded: bool = False
    supervisor_lost: bool = False
    server_error: str = ""
    unreported_status_fd: int = -1
    """Judged before the server's report (see ``api._collect``): the status pipe, still open."""
    parsed_result: object = None
    """``result`` as already parsed by the caller (``api._complete``), so that it is parsed once."""


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return report.shorten(text, SHOWN_CHARS)


def parse_statuses(data: bytes) -> dict[str, dict]:
    """The fork server's reports, by sender (trusted; still checked)."""
    found: dict[str, dict] = {}
    while len(data) >= 4:
        size = int.from_bytes(data[:4], "big")
        try:
            message = protocol.parse_single_message(data[: 4 + size])
        except protocol.ProtocolError:
            break
        if isinstance(message, dict) and isinstance(message.get("who"), str):
            found[message["who"]] = message
        data = data[4 + size :]
    return found


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _cpu_exhausted(process: dict, limits: Limits) -> bool:
    status = process.get("status")
    cpu = process.get("cpu_s")
    if not isinstance(status, int) or not isinstance(cpu, (int, float)):
        return False
    if not os.WIFSIGNALED(status):
        return False
    killer = os.WTERMSIG(status)
    if killer == signal.SIGXCPU:
        return True
    if killer != signal.SIGKILL:
        return False
    by_server = process.get("killed_by_supervisor", True) is not False
    share = CPU_SHARE_FOR_TIMEOUT if by_server else CPU_SHARE_FOR_KERNEL_KILL
    return cpu >= limits.cpu_time_s * share


def _how_it_ended(process: dict | None) -> str:
    if not process or not isinstance(process.get("status"), int):
        return "the program's process ended without a report"
    status = process["status"]
    if os.WIFSIGNALED(status):
        killer = _signal_name(os.WTERMSIG(status))
        cpu = process.get("cpu_s", 0)
        return f"the program's process was killed by {killer} after {cpu:.2f} s of CPU"
    return f"the program exited before the tests finished (exit status {os.WEXITSTATUS(status)})"


def judge(plan: Plan, limits: Limits, run: RunOutput) -> Judgement:
    """The verdict of one run.

    The order matters: a run that overflowed its output or ran out of time is judged by that,
    whatever its results message claims.
    """
    total = plan.total
    if run.output_exceeded:
        detail = f"the program wrote more than {limits.max_output_bytes} bytes to stdout/stderr"
        return Judgement(report.OUTPUT_LIMIT, 0, total, detail)
    supervisor = parse_statuses(run.status).get("supervisor", {})
    if supervisor.get("timed_out"):
        detail = f"wall-clock limit of {limits.wall_time_s:g} s exceeded"
        return Judgement(report.TIMEOUT, 0, total, detail)
    program = supervisor.get("program") if isinstance(supervisor.get("program"), dict) else None
    checker = supervisor.get("checker") if isinstance(supervisor.get("checker"), dict) else None
    if program and _cpu_exhausted(program, limits):
        detail = f"CPU time limit of {limits.cpu_time_s} s exceeded"
        return Judgement(report.TIMEOUT, 0, total, detail)
    if checker and _cpu_exhausted(checker, limits):
        detail = f"the tests exceeded the CPU time limit of {limits.cpu_time_s} s"
        return Judgement(report.TIMEOUT, 0, total, detail)
    if run.result_overflow:
        return Judgement(report.ERROR, 0, total, "the results message is too large")
    message = run.parsed_result
    if message is None:
        try:
            message = protocol.parse_single_message(run.result)
        except protocol.ProtocolError:
            return Judgement(report.ERROR, 0, total, _how_it_ended(program))
    if not isinstance(message, dict) or not isinstance(message.get("load"), dict):
        return Judgement(report.ERROR, 0, total, "the program sent a malformed results message")
    load = message["load"]
    if load != {"ok": True}:
        kind = {"syntax": report.SYNTAX_ERROR, "memory": report.MEMORY}.get(
            load.get("kind"), report.ERROR
        )
        return Judgement(kind, 0, total, report.shorten(str(load.get("error", ""))))
    if isinstance(plan, ProbePlan):
        return _judge_probes(plan, message)
    return _judge_checker(plan, message)


def _probe_results(plan: ProbePlan, message: dict) -> list[evaluate.ProbeResult] | None:
    results = message.get("results")
    if not isinstance(results, list) or len(results) != len(plan.probes):
        return None
    decoder = wire.Decoder()
    parsed = []
    for item in results:
        if not isinstance(item, list) or not item:
            return None
        if item[0] == "ok" and len(item) == 2:
            try:
                parsed.append(evaluate.ProbeResult(decoder.decode(item[1])))
            except wire.WireError:
                return None
        elif (
            item[0] == "raise"
            and len(item) == 4
            and isinstance(item[1], str)
            and isinstance(item[2], str)
            and (item[3] is None or type(item[3]) is int)
        ):
            parsed.append(
                evaluate.ProbeResult(
                    raised=True,
                    type_name=item[1][:100],
                    message=item[2][:300],
                    line=item[3],
                )
            )
        else:
            return None
    return parsed


def _judge_probes(plan: ProbePlan, message: dict) -> Judgement:
    results = _probe_results(plan, message)
    if results is None:
        detail = "the program's results message does not match the tests (malformed or incomplete)"
        return Judgement(report.ERROR, 0, plan.total, detail)
    passed = 0
    first: tuple[ParentCheck, BaseException | None] | None = None
    for check in plan.checks:
        holds, problem = _check_holds(check, results)
        if holds:
            passed += 1
        elif first is None:
            first = (check, problem)
    if first is None:
        return Judgement(report.PASSED, passed, plan.total, "")
    status, detail = _explain(plan, first[0], results, first[1])
    return Judgement(status, passed, plan.total, report.shorten(detail))


def _check_holds(
    check: ParentCheck, results: list[evaluate.ProbeResult]
) -> tuple[bool, BaseException | None]:
    """``(holds, what went wrong)``: a check that raised does not hold."""
    try:
        return bool(evaluate.evaluate(check.tree, results)), None
    except Exception as exc:
        return False, exc


def _explain(
    plan: ProbePlan,
    check: ParentCheck,
    results: list[evaluate.ProbeResult],
    problem: BaseException | None,
) -> tuple[report.Status, str]:
    """``(status, detail)`` of a failed check.

    Explaining must never fail the caller: a bug here, or an assertion whose text cannot be
    rebuilt, gives a plainer detail instead of an exception out of ``run_tests``.
    """
    status = report.FAILED
    if isinstance(problem, evaluate.ProbeRaised):
        status = report.MEMORY if problem.type_name == "MemoryError" else report.ERROR
    try:
        return status, _detail(plan, check, results, problem)
    except Exception:
        pass
    try:
        source = check.source
    except Exception:
        source = "a test"
    if isinstance(problem, evaluate.ProbeRaised):
        return status, f"error: a call of the program raised {problem.type_name}; in: {source}"
    return status, f"failed: {source}"


def _detail(
    plan: ProbePlan,
    check: ParentCheck,
    results: list[evaluate.ProbeResult],
    problem: BaseException | None,
) -> str:
    if isinstance(problem, evaluate.ProbeRaised):
        where = f" (line {problem.line} of the program)" if problem.line else ""
        text = f"{plan.probes[problem.index]} raised {problem.type_name}: {problem.message}{where}"
        return f"error: {text}; in: {check.source}"
    why = ""
    if problem is not None:
        why = f" ({type(problem).__name__}: {report.shorten(str(problem), 100)})"
    shown = []
    for index in evaluate.probe_indices(check.tree)[:2]:
        result = results[index]
        if not result.raised:
            shown.append(f"{plan.probes[index]} returned {_short(result.value)}")
    return f"failed: {check.source}{why}; " + "; ".join(shown)


def _judge_checker(plan: CheckerPlan, message: dict) -> Judgement:
    passed = message.get("passed_count")
    total = message.get("total")
    failure = message.get("failure")
    if type(passed) is not int or type(total) is not int or not 0 <= passed <= total:
        return Judgement(report.ERROR, 0, plan.total, "the checker sent a malformed verdict")
    if failure is None and message.get("aborted") is None:
        if passed == total and total > 0:
            return Judgement(report.PASSED, passed, total, "")
        return Judgement(report.ERROR, passed, total, "not every test passed")
    if not isinstance(failure, dict):
        failure = {"kind": "error", "detail": f"the program ended early: {message.get('aborted')}"}
    status = {"failed": report.FAILED, "memory": report.MEMORY}.get(
        failure.get("kind"), report.ERROR
    )
    return Judgement(status, passed, total, report.shorten(str(failure.get("detail", ""))))
