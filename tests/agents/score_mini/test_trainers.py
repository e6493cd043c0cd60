"""Smoke runs of every trainer (base, naive RL, STaR/Pair-SFT, SCoRe and its ablations): a few
real steps each, checking that losses are finite, the weights moved, the base model (the KL
reference) did not, and that a fixed seed repeats bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.score_mini import base, naive_rl, pair_sft, score  # noqa: E402
from agents.score_mini.rollout import supervised_ids  # noqa: E402
from agents.score_mini.tasks import sample_train_pairs  # noqa: E402

SEED = 3
QUIET = lambda message: None  # noqa: E731


def _base_args(**overrides):
    settings = dict(
        seed=SEED, d_model=32, n_layers=1, n_heads=2, sft_steps=4, bootstrap_steps=2, batch_size=16
    )
    settings.update(overrides)
    return base.Args(**settings)


def _changed(before, after) -> bool:
    return any(not torch.equal(before[k], v) for k, v in after.state_dict().items())


def _all_finite(history) -> bool:
    return all(np.isfinite(v) for h in history for v in h.values() if isinstance(v, float))


def test_base_training_runs_both_phases_with_finite_losses_and_moves_the_weights():
    from agents.score_mini.model import ModelConfig, TinyDecoder

    model, _, history = base.train_base(_base_args(), QUIET)
    torch.manual_seed(SEED)
    initial = TinyDecoder(ModelConfig(d_model=32, n_layers=1, n_heads=2)).state_dict()
    assert _changed(initial, model)
    assert len(history) == 6 and _all_finite(history)
    assert "loss_second" in history[-1] and "loss_second" not in history[0]


def test_base_first_turn_sft_stops_once_the_probe_accuracy_is_reached():
    _, _, history = base.train_base(_base_args(stop_accuracy=0.0, probe_every=2), QUIET)
    first_turn = [h for h in history if h["phase"] == 0]
    assert len(first_turn) == 2 and "probe_acc_t1" in first_turn[-1]


def test_base_training_repeats_for_a_fixed_seed():
    first, _, _ = base.train_base(_base_args(), QUIET)
    again, _, _ = base.train_base(_base_args(), QUIET)
    other, _, _ = base.train_base(_base_args(seed=SEED + 1), QUIET)
    assert not _changed(first.state_dict(), again)
    assert _changed(first.state_dict(), other)


def test_naive_rl_trains_a_copy_and_keeps_the_base(tiny_model, tokenizer):
    before = copy.deepcopy(tiny_model.state_dict())
    args = naive_rl.Args(seed=SEED, steps=3, batch_size=16)
    model, history = naive_rl.train(args, tiny_model, tokenizer, QUIET)
    assert len(history) == 3 and _all_finite(history)
    assert _changed(before, model) and not _changed(before, tiny_model)


def test_naive_rl_repeats_for_a_fixed_seed(tiny_model, tokenizer):
    args = naive_rl.Args(seed=SEED, steps=2, batch_size=16)
    first, _ = naive_rl.train(args, tiny_model, tokenizer, QUIET)
    again, _ = naive_rl.train(args, tiny_model, tokenizer, QUIET)
    assert not _changed(first.state_dict(), again)


def test_score_runs_stage_one_then_stage_two(tiny_model, tokenizer):
    before = copy.deepcopy(tiny_model.state_dict())
    args = score.Args(seed=SEED, stage1_steps=2, stage2_steps=3, batch_size=16)
    model, histories = score.train(args, tiny_model, tokenizer, QUIET)
    assert [len(histories["stage1"]), len(histories["stage2"])] == [2, 3]
    assert "pg_first" not in histories["stage1"][0] and "pg_first" in histories["stage2"][0]
    assert _all_finite(histories["stage1"] + histories["stage2"])
    assert _changed(before, model) and not _changed(before, tiny_model)


def test_score_without_stage_one_spends_all_steps_in_stage_two(tiny_model, tokenizer):
    args = score.Args(seed=SEED, stage1=False, stage1_steps=2, stage2_steps=3, batch_size=16)
    _, histories = score.train(args, tiny_model, tokenizer, QUIET)
    assert list(histories) == ["stage2"] and len(histories["stage2"]) == 5


def test_score_without_shaping_is_stage_two_with_alpha_zero():
    assert score.stage2_objective(score.Args(alpha=0.0)) == naive_rl.objective(naive_rl.Args())


def test_pair_sft_fine_tuning_moves_the_weights_with_a_finite_loss(tiny_model, tokenizer):
    a, b = sample_train_pairs(np.random.default_rng(0), 64)
    data = supervised_ids(tokenizer, a, b, ["0000"] * 64)
    before = copy.deepcopy(tiny_model.state_dict())
    args = pair_sft.Args(seed=SEED, steps=3, batch_size=16)
    history = pair_sft.fine_tune(args, tiny_model, data, QUIET)
    assert len(history) == 3 and _all_finite(history) and _changed(before, tiny_model)


def test_pair_sft_collects_only_episodes_that_pass_its_filter(tiny_model, tokenizer):
    args = pair_sft.Args(seed=SEED, collect_batches=2, batch_size=32)
    data, stats = pair_sft.collect(args, tiny_model, tokenizer)
    assert stats["seen"] == 64 and stats["kept"] == len(data) <= stats["r2"] * 64 + 1e-9


def test_pair_sft_without_usable_episodes_returns_the_base_unchanged(tiny_model, tokenizer):
    args = pair_sft.Args(seed=SEED, collect_batches=1, batch_size=8, mode="pair")
    model, history = pair_sft.train(args, tiny_model, tokenizer, QUIET)
    assert history == [] and not _changed(tiny_model.state_dict(), model)


def test_pair_sft_keep_rules():
    r1, r2 = torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 0.0, 0.0])
    assert pair_sft.keep_mask(r1, r2, "star").tolist() == [True, True, False, False]
    assert pair_sft.keep_mask(r1, r2, "pair").tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match="mode must be one of"):
        pair_sft.keep_mask(r1, r2, "all")
