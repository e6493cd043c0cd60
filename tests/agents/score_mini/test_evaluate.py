"""agents/score_mini/evaluate.py: episodes go through the env and the metrics are well-formed."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agents.score_mini.evaluate import evaluate_model  # noqa: E402
from agents.score_mini.rollout import sample_rollouts  # noqa: E402
from agents.score_mini.tasks import EVAL_SEED_OFFSET, eval_seeds, make_task  # noqa: E402


def test_metrics_are_fractions_that_satisfy_the_delta_identity(tiny_model, tokenizer):
    metrics = evaluate_model(tiny_model, tokenizer, n_tasks=30, batch_size=8).metrics
    assert metrics.n == 30
    for estimate in (metrics.acc_t1, metrics.acc_t2, metrics.delta_i2c, metrics.delta_c2i):
        assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0
    assert metrics.delta.value == metrics.delta_i2c.value - metrics.delta_c2i.value


def test_episodes_are_the_held_out_tasks_in_seed_order(tiny_model, tokenizer):
    result = evaluate_model(tiny_model, tokenizer, n_tasks=5, batch_size=2)
    assert [o.task_id for o in result.outcomes] == [make_task(s).task_id for s in eval_seeds(5)]
    assert all(int(o.task_id.split("/")[1]) >= EVAL_SEED_OFFSET for o in result.outcomes)


def test_env_verdicts_match_greedy_decoding_graded_directly(tokenizer):
    # The env's verdicts (evaluation) and the verifier called directly (training) must agree.
    from agents.score_mini.model import ModelConfig, TinyDecoder

    torch.manual_seed(0)
    model = TinyDecoder(ModelConfig(d_model=32, n_layers=1, n_heads=2)).eval()
    result = evaluate_model(model, tokenizer, n_tasks=20, batch_size=7)
    tasks = [make_task(seed) for seed in eval_seeds(20)]
    a = [t.metadata["operands"][0] for t in tasks]
    b = [t.metadata["operands"][1] for t in tasks]
    direct = sample_rollouts(model, tokenizer, a, b, temperature=0.0, generator=None)
    from_env = [o.correct_per_turn for o in result.outcomes]
    assert from_env == [(bool(x), bool(y)) for x, y in zip(direct.r1, direct.r2, strict=True)]
    same = sum(x == y for x, y in zip(direct.first, direct.second, strict=True)) / 20
    assert result.same_answer == same
