"""agents/score_mini/run.py: the one-command pipeline writes its table, JSON and checkpoints."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from agents.score_mini.model import load_policy  # noqa: E402
from agents.score_mini.run import Args, main, stage_args  # noqa: E402

METHODS = [
    "Base model",
    "STaR",
    "Pair-SFT",
    "Naive multi-turn RL",
    "SCoRe Stage I only",
    "**SCoRe**",
    "SCoRe w/o reward shaping",
    "SCoRe w/o Stage I",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("score_mini")
    main(Args(out=str(out), quick=True))
    return out


def test_quick_run_writes_a_row_per_method_in_the_papers_form(quick_run):
    table = (quick_run / "table.md").read_text()
    assert "| Method | Acc@t1 | Acc@t2 | Δ(t1,t2) | Δ i→c | Δ c→i |" in table
    for method in METHODS:
        assert f"| {method} |" in table


def test_quick_run_json_holds_every_method_and_curve(quick_run):
    summary = json.loads((quick_run / "results.json").read_text())
    assert list(summary["methods"]) == METHODS
    assert all(summary["methods"][m]["n"] == 200 for m in METHODS)
    assert {"base", "naive RL", "SCoRe", "w/o Stage I"} <= set(summary["histories"])


def test_quick_run_checkpoints_load(quick_run):
    model, tokenizer = load_policy(quick_run / "score.pt")
    assert tokenizer.vocab_size == model.config.vocab_size


def test_every_rl_method_gets_the_same_number_of_steps():
    stages = stage_args(Args(rl_steps=100))
    assert stages["naive"].steps == 100
    assert stages["score"].stage1_steps + stages["score"].stage2_steps == 100


def test_scale_widens_the_model_and_grows_batches_and_steps():
    small, large = stage_args(Args()), stage_args(Args(scale=2))
    assert large["base"].d_model == 2 * small["base"].d_model
    assert large["naive"].batch_size == 2 * small["naive"].batch_size
    assert large["naive"].steps == 2 * small["naive"].steps


def test_curves_skip_sft_histories_that_carry_collection_statistics(tmp_path):
    pytest.importorskip("matplotlib")
    from agents.score_mini.run import _plot

    histories = {
        "base": [
            {"step": 0, "loss_first": 2.0},
            {"step": 1, "loss_first": 1.0, "loss_second": 1.5},
        ],
        "STaR": [{"step": 0, "loss_second": 1.0, "r1": 0.5, "r2": 0.6, "seen": 8, "kept": 4}],
        "naive RL": [{"step": s, "r1": 0.5, "r2": 0.5, "same": 0.9} for s in range(3)],
    }
    assert _plot(histories, str(tmp_path / "curves.png"), lambda message: None)
    assert (tmp_path / "curves.png").stat().st_size > 0
