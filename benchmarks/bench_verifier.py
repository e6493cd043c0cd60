"""Accuracy and throughput of our math verifier against HuggingFace math-verify, side by side.

Both verifiers judge the same hand-labelled pairs (``tests/data/verifier_pairs.jsonl``); accuracy is
agreement with the labels, throughput is pairs judged per second (both answers of a pair parsed
and compared, caches cleared before every pass). math-verify 0.9.0 is optional
(``pip install math-verify==0.9.0``, the ``bench`` extra); without it our figures are still
reported. Results go to ``benchmarks/results/verifier.json``.

How math-verify is called, to give it its best showing: each answer is wrapped as ``$...$`` (its
LaTeX extraction then reads the whole answer; its README does the same) and judged with
``verify(parse(gold), parse(predicted))`` in the main thread, because its timeout uses SIGALRM.
An exception counts as "not equivalent".

Run: ``python benchmarks/bench_verifier.py [--repeat 3] [--limit N] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.machine`` importable
    sys.path.append(str(ROOT))  # appended: a PYTHONPATH tree's score_envs must win

from benchmarks.machine import describe, machine  # noqa: E402

DEFAULT_PAIRS = ROOT / "tests" / "data" / "verifier_pairs.jsonl"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "verifier.json"

Judge = Callable[[str, str], bool]


def load_pairs(path: Path, limit: int | None) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = [json.loads(line) for line in lines if line.strip()]
    return pairs[:limit] if limit is not None else pairs


def our_judge() -> tuple[Judge, Callable[[], None]]:
    from score_envs.math import equivalence, numeric

    def judge(predicted: str, reference: str) -> bool:
        return equivalence.check_equivalence(predicted, reference)[0]

    def clear() -> None:
        # Every pass starts cold: parsed answers and sample points are cached per process.
        equivalence._prepare.cache_clear()
        numeric.sample_points.cache_clear()

    return judge, clear


def math_verify_judge() -> tuple[Judge, Callable[[], None]] | None:
    """math-verify's judge, or None when it is not installed."""
    try:
        from math_verify import parse, verify
    except ImportError:
        return None
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    def judge(predicted: str, reference: str) -> bool:
        try:
            return bool(verify(parse(f"${reference}$"), parse(f"${predicted}$")))
        except Exception:  # a crash on an answer is a wrong verdict, not a benchmark failure
            return False

    return judge, lambda: None


def measure(judge: Judge, clear: Callable[[], None], pairs: list[dict[str, Any]], repeat: int):
    """Accuracy on the labels (first pass) and pairs per second over ``repeat`` passes."""
    verdicts: list[bool] = []
    durations: list[float] = []
    elapsed = 0.0
    for index in range(repeat):
        clear()
        start = time.perf_counter()
        current = []
        for pair in pairs:
            begin = time.perf_counter()
            current.append(judge(pair["predicted"], pair["reference"]))
            durations.append(time.perf_counter() - begin)
        elapsed += time.perf_counter() - start
        if index == 0:
            verdicts = current
    right = [v == pair["equivalent"] for v, pair in zip(verdicts, pairs, strict=True)]
    per_category: dict[str, list[int]] = {}
    for ok, pair in zip(right, pairs, strict=True):
        counts = per_category.setdefault(pair["category"], [0, 0])
        counts[0] += ok
        counts[1] += 1
    wrong = [pair for ok, pair in zip(right, pairs, strict=True) if not ok]
    return {
        "accuracy": sum(right) / len(pairs),
        "correct": sum(right),
        "total": len(pairs),
        "false_positives": sum(not pair["equivalent"] for pair in wrong),
        "false_negatives": sum(pair["equivalent"] for pair in wrong),
        "seconds": elapsed,
        "pairs_per_second": len(pairs) * repeat / elapsed if elapsed > 0 else None,
        # The median is robust to a few pathological pairs (math-verify spends its 5 s timeout
        # on each of the hostile ones), so it shows the cost of a typical pair.
        "median_microseconds_per_pair": statistics.median(durations) * 1e6,
        "max_milliseconds_per_pair": max(durations) * 1e3,
        "per_category_accuracy": {
            name: counts[0] / counts[1] for name, counts in sorted(per_category.items())
        },
        "disagreements": [
            {key: pair[key] for key in ("predicted", "reference", "equivalent", "category")}
            for pair in wrong
        ],
    }


def _summary(figures: dict[str, Any]) -> str:
    return (
        f"accuracy {figures['accuracy']:.2%} ({figures['correct']}/{figures['total']}), "
        f"{figures['pairs_per_second']:.1f} pairs/s, "
        f"median {figures['median_microseconds_per_pair']:.0f} us/pair, "
        f"worst {figures['max_milliseconds_per_pair']:.1f} ms"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS, help="labelled JSONL pairs")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per verifier")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N pairs")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON result file")
    parser.add_argument("--skip-math-verify", action="store_true", help="report our verifier only")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    pairs = load_pairs(args.pairs, args.limit)
    if not pairs:
        parser.error(f"no pairs in {args.pairs}")

    info = machine(("mpmath", "math-verify"))
    print(describe(info))
    print(f"versions: {info['versions']}")
    categories = Counter(pair["category"] for pair in pairs)
    print(
        f"workload: {len(pairs)} labelled pairs x {args.repeat} passes, "
        f"{len(categories)} categories"
    )

    ours = measure(*our_judge(), pairs, args.repeat)
    print(f"score-envs  : {_summary(ours)}")

    peer: dict[str, Any] | None = None
    status = "skipped" if args.skip_math_verify else "measured"
    if not args.skip_math_verify:
        judge = math_verify_judge()
        if judge is None:
            status = "not installed"
            print(
                "math-verify : not installed, so only our figures are reported "
                "(pip install math-verify==0.9.0 to compare)"
            )
        else:
            peer = measure(*judge, pairs, args.repeat)
            print(f"math-verify : {_summary(peer)}")
    ratio = median_ratio = None
    if peer is not None and peer["pairs_per_second"]:
        ratio = ours["pairs_per_second"] / peer["pairs_per_second"]
        median_ratio = peer["median_microseconds_per_pair"] / ours["median_microseconds_per_pair"]
        print(
            f"ratio       : {ratio:.1f}x the throughput ({median_ratio:.1f}x on the median pair), "
            f"accuracy {100 * (ours['accuracy'] - peer['accuracy']):+.2f} points"
        )

    result = {
        "machine": info,
        "workload": {
            "pairs_file": str(args.pairs),
            "pairs": len(pairs),
            "repeat": args.repeat,
            "categories": dict(sorted(categories.items())),
            "math_verify_wrapping": "$answer$ for both sides; verify(parse(gold), parse(pred))",
        },
        "score_envs": ours,
        "math_verify": peer,
        "math_verify_status": status,
        "throughput_ratio": ratio,
        "median_pair_speedup": median_ratio,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
