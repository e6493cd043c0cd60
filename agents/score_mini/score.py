"""SCoRe in miniature: Stage I (learn to correct with attempt 1 pinned), then Stage II (both
attempts, with the shaping bonus on attempt 2).

- **Stage I** maximises ``r(y2) - beta2 * KL(pi(.|x) || pi_ref(.|x))`` on attempt 1's positions:
  the model learns to improve its second attempt while its first stays where the base model's is,
  which keeps the two attempts from collapsing into one (the failure of naive multi-turn RL).
- **Stage II** maximises ``r(y1) + r(y2) + alpha * (r(y2) - r(y1)) - beta1 * KL`` on both
  attempts. The bonus rewards a *change* for the better and penalises a change for the worse; it
  lives in attempt 2's reward only (gamma = 0): credited to attempt 1 it pays for failing on
  purpose (DESIGN.md section 7 measured Acc@t1 4.7%).

Stage II runs at a tenth of Stage I's learning rate: the shaped attempt-2 advantage is up to
``1 + alpha`` = 11 times larger than a plain reward, attempts 1 and 2 share every weight, and at
Stage I's rate the first 50 Stage II steps dragged both attempts down (sampled accuracy on
training seeds from 42% to 31%, KL to the base model above 1 nat per attempt).

Ablations: ``--no-stage1`` (Stage II straight from the base model, for the same total steps) and
``--alpha 0`` (no shaping bonus).

    python -m agents.score_mini.score --base-checkpoint results/score_mini/base.pt
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
    stage1: bool = True
    """Run Stage I first (--no-stage1: the ablation without it)"""
    stage1_steps: int = 200
    """Stage I policy-gradient steps"""
    stage2_steps: int = 200
    """Stage II steps (without Stage I, Stage II gets stage1_steps + stage2_steps)"""
    batch_size: int = 256
    """Two-attempt episodes per step"""
    learning_rate: float = 3e-4
    """Adam step size of Stage I"""
    stage2_learning_rate: float = 3e-5
    """Adam step size of Stage II: about Stage I's divided by (1 + alpha), because the shaped
    attempt-2 advantage is up to (1 + alpha) times larger; at 3e-4 Stage II with alpha 10 drags
    both attempts down (measured on training seeds)"""
    beta1: float = 0.01
    """Stage II KL weight on both attempts"""
    beta2: float = 1.0
    """Stage I KL weight on attempt 1 (strong: attempt 1 stays near the base model)"""
    alpha: float = 10.0
    """Shaping bonus weight of Stage II (0: the ablation without shaping)"""
    out: str = "results/score_mini/score.pt"
    """Where to write the checkpoint"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


def stage1_objective(args: Args) -> Objective:
    """Attempt 2's reward only, KL ``beta2`` on attempt 1.

    Example:
        >>> stage1_objective(Args(beta2=0.5))
        Objective(reward_first=False, reward_second=True, alpha=0.0, kl_first=0.5, kl_second=0.0)
    """
    return Objective(
        reward_first=False, reward_second=True, alpha=0.0, kl_first=args.beta2, kl_second=0.0
    )


def stage2_objective(args: Args) -> Objective:
    """Both rewards, bonus ``alpha`` on attempt 2, KL ``beta1`` on both attempts.

    Example:
        >>> stage2_objective(Args(alpha=10.0, beta1=0.01)).alpha
        10.0
    """
    return Objective(
        reward_first=True,
        reward_second=True,
        alpha=args.alpha,
        kl_first=args.beta1,
        kl_second=args.beta1,
    )


def run_stage1(
    args: Args, base: TinyDecoder, tokenizer: CharTokenizer, log: Callable[[str], None] = print
) -> tuple[TinyDecoder, list[dict[str, float]]]:
    """Stage I on a copy of ``base`` (the frozen reference)."""
    return train_copy(
        base,
        base,
        tokenizer,
        stage1_objective(args),
        seed=args.seed,
        threads=args.threads,
        steps=args.stage1_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        label="stage1",
        log=log,
    )


def run_stage2(
    args: Args,
    start: TinyDecoder,
    base: TinyDecoder,
    tokenizer: CharTokenizer,
    steps: int,
    log: Callable[[str], None] = print,
    label: str = "stage2",
) -> tuple[TinyDecoder, list[dict[str, float]]]:
    """Stage II on a copy of ``start``, KL to ``base``; ``steps`` updates."""
    return train_copy(
        start,
        base,
        tokenizer,
        stage2_objective(args),
        seed=args.seed + 1,
        threads=args.threads,
        steps=steps,
        batch_size=args.batch_size,
        learning_rate=args.stage2_learning_rate,
        label=label,
        log=log,
    )


def train(
    args: Args,
    base: TinyDecoder,
    tokenizer: CharTokenizer,
    log: Callable[[str], None] = print,
    stage1_model: TinyDecoder | None = None,
) -> tuple[TinyDecoder, dict[str, list[dict[str, float]]]]:
    """SCoRe from ``base``: Stage I (unless ``args.stage1`` is False), then Stage II.

    ``stage1_model`` reuses a Stage I result already trained with the same arguments (the
    pipeline shares one Stage I between SCoRe and the no-shaping ablation). Returns the model and
    the histories by stage.
    """
    histories: dict[str, list[dict[str, float]]] = {}
    if args.stage1:
        if stage1_model is None:
            stage1_model, histories["stage1"] = run_stage1(args, base, tokenizer, log)
        model, histories["stage2"] = run_stage2(
            args, stage1_model, base, tokenizer, args.stage2_steps, log
        )
    else:
        model, histories["stage2"] = run_stage2(
            args, base, base, tokenizer, args.stage1_steps + args.stage2_steps, log
        )
    return model, histories


if __name__ == "__main__":
    args = parse_args(Args)
    base, tokenizer = load_policy(args.base_checkpoint)
    model, _ = train(args, base, tokenizer)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    save_checkpoint(args.out, model, tokenizer, {"trainer": "score", "args": vars(args)})
    print(f"wrote {args.out}")
