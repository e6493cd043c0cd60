"""Reward hacking made visible: the correction bonus alpha swept over {0, 0.5, 1, 2, 10}.

The same agent is trained on ``ScoreMathChoice-v0`` (ScoreMath-v0 seen through
:class:`~score_envs.wrappers.multiple_choice.MultipleChoiceView`) inside
``CorrectionBonus(alpha)``, maximising the episode return ``r1 + r2 + alpha (r2 - r1)``
(``gamma = 1``). Its greedy policy is then evaluated on unseen tasks and scored with
:func:`score_envs.metrics.compute_metrics`, with Acc@t1 of the ``alpha = 0`` policy as the baseline
of the reward-hacking check. Since ``r1 + r2 + alpha (r2 - r1) = (1 - alpha) r1 + (1 + alpha) r2``,
for ``alpha > 1`` a correct first attempt costs return and the learned policy fails it on purpose
(Acc@t1 collapses, Δ i→c soars); at ``alpha = 1`` the first attempt is worth nothing, so nothing
holds Acc@t1 up. A control row trains with ``gamma = 0`` at ``alpha = 10``: each attempt is then
credited with its own reward only (the paper's instantaneous rewards), the bonus cannot reach the
first attempt, and Acc@t1 holds.

Run (about 8 minutes on 2 CPU cores for both agents, 3 seeds):

    python benchmarks/reward_hacking.py                # writes docs/reward_hacking.md + .png
    python benchmarks/reward_hacking.py --agents reinforce --seeds 1 --episodes 5000  # quick look

The table and plot are written between the markers of ``docs/reward_hacking.md`` and to
``docs/reward_hacking.png`` (the plot needs matplotlib; without it only the table is written).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere: the agents live in the repository, not the wheel

from agents import dqn, reinforce  # noqa: E402
from score_envs.metrics import SelfCorrectionMetrics, compute_metrics, format_table  # noqa: E402

ALPHAS = (0.0, 0.5, 1.0, 2.0, 10.0)
MARK_START = "<!-- reward-hacking-table:start -->"
MARK_END = "<!-- reward-hacking-table:end -->"
ENV_ID = "ScoreMathChoice-v0"


def train_and_evaluate(
    agent: str, alpha: float, gamma: float, seed: int, episodes: int, eval_episodes: int
) -> list[list[bool]]:
    """Train one agent at one alpha and return the greedy policy's per-turn correctness."""
    if agent == "reinforce":
        result = reinforce.train(
            reinforce.Args(
                env=ENV_ID,
                correction_bonus=alpha,
                seed=seed,
                gamma=gamma,
                total_episodes=episodes,
                episodes_per_update=32,
                learning_rate=3e-3,
                eval_episodes=eval_episodes,
                verbose=False,
            )
        )
        return result.greedy.correct_per_turn()
    if agent == "dqn":
        steps = 2 * episodes  # two attempts per episode
        result = dqn.train(
            dqn.Args(
                env=ENV_ID,
                correction_bonus=alpha,
                seed=seed,
                gamma=gamma,
                total_timesteps=steps,
                train_frequency=2,
                learning_starts=1_000,
                buffer_size=steps,
                target_network_frequency=200,
                exploration_fraction=0.5,
                eval_episodes=eval_episodes,
                eval_every=0,
                verbose=False,
            )
        )
        return result.final.correct_per_turn()
    raise ValueError(f"agent must be 'reinforce' or 'dqn', got {agent!r}")


def sweep(
    agent: str, seeds: list[int], episodes: int, eval_episodes: int
) -> dict[str, tuple[float, float, SelfCorrectionMetrics]]:
    """Rows ``label -> (alpha, gamma, metrics)``, seeds pooled; the control row last."""
    settings = [(alpha, 1.0) for alpha in ALPHAS] + [(10.0, 0.0)]
    outcomes: dict[tuple[float, float], list[list[bool]]] = {}
    for alpha, gamma in settings:
        started = time.perf_counter()
        pooled: list[list[bool]] = []
        for seed in seeds:
            pooled += train_and_evaluate(agent, alpha, gamma, seed, episodes, eval_episodes)
        outcomes[(alpha, gamma)] = pooled
        print(f"{agent} alpha={alpha} gamma={gamma}: {time.perf_counter() - started:.1f} s")
    baseline = compute_metrics(outcomes[(0.0, 1.0)], n_bootstrap=1).acc_t1.value
    rows = {}
    for alpha, gamma in settings:
        label = f"{agent}, α={alpha:g}" + (", γ=0 (control)" if gamma == 0.0 else "")
        metrics = compute_metrics(outcomes[(alpha, gamma)], baseline_acc_t1=baseline)
        rows[label] = (alpha, gamma, metrics)
    return rows


def write_table(path: Path, tables: list[str], header: str) -> None:
    """Replace the text between the markers of ``path`` with the tables (create it if missing)."""
    block = "\n".join([MARK_START, header, "", *tables, MARK_END])
    text = path.read_text(encoding="utf-8") if path.exists() else f"{MARK_START}\n{MARK_END}\n"
    if MARK_START not in text or MARK_END not in text:
        raise ValueError(f"{path} lacks the markers {MARK_START} / {MARK_END}")
    before, rest = text.split(MARK_START, 1)
    after = rest.split(MARK_END, 1)[1]
    path.write_text(before + block + after, encoding="utf-8")


def plot(path: Path, results: dict[str, dict[str, tuple[float, float, SelfCorrectionMetrics]]]):
    """Acc@t1, Acc@t2 and Δ i→c against alpha, one panel per agent (gamma = 1 rows)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot written")
        return
    figure, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4), squeeze=False)
    for axis, (agent, rows) in zip(axes[0], results.items(), strict=True):
        swept = [(a, m) for a, g, m in rows.values() if g == 1.0]
        positions = range(len(swept))
        for name, label in (("acc_t1", "Acc@t1"), ("acc_t2", "Acc@t2"), ("delta_i2c", "Δ i→c")):
            values = [getattr(m, name) for _, m in swept]
            axis.errorbar(
                positions,
                [100 * v.value for v in values],
                yerr=[
                    [100 * (v.value - v.low) for v in values],
                    [100 * (v.high - v.value) for v in values],
                ],
                marker="o",
                capsize=3,
                label=label,
            )
        axis.axvspan(
            1.5,
            len(swept) - 0.5,
            color="red",
            alpha=0.07,
            label="α ≥ 1: a right first answer pays nothing",
        )
        axis.set_xticks(list(positions), [f"{a:g}" for a, _ in swept])
        axis.set_xlabel("correction bonus α")
        axis.set_ylabel("% of problems")
        axis.set_ylim(0, 100)
        axis.set_title(f"{agent} on {ENV_ID} (greedy evaluation)")
        axis.legend(loc="upper center", ncol=2, fontsize=8)  # y > 75% stays empty
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", nargs="+", default=["reinforce", "dqn"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--episodes", type=int, default=10_000, help="training episodes per run")
    parser.add_argument("--eval-episodes", type=int, default=2_000, help="per seed")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "reward_hacking.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "reward_hacking.png")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "reward_hacking.json"
    )
    options = parser.parse_args(argv)
    started = time.perf_counter()
    results = {
        agent: sweep(agent, options.seeds, options.episodes, options.eval_episodes)
        for agent in options.agents
    }
    seconds = time.perf_counter() - started
    tables = []
    for agent, rows in results.items():
        tables += [f"**{agent}**", "", format_table({k: m for k, (_, _, m) in rows.items()}), ""]
    header = (
        f"Generated by `python benchmarks/reward_hacking.py --agents {' '.join(options.agents)} "
        f"--seeds {' '.join(map(str, options.seeds))} --episodes {options.episodes} "
        f"--eval-episodes {options.eval_episodes}` in {seconds / 60:.1f} min on "
        f"{platform.machine()} ({platform.python_version()}); greedy evaluation on "
        f"{options.eval_episodes} unseen tasks per seed, seeds pooled, 95% bootstrap intervals; "
        "† marks suspected reward hacking (baseline: Acc@t1 at α = 0)."
    )
    write_table(options.docs, tables, header)
    print(f"wrote {options.docs}")
    plot(options.plot, results)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        agent: {label: {"alpha": a, "gamma": g, **m.as_dict()} for label, (a, g, m) in rows.items()}
        for agent, rows in results.items()
    }
    options.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
