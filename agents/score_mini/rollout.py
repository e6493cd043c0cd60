"""The rollout core the trainers share: sample two-attempt episodes, grade them, score tokens,
and one policy-gradient update of an :class:`~agents.score_mini.losses.Objective`.

Training rollouts are graded by :func:`score_envs.math.verifier.grade_answer`, the very function
behind ``ScoreMath-v0``'s ``MathGrader``, on the same action text the env would receive
(:func:`~agents.score_mini.prompting.attempt_action`). Going through ``env.step`` for each of the
hundreds of thousands of training attempts would add gym's bookkeeping and nothing else; evaluation
(:mod:`agents.score_mini.evaluate`) does play every episode through the env.

Layout of one episode (15 ids): ``a b * c d = y1 y1 y1 y1 | y2 y2 y2 y2``. The model's logits at
position ``t`` predict id ``t + 1``, so attempt 1 is scored at targets 5..8 and attempt 2 at
targets 10..13; target 9 (the correction mark) is forced, never sampled, and never trained by RL.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from agents.common import seed_everything
from agents.score_mini.losses import Objective, objective_loss
from agents.score_mini.model import TinyDecoder, generate
from agents.score_mini.prompting import (
    CORRECTION_MARK,
    PROMPT_CHARS,
    SEQUENCE_CHARS,
    answer_text,
    attempt_action,
    problem_text,
)
from agents.score_mini.tasks import ANSWER_DIGITS, sample_train_pairs
from agents.score_mini.tokenizer import CharTokenizer
from score_envs.math.verifier import grade_answer

FIRST_TARGETS = slice(PROMPT_CHARS - 1, PROMPT_CHARS - 1 + ANSWER_DIGITS)
"""Target indices (into the ``SEQUENCE_CHARS - 1`` predictions) of attempt 1's characters."""

SECOND_TARGETS = slice(PROMPT_CHARS + ANSWER_DIGITS, SEQUENCE_CHARS - 1)
"""Target indices of attempt 2's characters."""


def turn_masks(batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """0/1 masks ``[batch, SEQUENCE_CHARS - 1]`` selecting attempt 1's and attempt 2's targets.

    Example:
        >>> first, second = turn_masks(1)
        >>> first[0].tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        >>> second[0].tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    """
    first = torch.zeros(batch, SEQUENCE_CHARS - 1)
    second = torch.zeros(batch, SEQUENCE_CHARS - 1)
    first[:, FIRST_TARGETS] = 1.0
    second[:, SECOND_TARGETS] = 1.0
    return first, second


def encode_problems(tokenizer: CharTokenizer, a: Sequence[int], b: Sequence[int]) -> torch.Tensor:
    """Ids ``[batch, PROMPT_CHARS]`` of the problems ``a[i] * b[i]``.

    Example:
        >>> encode_problems(CharTokenizer(), [12], [34]).tolist()
        [[1, 2, 10, 3, 4, 11]]
    """
    rows = [tokenizer.encode(problem_text(int(x), int(y))) for x, y in zip(a, b, strict=True)]
    return torch.tensor(rows, dtype=torch.long)


def grade_outputs(outputs: Sequence[str], answers: Sequence[str]) -> torch.Tensor:
    """1.0 where the model output, sent as the env action, is graded correct by the verifier.

    Example:
        >>> grade_outputs(["0408", "0418", "4*|8"], ["408"] * 3).tolist()
        [1.0, 0.0, 0.0]
    """
    return torch.tensor(
        [
            float(grade_answer(attempt_action(out), answer).correct)
            for out, answer in zip(outputs, answers, strict=True)
        ]
    )


@dataclass
class Rollouts:
    """A batch of two-attempt episodes.

    Attributes:
        ids: ``[batch, SEQUENCE_CHARS]`` ids of the whole episode.
        first: Attempt 1 of each episode (model output text).
        second: Attempt 2 of each episode.
        answers: Reference answers.
        r1: Reward of attempt 1 (0/1), ``[batch]``.
        r2: Reward of attempt 2 (0/1), ``[batch]``.
    """

    ids: torch.Tensor
    first: list[str]
    second: list[str]
    answers: list[str]
    r1: torch.Tensor
    r2: torch.Tensor


def sample_rollouts(
    model: TinyDecoder,
    tokenizer: CharTokenizer,
    a: Sequence[int],
    b: Sequence[int],
    *,
    temperature: float,
    generator: torch.Generator | None,
) -> Rollouts:
    """Sample attempt 1, append the correction mark, sample attempt 2, and grade both."""
    problems = encode_problems(tokenizer, a, b).to(next(model.parameters()).device)
    first_ids = generate(
        model, problems, ANSWER_DIGITS, temperature=temperature, generator=generator
    )
    mark = torch.full_like(first_ids[:, :1], tokenizer.id_of(CORRECTION_MARK))
    prefix = torch.cat([problems, first_ids, mark], dim=1)
    second_ids = generate(
        model, prefix, ANSWER_DIGITS, temperature=temperature, generator=generator
    )
    ids = torch.cat([prefix, second_ids], dim=1)
    answers = [str(int(x) * int(y)) for x, y in zip(a, b, strict=True)]
    first = [tokenizer.decode(row) for row in first_ids.tolist()]
    second = [tokenizer.decode(row) for row in second_ids.tolist()]
    return Rollouts(
        ids.cpu(),
        first,
        second,
        answers,
        grade_outputs(first, answers),
        grade_outputs(second, answers),
    )


def log_probs_of(model: TinyDecoder, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forced log-probabilities: of each next id ``[batch, time-1]`` and of every
    character at each position ``[batch, time-1, vocab]``."""
    logits, _ = model(ids[:, :-1])
    log_probs = F.log_softmax(logits, dim=-1)
    taken = log_probs.gather(2, ids[:, 1:, None]).squeeze(2)
    return taken, log_probs


def supervised_ids(
    tokenizer: CharTokenizer, a: Sequence[int], b: Sequence[int], first: Sequence[str] | None = None
) -> torch.Tensor:
    """Ids of episodes whose attempts are given: attempt 1 is ``first`` (default: the right
    answer) and attempt 2 the right answer, for supervised losses.

    Example:
        >>> tokenizer = CharTokenizer()
        >>> tokenizer.decode(supervised_ids(tokenizer, [12], [34], ["0418"])[0].tolist())
        '12*34=0418|0408'
    """
    rows = []
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        right = answer_text(int(x) * int(y))
        attempt = right if first is None else first[index]
        text = problem_text(int(x), int(y)) + attempt + CORRECTION_MARK + right
        rows.append(tokenizer.encode(text))
    return torch.tensor(rows, dtype=torch.long)


def policy_gradient_step(
    model: TinyDecoder,
    reference: TinyDecoder,
    optimizer: torch.optim.Optimizer,
    tokenizer: CharTokenizer,
    objective: Objective,
    rng: np.random.Generator,
    generator: torch.Generator,
    batch: int,
    sample_pairs,
    max_grad_norm: float = 1.0,
) -> dict[str, float]:
    """One REINFORCE update: sample ``batch`` episodes at temperature 1, grade, step on the loss.

    ``sample_pairs(rng, batch)`` gives the operands (training split only). Returns the loss parts
    and rollout statistics (``r1``, ``r2``, ``same`` = fraction with attempt 2 equal to attempt 1).
    """
    a, b = sample_pairs(rng, batch)
    model.eval()
    rollouts = sample_rollouts(model, tokenizer, a, b, temperature=1.0, generator=generator)
    model.train()
    device = next(model.parameters()).device
    ids = rollouts.ids.to(device)
    taken, log_probs = log_probs_of(model, ids)
    with torch.no_grad():
        _, reference_log_probs = log_probs_of(reference, ids)
    first_mask, second_mask = (m.to(device) for m in turn_masks(len(a)))
    loss, parts = objective_loss(
        objective,
        taken,
        log_probs,
        reference_log_probs,
        first_mask,
        second_mask,
        rollouts.r1.to(device),
        rollouts.r2.to(device),
    )
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    model.eval()
    same = np.mean([x == y for x, y in zip(rollouts.first, rollouts.second, strict=True)])
    parts.update(r1=rollouts.r1.mean().item(), r2=rollouts.r2.mean().item(), same=float(same))
    return parts


def train_copy(
    start: TinyDecoder,
    reference: TinyDecoder,
    tokenizer: CharTokenizer,
    objective: Objective,
    *,
    seed: int,
    threads: int,
    steps: int,
    batch_size: int,
    learning_rate: float,
    label: str,
    log=print,
) -> tuple[TinyDecoder, list[dict[str, float]]]:
    """Seed everything, then train a copy of ``start`` with :func:`train_policy_gradient`.

    ``start`` and ``reference`` are left unchanged; returns the trained copy and its history.
    Every RL method of the miniature (naive multi-turn RL, SCoRe's two stages) is one call.
    """
    seed_everything(seed)
    torch.set_num_threads(threads)
    model = copy.deepcopy(start)
    history = train_policy_gradient(
        model,
        reference,
        tokenizer,
        objective,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        label=label,
        log=log,
    )
    return model, history


def train_policy_gradient(
    model: TinyDecoder,
    reference: TinyDecoder,
    tokenizer: CharTokenizer,
    objective: Objective,
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    label: str,
    log=print,
    sample_pairs=None,
) -> list[dict[str, float]]:
    """Run ``steps`` :func:`policy_gradient_step` updates of ``model`` in place; the history.

    ``reference`` stays frozen (the KL anchor). Each call builds a fresh Adam optimiser and its
    own generators from ``seed``, so a stage's result depends only on its inputs and seed.
    """
    sample_pairs = sample_pairs or sample_train_pairs
    device = next(model.parameters()).device
    reference.eval()  # read under no_grad only: the anchor never moves
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    history = []
    start = time.time()
    for step in range(steps):
        parts = policy_gradient_step(
            model,
            reference,
            optimizer,
            tokenizer,
            objective,
            rng,
            generator,
            batch_size,
            sample_pairs,
        )
        parts["step"] = step
        history.append(parts)
        if (step + 1) % 50 == 0 or step + 1 == steps:
            recent = history[-50:]
            log(
                f"  {label} {step + 1}/{steps} r1 {np.mean([h['r1'] for h in recent]):.3f} "
                f"r2 {np.mean([h['r2'] for h in recent]):.3f} "
                f"same {np.mean([h['same'] for h in recent]):.2f} "
                f"kl1 {parts['kl_first']:.3f} kl2 {parts['kl_second']:.3f} "
                f"({time.time() - start:.0f}s)"
            )
    return history
