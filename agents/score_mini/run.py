"""One command for the miniature SCoRe study: base model, baselines, SCoRe and its ablations,
evaluated on held-out seeds through ``ScoreMath-v0``, written as the paper's table.

    python -m agents.score_mini.run --out results/score_mini          # ~15 min on 2 CPU cores
    python -m agents.score_mini.run --quick                           # seconds: a smoke run
    python -m agents.score_mini.run --scale 4                         # wider model, bigger
                                                                      # batches, more RL steps (GPU)

Every method starts from the same base model, and every RL method gets the same number of
policy-gradient steps (SCoRe: Stage I + Stage II; its no-shaping ablation reuses SCoRe's Stage I).
Writes into ``--out``: ``table.md`` (Acc@t1, Acc@t2, Δ, Δ i→c, Δ c→i with 95% bootstrap
intervals), ``results.json`` (every figure, the arguments, wall time, machine), ``curves.png``
(training curves; needs matplotlib) and one ``.pt`` checkpoint per method
(:func:`agents.score_mini.model.load_policy`, or the ``torch:PATH`` policy spec).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from dataclasses import dataclass
from typing import Any

import torch

from agents.common import parse_args, seed_everything
from agents.score_mini import base as base_module
from agents.score_mini import naive_rl, pair_sft, score
from agents.score_mini.evaluate import EvalResult, evaluate_model
from agents.score_mini.model import TinyDecoder, save_checkpoint
from agents.score_mini.tokenizer import CharTokenizer
from score_envs.metrics import format_table


@dataclass
class Args:
    out: str = "results/score_mini"
    """Directory for the table, JSON, plots and checkpoints"""
    seed: int = 1
    """Seed of every stage (each stage derives its generators from it)"""
    scale: int = 1
    """Multiplies model width, batch sizes and RL steps (for a GPU run; cuda is used if present)"""
    quick: bool = False
    """A smoke run (narrow model, few steps, 200 evaluation tasks): checks the pipeline only"""
    n_eval: int = 3000
    """Held-out evaluation episodes per method"""
    rl_steps: int = 400
    """Policy-gradient steps of every RL method (SCoRe: half in Stage I, half in Stage II)"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


def stage_args(args: Args) -> dict[str, Any]:
    """The arguments of every stage derived from the run's (quick mode, scale).

    Example:
        >>> stage_args(Args(quick=True))["base"].sft_steps
        60
    """
    scale = max(1, args.scale)
    rl_steps = 6 if args.quick else args.rl_steps * scale
    batch = 32 if args.quick else 256 * scale
    common = {"seed": args.seed, "threads": args.threads}
    base = base_module.Args(
        d_model=32 if args.quick else 128 * scale,
        n_layers=1 if args.quick else 3,
        sft_steps=60 if args.quick else base_module.Args.sft_steps,
        bootstrap_steps=10 if args.quick else base_module.Args.bootstrap_steps,
        batch_size=batch,
        **common,
    )
    return {
        "base": base,
        "naive": naive_rl.Args(steps=rl_steps, batch_size=batch, **common),
        "score": score.Args(
            stage1_steps=rl_steps // 2,
            stage2_steps=rl_steps - rl_steps // 2,
            batch_size=batch,
            **common,
        ),
        "star": pair_sft.Args(
            mode="star",
            steps=8 if args.quick else 200,
            batch_size=batch,
            collect_batches=2 if args.quick else 40,
            **common,
        ),
        "pair": pair_sft.Args(
            mode="pair",
            steps=8 if args.quick else 200,
            batch_size=batch,
            collect_batches=2 if args.quick else 40,
            **common,
        ),
    }


def _plot(histories: dict[str, list[dict[str, float]]], path: str, log) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("  (matplotlib is not installed: no curves.png; pip install matplotlib)")
        return False

    def smooth(values: list[float], width: int = 25) -> list[float]:
        out, total = [], 0.0
        for index, value in enumerate(values):
            total += value
            if index >= width:
                total -= values[index - width]
            out.append(total / min(index + 1, width))
        return out

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.2))
    base_history = histories.get("base", [])
    axes[0].plot(
        [h["step"] for h in base_history],
        smooth([h["loss_first"] for h in base_history]),
        label="attempt 1",
    )
    boot = [h for h in base_history if "loss_second" in h]
    axes[0].plot(
        [h["step"] for h in boot],
        smooth([h["loss_second"] for h in boot]),
        label="attempt 2 (bootstrap)",
    )
    axes[0].set(title="Base model: supervised loss", xlabel="step", yscale="log")
    axes[0].legend()
    for name, history in histories.items():
        if name == "base" or not history or "same" not in history[0]:  # RL runs only
            continue
        steps = list(range(len(history)))
        axes[1].plot(steps, smooth([h["r1"] for h in history]), label=name)
        axes[2].plot(steps, smooth([h["r2"] - h["r1"] for h in history]), label=name)
        axes[3].plot(steps, smooth([h["same"] for h in history]), label=name)
    axes[1].set(title="Sampled Acc@t1 (temperature 1)", xlabel="RL step")
    axes[2].set(title="Sampled Δ = r2 - r1", xlabel="RL step")
    axes[2].axhline(0.0, color="grey", lw=0.8)
    axes[3].set(title="Attempt 2 == attempt 1 (fraction)", xlabel="RL step")
    axes[3].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(args: Args) -> dict[str, Any]:
    """Run the whole study; returns what ``results.json`` holds."""
    start, cpu_start = time.time(), time.process_time()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    stages = stage_args(args)
    n_eval = 200 if args.quick else args.n_eval

    def log(message: str) -> None:
        print(f"[{time.time() - start:6.0f}s] {message}", flush=True)

    results: dict[str, EvalResult] = {}
    histories: dict[str, list[dict[str, float]]] = {}
    tokenizer = CharTokenizer()

    def finish(name: str, key: str, model: TinyDecoder, trainer: str, extra: Any) -> None:
        path = os.path.join(args.out, f"{key}.pt")
        save_checkpoint(path, model, tokenizer, {"trainer": trainer, "args": extra})
        baseline = results["Base model"].metrics.acc_t1.value if results else None
        result = evaluate_model(model, tokenizer, n_eval, baseline_acc_t1=baseline)
        results[name] = result
        log(f"{result.metrics.to_markdown_row(name)} same-answer {result.same_answer:.3f}")

    log(
        f"base model: first-turn SFT (at most {stages['base'].sft_steps} steps) + bootstrap "
        f"({stages['base'].bootstrap_steps} steps)"
    )
    base, tokenizer, histories["base"] = base_module.train_base(stages["base"], log)
    finish("Base model", "base", base, "base", dataclasses.asdict(stages["base"]))

    log("STaR: SFT on self-generated episodes whose attempt 2 is right")
    model, histories["STaR"] = pair_sft.train(stages["star"], base, tokenizer, log)
    finish("STaR", "star", model, "pair_sft/star", dataclasses.asdict(stages["star"]))

    log("Pair-SFT: SFT on self-generated wrong -> right pairs")
    model, histories["Pair-SFT"] = pair_sft.train(stages["pair"], base, tokenizer, log)
    finish("Pair-SFT", "pair_sft", model, "pair_sft/pair", dataclasses.asdict(stages["pair"]))

    log(f"naive multi-turn REINFORCE ({stages['naive'].steps} steps)")
    model, histories["naive RL"] = naive_rl.train(stages["naive"], base, tokenizer, log)
    finish(
        "Naive multi-turn RL", "naive_rl", model, "naive_rl", dataclasses.asdict(stages["naive"])
    )

    score_args = stages["score"]
    log(f"SCoRe Stage I ({score_args.stage1_steps} steps)")
    stage1, histories["Stage I"] = score.run_stage1(score_args, base, tokenizer, log)
    finish(
        "SCoRe Stage I only", "score_stage1", stage1, "score/stage1", dataclasses.asdict(score_args)
    )

    log(f"SCoRe Stage II ({score_args.stage2_steps} steps, alpha {score_args.alpha})")
    model, histories["SCoRe"] = score.run_stage2(
        score_args, stage1, base, tokenizer, score_args.stage2_steps, log
    )
    histories["SCoRe"] = histories["Stage I"] + histories["SCoRe"]
    finish("**SCoRe**", "score", model, "score", dataclasses.asdict(score_args))

    no_shaping = dataclasses.replace(score_args, alpha=0.0)
    log(f"ablation: SCoRe without shaping (Stage II with alpha 0, {no_shaping.stage2_steps} steps)")
    model, history = score.run_stage2(
        no_shaping, stage1, base, tokenizer, no_shaping.stage2_steps, log, label="no-shaping"
    )
    histories["w/o shaping"] = histories["Stage I"] + history
    finish(
        "SCoRe w/o reward shaping",
        "score_no_shaping",
        model,
        "score",
        dataclasses.asdict(no_shaping),
    )

    no_stage1 = dataclasses.replace(score_args, stage1=False)
    total = no_stage1.stage1_steps + no_stage1.stage2_steps
    log(f"ablation: SCoRe without Stage I (Stage II from the base model, {total} steps)")
    model, history = score.run_stage2(
        no_stage1, base, base, tokenizer, total, log, label="no-stage1"
    )
    histories["w/o Stage I"] = history
    finish("SCoRe w/o Stage I", "score_no_stage1", model, "score", dataclasses.asdict(no_stage1))

    wall = time.time() - start
    cpu = time.process_time() - cpu_start
    table = format_table({name: result.metrics for name, result in results.items()})
    header = (
        f"Miniature SCoRe: 2-digit x 2-digit multiplication, {n_eval} held-out episodes per "
        f"method, greedy, 95% bootstrap intervals (percent). Seed {args.seed}, scale "
        f"{args.scale}{', quick' if args.quick else ''}; {wall / 60:.1f} min wall "
        f"({cpu / 60:.1f} min CPU) on {platform.machine()} "
        f"({torch.get_num_threads()} torch thread(s), "
        f"{'cuda' if torch.cuda.is_available() else 'cpu'})."
    )
    same = "\n".join(
        f"- {name}: attempt 2 repeats attempt 1 on {100 * r.same_answer:.1f}% of episodes"
        for name, r in results.items()
    )
    with open(os.path.join(args.out, "table.md"), "w") as handle:
        handle.write(header + "\n\n" + table + "\n\n" + same + "\n")
    plotted = _plot(histories, os.path.join(args.out, "curves.png"), log)
    summary = {
        "args": dataclasses.asdict(args),
        "stages": {key: dataclasses.asdict(value) for key, value in stages.items()},
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cuda": torch.cuda.is_available(),
            "torch": torch.__version__,
        },
        "methods": {name: result.as_dict() for name, result in results.items()},
        "histories": histories,
        "plotted": plotted,
    }
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(summary, handle, indent=1)
    print(header + "\n\n" + table + "\n\n" + same)
    log(f"done in {wall / 60:.1f} min; wrote {args.out}/table.md, results.json, curves.png, *.pt")
    return summary


if __name__ == "__main__":
    main(parse_args(Args))
