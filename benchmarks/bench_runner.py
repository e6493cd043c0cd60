"""Episodes per second of the leaderboard runner on every backend, in one run.

Measured on ScoreMath-v0 (all families, difficulty 1-5, seed 0) with a scripted policy (default
``noisy:p1=0.5,i2c=0.3,c2i=0.1``), so the figures are the cost of the env, the verifier and the
runner, not of a model:

- ``local``: the plain loop in this process, with and without writing the results file;
- ``process x1`` / ``process x2``: the process backend with 1 and 2 worker processes (pool start
  included: that is what a user pays);
- ``vector sync`` / ``vector async``: Gymnasium vector envs of ``--num-envs`` sub-envs;
- ``ray x2``: Ray tasks on a local cluster of 2 CPUs (cluster start excluded, one warm-up run
  first), when Ray is installed;
- ``openai x1`` / ``openai xN``: the ``openai:`` adapter against the scripted chat server on
  127.0.0.1 answering after ``--latency`` seconds, sequential and with ``--concurrency`` threads
  (what ``--concurrency`` buys against a remote model).

Every backend must produce the same episodes; the script checks that before printing. Results go
to ``benchmarks/results/runner.json``.

Run: ``python benchmarks/bench_runner.py [--episodes 2000] [--skip-ray] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from score_envs.eval.backends import play_indices
from score_envs.eval.config import RunConfig
from score_envs.eval.results import open_results
from score_envs.eval.runner import EpisodeRecord
from score_envs.eval.vector import play_vector_episodes
from score_envs.testing.chat_server import ChatServer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.machine`` importable
    sys.path.append(str(ROOT))  # appended: a PYTHONPATH tree's score_envs must win

from benchmarks.machine import machine  # noqa: E402

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "runner.json"


def fingerprint(records: list[EpisodeRecord]) -> list[tuple[Any, ...]]:
    """What must agree between backends: each episode's task, attempts and grades."""
    return sorted((r.index, r.task_id, r.attempts, r.correct_per_turn) for r in records)


def timed(play: Callable[[], list[EpisodeRecord]]) -> tuple[float, list[EpisodeRecord]]:
    started = time.perf_counter()
    records = play()
    return time.perf_counter() - started, records


def collect(config: RunConfig, episodes: int, **options: Any) -> list[EpisodeRecord]:
    records: list[EpisodeRecord] = []
    play_indices(config, range(episodes), on_records=records.extend, **options)
    return records


def with_results_file(config: RunConfig, episodes: int) -> list[EpisodeRecord]:
    records: list[EpisodeRecord] = []
    with tempfile.TemporaryDirectory() as folder:
        with open_results(Path(folder) / "run.jsonl", config) as writer:

            def save(batch: list[EpisodeRecord]) -> None:
                writer.append(batch)
                records.extend(batch)

            play_indices(config, range(episodes), on_records=save)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000, help="episodes per backend (2000)")
    parser.add_argument("--policy", default="noisy:p1=0.5,i2c=0.3,c2i=0.1", help="scripted spec")
    parser.add_argument("--num-envs", type=int, default=8, help="sub-envs of the vector envs (8)")
    parser.add_argument("--latency", type=float, default=0.02, help="chat server delay (0.02 s)")
    parser.add_argument("--remote-episodes", type=int, default=100, help="episodes for openai")
    parser.add_argument("--concurrency", type=int, default=8, help="threads for openai xN (8)")
    parser.add_argument("--skip-ray", action="store_true", help="do not measure Ray")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON")
    args = parser.parse_args(argv)

    config = RunConfig("ScoreMath-v0", {}, args.policy, seed=0)
    n = args.episodes
    cases: list[tuple[str, int, Callable[[], list[EpisodeRecord]]]] = [
        ("local", n, lambda: collect(config, n)),
        ("local + results file", n, lambda: with_results_file(config, n)),
        ("process x1", n, lambda: collect(config, n, backend="process", concurrency=1)),
        ("process x2", n, lambda: collect(config, n, backend="process", concurrency=2)),
        (
            "vector sync",
            n,
            lambda: play_vector_episodes(config, range(n), num_envs=args.num_envs, mode="sync"),
        ),
        (
            "vector async",
            n,
            lambda: play_vector_episodes(config, range(n), num_envs=args.num_envs, mode="async"),
        ),
    ]
    ray = None
    if not args.skip_ray:
        try:
            import ray
        except ImportError:
            print("ray is not installed: skipping the Ray figure", file=sys.stderr)
    if ray is not None:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        collect(config, 50, backend="ray", concurrency=2)  # warm the two workers up
        cases.append(("ray x2", n, lambda: collect(config, n, backend="ray", concurrency=2)))

    results = []
    reference = None
    for name, episodes, play in cases:
        seconds, records = timed(play)
        if reference is None:
            reference = fingerprint(records)
        elif fingerprint(records) != reference:
            raise SystemExit(f"backend {name!r} played different episodes than 'local'")
        results.append({"backend": name, "episodes": episodes, "seconds": seconds})
        print(f"{name:<22} {episodes / seconds:9.0f} episodes/s ({seconds:.2f} s)", flush=True)
    if ray is not None:
        ray.shutdown()

    with ChatServer(delay=args.latency) as server:
        remote = RunConfig("ScoreMath-v0", {}, f"openai:model=m,base_url={server.base_url}", 0)
        m = args.remote_episodes
        remote_reference = None
        for name, threads in (("openai x1", 1), (f"openai x{args.concurrency}", args.concurrency)):
            seconds, records = timed(
                lambda threads=threads: collect(remote, m, concurrency=threads)
            )
            if remote_reference is None:
                remote_reference = fingerprint(records)
            elif fingerprint(records) != remote_reference:
                raise SystemExit(f"{name!r} played different episodes than 'openai x1'")
            results.append({"backend": name, "episodes": m, "seconds": seconds})
            print(
                f"{name:<22} {m / seconds:9.1f} episodes/s ({seconds:.2f} s; "
                f"{args.latency * 1000:.0f} ms a reply)",
                flush=True,
            )

    for entry in results:
        entry["episodes_per_second"] = round(entry["episodes"] / entry["seconds"], 2)
        entry["seconds"] = round(entry["seconds"], 4)
    report = {
        "benchmark": "runner",
        "env": "ScoreMath-v0",
        "policy": args.policy,
        "num_envs": args.num_envs,
        "latency_seconds": args.latency,
        "machine": machine(("ray",)),
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
