"""How cost grows with the work: verifier vs answer length, sandbox vs run time and workers, vector
envs vs ``num_envs``; with plots and fitted slopes.

- **verifier vs answer length** (up to the caps): microseconds per ``check_equivalence`` for
  answers of growing length in three shapes, each compared with an equal answer written
  differently so every call does the full work: a long exact sum (``1 + 2 + ... ``, the exact
  rational tier), a polynomial in ``x`` compared with its terms reversed (the exact polynomial
  tier), and a sum of radicals (``\\sqrt{2} + \\sqrt{3} + ...``, the numeric tier); plus
  ``grade_answer`` on a response of growing length (prose, then the ``\\boxed{}`` answer) up to
  the response cap. Caches are cleared before every call.
- **sandbox vs program run time**: wall milliseconds per ``Sandbox.run_tests`` for a program whose
  test busy-waits for 0 to 200 ms; the slope should be about 1 (ms per ms) and the intercept is
  the sandbox's fixed cost.
- **sandbox vs workers**: programs per second for 1, 2 and 4 threads sharing one ``Sandbox``
  (its default fork servers, one per CPU, started before timing; the 2-core reference machine
  caps the useful parallelism at 2).
- **vector env vs num_envs**: sub-env steps per second and microseconds per vector step of
  ``gymnasium.make_vec("ScoreMath-v0", num_envs=n)`` (sync, and async with
  ``shared_memory=False``) with a fixed answer per step.

Slopes are least-squares fits: per-unit cost (linear) and the exponent ``k`` of ``cost ~ size^k``
(log-log). Plots (PNG, matplotlib) and ``scaling.json`` go to ``benchmarks/results/``; every plot
title names the machine and the versions.

Run: ``python benchmarks/bench_scaling.py [--quick] [--skip-sandbox] [--output-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.machine`` importable
    sys.path.append(str(ROOT))  # appended: a PYTHONPATH tree's score_envs must win

from benchmarks.machine import describe, machine  # noqa: E402

DEFAULT_OUTPUT_DIR = ROOT / "benchmarks" / "results"


# ---------------------------------------------------------------------------------------------
# Fits


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least-squares ``y = slope * x + intercept``.

    Example:
        >>> fit_line([1, 2, 3], [3, 5, 7])
        {'slope': 2.0, 'intercept': 1.0}
    """
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(f"need two or more (x, y) pairs, got {len(xs)} x and {len(ys)} y")
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("all x values are equal: no slope to fit")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return {"slope": slope, "intercept": mean_y - slope * mean_x}


def fit_power(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The exponent ``k`` of ``y ~ x^k`` (a line through the log-log points).

    Example:
        >>> round(fit_power([1, 2, 4], [3, 12, 48]), 6)
        2.0
    """
    if any(x <= 0 for x in xs) or any(y <= 0 for y in ys):
        raise ValueError("a power law needs positive x and y values")
    return fit_line([math.log(x) for x in xs], [math.log(y) for y in ys])["slope"]


def _best_time(call: Callable[[], Any], repeat: int, clear: Callable[[], None]) -> float:
    """The fastest of ``repeat`` timed calls (seconds): the least disturbed by other load."""
    best = math.inf
    for _ in range(repeat):
        clear()
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


# ---------------------------------------------------------------------------------------------
# Verifier


def _terms_up_to(length: int, term: Callable[[int], str]) -> list[str]:
    """As many terms ``term(1), term(2), ...`` as fit in ``length`` characters joined by " + "."""
    terms = [term(1)]
    while len(" + ".join([*terms, term(len(terms) + 1)])) <= length:
        terms.append(term(len(terms) + 1))
    return terms


def _long_sum(length: int) -> tuple[str, str]:
    terms = _terms_up_to(length, str)
    return " + ".join(terms), str(sum(range(1, len(terms) + 1)))


def _long_polynomial(length: int) -> tuple[str, str]:
    terms = _terms_up_to(length, lambda k: f"{k}x^{{{k}}}")
    return " + ".join(terms), " + ".join(reversed(terms))


def _long_radical_sum(length: int) -> tuple[str, str]:
    terms = _terms_up_to(length, lambda k: f"\\sqrt{{{k + 1}}}")
    return " + ".join(terms), " + ".join(reversed(terms))


ANSWER_SHAPES: dict[str, Callable[[int], tuple[str, str]]] = {
    "exact_sum": _long_sum,
    "polynomial": _long_polynomial,
    "radical_sum": _long_radical_sum,
}


def verifier_scaling(lengths: Sequence[int], repeat: int) -> dict[str, Any]:
    """Microseconds per comparison against answer length, per shape, with fits."""
    from score_envs.math import equivalence, numeric
    from score_envs.math.parsing import MAX_ANSWER_CHARS
    from score_envs.math.verifier import MAX_RESPONSE_CHARS, grade_answer

    def clear() -> None:
        equivalence._prepare.cache_clear()
        numeric.sample_points.cache_clear()

    shapes: dict[str, Any] = {}
    for shape, build in ANSWER_SHAPES.items():
        points = []
        for length in lengths:
            if length > MAX_ANSWER_CHARS:
                continue
            predicted, reference = build(length)
            verdict = equivalence.check_equivalence(predicted, reference)
            seconds = _best_time(
                lambda p=predicted, r=reference: equivalence.check_equivalence(p, r), repeat, clear
            )
            points.append(
                {"chars": len(predicted), "microseconds": 1e6 * seconds, "verdict": list(verdict)}
            )
        # Fit only the comparisons that did the full work: beyond a cap (characters, tokens,
        # work budget) the verdict is a cheap ``too_large`` that says nothing about the slope.
        full = [point for point in points if point["verdict"][1] == "equivalent"]
        capped = [point["chars"] for point in points if point["verdict"][1] == "too_large"]
        shapes[shape] = {
            "points": points,
            "too_large_from_chars": min(capped) if capped else None,
            **_fits(full, "chars", "microseconds"),
        }
    response_points = []
    for length in (1_000, 4_000, 16_000, MAX_RESPONSE_CHARS):
        prose = ("We add the terms one by one and check the result. " * (length // 50 + 1))[
            : length - 40
        ]
        response = prose + " The answer is $\\boxed{\\frac{3}{4}}$."
        seconds = _best_time(lambda r=response: grade_answer(r, "0.75"), repeat, clear)
        response_points.append({"chars": len(response), "microseconds": 1e6 * seconds})
    shapes["response_length"] = {
        "points": response_points,
        **_fits(response_points, "chars", "microseconds"),
    }
    return {
        "answer_cap_chars": MAX_ANSWER_CHARS,
        "response_cap_chars": MAX_RESPONSE_CHARS,
        **shapes,
    }


def _fits(points: list[dict[str, Any]], x: str, y: str) -> dict[str, Any]:
    xs, ys = [p[x] for p in points], [p[y] for p in points]
    if len(points) < 2:
        return {"linear": None, "power_exponent": None}
    return {"linear": fit_line(xs, ys), "power_exponent": fit_power(xs, ys)}


# ---------------------------------------------------------------------------------------------
# Sandbox


_BUSY_PROGRAM = """
import time

def busy(milliseconds):
    deadline = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < deadline:
        pass
    return milliseconds
"""


def sandbox_scaling(
    run_times_ms: Sequence[int], workers: Sequence[int], repeat: int, programs: int
) -> dict[str, Any]:
    """Wall ms per run vs the program's own run time, and programs/s vs worker threads."""
    from score_envs.code import Sandbox

    with Sandbox() as sandbox:  # one fork server per CPU (at most 4), started before timing
        sandbox.start()
        info = sandbox.info()

        def run(milliseconds: int) -> bool:
            report = sandbox.run_tests(
                _BUSY_PROGRAM,
                [f"assert busy({milliseconds}) == {milliseconds}"],
                entry_point="busy",
                timeout_s=5.0,
            )
            return report.passed

        run(0)  # warm-up: the fork server's first child
        runtime_points = []
        for milliseconds in run_times_ms:
            passed = run(milliseconds)
            seconds = _best_time(lambda m=milliseconds: run(m), repeat, lambda: None)
            runtime_points.append(
                {"program_ms": milliseconds, "wall_ms": 1000 * seconds, "passed": passed}
            )
        worker_points = []
        for count in workers:
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=count) as pool:
                passed = sum(pool.map(lambda _: run(0), range(programs)))
            seconds = time.perf_counter() - started
            worker_points.append(
                {"workers": count, "programs_per_s": programs / seconds, "passed": passed}
            )
    xs = [p["program_ms"] for p in runtime_points]
    ys = [p["wall_ms"] for p in runtime_points]
    return {
        "isolation": info["isolation"],
        "run_time": {"points": runtime_points, "linear": fit_line(xs, ys) if len(xs) > 1 else None},
        "workers": {
            "points": worker_points,
            "programs": programs,
            "speedup_vs_1": (
                {
                    str(p["workers"]): p["programs_per_s"] / worker_points[0]["programs_per_s"]
                    for p in worker_points
                }
                if worker_points
                else {}
            ),
        },
    }


# ---------------------------------------------------------------------------------------------
# Vector envs


def vector_scaling(counts: Sequence[int], steps: int, modes: Sequence[str]) -> dict[str, Any]:
    """Sub-env steps/s and microseconds per vector step vs ``num_envs``, per mode."""
    import gymnasium as gym
    import numpy as np

    import score_envs  # noqa: F401  (registers the ids)

    results: dict[str, Any] = {}
    for mode in modes:
        points = []
        for count in counts:
            kwargs: dict[str, Any] = {"vectorization_mode": mode}
            if mode == "async":
                kwargs["vector_kwargs"] = {"shared_memory": False}
            envs = gym.make_vec("ScoreMath-v0", num_envs=count, **kwargs)
            try:
                envs.reset(seed=0)
                actions = np.array(["The answer is $\\boxed{1}$."] * count, dtype=object)
                for _ in range(4):  # warm-up
                    envs.step(actions)
                started = time.perf_counter()
                for _ in range(steps):
                    envs.step(actions)
                seconds = time.perf_counter() - started
            finally:
                envs.close()
            points.append(
                {
                    "num_envs": count,
                    "vector_step_us": 1e6 * seconds / steps,
                    "sub_env_steps_per_s": count * steps / seconds,
                }
            )
        xs = [p["num_envs"] for p in points]
        ys = [p["vector_step_us"] for p in points]
        results[mode] = {"points": points, "linear": fit_line(xs, ys) if len(xs) > 1 else None}
    return results


# ---------------------------------------------------------------------------------------------
# Plots


def plot(report: dict[str, Any], directory: Path) -> list[str]:
    """One PNG per scaling study; returns the file names (empty without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    info = report["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    caption = f"{info['cpu_model']}, {info['cores']} cores; {versions}"
    written = []

    def save(figure: Any, axes: Any, name: str, title: str) -> None:
        axes.set_title(title, fontsize=10)
        figure.text(0.01, 0.01, caption, fontsize=6, wrap=True)
        figure.tight_layout(rect=(0, 0.05, 1, 1))
        figure.savefig(directory / name, dpi=110)
        plt.close(figure)
        written.append(name)

    verifier = report.get("verifier")
    if verifier:
        figure, axes = plt.subplots(figsize=(6.4, 4.4))
        for shape in (*ANSWER_SHAPES, "response_length"):
            entry = verifier[shape]
            full = [p for p in entry["points"] if p.get("verdict", [0, ""])[1] != "too_large"]
            capped = [p for p in entry["points"] if p not in full]
            exponent = entry.get("power_exponent")
            label = shape + ("" if exponent is None else f" (~ n^{exponent:.2f})")
            (line,) = axes.loglog(
                [p["chars"] for p in full],
                [p["microseconds"] for p in full],
                marker="o",
                label=label,
            )
            if capped:  # refused at a cap: cheap, and not part of the fit
                axes.loglog(
                    [p["chars"] for p in capped],
                    [p["microseconds"] for p in capped],
                    marker="x",
                    linestyle="none",
                    color=line.get_color(),
                )
        axes.plot([], [], marker="x", linestyle="none", color="grey", label="too_large (a cap)")
        axes.set_xlabel("characters")
        axes.set_ylabel("microseconds per check")
        axes.legend(fontsize=8)
        save(figure, axes, "scaling_verifier.png", "Verifier cost vs answer / response length")
    sandbox = report.get("sandbox")
    if sandbox:
        figure, axes = plt.subplots(figsize=(6.4, 4.4))
        points = sandbox["run_time"]["points"]
        axes.plot([p["program_ms"] for p in points], [p["wall_ms"] for p in points], marker="o")
        fit = sandbox["run_time"]["linear"]
        if fit:
            axes.plot(
                [p["program_ms"] for p in points],
                [fit["slope"] * p["program_ms"] + fit["intercept"] for p in points],
                linestyle="--",
                label=f"fit: {fit['slope']:.2f} ms/ms + {fit['intercept']:.1f} ms",
            )
            axes.legend(fontsize=8)
        axes.set_xlabel("program run time (ms)")
        axes.set_ylabel("wall time per run_tests (ms)")
        save(figure, axes, "scaling_sandbox_runtime.png", "Sandbox cost vs program run time")
        figure, axes = plt.subplots(figsize=(6.4, 4.4))
        points = sandbox["workers"]["points"]
        axes.plot([p["workers"] for p in points], [p["programs_per_s"] for p in points], marker="o")
        axes.set_xlabel("worker threads sharing one Sandbox")
        axes.set_ylabel("programs per second")
        save(figure, axes, "scaling_sandbox_workers.png", "Sandbox throughput vs workers")
    vector = report.get("vector")
    if vector:
        figure, axes = plt.subplots(figsize=(6.4, 4.4))
        for mode, entry in vector.items():
            xs = [p["num_envs"] for p in entry["points"]]
            ys = [p["vector_step_us"] for p in entry["points"]]
            fit = entry["linear"]
            label = mode + ("" if not fit else f" ({fit['slope']:.0f} us per env)")
            axes.plot(xs, ys, marker="o", label=label)
        axes.set_xlabel("num_envs")
        axes.set_ylabel("microseconds per vector step")
        axes.legend(fontsize=8)
        save(figure, axes, "scaling_vector.png", "ScoreMath-v0 vector env cost vs num_envs")
    return written


# ---------------------------------------------------------------------------------------------


def summary_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """``(study, fitted slope and headline figure)`` per study, for the printed table."""
    rows = []
    verifier = report.get("verifier") or {}
    for shape in (*ANSWER_SHAPES, "response_length"):
        entry = verifier.get(shape)
        if entry and entry["linear"]:
            full = [
                p
                for p in entry["points"]
                if p.get("verdict", [True, "equivalent"])[1] != "too_large"
            ]
            top = full[-1]
            capped = entry.get("too_large_from_chars")
            rows.append(
                (
                    f"verifier vs length: {shape}",
                    f"{entry['linear']['slope']:.3f} us/char, ~ n^{entry['power_exponent']:.2f}; "
                    f"{top['microseconds']:.0f} us at {top['chars']} chars"
                    + (f"; too_large (a cap) from {capped} chars" if capped else ""),
                )
            )
    sandbox = report.get("sandbox")
    if sandbox:
        fit = sandbox["run_time"]["linear"]
        if fit:
            rows.append(
                (
                    "sandbox vs program run time",
                    f"{fit['slope']:.3f} ms per program ms + {fit['intercept']:.1f} ms fixed "
                    f"({sandbox['isolation']})",
                )
            )
        workers = ", ".join(
            f"{p['workers']}: {p['programs_per_s']:.0f}/s" for p in sandbox["workers"]["points"]
        )
        rows.append(("sandbox vs worker threads", f"programs/s with {workers}"))
    for mode, entry in (report.get("vector") or {}).items():
        if entry["linear"]:
            last = entry["points"][-1]
            rows.append(
                (
                    f"vector env ({mode}) vs num_envs",
                    f"{entry['linear']['slope']:.1f} us per sub-env per step; "
                    f"{last['sub_env_steps_per_s']:.0f} sub-env steps/s at {last['num_envs']}",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--skip-sandbox", action="store_true", help="no sandbox studies")
    parser.add_argument("--skip-vector", action="store_true", help="no vector env study")
    parser.add_argument("--no-plots", action="store_true", help="JSON only")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args(argv)

    if args.quick:
        lengths, repeat, run_times, workers, programs = [20, 80], 1, [0, 5], [1, 2], 4
        counts, steps, modes = [1, 2], 4, ["sync"]
    else:
        lengths, repeat, run_times, workers, programs = (
            [25, 50, 100, 200, 400, 700, 1000],
            5,
            [0, 10, 25, 50, 100, 200],
            [1, 2, 4],
            256,
        )
        counts, steps, modes = [1, 2, 4, 8, 16, 32], 200, ["sync", "async"]

    info = machine(("mpmath", "matplotlib"))
    print(describe(info))
    report: dict[str, Any] = {"benchmark": "scaling", "machine": info, "quick": args.quick}
    report["verifier"] = verifier_scaling(lengths, repeat)
    if not args.skip_sandbox:
        report["sandbox"] = sandbox_scaling(run_times, workers, repeat, programs)
    if not args.skip_vector:
        report["vector"] = vector_scaling(counts, steps, modes)
    report["workload"] = {
        "answer_lengths": lengths,
        "repeat_best_of": repeat,
        "program_run_times_ms": run_times,
        "sandbox_workers": workers,
        "programs_per_worker_count": programs,
        "num_envs": counts,
        "vector_steps": steps,
        "vector_modes": modes,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    report["plots"] = [] if args.no_plots else plot(report, args.output_dir)
    for study, figure in summary_rows(report):
        print(f"{study:<36} {figure}")
    path = args.output_dir / "scaling.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}" + (f" and {', '.join(report['plots'])}" if report["plots"] else ""))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
