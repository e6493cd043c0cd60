"""The miniature's problems: 2-digit x 2-digit multiplication, one problem per seed.

Why this task: a tiny transformer learns it smoothly, so supervised training can stop at a base
model that is right on roughly half the problems (DESIGN.md section 7), and its mistakes are the
kind a second look can fix (a wrong carry changes one or two digits of a four-digit product).
No ``arithmetic`` level of ``ScoreMath-v0`` is exactly this (level 1 multiplies 2 x 1 digits,
level 2 is 3 x 2, and every level mixes in + and -), so each problem is built here as a
:class:`~score_envs.core.task.Task` in the family's own wording and played through
``gym.make("ScoreMath-v0")`` with ``reset(options={"task": task})``: the env's verifier grades it.

Seeds split training from evaluation: training draws seeds below :data:`EVAL_SEED_OFFSET`,
evaluation uses ``EVAL_SEED_OFFSET + i``. The space holds only 8100 operand pairs, though, and
training sees each of them many times, so held-out *seeds* are not unseen *problems*: the
miniature measures self-correction on a distribution the model has trained on. (Splitting the
pairs themselves was tried first: the base model then reaches 87% on training pairs and 21% on
unseen ones - it memorises - which leaves the correction stages nothing general to learn in the
CPU budget.)
"""

from __future__ import annotations

import random

import numpy as np

from score_envs.core.task import TASK_SEED_BITS, Task

LOW, HIGH = 10, 99
"""Operand range (both factors have exactly two digits)."""

EVAL_SEED_OFFSET = 2**62
"""Evaluation seeds start here; training seeds lie below, so the two ranges cannot overlap."""

ANSWER_DIGITS = 4
"""Attempts are zero-padded to four digits (99 x 99 = 9801), so every attempt has one length."""

FAMILY = "arithmetic"
"""Family name given to the tasks (the ``arithmetic`` family's wording is reused verbatim)."""


def pair_of_seed(seed: int) -> tuple[int, int]:
    """The operands of the problem of ``seed`` (uniform over the 8100 pairs).

    Example:
        >>> pair_of_seed(0)
        (59, 63)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if not 0 <= seed < 2**TASK_SEED_BITS:
        raise ValueError(f"seed must be in [0, 2**{TASK_SEED_BITS}), got {seed}")
    rng = random.Random(int(seed))
    return rng.randint(LOW, HIGH), rng.randint(LOW, HIGH)


def make_task(seed: int) -> Task:
    """The ``ScoreMath`` task of ``seed``, worded as the ``arithmetic`` family words a product.

    Example:
        >>> task = make_task(0)
        >>> task.prompt, task.answer, task.task_id
        ('Compute $59 \\\\times 63$.', '3717', 'score_mini/0')
    """
    a, b = pair_of_seed(seed)
    split = "eval" if seed >= EVAL_SEED_OFFSET else "train"
    return Task(
        task_id=f"score_mini/{seed}",
        prompt=f"Compute ${a} \\times {b}$.",
        answer=str(a * b),
        family=FAMILY,
        difficulty=1,
        metadata={"source": "score_mini", "seed": seed, "split": split, "operands": [a, b]},
    )


def eval_seeds(n: int) -> list[int]:
    """The ``n`` evaluation seeds, ``EVAL_SEED_OFFSET .. EVAL_SEED_OFFSET + n - 1``.

    Example:
        >>> eval_seeds(2) == [EVAL_SEED_OFFSET, EVAL_SEED_OFFSET + 1]
        True
    """
    if not 1 <= n <= 10**9:
        raise ValueError(f"n must be in 1..10**9, got {n}")
    return [EVAL_SEED_OFFSET + i for i in range(n)]


def train_seeds(rng: np.random.Generator, batch: int) -> np.ndarray:
    """``batch`` training seeds, uniform in ``[0, EVAL_SEED_OFFSET)``.

    Example:
        >>> bool((train_seeds(np.random.default_rng(0), 1000) < EVAL_SEED_OFFSET).all())
        True
    """
    return rng.integers(0, EVAL_SEED_OFFSET, size=batch, dtype=np.int64)


def sample_train_pairs(rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """The operands of ``batch`` training tasks (:func:`train_seeds` through :func:`pair_of_seed`).

    The trainers draw operands this way rather than through ``Task`` objects (same problems, no
    per-item bookkeeping).

    Example:
        >>> a, b = sample_train_pairs(np.random.default_rng(0), 3)
        >>> a.shape, bool(((a >= 10) & (a <= 99)).all())
        ((3,), True)
    """
    pairs = np.array([pair_of_seed(int(seed)) for seed in train_seeds(rng, batch)], dtype=np.int64)
    return pairs[:, 0], pairs[:, 1]
