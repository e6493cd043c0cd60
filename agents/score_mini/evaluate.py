"""Greedy evaluation through the public env: every held-out episode is played with
``gym.make("ScoreMath-v0")`` and graded by its verifier; the paper's metrics come from
:func:`score_envs.metrics.compute_metrics`.

The model reads ``info["messages"]`` through :func:`~agents.score_mini.prompting.model_input` and
answers through :func:`~agents.score_mini.prompting.attempt_action`, exactly as the ``torch:``
policy adapter does; episodes are stepped in lock-step batches so the model decodes a batch at once.

    python -m agents.score_mini.evaluate --checkpoint results/score_mini/score.pt --n-tasks 3000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import score_envs  # noqa: F401  (registers ScoreMath-v0)
from agents.common import parse_args
from agents.score_mini.model import TinyDecoder, generate, load_policy
from agents.score_mini.prompting import attempt_action, model_input, output_of_action
from agents.score_mini.tasks import ANSWER_DIGITS, eval_seeds, make_task
from agents.score_mini.tokenizer import CharTokenizer
from score_envs.metrics import EpisodeOutcome, SelfCorrectionMetrics, compute_metrics

ENV_ID = "ScoreMath-v0"
ENV_KWARGS: dict[str, Any] = {"families": ["arithmetic"], "difficulty": 1}
"""The env every evaluation episode is played in (the task itself is passed at reset)."""


@dataclass
class EvalResult:
    """Outcome of a greedy evaluation.

    Attributes:
        metrics: The paper's table row with 95% bootstrap intervals.
        outcomes: Per-episode correctness (task id, (t1, t2)).
        same_answer: Fraction of episodes whose attempt 2 repeats attempt 1.
        reasons: Count of the env's ``info["reason"]`` codes over all attempts.
    """

    metrics: SelfCorrectionMetrics
    outcomes: list[EpisodeOutcome]
    same_answer: float
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (metrics as fractions)."""
        return {**self.metrics.as_dict(), "same_answer": self.same_answer, "reasons": self.reasons}


def evaluate_model(
    model: TinyDecoder,
    tokenizer: CharTokenizer,
    n_tasks: int = 3000,
    *,
    batch_size: int = 500,
    bootstrap_seed: int = 0,
    baseline_acc_t1: float | None = None,
) -> EvalResult:
    """Play ``n_tasks`` held-out episodes greedily through ``ScoreMath-v0``.

    Example:
        >>> from agents.score_mini.model import ModelConfig
        >>> model = TinyDecoder(ModelConfig(d_model=16, n_layers=1, n_heads=2))
        >>> result = evaluate_model(model, CharTokenizer(), n_tasks=4)
        >>> result.metrics.n, len(result.outcomes)
        (4, 4)
    """
    seeds = eval_seeds(n_tasks)
    device = next(model.parameters()).device
    envs = [gym.make(ENV_ID, **ENV_KWARGS) for _ in range(min(batch_size, n_tasks))]
    outcomes: list[EpisodeOutcome] = []
    same = 0
    reasons: dict[str, int] = {}
    model.eval()
    for begin in range(0, n_tasks, batch_size):
        chunk = seeds[begin : begin + batch_size]
        active = envs[: len(chunk)]
        infos = [
            env.reset(seed=seed, options={"task": make_task(seed)})[1]
            for env, seed in zip(active, chunk, strict=True)
        ]
        for _turn in range(2):
            inputs = [tokenizer.encode(model_input(info["messages"])) for info in infos]
            ids = torch.tensor(inputs, dtype=torch.long, device=device)
            outputs = generate(model, ids, ANSWER_DIGITS, temperature=0.0).tolist()
            infos = [
                env.step(attempt_action(tokenizer.decode(row)))[4]
                for env, row in zip(active, outputs, strict=True)
            ]
            for info in infos:
                reasons[info["reason"]] = reasons.get(info["reason"], 0) + 1
        for info in infos:
            outcomes.append(
                EpisodeOutcome(info["task_id"], tuple(info["correct_per_turn"]), info["family"])
            )
            attempts = [m["content"] for m in info["messages"] if m["role"] == "assistant"]
            same += output_of_action(attempts[0]) == output_of_action(attempts[1])
    for env in envs:
        env.close()
    metrics = compute_metrics(outcomes, seed=bootstrap_seed, baseline_acc_t1=baseline_acc_t1)
    return EvalResult(metrics, outcomes, same / n_tasks, dict(sorted(reasons.items())))


@dataclass
class Args:
    checkpoint: str = "results/score_mini/score.pt"
    """Checkpoint to evaluate"""
    n_tasks: int = 3000
    """Held-out episodes (at most 3000, the held-out problems)"""
    threads: int = 1
    """torch CPU threads (1 is steadiest on a shared 2-core machine)"""


if __name__ == "__main__":
    args = parse_args(Args)
    torch.set_num_threads(args.threads)
    model, tokenizer = load_policy(args.checkpoint)
    result = evaluate_model(model, tokenizer, args.n_tasks)
    print(
        f"{result.metrics.to_markdown_row(args.checkpoint)}  same answer {result.same_answer:.3f}"
    )
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in result.as_dict().items()})
    _ = np  # numpy is part of the public evaluation environment (seeding), kept for clarity
