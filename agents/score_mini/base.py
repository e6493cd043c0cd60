"""The base model: supervised first-turn training to an imperfect solver, then a second-turn
bootstrap so that attempt 2 is a real (if unhelpful) answer rather than noise.

Phase 1 (first-turn SFT): ``"ab*cd=" -> "pppp"`` with cross-entropy on the answer only, stopped
as soon as greedy accuracy on a fixed probe set of *training-seed* problems reaches
``stop_accuracy`` (45%): the base must stay imperfect, with room to correct. (A fixed step count is
fragile: 1600 steps gave a 45-55% base in DESIGN.md's study and an 80% base here.)

Phase 2 (second-turn bootstrap): the model samples attempt 1 itself (temperature 1) and is taught
the right answer as attempt 2 after the correction mark. Trained on that alone, the model forgets
attempt 1 and shows a fake Δ of +27 points (DESIGN.md section 7); so each step also carries a clean
first-turn loss (``"ab*cd=" -> right answer``), which gives a paper-like base whose second attempt
is slightly *worse* than its first (measured here, seed 1: Acc@t1 55.4, Acc@t2 53.0, Δ -2.3).

    python -m agents.score_mini.base --out results/score_mini/base.pt
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from agents.common import parse_args, seed_everything
from agents.score_mini.model import ModelConfig, TinyDecoder, generate, save_checkpoint
from agents.score_mini.rollout import (
    FIRST_TARGETS,
    SECOND_TARGETS,
    encode_problems,
    sample_rollouts,
    supervised_ids,
)
from agents.score_mini.tasks import ANSWER_DIGITS, sample_train_pairs
from agents.score_mini.tokenizer import CharTokenizer


@dataclass
class Args:
    seed: int = 1
    """Seed of random, numpy, torch and the training problems"""
    d_model: int = 128
    """Width of the transformer"""
    n_layers: int = 3
    """Transformer blocks"""
    n_heads: int = 4
    """Attention heads"""
    sft_steps: int = 1600
    """Most first-turn supervised steps (training stops earlier at stop_accuracy)"""
    stop_accuracy: float = 0.45
    """Stop first-turn SFT once greedy accuracy on the probe set reaches this (the bootstrap's
    clean first-turn loss adds more): the base must stay imperfect, with room to correct"""
    probe_every: int = 50
    """Steps between accuracy probes"""
    probe_size: int = 512
    """Problems of the probe set (training seeds, drawn once; never held-out ones)"""
    bootstrap_steps: int = 200
    """Second-turn bootstrap steps (self-sampled attempt 1, right attempt 2, clean first turn)"""
    bootstrap_learning_rate: float = 5e-4
    """Adam step size of the bootstrap (lower: attempt 1 should not improve much more)"""
    batch_size: int = 256
    """Problems per step"""
    learning_rate: float = 1e-3
    """Adam step size of the first-turn SFT"""
    out: str = "results/score_mini/base.pt"
    """Where to write the checkpoint"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


def first_turn_loss(model: TinyDecoder, ids: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of attempt 1's characters given the problem (``ids`` hold at least the
    problem and attempt 1)."""
    logits, _ = model(ids[:, : FIRST_TARGETS.stop])
    targets = ids[:, 1 : FIRST_TARGETS.stop + 1]
    return F.cross_entropy(
        logits[:, FIRST_TARGETS].reshape(-1, logits.shape[-1]),
        targets[:, FIRST_TARGETS].reshape(-1),
    )


def second_turn_loss(model: TinyDecoder, ids: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of attempt 2's characters given the problem, attempt 1 and the mark."""
    logits, _ = model(ids[:, :-1])
    targets = ids[:, 1:]
    return F.cross_entropy(
        logits[:, SECOND_TARGETS].reshape(-1, logits.shape[-1]),
        targets[:, SECOND_TARGETS].reshape(-1),
    )


def probe_accuracy(
    model: TinyDecoder, tokenizer: CharTokenizer, a: np.ndarray, b: np.ndarray
) -> tuple[float, float]:
    """Greedy Acc@t1 and Acc@t2 on the probe problems (training seeds), graded by the verifier."""
    rollouts = sample_rollouts(model, tokenizer, a, b, temperature=0.0, generator=None)
    return rollouts.r1.mean().item(), rollouts.r2.mean().item()


def train_base(
    args: Args, log: Callable[[str], None] = print
) -> tuple[TinyDecoder, CharTokenizer, list[dict[str, float]]]:
    """Train the base model; returns it, its vocabulary and the per-step history."""
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    tokenizer = CharTokenizer()
    config = ModelConfig(
        vocab_size=tokenizer.vocab_size,
        d_model=args.d_model,
        n_layers=args.n_layers,
        n_heads=args.n_heads,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = TinyDecoder(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    history: list[dict[str, float]] = []
    start = time.time()
    probe_a, probe_b = sample_train_pairs(
        np.random.default_rng(args.seed + 10_000), args.probe_size
    )
    for step in range(args.sft_steps):
        a, b = sample_train_pairs(rng, args.batch_size)
        ids = supervised_ids(tokenizer, a, b).to(device)
        model.train()
        loss = first_turn_loss(model, ids)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append({"phase": 0, "step": step, "loss_first": loss.item()})
        if (step + 1) % args.probe_every == 0:
            accuracy, _ = probe_accuracy(model, tokenizer, probe_a, probe_b)
            history[-1]["probe_acc_t1"] = accuracy
            log(
                f"  base sft {step + 1}/{args.sft_steps} loss {loss.item():.3f} "
                f"probe Acc@t1 {accuracy:.3f} ({time.time() - start:.0f}s)"
            )
            if accuracy >= args.stop_accuracy:
                break
    sft_steps = len(history)
    for parameter_group in optimizer.param_groups:
        parameter_group["lr"] = args.bootstrap_learning_rate
    for step in range(args.bootstrap_steps):
        a, b = sample_train_pairs(rng, args.batch_size)
        model.eval()
        problems = encode_problems(tokenizer, a, b).to(device)
        sampled = generate(model, problems, ANSWER_DIGITS, temperature=1.0, generator=generator)
        first = [tokenizer.decode(row) for row in sampled.tolist()]
        ids = supervised_ids(tokenizer, a, b, first).to(device)
        clean = supervised_ids(tokenizer, a, b).to(device)
        model.train()
        loss_second = second_turn_loss(model, ids)
        loss_first = first_turn_loss(model, clean)
        loss = loss_second + loss_first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(
            {
                "phase": 1,
                "step": sft_steps + step,
                "loss_first": loss_first.item(),
                "loss_second": loss_second.item(),
            }
        )
        if (step + 1) % 100 == 0 or step + 1 == args.bootstrap_steps:
            acc_t1, acc_t2 = probe_accuracy(model, tokenizer, probe_a, probe_b)
            history[-1].update(probe_acc_t1=acc_t1, probe_acc_t2=acc_t2)
            log(
                f"  base bootstrap {step + 1}/{args.bootstrap_steps} loss {loss.item():.3f} "
                f"probe Acc@t1 {acc_t1:.3f} Acc@t2 {acc_t2:.3f} ({time.time() - start:.0f}s)"
            )
    model.eval()
    return model, tokenizer, history


if __name__ == "__main__":
    import os

    args = parse_args(Args)
    model, tokenizer, _ = train_base(args)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    save_checkpoint(args.out, model, tokenizer, {"trainer": "base", "args": vars(args)})
    print(f"wrote {args.out}")
