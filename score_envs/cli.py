"""The ``score-envs`` command line.

``score-envs list`` shows what is built in; ``score-envs demo`` is the README's main job: a short
leaderboard of the built-in scripted policies on ScoreMath-v0, printed as the paper's table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym

import score_envs
from score_envs.eval.runner import EpisodeRecord, run_episodes
from score_envs.math.procedural import family_names
from score_envs.metrics import compute_metrics, format_table
from score_envs.policies import BUILTIN_POLICIES, make_policy
from score_envs.registration import ENV_IDS

DEMO_POLICIES: tuple[tuple[str, str], ...] = (
    ("oracle", "oracle"),
    ("self-corrector (noisy)", "noisy:p1=0.55,i2c=0.25,c2i=0.03"),
    ("prompted base (noisy)", "noisy:p1=0.55,i2c=0.05,c2i=0.2"),
    ("copy first attempt", "copy-first:noisy:p1=0.55,i2c=0.25,c2i=0.03"),
    ("random guess", "random"),
)
"""(row name, policy spec) pairs: each row shows one behaviour the metrics must tell apart."""


def _progress(total: int, description: str):
    """A tqdm bar when tqdm is installed (the ``cli`` extra), else a no-op callback."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda record: None
    # disable=None: no bar when stderr is not a terminal (CI logs, pipes).
    bar = tqdm(total=total, desc=description, unit="ep", leave=False, file=sys.stderr, disable=None)
    counts = [0, 0, 0]  # episodes, right at t1, right at the last turn

    def update(record: EpisodeRecord) -> None:
        counts[0] += 1
        counts[1] += record.correct_per_turn[0]
        counts[2] += record.correct_per_turn[-1]
        bar.update(1)
        bar.set_postfix(t1=f"{counts[1] / counts[0]:.2f}", t2=f"{counts[2] / counts[0]:.2f}")

    return bar, update


def _difficulty(text: str | None) -> tuple[int, int] | int | None:
    if text is None:
        return None
    low, _, high = text.partition("-")
    try:
        return (int(low), int(high)) if high else int(low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"difficulty must look like 3 or 2-4, got {text!r}"
        ) from None


def command_list(args: argparse.Namespace) -> int:
    """Print environments, math task families and built-in policies."""
    print("Environments:")
    for env_id in ENV_IDS:
        print(f"  {env_id}")
    print("ScoreMath-v0 task families:")
    for name in family_names():
        print(f"  {name}")
    print("Built-in policies:")
    for name in BUILTIN_POLICIES:
        print(f"  {name}")
    return 0


def command_demo(args: argparse.Namespace) -> int:
    """Run every demo policy on the same seeded tasks and print the paper-style table."""
    env_kwargs = {}
    if args.families:
        env_kwargs["families"] = args.families.split(",")
    if args.difficulty is not None:
        env_kwargs["difficulty"] = args.difficulty
    env = gym.make("ScoreMath-v0", **env_kwargs)
    print(
        f"score-envs {score_envs.__version__}: {args.episodes} ScoreMath-v0 episodes per policy, "
        f"seed {args.seed}, tasks {env_kwargs or 'all families, difficulty 1-5'}",
        file=sys.stderr,
    )
    rows = {}
    started = time.perf_counter()
    for name, spec in DEMO_POLICIES:
        bar, update = _progress(args.episodes, name)
        records = run_episodes(
            env, make_policy(spec), episodes=args.episodes, seed=args.seed, on_episode=update
        )
        if bar is not None:
            bar.close()
        rows[f"{name} `{spec}`"] = compute_metrics([r.outcome for r in records], seed=args.seed)
    table = format_table(rows)
    print(table)
    elapsed = time.perf_counter() - started
    total = args.episodes * len(DEMO_POLICIES)
    print(
        f"\n{total} episodes in {elapsed:.1f} s ({total / elapsed:.0f} episodes/s)", file=sys.stderr
    )
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(table + "\n", encoding="utf-8")
        print(f"table written to {path}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="score-envs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=score_envs.__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="environments, task families, built-in policies").set_defaults(
        func=command_list
    )
    demo = sub.add_parser("demo", help="leaderboard of the built-in policies on ScoreMath-v0")
    demo.add_argument("--episodes", type=int, default=1000, help="episodes per policy (1000)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the task stream (0)")
    demo.add_argument("--families", help="comma-separated math families (default: all)")
    demo.add_argument("--difficulty", type=_difficulty, help="a level 1..5 or a range like 2-4")
    demo.add_argument("--out", help="also write the Markdown table to this file")
    demo.set_defaults(func=command_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``score-envs`` console script; user errors exit 2 with one line."""
    args = build_parser().parse_args(argv)
    if getattr(args, "episodes", 1) < 1:
        print("score-envs: error: --episodes must be >= 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"score-envs: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
