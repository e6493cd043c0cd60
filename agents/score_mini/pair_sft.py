"""SFT on self-generated corrections: the STaR and Pair-SFT baselines of the paper's table.

The base model plays many two-attempt episodes at temperature 1; the episodes whose second attempt
is right are kept (``mode="star"``), or only those that turn a wrong first attempt into a right
one (``mode="pair"``, Welleck et al.'s pairs); the model is then fine-tuned on the kept second
attempts given their problem and first attempt (cross-entropy on attempt 2's characters only,
so wrong first attempts are never taught). The paper finds such SFT helps little: the data comes
from the base model's distribution of first attempts, which drifts once the model is trained.

    python -m agents.score_mini.pair_sft --base-checkpoint results/score_mini/base.pt --mode star
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from agents.common import parse_args, seed_everything
from agents.score_mini.model import TinyDecoder, load_policy, save_checkpoint
from agents.score_mini.rollout import SECOND_TARGETS, Rollouts, sample_rollouts
from agents.score_mini.tasks import sample_train_pairs
from agents.score_mini.tokenizer import CharTokenizer

MODES = ("star", "pair")


@dataclass
class Args:
    base_checkpoint: str = "results/score_mini/base.pt"
    """Checkpoint of the base model (the data generator and the start of fine-tuning)"""
    seed: int = 1
    """Seed of random, numpy, torch and the training problems"""
    mode: str = "star"
    """Which episodes to keep: 'star' (attempt 2 right) or 'pair' (attempt 1 wrong, 2 right)"""
    collect_batches: int = 40
    """Batches of self-generated episodes to filter"""
    batch_size: int = 256
    """Episodes per collection batch and examples per SFT step"""
    steps: int = 200
    """SFT steps on the kept episodes"""
    learning_rate: float = 3e-4
    """Adam step size"""
    out: str = "results/score_mini/pair_sft.pt"
    """Where to write the checkpoint"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


def keep_mask(r1: torch.Tensor, r2: torch.Tensor, mode: str) -> torch.Tensor:
    """Which episodes become training data.

    Example:
        >>> r1, r2 = torch.tensor([0., 1., 0., 1.]), torch.tensor([1., 1., 0., 0.])
        >>> keep_mask(r1, r2, "star").tolist(), keep_mask(r1, r2, "pair").tolist()
        ([True, True, False, False], [True, False, False, False])
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "star":
        return r2 > 0.5
    return (r1 < 0.5) & (r2 > 0.5)


def collect(
    args: Args, model: TinyDecoder, tokenizer: CharTokenizer
) -> tuple[torch.Tensor, dict[str, float]]:
    """Self-generated episodes kept by :func:`keep_mask`: their ids and collection statistics."""
    rng = np.random.default_rng(args.seed)
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(args.seed)
    kept, seen = [], 0
    r1_sum = r2_sum = 0.0
    for _ in range(args.collect_batches):
        a, b = sample_train_pairs(rng, args.batch_size)
        rollouts: Rollouts = sample_rollouts(
            model, tokenizer, a, b, temperature=1.0, generator=generator
        )
        kept.append(rollouts.ids[keep_mask(rollouts.r1, rollouts.r2, args.mode)])
        seen += len(a)
        r1_sum += rollouts.r1.sum().item()
        r2_sum += rollouts.r2.sum().item()
    ids = torch.cat(kept)
    return ids, {"seen": seen, "kept": len(ids), "r1": r1_sum / seen, "r2": r2_sum / seen}


def fine_tune(
    args: Args,
    model: TinyDecoder,
    data: torch.Tensor,
    log: Callable[[str], None] = print,
    stats: dict[str, float] | None = None,
) -> list[dict[str, float]]:
    """Fine-tune ``model`` in place on attempt 2 of the episodes ``data`` (``[n, 15]`` ids)."""
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    rng = np.random.default_rng(args.seed + 1)
    history = []
    start = time.time()
    for step in range(args.steps):
        ids = data[rng.integers(0, len(data), size=args.batch_size)].to(device)
        model.train()
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(
            logits[:, SECOND_TARGETS].reshape(-1, logits.shape[-1]),
            ids[:, 1:][:, SECOND_TARGETS].reshape(-1),
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append({"step": step, "loss_second": loss.item(), **(stats or {})})
        if (step + 1) % 100 == 0 or step + 1 == args.steps:
            log(
                f"  {args.mode} sft {step + 1}/{args.steps} loss {loss.item():.3f} "
                f"({time.time() - start:.0f}s)"
            )
    model.eval()
    return history


def train(
    args: Args, base: TinyDecoder, tokenizer: CharTokenizer, log: Callable[[str], None] = print
) -> tuple[TinyDecoder, list[dict[str, float]]]:
    """Collect, filter and fine-tune a copy of ``base``; returns it and the loss history.

    When no episode passes the filter (an untrained model), the copy is returned unchanged.
    """
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    data, stats = collect(args, base, tokenizer)
    log(f"  {args.mode}: kept {stats['kept']} of {stats['seen']} self-generated episodes")
    model = copy.deepcopy(base)
    if len(data) == 0:
        log(f"  {args.mode}: nothing to fine-tune on; the model stays the base model")
        return model, []
    return model, fine_tune(args, model, data, log, stats)


if __name__ == "__main__":
    args = parse_args(Args)
    base, tokenizer = load_policy(args.base_checkpoint)
    model, _ = train(args, base, tokenizer)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    save_checkpoint(
        args.out, model, tokenizer, {"trainer": f"pair_sft/{args.mode}", "args": vars(args)}
    )
    print(f"wrote {args.out}")
