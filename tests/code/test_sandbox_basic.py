"""run_tests: statuses, counts, details, test shapes, limits, bad input, parallel use."""

from __future__ import annotations

import ast
import errno
import os
import random
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import CodeType

import numpy
import pytest

from score_envs.code import STATUSES, Limits, Sandbox, TestJob, run_tests, run_tests_many
from score_envs.code.sandbox import forkserver, protocol, zygote
from score_envs.code.sandbox.api import _SLOTS, READY_BATCH
from score_envs.code.sandbox.testplan import CheckerPlan, ProbePlan, make_plan

SHORT = 0.25  # the CPU limit rounds up to 1 s; the wall-clock cap is 2 * 1 + 1 = 3 s
DOUBLE = "def double(x):\n    return 2 * x\n"
DOUBLE_TESTS = ["assert double(2) == 4", "assert double(-3) == -6", "assert double(0) == 0"]


def test_correct_program_passes_every_test():
    report = run_tests(DOUBLE, DOUBLE_TESTS)
    assert (report.passed, report.status, report.passed_count, report.total) == (
        True,
        "passed",
        3,
        3,
    )
    assert report.detail == ""


def test_wrong_result_fails_and_detail_shows_the_call_and_actual_value():
    report = run_tests("def double(x):\n    return x + 2\n", DOUBLE_TESTS)
    assert report.status == "failed"
    assert not report.passed
    assert (report.passed_count, report.total) == (1, 3)  # double(2) == 4 happens to hold
    assert report.detail.startswith("failed: assert double(-3) == -6")
    assert "double(-3) returned -1" in report.detail


def test_exception_in_program_is_error_with_the_program_line():
    report = run_tests("def double(x):\n    return [][x]\n", DOUBLE_TESTS)
    assert report.status == "error"
    assert "IndexError" in report.detail
    assert "line 2 of the program" in report.detail


def test_exception_while_loading_is_error():
    report = run_tests("raise RuntimeError('boom')\n" + DOUBLE, DOUBLE_TESTS)
    assert report.status == "error"
    assert "RuntimeError: boom" in report.detail
    assert report.passed_count == 0


def test_syntax_error_is_reported_as_such():
    report = run_tests("def double(x)\n    return 2 * x\n", DOUBLE_TESTS)
    assert report.status == "syntax_error"
    assert "line 1" in report.detail


def test_missing_function_is_error():
    report = run_tests("def triple(x):\n    return 3 * x\n", DOUBLE_TESTS)
    assert report.status == "error"
    assert "NameError" in report.detail


def test_busy_loop_hits_the_cpu_limit():
    report = run_tests(
        "def double(x):\n    while True:\n        pass\n", DOUBLE_TESTS, timeout_s=SHORT
    )
    assert report.status == "timeout", report.detail
    # The CPU limit (1 s) fires first unless a starved machine let the wall-clock cap (3 s) pass.
    assert "CPU time limit of 1 s" in report.detail or report.duration_s >= report.wall_time_s


DOUBLE_CHECK = (  # a value from the program in a variable: only the checker runs this
    "def check(candidate):\n"
    "    for x in range(3):\n"
    "        result = candidate(x)\n"
    "        assert result == 2 * x\n"
)
SPIN = "def spin():\n    while True:\n        pass\n"


@pytest.mark.parametrize(
    ("program", "tests"),
    [
        ("while True:\n    pass\n" + DOUBLE, DOUBLE_TESTS),  # while the program loads
        (SPIN + "def double(x):\n    spin()\n", DOUBLE_CHECK),  # a call from the checker
        (  # several threads: their CPU time adds up against one limit
            "import threading\n" + SPIN + "def double(x):\n"
            "    for _ in range(3):\n        threading.Thread(target=spin).start()\n    spin()\n",
            DOUBLE_TESTS,
        ),
        (  # SIGXCPU ignored and every exception swallowed: the hard limit is SIGKILL
            "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
            "def double(x):\n    while True:\n        try:\n            spin()\n"
            "        except BaseException:\n            pass\n" + SPIN,
            DOUBLE_TESTS,
        ),
    ],
    ids=["at-load", "checker-call", "threads", "signals-and-exceptions-swallowed"],
)
def test_cpu_bound_infinite_loop_is_a_timeout_not_an_error(program, tests):
    entry_point = "double" if isinstance(tests, str) else None
    report = run_tests(program, tests, entry_point=entry_point, timeout_s=SHORT)
    assert report.status == "timeout", report.detail


def test_sleeper_hits_the_wall_clock_cap():
    program = "import time\ndef double(x):\n    time.sleep(60)\n"
    started = time.monotonic()
    report = run_tests(program, DOUBLE_TESTS, timeout_s=SHORT)
    assert report.status == "timeout"
    assert "wall-clock" in report.detail
    assert time.monotonic() - started < 10


def test_unbounded_allocation_is_memory():
    program = "def double(x):\n    hoard = []\n    while True:\n        hoard.append(' ' * 10**6)\n"
    report = run_tests(program, DOUBLE_TESTS, memory_mb=128)
    assert report.status == "memory"


def test_flooding_stdout_is_output_limit():
    program = "def double(x):\n    while True:\n        print('x' * 10000)\n"
    report = run_tests(program, DOUBLE_TESTS)
    assert report.status == "output_limit"


def test_moderate_printing_is_allowed():
    program = "def double(x):\n    print('debug', x)\n    return 2 * x\n"
    assert run_tests(program, DOUBLE_TESTS).passed


def test_every_status_is_listed():
    assert set(STATUSES) == {
        "passed",
        "failed",
        "error",
        "syntax_error",
        "timeout",
        "memory",
        "output_limit",
    }


def test_limits_are_recorded_in_every_report():
    report = run_tests(DOUBLE, DOUBLE_TESTS, timeout_s=2.5, memory_mb=256)
    assert report.limits == Limits.from_budget(2.5, 256)
    assert (report.timeout_s, report.cpu_time_s, report.wall_time_s, report.memory_mb) == (
        2.5,
        3,
        7.0,
        256,
    )
    assert report.isolation in ("namespaces", "basic")
    assert report.duration_s > 0
    assert report.to_dict()["limits"]["max_output_bytes"] == report.limits.max_output_bytes


# --- test shapes ------------------------------------------------------------------------------

HUMANEVAL_STYLE = """
METADATA = {"author": "x"}


def check(candidate):
    assert candidate([1, 2, 3]) == 6
    assert candidate([]) == 0, "empty list"
    assert abs(candidate([0.1, 0.2]) - 0.3) < 1e-9
    assert True, "This prints if this assert fails"
"""


def test_check_candidate_source_passes_for_a_correct_entry_point():
    report = run_tests("def total(xs):\n    return sum(xs)\n", HUMANEVAL_STYLE, entry_point="total")
    assert (report.status, report.passed_count, report.total) == ("passed", 3, 3)


def test_check_candidate_source_fails_for_a_wrong_entry_point():
    report = run_tests("def total(xs):\n    return len(xs)\n", HUMANEVAL_STYLE, entry_point="total")
    assert report.status == "failed"
    assert "candidate([1, 2, 3]) returned 3" in report.detail


def test_tolerance_shape_accepts_float_error():
    tests = "def check(candidate):\n    assert abs(candidate() - 2.0 / 3.0) < 1e-6\n"
    assert run_tests("def f():\n    return 0.6666667\n", tests, entry_point="f").passed
    assert not run_tests("def f():\n    return 0.67\n", tests, entry_point="f").passed


def test_isclose_truth_not_and_is_shapes():
    tests = [
        "import math",
        "assert math.isclose(area(1), 3.14159, rel_tol=1e-3)",
        "assert is_even(4)",
        "assert not is_even(3)",
        "assert is_even(2) is True",
    ]
    program = "def area(r):\n    return 3.14159 * r * r\ndef is_even(n):\n    return n % 2 == 0\n"
    report = run_tests(program, tests)
    assert (report.status, report.total) == ("passed", 4)


def test_is_true_rejects_a_truthy_non_bool():
    program = "def is_even(n):\n    return 1\n"
    assert run_tests(program, ["assert is_even(2) is True"]).status == "failed"


def test_tuple_and_list_differ_as_in_python():
    program = "def pair():\n    return [1, 2]\n"
    assert not run_tests(program, ["assert pair() == (1, 2)"]).passed
    assert run_tests(program, ["assert tuple(pair()) == (1, 2)"]).passed


def test_int_result_equals_float_expectation_as_in_python():
    assert run_tests("def f():\n    return 2\n", ["assert f() == 2.0"]).passed


def test_generator_result_works_through_list_but_is_not_a_list():
    program = "def evens(n):\n    return (i for i in range(0, n, 2))\n"
    assert run_tests(program, ["assert list(evens(5)) == [0, 2, 4]"]).passed
    assert not run_tests(program, ["assert evens(5) == [0, 2, 4]"]).passed


CHECKER_SQUARES = (  # a value from the program in a variable: only the checker runs this
    "def check(candidate):\n"
    "    for i in range(4):\n"
    "        result = candidate(i)\n"
    "        assert result == i * i\n"
)


def test_loop_in_check_runs_in_the_checker_and_counts_asserts():
    tests = CHECKER_SQUARES
    report = run_tests("def square(x):\n    return x * x\n", tests, entry_point="square")
    assert (report.status, report.passed_count, report.total) == ("passed", 4, 4)


def test_checker_runs_tests_with_deeply_nested_expressions():
    # Counting asserts must not walk into expressions: a 600-term sum used to exhaust the
    # checker's recursion limit. (A value computed by the program keeps the checker plan.)
    tests = (
        "def check(candidate):\n"
        f"    x = {'+'.join(['1'] * 600)}\n"
        "    assert candidate(x) == 600\n"
        "    y = candidate(1)\n"
        "    assert y == 1\n"
    )
    report = run_tests("def f(x):\n    return x\n", tests, entry_point="f")
    assert (report.status, report.passed_count, report.total) == ("passed", 2, 2), report.detail


def test_checker_stops_at_the_first_failing_assert():
    tests = CHECKER_SQUARES
    program = "def square(x):\n    return x * x if x < 2 else 0\n"
    report = run_tests(program, tests, entry_point="square")
    assert (report.status, report.passed_count, report.total) == ("failed", 2, 3)
    assert "square(2) returned 0" in report.detail


def test_checker_program_exception_is_error():
    tests = (
        "def check(candidate):\n"
        "    for i in range(2):\n"
        "        result = candidate(i)\n"
        "        assert result == i\n"
    )
    report = run_tests("def f(x):\n    return 1 / 0\n", tests, entry_point="f")
    assert report.status == "error"
    assert "ZeroDivisionError" in report.detail


def test_checker_tests_may_expect_an_exception_from_the_program():
    tests = (
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(-1)\n"
        "    except ValueError:\n"
        "        pass\n"
        "    else:\n"
        "        assert False\n"
        "    assert candidate(4) == 2\n"
    )
    program = "def root(x):\n    if x < 0:\n        raise ValueError(x)\n    return int(x ** 0.5)\n"
    assert run_tests(program, tests, entry_point="root").passed


def test_a_checker_runs_two_processes_share_one_allowed_cpu():
    # A checker run is a ping-pong of calls: on one CPU each call is a local context switch.
    tests = (
        "def check(candidate):\n"
        "    def cpus():\n"
        "        return candidate()\n"  # a helper function: only the checker can run this
        "    assert len(cpus()) == 1\n"
        f"    assert set(cpus()) <= {set(os.sched_getaffinity(0))!r}\n"
    )
    program = "import os\ndef cpus():\n    return sorted(os.sched_getaffinity(0))\n"
    report = run_tests(program, tests, entry_point="cpus")
    assert (report.status, report.passed_count, report.total) == ("passed", 2, 2), report.detail


def test_test_variable_in_assert_list_uses_the_checker():
    tests = ["n = 3", "assert squares(n) == [i * i for i in range(n)]"]
    assert run_tests("def squares(n):\n    return [i * i for i in range(n)]\n", tests).passed
    assert not run_tests("def squares(n):\n    return [0] * n\n", tests).passed


def test_helpers_are_available_to_checker_tests():
    helpers = "def shift(s):\n    return ''.join(chr(ord(c) + 1) for c in s)\n"
    tests = "def check(c):\n    for w in ['ab', 'xy']:\n        assert c(shift(w)) == w\n"
    program = "def unshift(s):\n    return ''.join(chr(ord(c) - 1) for c in s)\n"
    report = run_tests(program, tests, entry_point="unshift", helpers=helpers)
    assert report.passed


def test_assert_list_with_entry_point_binds_candidate():
    assert run_tests(DOUBLE, ["assert candidate(5) == 10"], entry_point="double").passed


def test_program_printing_a_fake_verdict_changes_nothing():
    program = (
        "print('passed: 3/3')\nprint('{\"load\": {\"ok\": true}}')\ndef double(x):\n    return 0\n"
    )
    assert run_tests(program, DOUBLE_TESTS).status == "failed"


def test_main_block_of_the_program_does_not_run():
    program = DOUBLE + "if __name__ == '__main__':\n    input()\n"
    assert run_tests(program, DOUBLE_TESTS).passed


def test_unseeded_random_in_a_program_is_the_same_every_run():
    program = "import random\ndef pick():\n    return random.random()\n"
    tests = ["assert pick() == -1"]
    first = run_tests(program, tests).detail
    assert first == run_tests(program, tests).detail


def test_set_order_is_the_same_every_run():
    program = "def order():\n    return list({'pear', 'fig', 'kiwi', 'plum', 'lime'})\n"
    tests = ["assert order() == []"]
    assert run_tests(program, tests).detail == run_tests(program, tests).detail


class _Text(str):
    """A str subclass of the caller's (not a program's): it must be graded like its value."""

    def __str__(self) -> str:
        return "rigged"


@pytest.mark.parametrize("kind", [numpy.str_, _Text])
def test_str_subclasses_as_program_tests_entry_point_and_helpers_are_graded_as_plain_str(kind):
    check = (
        "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == twice(x)\n"
    )
    helpers = "def twice(x):\n    return 2 * x\n"
    assert run_tests(kind(DOUBLE), [kind(t) for t in DOUBLE_TESTS]).passed
    assert run_tests(kind(DOUBLE), kind(DOUBLE_CHECK), entry_point=kind("double")).passed
    report = run_tests(kind(DOUBLE), kind(check), entry_point=kind("double"), helpers=kind(helpers))
    assert report.passed, report.detail


def test_too_long_program_is_graded_error_without_running():
    report = run_tests("x = 1\n" * 200_000, DOUBLE_TESTS)
    assert report.status == "error"
    assert "longer than" in report.detail


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"program": b"x"}, TypeError, "program must be a str"),
        ({"tests": []}, ValueError, "tests must not be empty"),
        ({"tests": ""}, ValueError, "tests must not be empty"),
        ({"tests": 5}, TypeError, "tests must be a sequence"),
        ({"tests": [1]}, TypeError, r"tests\[0\] must be a str"),
        ({"tests": ["assert double(1) =="]}, ValueError, r"tests\[0\] is not valid Python"),
        ({"tests": ["import math"]}, ValueError, "no assert"),
        ({"tests": ["assert 1 == 1"]}, ValueError, "never call the program"),
        ({"timeout_s": 0}, ValueError, "timeout_s must be a positive number"),
        ({"timeout_s": float("nan")}, ValueError, "timeout_s"),
        ({"timeout_s": True}, ValueError, "timeout_s"),
        ({"memory_mb": 0}, ValueError, "memory_mb must be at least 64"),
        ({"memory_mb": 1.5}, TypeError, "memory_mb must be an int"),
        ({"entry_point": "not valid"}, ValueError, "entry_point must be a Python identifier"),
        ({"helpers": 3}, TypeError, "helpers must be a str"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, message):
    arguments = {"program": DOUBLE, "tests": DOUBLE_TESTS, **kwargs}
    with pytest.raises(error, match=message):
        run_tests(arguments.pop("program"), arguments.pop("tests"), **arguments)


def test_check_source_without_entry_point_is_rejected():
    with pytest.raises(ValueError, match="entry_point is required"):
        run_tests(DOUBLE, HUMANEVAL_STYLE)


def test_source_without_check_function_is_rejected():
    with pytest.raises(ValueError, match="must define check"):
        run_tests(DOUBLE, "assert double(1) == 2\n", entry_point="double")


# --- parallel use and robustness -------------------------------------------------------------


def test_run_tests_many_keeps_job_order():
    jobs = [
        TestJob(DOUBLE, DOUBLE_TESTS),
        TestJob("def double(x):\n    return x\n", DOUBLE_TESTS),
        {"program": "def double(x)\n", "tests": DOUBLE_TESTS},
    ]
    statuses = [report.status for report in run_tests_many(jobs, workers=2)]
    assert statuses == ["passed", "failed", "syntax_error"]


def test_run_tests_many_rejects_a_bad_worker_count():
    with pytest.raises(ValueError, match="workers must be a positive int"):
        run_tests_many([TestJob(DOUBLE, DOUBLE_TESTS)], workers=0)


def test_runs_from_several_threads_at_once_are_independent():
    results: dict[int, str] = {}

    def grade(index: int) -> None:
        program = DOUBLE if index % 2 == 0 else "def double(x):\n    return -x\n"
        results[index] = run_tests(program, DOUBLE_TESTS).status

    threads = [threading.Thread(target=grade, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: "passed" if i % 2 == 0 else "failed" for i in range(8)}


@pytest.mark.parametrize("servers", [0, -1, 17, 1.5, True, "2"])
def test_a_bad_server_count_is_a_value_error(servers):
    with pytest.raises(ValueError, match="servers must be an int from 1 to 16"):
        Sandbox(servers=servers)


def _started_servers(sandbox: Sandbox) -> list[int]:
    return [lane.server._process.pid for lane in sandbox._lanes if lane.server._process]


def test_one_caller_thread_uses_one_server_of_several():
    with Sandbox(servers=3) as sandbox:
        for index in range(6):
            program = DOUBLE if index % 2 == 0 else "def double(x):\n    return -x\n"
            assert sandbox.run_tests(program, DOUBLE_TESTS).passed == (index % 2 == 0)
        assert len(_started_servers(sandbox)) == 1
        assert sandbox.info()["servers"] == "3"


def test_concurrent_runs_spread_over_the_servers_and_stay_independent():
    # Two threads whose runs overlap (each program sleeps): the second run in progress goes to
    # the second server, started then; every verdict is the program's own.
    program = "import time\ndef double(x):\n    time.sleep(0.05)\n    return {sign}2 * x\n"
    with Sandbox(servers=2) as sandbox:
        barrier = threading.Barrier(2)
        results: dict[int, list[str]] = {0: [], 1: []}

        def grade(index: int) -> None:
            sign = "" if index == 0 else "-"
            for _ in range(4):
                barrier.wait(timeout=30)
                report = sandbox.run_tests(program.format(sign=sign), DOUBLE_TESTS)
                results[index].append(report.status)

        threads = [threading.Thread(target=grade, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == {0: ["passed"] * 4, 1: ["failed"] * 4}
        assert len(set(_started_servers(sandbox))) == 2
        assert all(lane.running == 0 for lane in sandbox._lanes)


def test_start_starts_every_server_and_a_dead_one_is_replaced_alone():
    with Sandbox(servers=2) as sandbox:
        sandbox.start()
        first, second = _started_servers(sandbox)
        assert first != second
        generations = [lane.server.generation for lane in sandbox._lanes]
        sandbox._lanes[1].server.restart()  # as if it had died: its next run starts a new one
        sandbox.start()
        assert _started_servers(sandbox)[0] == first
        assert _started_servers(sandbox)[1] not in (first, second)
        assert [lane.server.generation for lane in sandbox._lanes] == [
            generations[0],
            generations[1] + 1,
        ]
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed


def _leave_workers_ready_for_short_runs(sandbox: Sandbox) -> None:
    for _ in range(2):  # the first run starts the server, the second leaves workers ready
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS, timeout_s=SHORT).passed
    if sandbox.isolation != "namespaces":
        pytest.skip("workers are forked ahead only with namespaces")


def test_a_sleeper_on_a_worker_forked_ahead_hits_the_wall_clock_cap():
    # The caller keeps the wall clock of runs on ready workers (the server does not know when
    # such a run starts) and asks the server for the kill once the cap has passed.
    sleeper = "import time\ndef double(x):\n    time.sleep(60)\n"
    with Sandbox() as sandbox:
        _leave_workers_ready_for_short_runs(sandbox)
        ready = [w.limits.timeout_s for w in sandbox._lanes[0].ready]
        assert ready and set(ready) == {SHORT}, "workers forked for these limits should be ready"
        report = sandbox.run_tests(sleeper, DOUBLE_TESTS, timeout_s=SHORT)
    assert report.status == "timeout"
    assert "wall-clock" in report.detail


def test_the_server_survives_a_wall_clock_kill_the_caller_asked_for():
    # Such a kill used to unregister the run's kill pipe twice, which ended the server.
    sleeper = "import time\ndef double(x):\n    time.sleep(60)\n"
    with Sandbox() as sandbox:
        _leave_workers_ready_for_short_runs(sandbox)
        assert sandbox._lanes[0].ready
        generation = sandbox._server.generation
        assert sandbox.run_tests(sleeper, DOUBLE_TESTS, timeout_s=SHORT).status == "timeout"
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        assert sandbox._server.generation == generation


def test_a_run_never_gets_a_worker_forked_ahead_for_other_limits():
    with Sandbox() as sandbox:
        for _ in range(2):  # leave a worker ready, forked for the default limits
            sandbox.run_tests(DOUBLE, DOUBLE_TESTS)
        # 200 MB fits the default 512 MiB but not the 100 MiB asked for here
        big = "def double(x):\n    block = ' ' * (200 * 10**6)\n    return 2 * x\n"
        assert sandbox.run_tests(big, DOUBLE_TESTS).passed
        report = sandbox.run_tests(big, DOUBLE_TESTS, memory_mb=100)
        assert report.status == "memory", report.detail
        assert sandbox.run_tests(big, DOUBLE_TESTS).passed  # and back to the default limits


def test_a_worker_forked_ahead_runs_its_program_with_its_limits_and_uid():
    program = (
        "import os, resource\n"
        "def probe():\n"
        "    return [os.getuid(), resource.getrlimit(resource.RLIMIT_AS)[0] >> 20,\n"
        "            resource.getrlimit(resource.RLIMIT_CPU)[0]]\n"
    )
    with Sandbox() as sandbox:
        if sandbox.isolation != "namespaces":
            pytest.skip("workers are forked ahead only with namespaces")
        for memory_mb in (300, 300, 200):
            report = sandbox.run_tests(
                program,
                [f"assert probe()[1:] == [{memory_mb}, 2]", "assert probe()[0] > 60000"],
                timeout_s=1.5,
                memory_mb=memory_mb,
            )
            assert report.passed, report.detail


def test_runs_judged_before_the_server_report_give_their_uid_slots_back():
    assert _SLOTS.settle(5.0)
    free_before = len(_SLOTS._free)
    with Sandbox() as sandbox:
        for _ in range(5):
            assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
    assert _SLOTS.settle(5.0)
    assert len(_SLOTS._free) == free_before


def test_sandbox_restarts_its_server_after_it_is_killed():
    with Sandbox() as sandbox:
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        os.killpg(sandbox._server._process.pid, signal.SIGKILL)
        sandbox._server._process.wait()
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed


def test_a_forked_child_process_gets_its_own_server():
    assert run_tests(DOUBLE, DOUBLE_TESTS).passed  # the parent's server is running
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            os.write(write_end, run_tests(DOUBLE, DOUBLE_TESTS).status.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    child_status = os.read(read_end, 100).decode()
    os.close(read_end)
    _, exit_status = os.waitpid(pid, 0)
    assert (child_status, exit_status) == ("passed", 0)
    assert run_tests(DOUBLE, DOUBLE_TESTS).passed  # the parent's server was left alone


@pytest.mark.parametrize("isolation", ["auto", "basic"])
def test_server_without_pidfds_supervises_through_sigchld(isolation, monkeypatch):
    # Kernels before 5.3 have no pidfds: the server then learns of exits from SIGCHLD.
    monkeypatch.setattr(forkserver, "USE_PIDFDS", False)
    crash = "import os\ndef double(x):\n    os._exit(3)\n"
    busy = "def double(x):\n    while True:\n        pass\n"
    with Sandbox(isolation=isolation) as sandbox:
        for _ in range(3):
            assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
            assert sandbox.run_tests(DOUBLE, DOUBLE_CHECK, entry_point="double").passed
            assert sandbox.run_tests(crash, DOUBLE_TESTS).status == "error"  # needs the report
        assert sandbox.run_tests(busy, DOUBLE_TESTS, timeout_s=SHORT).status == "timeout"
        assert _SLOTS.settle(5.0)  # every run reported on: every worker reaped
        assert _server_catches_sigchld(sandbox)
    monkeypatch.undo()
    with Sandbox(isolation=isolation) as sandbox:
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        assert not _server_catches_sigchld(sandbox)  # pidfds: no handler for workers to reset


def _server_catches_sigchld(sandbox) -> bool:
    started = sandbox._server._process.pid  # the server is its child (namespaces) or itself
    children = Path(f"/proc/{started}/task/{started}/children").read_text().split()
    server = int(children[0]) if children else started
    status = Path(f"/proc/{server}/status").read_text()
    caught = int(
        next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16
    )
    return bool(caught & (1 << (signal.SIGCHLD - 1)))


def test_a_fork_failing_in_a_ready_batch_is_reported_on_that_run_and_the_rest(monkeypatch):
    # A real fork failure is hard to cause as root: the server's fork is made to fail instead.
    ours, theirs = socket.socketpair()
    server = zygote.Server(theirs, "namespaces", -1)
    forked = []
    slot_roots = []

    def fork(pid_namespace):
        if len(forked) == 1:
            raise OSError(errno.EAGAIN, "no more processes")
        forked.append(slot_roots[len(forked)])
        return 2**22 + 7  # no child of ours: never reaped here

    def slot_root(request):  # (no mounts in the test process)
        slot_roots.append(f"/slots/{request['program_uid']}")
        return slot_roots[-1], (request["program_uid"], 1)

    monkeypatch.setattr(zygote.isolation, "fork_in_new_pid_namespace", fork)
    monkeypatch.setattr(server, "_slot_root", slot_root)
    pipes = [{name: os.pipe() for name in zygote.READY_FD_NAMES} for _ in range(3)]
    runs = []
    for uid, run_pipes in zip((65534, 65532, 65530), pipes, strict=True):
        theirs_ends = {
            name: ends[1] if name in ("status", "output", "result") else ends[0]
            for name, ends in run_pipes.items()
        }
        request = {"mode": "ready", "program_uid": uid, "limits": {"max_file_mb": 16}}
        runs.append((request, theirs_ends))
    server._start_ready_batch(runs)
    assert slot_roots == ["/slots/65534", "/slots/65532", "/slots/65530"]  # made before forking
    assert forked == ["/slots/65534"]
    assert set(server.by_pid) == {2**22 + 7}
    for index, run_pipes in enumerate(pipes):
        status_read = run_pipes["status"][0]
        os.set_blocking(status_read, False)
        if index == 0:  # supervised: its report comes when it ends
            with pytest.raises(BlockingIOError):
                os.read(status_read, 100)
        else:  # reported failed, and the server's ends closed (EOF after the report)
            report = protocol.read_message(status_read, 1 << 16)
            assert report == {
                "who": "supervisor",
                "error": "BlockingIOError: [Errno 11] no more processes",
            }
            assert os.read(status_read, 100) == b""
    for index, (_, theirs_ends) in enumerate(runs):  # the server closed all but run 0's two
        assert [name for name, fd in theirs_ends.items() if _is_open(fd)] == (
            ["status", "kill"] if index == 0 else []
        )
    for index, run_pipes in enumerate(pipes):
        for name, ends in run_pipes.items():
            os.close(ends[0] if name in ("status", "output", "result") else ends[1])
            if index == 0 and name in ("status", "kill"):
                os.close(ends[1] if name == "status" else ends[0])
    ours.close()
    theirs.close()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_runs_judged_early_close_their_kill_pipes_with_the_report_or_soon_after():
    sleeper = (
        "import os, sys, time\n"
        "def double(x):\n"
        "    return 2 * x\n"
        "def _hang_up_then_sleep():\n"
        "    for fd in (4, 1, 2):\n"
        "        os.close(fd)\n"
        "    time.sleep(30)\n"
        "sys.modules['score_envs.code.sandbox.worker']._hang_up = _hang_up_then_sleep\n"
    )
    with Sandbox() as sandbox:
        for _ in range(5):
            assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        assert _SLOTS.settle(5.0) and not _SLOTS._kill_later  # closed with the reports
        started = time.monotonic()
        assert sandbox.run_tests(sleeper, DOUBLE_TESTS).passed  # judged on its results
        assert _SLOTS.settle(5.0) and not _SLOTS._kill_later  # killed: its report came
        assert time.monotonic() - started < 3.0  # not after its sleep or the wall clock


def test_basic_isolation_still_grades_correctly():
    with Sandbox(isolation="basic") as sandbox:
        assert sandbox.info()["isolation"] == "basic"
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        assert sandbox.run_tests("def double(x):\n    return x\n", DOUBLE_TESTS).status == "failed"
        busy = "def double(x):\n    while True:\n        pass\n"
        assert sandbox.run_tests(busy, DOUBLE_TESTS, timeout_s=SHORT).status == "timeout"
        assert sandbox.run_tests(DOUBLE, DOUBLE_CHECK, entry_point="double").passed


ROUND_TRIP = [
    "assert encode('abc') == 'cde'",
    "assert decode('cde') == 'abc'",
    "assert encode('xyz') == 'zab'",
    "assert decode('zab') == 'xyz'",
]
SHIFT = (
    "def encode(s):\n    return ''.join(chr((ord(c) - 95) % 26 + 97) for c in s)\n"
    "def decode(s):\n    return ''.join(chr((ord(c) - 99) % 26 + 97) for c in s)\n"
)


@pytest.mark.parametrize("isolation", ["auto", "basic"])
def test_calls_in_stages_are_graded_like_one_batch(isolation):
    # decode('cde') spells encode('abc')'s expected value: it is sent only after encode answered.
    assert make_plan(ROUND_TRIP).stages == (1, 3)
    with Sandbox(isolation=isolation) as sandbox:
        report = sandbox.run_tests(SHIFT, ROUND_TRIP)
        assert (report.status, report.passed_count, report.total) == ("passed", 4, 4)
        wrong = SHIFT.replace("% 26 + 97) for c in s)\ndef", "% 26 + 98) for c in s)\ndef", 1)
        report = sandbox.run_tests(wrong, ROUND_TRIP)
        assert (report.status, report.passed_count) == ("failed", 2)
        assert report.detail.startswith("failed: assert encode('abc') == 'cde'")
        syntax = sandbox.run_tests("def encode(s)\n", ROUND_TRIP)
        assert syntax.status == "syntax_error"


UNSEEDED = "import random\n\ndef draw():\n    return [random.random(), random.randrange(10**9)]\n"


@pytest.mark.parametrize("isolation", ["auto", "basic"])
def test_unseeded_random_is_seed_0_for_programs_and_fresh_for_checkers(isolation):
    # The fork server seeds random with 0 once and program processes inherit that state, in
    # probe runs and checker runs alike; a checker process re-seeds from the OS, so that a
    # program cannot replay the draws of tests that make random inputs.
    first = random.Random(0)
    expected = [first.random(), first.randrange(10**9)]
    probes = [f"assert draw() == {expected!r}"]
    in_checker = (
        "def check(candidate):\n"
        "    import random\n"
        f"    assert candidate() == {expected!r}\n"
        f"    assert [random.random(), random.randrange(10**9)] != {expected!r}\n"
        "    assert candidate() != [random.random(), random.randrange(10**9)]\n"
    )
    with Sandbox(isolation=isolation) as sandbox:
        for _ in range(3):
            assert sandbox.run_tests(UNSEEDED, probes).passed
            report = sandbox.run_tests(UNSEEDED, in_checker, entry_point="draw")
            assert report.passed, report.detail


@pytest.mark.skipif(os.geteuid() != 0, reason="a program may fork only in namespaces mode")
def test_a_programs_forked_child_draws_other_random_numbers_than_the_program():
    program = (
        "import os, random\n"
        "def differs():\n"
        "    read_end, write_end = os.pipe()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.write(write_end, repr(random.random()).encode())\n"
        "        os._exit(0)\n"
        "    os.waitpid(pid, 0)\n"
        "    return float(os.read(read_end, 100)) != random.random()\n"
    )
    report = run_tests(program, ["assert differs() is True"])
    assert report.passed, report.detail


def test_checker_plans_are_compiled_once_in_the_caller_unless_they_hold_a_set_constant():
    check = (
        "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == twice(x)\n"
    )
    helpers = "def twice(x):\n    return 2 * x\n"
    plan = make_plan(check, "double", helpers)
    assert isinstance(plan, CheckerPlan)
    tests, compiled_helpers = plan.compiled
    assert isinstance(tests, CodeType) and isinstance(compiled_helpers, CodeType)
    assert run_tests(DOUBLE, check, entry_point="double", helpers=helpers).passed
    wrong = "def double(x):\n    return x + 2\n"  # right for x = 2 only: counted up to x = 0
    report = run_tests(wrong, check, entry_point="double", helpers=helpers)
    assert (report.status, report.passed_count, report.total) == ("failed", 0, 1)
    items = ["for x in range(2):\n    assert double(x) == 2 * x", "assert double(5) == 10"]
    assert isinstance(make_plan(items), CheckerPlan)
    item_codes, no_helpers = make_plan(items).compiled
    assert len(item_codes) == 2 and no_helpers is None
    assert run_tests(DOUBLE, items).passed
    ordered = (
        "def check(candidate):\n"
        "    result = candidate({16, 8, 0})\n"
        "    assert result == list({16, 8, 0})\n"
    )
    plan = make_plan(ordered, "f")
    assert isinstance(plan, CheckerPlan) and plan.compiled is None  # the checker compiles it
    assert run_tests("def f(s):\n    return list(s)\n", ordered, entry_point="f").passed


LOCKED = """
import ctypes, os, sys

def state():
    try:
        os.write(0, b"x")
        stdin_writable = True
    except OSError:
        stdin_writable = False
    no_new_privs = ctypes.CDLL(None).prctl(39, 0, 0, 0, 0)  # PR_GET_NO_NEW_PRIVS
    return [no_new_privs, sys.stdin.read(), stdin_writable, os.environ.copy(), sys.argv]
"""


@pytest.mark.parametrize("isolation", ["auto", "basic"])
def test_programs_start_with_no_new_privileges_a_read_only_empty_stdin_and_no_environment(
    isolation,
):
    # Set once in the fork server and inherited by every worker (worker.INHERITED).
    probes = ["assert state() == [1, '', False, {}, ['']]"]
    in_checker = (
        "def check(c):\n    for _ in range(1):\n        assert c() == [1, '', False, {}, ['']]\n"
    )
    with Sandbox(isolation=isolation) as sandbox:
        for _ in range(2):
            assert sandbox.run_tests(LOCKED, probes).passed
            assert sandbox.run_tests(LOCKED, in_checker, entry_point="state").passed


def test_plan_with_a_set_constant_sends_its_calls_as_source():
    # marshal rebuilds a set constant from its items, which can change its iteration order.
    tests = ["assert f({16, 8, 0}) == list({16, 8, 0})"]
    plan = make_plan(tests)
    assert isinstance(plan, ProbePlan) and plan.compiled is None
    plain = make_plan(["assert f(1) == 2", "assert f(x=(1, 'a')) == 3", "assert f(2 * 3) == 4"])
    prelude, stages = plain.compiled
    assert prelude == [] and len(stages) == 1
    # literal calls go as values, anything else compiled
    assert stages[0][:2] == [("f", (1,), None), ("f", (), {"x": (1, "a")})]
    assert isinstance(stages[0][2], CodeType)
    assert run_tests("def f(s):\n    return list(s)\n", tests).passed


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")
def test_root_gets_namespace_isolation():
    with Sandbox() as sandbox:
        assert sandbox.info()["isolation"] == "namespaces"


def test_more_threads_than_uid_slots_all_finish():
    # Each thread that finds no worker forked ahead asks for a batch of them; with more threads
    # than the process-wide pool has uid slots (128), batches that waited for one slot each in
    # turn held every slot and deadlocked (a review found it hang from 96 threads on).
    jobs = [TestJob(DOUBLE, DOUBLE_TESTS) for _ in range(300)]
    reports: list = []
    with Sandbox(servers=2) as sandbox:
        runner = threading.Thread(
            target=lambda: reports.extend(sandbox.run_many(jobs, workers=150)), daemon=True
        )
        runner.start()
        runner.join(timeout=120)
        assert not runner.is_alive(), "the runs deadlocked"
    assert [report.status for report in reports] == ["passed"] * 300


def test_a_run_that_the_server_could_not_start_is_tried_once_more_on_a_fresh_worker(monkeypatch):
    # A batch of workers forked ahead that failed part-way (a scratch mount that failed) fails
    # every run given one of its workers; the run is tried again once, with the workers still
    # waiting thrown away, and only a second failure is the caller's error.
    from score_envs.code.sandbox import api, verdict

    with Sandbox(servers=1) as sandbox:
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed  # leaves workers forked ahead
        real_run = api.Sandbox._run
        failures = iter([True])
        discarded = []

        def flaky_run(self, *args):
            output, lane, generation = real_run(self, *args)
            if next(failures, False):
                discarded.extend(self._lanes[0].ready)
                return verdict.RunOutput(server_error="OSError: mount failed"), lane, generation
            return output, lane, generation

        monkeypatch.setattr(api.Sandbox, "_run", flaky_run)
        assert sandbox.run_tests(DOUBLE, DOUBLE_TESTS).passed
        assert discarded and not set(discarded) & set(sandbox._lanes[0].ready)
        failures = iter([True, True])
        with pytest.raises(forkserver.SandboxError, match="could not start the run"):
            sandbox.run_tests(DOUBLE, DOUBLE_TESTS)


def test_a_run_retires_only_its_own_scratch(monkeypatch):
    # The server retires a run's scratch when the run is reported over; a run whose slot the
    # caller gave back early may be followed on that slot by another before it is reported: its
    # end must not seal the newer run's scratch (white box, with the mounts recorded, not made).
    calls = []
    monkeypatch.setattr(zygote.isolation, "make_slot_root", lambda *a: calls.append("root"))
    monkeypatch.setattr(zygote.isolation, "mount_scratch", lambda *a: calls.append("mount"))
    monkeypatch.setattr(zygote.isolation, "scratch_holds_anything", lambda *a: False)
    monkeypatch.setattr(zygote.isolation, "seal_scratch", lambda *a: calls.append("seal"))
    monkeypatch.setattr(zygote.isolation, "detach_slot_root", lambda *a: calls.append("detach"))
    ours, theirs = socket.socketpair()
    server = zygote.Server(theirs, "namespaces", -1)
    request = {"program_uid": 65534, "limits": {"max_file_mb": 16}}
    _, first = server._slot_root(request)
    server._retire_scratch(first)
    _, second = server._slot_root(request)
    server._retire_scratch(first)  # late: the slot's scratch is the second run's now
    assert calls == ["root", "mount", "seal", "mount"]
    server._retire_scratch(second)
    assert calls == ["root", "mount", "seal", "mount", "seal"]
    server._slot_root(request)
    server._slot_root(request)  # the last run never ended (a failed start): start afresh
    assert calls[5:] == ["mount", "detach", "root", "mount"]
    ours.close()
    theirs.close()


def test_checker_sends_plain_arguments_as_marshal_data_and_anything_else_tagged():
    from score_envs.code.sandbox.checker import marshal_plain

    class Items(list):
        pass

    plain = [1, -2.5, "x", b"y", None, True, 1 + 2j, (1,), {"k": [True]}, [[]], 2**300]
    assert all(marshal_plain(value) for value in plain)
    nested: list = []
    for _ in range(150):
        nested = [nested]
    others = [{1, 2}, frozenset(), bytearray(b"x"), Items(), iter([1]), object(), nested]
    others += ["x" * 70_000, 2**100_000, [0] * 20_000, ["y" * 65_536] * 20]
    assert not any(marshal_plain(value) for value in others)


def test_checker_calls_with_plain_arguments_behave_as_tagged_ones():
    # Each argument object arrives as its own copy (an object passed twice is two), the
    # checker's values are untouched, sets still arrive as sets, and a failure names the call.
    program = "def f(a, b):\n    a.append(0)\n    return (a is b, b)\n"
    tests = (
        "def check(candidate):\n"
        "    xs = [3, 1, 2]\n"
        "    r = candidate(xs, xs)\n"
        "    assert xs == [3, 1, 2]\n"
        "    assert r == (False, [3, 1, 2])\n"
        "    assert candidate(xs, {'k': (1.5, None)}) == (False, {'k': (1.5, None)})\n"
        "    assert candidate([0], {2, 1}) == (False, {1, 2})\n"
        "    assert candidate([1], b'z') == (True, 0)\n"
    )
    assert isinstance(make_plan(tests, "f"), CheckerPlan)
    report = run_tests(program, tests, entry_point="f")
    assert report.status == "failed" and (report.passed_count, report.total) == (4, 5)
    assert "last call: f([1], b'z') returned (False, b'z')" in report.detail


def test_program_process_answers_a_plain_call_and_a_tagged_one_alike():
    from score_envs.code.sandbox import harness, wire

    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    job = {"program": "def f(a, *, k=0):\n    return [a, k]\n"}
    server = threading.Thread(
        target=harness.serve_calls, args=(job, requests_read, replies_write), daemon=True
    )
    server.start()
    replies = protocol.MessageReader(replies_read, 1 << 20)
    assert replies.read() == {"load": {"ok": True}}
    os.write(requests_write, protocol.dumps_plain_call("f", ((1, "x"),), {"k": 2.5}))
    plain = replies.read()
    tagged_request = ["call", "f", wire.encode([(1, "x")]), wire.encode({"k": 2.5})]
    os.write(requests_write, protocol.dumps(tagged_request))
    assert replies.read() == plain
    assert wire.decode(plain[1]) == [(1, "x"), 2.5]
    os.write(requests_write, protocol.dumps_plain_call("g", (), {}))
    assert replies.read()[:2] == ["raise", "NameError"]
    os.write(requests_write, protocol.dumps(["end"]))
    server.join(5)
    assert not server.is_alive()
    for fd in (requests_read, requests_write, replies_read, replies_write):
        os.close(fd)


def test_lanes_keep_to_an_even_share_of_the_cpus_only_while_runs_overlap():
    sandbox = Sandbox(servers=2)
    first, second = sandbox._lanes
    assert sandbox._lane_share(first, True) is None  # a run alone keeps every CPU
    assert sandbox._lane_share(first, False) == [0, 2]
    assert sandbox._lane_share(second, False) == [1, 2]
    single = Sandbox(servers=1)
    assert single._lane_share(single._lanes[0], False) is None
    sandbox.close()
    single.close()
    # 4 lanes on 16 CPUs: 4 each, all 16 in use; on 6 CPUs no even share, so no pinning
    cpus = list(range(16))
    shares = [zygote.cpu_share(cpus, index, 4) for index in range(4)]
    assert sorted(cpu for share in shares for cpu in share) == cpus
    assert {len(share) for share in shares} == {4}
    assert zygote.cpu_share(list(range(6)), 0, 4) is None
    assert [zygote.cpu_share([0, 1], index, 4) for index in range(4)] == [[0], [1], [0], [1]]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_overlapping_runs_of_two_lanes_run_on_one_cpu_each_and_a_lone_run_on_all():
    program = (
        "import os, time\n"
        "def f(pause):\n"
        "    time.sleep(pause)\n"
        "    return sorted(os.sched_getaffinity(0))\n"
    )
    allowed = sorted(os.sched_getaffinity(0))
    with Sandbox(servers=2) as sandbox:

        def cpus_seen(pause: float) -> list:
            report = sandbox.run_tests(program, [f"assert f({pause}) == []"])
            return ast.literal_eval(report.detail.split(" returned ")[1])

        assert cpus_seen(0) == allowed  # alone: every CPU
        with ThreadPoolExecutor(2) as pool:
            seen = list(pool.map(cpus_seen, [0.05] * 24))
        # (the first workers of each lane may have been forked before the runs overlapped)
        pinned = [cpus for cpus in seen if len(cpus) == 1]
        assert len(pinned) >= 12 and {cpus[0] for cpus in pinned} == set(allowed[:2])
        # alone again: once the workers forked while runs overlapped are used up, every CPU
        lone = [cpus_seen(0) for _ in range(2 * READY_BATCH + 1)]
        assert lone[-1] == allowed
