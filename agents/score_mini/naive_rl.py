"""Naive multi-turn REINFORCE: both attempts' rewards, KL to the base model, no Stage I, no bonus.

The paper's collapse baseline (DESIGN.md section 1): trained on ``r1 + r2`` from the start, the
easiest way to raise both rewards is to make attempt 1 better and attempt 2 a copy of it, so Δ stays
near 0 (or below) and the fraction of episodes with attempt 2 == attempt 1 climbs. Each attempt is
credited with its own reward (gamma = 0), with KL weight ``beta1`` on both attempts.

    python -m agents.score_mini.naive_rl --base-checkpoint results/score_mini/base.pt
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from agents.common import parse_args
from agents.score_mini.losses import Objective
from agents.score_mini.model import TinyDecoder, load_policy, save_checkpoint
from agents.score_mini.rollout import train_copy
from agents.score_mini.tokenizer import CharTokenizer


@dataclass
class Args:
    base_checkpoint: str = "results/score_mini/base.pt"
    """Checkpoint of the base model (the policy's start and the frozen KL reference)"""
    seed: int = 1
    """Seed of random, numpy, torch and the training problems"""
    steps: int = 400
    """Policy-gradient steps (the same total as SCoRe's two stages)"""
    batch_size: int = 256
    """Two-attempt episodes per step"""
    learning_rate: float = 3e-4
    """Adam step size"""
    beta1: float = 0.01
    """KL weight on both attempts (the paper's beta1)"""
    out: str = "results/score_mini/naive_rl.pt"
    """Where to write the checkpoint"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


def objective(args: Args) -> Objective:
    """Both rewards, no bonus, ``beta1`` on both attempts.

    Example:
        >>> objective(Args(beta1=0.05))
        Objective(reward_first=True, reward_second=True, alpha=0.0, kl_first=0.05, kl_second=0.05)
    """
    return Objective(
        reward_first=True, reward_second=True, alpha=0.0, kl_first=args.beta1, kl_second=args.beta1
    )


def train(
    args: Args, base: TinyDecoder, tokenizer: CharTokenizer, log: Callable[[str], None] = print
) -> tuple[TinyDecoder, list[dict[str, float]]]:
    """Train a copy of ``base`` (``base`` itself is the frozen reference and is not changed)."""
    return train_copy(
        base,
        base,
        tokenizer,
        objective(args),
        seed=args.seed,
        threads=args.threads,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        label="naive",
        log=log,
    )


if __name__ == "__main__":
    args = parse_args(Args)
    base, tokenizer = load_policy(args.base_checkpoint)
    model, _ = train(args, base, tokenizer)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    save_checkpoint(args.out, model, tokenizer, {"trainer": "naive_rl", "args": vars(args)})
    print(f"wrote {args.out}")
