"""agents/score_mini/tasks.py: held-out seeds never overlap training seeds; tasks are exact."""

from __future__ import annotations

import numpy as np
import pytest

from agents.score_mini.tasks import (
    EVAL_SEED_OFFSET,
    eval_seeds,
    make_task,
    pair_of_seed,
    sample_train_pairs,
    train_seeds,
)


def test_training_seeds_lie_below_every_evaluation_seed():
    drawn = train_seeds(np.random.default_rng(0), 100_000)
    assert drawn.max() < EVAL_SEED_OFFSET <= min(eval_seeds(3000))


def test_evaluation_and_training_seed_sets_are_disjoint():
    drawn = set(train_seeds(np.random.default_rng(1), 50_000).tolist())
    assert drawn.isdisjoint(eval_seeds(3000))


def test_tasks_know_their_split_from_the_seed():
    assert make_task(5).metadata["split"] == "train"
    assert make_task(eval_seeds(1)[0]).metadata["split"] == "eval"


def test_task_answer_is_the_product_of_its_operands():
    for seed in eval_seeds(50):
        task = make_task(seed)
        a, b = task.metadata["operands"]
        assert 10 <= a <= 99 and 10 <= b <= 99 and task.answer == str(a * b)


def test_same_seed_gives_the_same_problem():
    assert pair_of_seed(123456789) == pair_of_seed(123456789)


def test_training_pairs_are_the_pairs_of_training_seeds():
    a, b = sample_train_pairs(np.random.default_rng(7), 5)
    seeds = train_seeds(np.random.default_rng(7), 5)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [pair_of_seed(int(s)) for s in seeds]


def test_negative_seed_is_refused():
    with pytest.raises(ValueError, match="seed must be in"):
        pair_of_seed(-1)
