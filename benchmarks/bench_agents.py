"""Train every reference agent with fixed seeds; write learning curves and a results table.

Run (about 13 minutes on 2 CPU cores with the default 3 seeds):

    python benchmarks/bench_agents.py                       # everything
    python benchmarks/bench_agents.py --only baseline dqn-grid --seeds 1   # a quick subset

Writes the table between the markers of ``docs/agents.md``, the curves to
``docs/agents_learning_curves.png`` (needs matplotlib) and raw figures to
``benchmarks/results/agents.json``. What "solved" means is stated per run in the table:

- grid worlds: the greedy policy reaches the goal by a shortest path; "to solve" is the first
  training episode that ends 10 successful episodes in a row;
- CartPole-v1: "to solve" is the first point where the 100-episode mean training return reaches
  475 (REINFORCE) or a greedy evaluation of 20 episodes averages >= 475 (DQN, evaluated every
  5000 steps); the final figure is the mean return of 100 fresh evaluation episodes;
- goal grid 12x12: greedy success rate on 200 random goals never trained on, with and without HER;
- ScoreMathChoice-v0: greedy Acc@t1 / Acc@t2 on 2000 unseen tasks against the optimum
  55.2 / 67.8 (random play 25 / 25).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the agents live in the repository, not in the installed wheel

from agents import dqn, dqn_her, gridworld_baseline, reinforce  # noqa: E402
from agents.common import evaluate, make_env  # noqa: E402
from score_envs.metrics import compute_metrics  # noqa: E402

MARK_START = "<!-- agents-table:start -->"
MARK_END = "<!-- agents-table:end -->"


@dataclass
class Run:
    """One agent on one env for one seed."""

    name: str
    seed: int
    to_solve: str
    final: str
    seconds: float
    curve_x: list[float] = field(default_factory=list)
    curve_y: list[float] = field(default_factory=list)
    curve_label: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)
    curve_xlabel: str = "training episode"


def first_streak(successes: list[bool], length: int = 10) -> int | None:
    """1-based index of the episode that completes the first run of ``length`` successes."""
    streak = 0
    for index, success in enumerate(successes, start=1):
        streak = streak + 1 if success else 0
        if streak >= length:
            return index
    return None


def rolling_mean(values: list[float], window: int) -> list[float]:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    cumulative = np.cumsum([0.0, *values])
    return [
        float((cumulative[i + 1] - cumulative[max(0, i + 1 - window)]) / min(i + 1, window))
        for i in range(len(values))
    ]


def run_baseline(seed: int) -> Run:
    result = gridworld_baseline.train(gridworld_baseline.Args(seed=seed, verbose=False))
    successes = [r > 0 for r in result.episode_returns]
    solved = first_streak(successes)
    return Run(
        "gridworld_baseline, ScoreGridWorld-v0 4x4",
        seed,
        f"{solved} episodes" if solved else "not solved",
        f"greedy success {result.greedy.success_rate:.0%}, {result.greedy.lengths[0]} moves "
        "(shortest: 6)",
        result.seconds,
        list(range(1, len(successes) + 1)),
        rolling_mean([float(s) for s in successes], 20),
        "training success rate (last 20 episodes)",
        {"solved_episode": solved, "greedy_moves": result.greedy.lengths[0]},
    )


def run_dqn_grid(seed: int) -> Run:
    args = dqn.Args(
        env="ScoreGridWorld-v0",
        env_kwargs='{"size": 8}',
        seed=seed,
        total_timesteps=20_000,
        learning_starts=1_000,
        buffer_size=20_000,
        target_network_frequency=200,
        exploration_fraction=0.5,
        eval_episodes=1,
        eval_every=0,
        verbose=False,
    )
    result = dqn.train(args)
    successes = [r > 0 for r in result.episode_returns]
    solved = first_streak(successes)
    return Run(
        "dqn, ScoreGridWorld-v0 8x8",
        seed,
        f"{solved} episodes" if solved else "not solved",
        f"greedy success {result.final.success_rate:.0%}, {result.final.lengths[0]} moves "
        "(shortest: 14)",
        result.seconds,
        result.episode_end_steps,
        rolling_mean([float(s) for s in successes], 20),
        "training success rate (last 20 episodes)",
        {"solved_episode": solved, "greedy_moves": result.final.lengths[0]},
        "environment step",
    )


def run_dqn_cartpole(seed: int) -> Run:
    # The defaults of dqn.Args are CartPole-v1's (periodic evaluation, stop at 475).
    args = dqn.Args(env="CartPole-v1", seed=seed, verbose=False)
    result = dqn.train(args)
    solved = next((step for step, e in result.evaluations if e.mean_return >= 475), None)
    final = evaluate(
        make_env("CartPole-v1"), dqn.greedy_policy(result.q_network), 100, seed + 3_000_000
    )
    return Run(
        "dqn, CartPole-v1",
        seed,
        f"{solved} steps" if solved else "not solved",
        f"greedy 100-episode mean return {final.mean_return:.1f}",
        result.seconds,
        [step for step, _ in result.evaluations],
        [e.mean_return for _, e in result.evaluations],
        "greedy evaluation return (20 episodes)",
        {"solved_step": solved, "final_mean_return_100": final.mean_return},
        "environment step",
    )


def run_reinforce_cartpole(seed: int) -> Run:
    result = reinforce.train(reinforce.Args(env="CartPole-v1", seed=seed, verbose=False))
    rolling = rolling_mean(result.episode_returns, 100)
    solved = next((i + 1 for i, v in enumerate(rolling) if i >= 99 and v >= 475), None)
    return Run(
        "reinforce, CartPole-v1",
        seed,
        f"{solved} episodes" if solved else "not solved",
        f"100-episode mean return: sampled {result.sampled.mean_return:.1f}, greedy "
        f"{result.greedy.mean_return:.1f}; last 100 training episodes {rolling[-1]:.1f}",
        result.seconds,
        list(range(1, len(rolling) + 1)),
        rolling,
        "training return (mean of last 100 episodes)",
        {
            "solved_episode": solved,
            "sampled_mean_return_100": result.sampled.mean_return,
            "greedy_mean_return_100": result.greedy.mean_return,
            "last_100_training_mean": rolling[-1],
        },
    )


def her_runner(her: bool) -> Callable[[int], Run]:
    def run(seed: int) -> Run:
        result = dqn_her.train(dqn_her.Args(seed=seed, her=her, verbose=False))
        successes = [float(s) for s in result.episode_successes]
        label = "with HER" if her else "without HER"
        return Run(
            f"dqn_her {label}, ScoreGridWorldGoal-v0 12x12",
            seed,
            "-",
            f"greedy success on 200 unseen random goals {result.eval_success_rate:.0%}",
            result.seconds,
            list(range(1, len(successes) + 1)),
            rolling_mean(successes, 100),
            "training success rate (last 100 episodes)",
            {"eval_success_rate": result.eval_success_rate},
        )

    return run


def choice_runner(agent: str) -> Callable[[int], Run]:
    def run(seed: int) -> Run:
        if agent == "dqn":
            result = dqn.train(
                dqn.Args(
                    env="ScoreMathChoice-v0", seed=seed, gamma=1.0, total_timesteps=40_000,
                    train_frequency=2, learning_starts=1_000, buffer_size=40_000,
                    target_network_frequency=200, exploration_fraction=0.5,
                    eval_episodes=2_000, eval_every=0, verbose=False,
                )
            )  # fmt: skip
            outcomes, seconds = result.final.correct_per_turn(), result.seconds
            curve = rolling_mean(result.episode_returns, 500)
        else:
            result = reinforce.train(
                reinforce.Args(
                    env="ScoreMathChoice-v0", seed=seed, gamma=1.0, total_episodes=20_000,
                    episodes_per_update=32, learning_rate=3e-3, eval_episodes=2_000,
                    verbose=False,
                )
            )  # fmt: skip
            outcomes, seconds = result.greedy.correct_per_turn(), result.seconds
            curve = rolling_mean(result.episode_returns, 500)
        metrics = compute_metrics(outcomes)
        return Run(
            f"{agent}, ScoreMathChoice-v0 (K=4)",
            seed,
            "-",
            f"Acc@t1 {metrics.acc_t1.format_percent()}, Acc@t2 {metrics.acc_t2.format_percent()} "
            "(optimum 55.2 / 67.8, random 25 / 25)",
            seconds,
            list(range(1, len(curve) + 1)),
            curve,
            "training return r1 + r2 (mean of last 500 episodes)",
            metrics.as_dict(),
        )

    return run


RUNNERS: dict[str, Callable[[int], Run]] = {
    "baseline": run_baseline,
    "dqn-grid": run_dqn_grid,
    "dqn-cartpole": run_dqn_cartpole,
    "reinforce-cartpole": run_reinforce_cartpole,
    "her": her_runner(True),
    "no-her": her_runner(False),
    "dqn-choice": choice_runner("dqn"),
    "reinforce-choice": choice_runner("reinforce"),
}


def table(runs: list[Run]) -> str:
    lines = ["| Agent, env | Seed | To solve | Final | Wall-clock |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.name} | {r.seed} | {r.to_solve} | {r.final} | {r.seconds:.0f} s |" for r in runs
    ]
    return "\n".join(lines)


def write_docs(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"{MARK_START}\n{MARK_END}\n"
    if MARK_START not in text or MARK_END not in text:
        raise ValueError(f"{path} lacks the markers {MARK_START} / {MARK_END}")
    before, rest = text.split(MARK_START, 1)
    after = rest.split(MARK_END, 1)[1]
    path.write_text(f"{before}{MARK_START}\n{block}\n{MARK_END}{after}", encoding="utf-8")


def plot(path: Path, runs: list[Run]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot written")
        return
    names = list(dict.fromkeys(r.name for r in runs))
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.4 * rows), squeeze=False)
    for axis, name in zip(axes.ravel(), names, strict=False):
        for run in (r for r in runs if r.name == name):
            axis.plot(run.curve_x, run.curve_y, label=f"seed {run.seed}", linewidth=1)
        axis.set_title(name, fontsize=9)
        axis.set_xlabel(next(r.curve_xlabel for r in runs if r.name == name), fontsize=7)
        axis.set_ylabel(next(r.curve_label for r in runs if r.name == name), fontsize=7)
        axis.legend(fontsize=7)
    for axis in axes.ravel()[len(names) :]:
        axis.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNNERS), default=list(RUNNERS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "agents.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "agents_learning_curves.png")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "agents.json"
    )
    options = parser.parse_args(argv)
    started = time.perf_counter()
    runs = []
    for key in options.only:
        for seed in options.seeds:
            run = RUNNERS[key](seed)
            print(f"{run.name} seed {run.seed}: {run.to_solve}; {run.final}; {run.seconds:.0f} s")
            runs.append(run)
    minutes = (time.perf_counter() - started) / 60
    subset = "" if options.only == list(RUNNERS) else f"--only {' '.join(options.only)} "
    block = (
        f"Generated by `python benchmarks/bench_agents.py {subset}"
        f"--seeds {' '.join(map(str, options.seeds))}` in {minutes:.1f} min on "
        f"{platform.machine()}, Python {platform.python_version()}, 1 torch thread per run.\n\n"
        + table(runs)
    )
    write_docs(options.docs, block)
    print(f"wrote {options.docs}")
    plot(options.plot, runs)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(
        json.dumps([{k: v for k, v in vars(r).items() if not k.startswith("curve")} for r in runs],
                   indent=2),
        encoding="utf-8",
    )  # fmt: skip
    print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
