"""Self-correction metrics: definitions, paired bootstrap intervals, hacking flag, table."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from score_envs.metrics import (
    EpisodeOutcome,
    compute_metrics,
    format_table,
    metrics_by_family,
)

SEED = 1234


def outcomes_from_counts(ff: int, ft: int, tf: int, tt: int) -> list[tuple[bool, bool]]:
    """Episodes with the given numbers of (t1, t2) outcomes, interleaved (order must not matter)."""
    episodes = (
        [(False, False)] * ff + [(False, True)] * ft + [(True, False)] * tf + [(True, True)] * tt
    )
    order = np.random.default_rng(SEED).permutation(len(episodes))
    return [episodes[i] for i in order]


def test_all_rates_are_fractions_of_all_problems():
    m = compute_metrics(outcomes_from_counts(ff=10, ft=3, tf=2, tt=5))
    assert m.n == 20
    assert m.acc_t1.value == pytest.approx(7 / 20)
    assert m.acc_t2.value == pytest.approx(8 / 20)
    assert m.delta_i2c.value == pytest.approx(3 / 20)
    assert m.delta_c2i.value == pytest.approx(2 / 20)
    assert m.delta.value == pytest.approx(1 / 20)


@pytest.mark.parametrize("n", [3, 10, 17, 100, 999])
def test_delta_equals_i2c_minus_c2i_exactly_and_acc_difference_up_to_rounding(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        episodes = [tuple(bool(x) for x in rng.integers(0, 2, size=2)) for _ in range(n)]
        m = compute_metrics(episodes, n_bootstrap=10)
        assert m.delta.value == m.delta_i2c.value - m.delta_c2i.value
        assert math.isclose(m.delta.value, m.acc_t2.value - m.acc_t1.value, abs_tol=1e-12)


def test_t2_is_the_last_attempt_of_longer_episodes():
    m = compute_metrics([(False, False, True), (True, True, False)], n_bootstrap=10)
    assert m.acc_t2.value == 0.5
    assert m.delta_i2c.value == 0.5
    assert m.delta_c2i.value == 0.5


def test_mixed_turn_counts_compare_first_and_last_attempt_of_each():
    m = compute_metrics([(False, True), (False, True, False, True), (True, False, False)])
    assert m.delta_i2c.value == pytest.approx(2 / 3)
    assert m.delta_c2i.value == pytest.approx(1 / 3)


def test_episode_outcomes_and_plain_sequences_give_the_same_metrics():
    plain = outcomes_from_counts(ff=4, ft=3, tf=2, tt=6)
    wrapped = [EpisodeOutcome(f"t/{i}", turns) for i, turns in enumerate(plain)]
    assert compute_metrics(plain, seed=3) == compute_metrics(wrapped, seed=3)


def test_empty_outcomes_raise_value_error():
    with pytest.raises(ValueError, match="empty"):
        compute_metrics([])


def test_single_turn_episode_raises_value_error_naming_it():
    with pytest.raises(ValueError, match=r"outcomes\[1\] has 1 attempt"):
        compute_metrics([(True, False), (True,)])


@pytest.mark.parametrize("bad", [(0.5, True), ("yes", True), (None, False), (2, 1)])
def test_non_boolean_correctness_raises_value_error(bad):
    with pytest.raises(ValueError, match="correctness must be a bool"):
        compute_metrics([bad])


def test_zero_one_integers_and_numpy_bools_count_as_correctness():
    m = compute_metrics([(0, 1), (np.True_, np.False_)], n_bootstrap=10)
    assert (m.delta_i2c.value, m.delta_c2i.value) == (0.5, 0.5)


def test_string_episode_is_rejected_rather_than_read_character_by_character():
    with pytest.raises(ValueError, match="sequence of bools"):
        compute_metrics(["TF"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_bootstrap": 0}, "n_bootstrap"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"baseline_acc_t1": 1.5}, "baseline_acc_t1"),
    ],
)
def test_out_of_range_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_metrics([(True, False)], **kwargs)


def test_bootstrap_is_deterministic_for_a_seed():
    outcomes = outcomes_from_counts(ff=30, ft=12, tf=8, tt=50)
    assert compute_metrics(outcomes, seed=7) == compute_metrics(outcomes, seed=7)
    assert compute_metrics(outcomes, seed=7).acc_t1 != compute_metrics(outcomes, seed=8).acc_t1


def test_accuracy_interval_has_the_binomial_width():
    # 95% interval of a proportion 0.5 over 1000 episodes: +-1.96 * sqrt(0.25 / 1000) = +-3.1 pts.
    m = compute_metrics(outcomes_from_counts(ff=250, ft=250, tf=250, tt=250), n_bootstrap=4000)
    half_width = (m.acc_t1.high - m.acc_t1.low) / 2
    assert half_width == pytest.approx(1.96 * math.sqrt(0.25 / 1000), rel=0.1)
    assert m.acc_t1.low < 0.5 < m.acc_t1.high


def test_intervals_match_a_bootstrap_that_resamples_episodes():
    outcomes = outcomes_from_counts(ff=120, ft=40, tf=25, tt=215)
    first = np.array([t[0] for t in outcomes])
    last = np.array([t[1] for t in outcomes])
    picks = np.random.default_rng(99).integers(0, len(outcomes), size=(4000, len(outcomes)))
    deltas = last[picks].mean(axis=1) - first[picks].mean(axis=1)
    low, high = np.quantile(deltas, [0.025, 0.975])
    m = compute_metrics(outcomes, n_bootstrap=4000)
    assert m.delta.low == pytest.approx(low, abs=0.006)
    assert m.delta.high == pytest.approx(high, abs=0.006)


def test_higher_confidence_gives_a_wider_interval():
    outcomes = outcomes_from_counts(ff=40, ft=10, tf=10, tt=40)
    narrow = compute_metrics(outcomes, confidence=0.8).delta
    wide = compute_metrics(outcomes, confidence=0.99).delta
    assert wide.low < narrow.low and narrow.high < wide.high


# -- reward hacking ------------------------------------------------------------------------------

# MATH500 (Gemini 1.5 Flash) in the paper: base Acc@t1 52.6; SCoRe 60.0 / 64.4 (5.8 i->c, 1.4 c->i).
PAPER_BASE_ACC_T1 = 0.526


def hacked_outcomes() -> list[tuple[bool, bool]]:
    # Like our miniature run with the bonus in attempt 1's return (Acc@t1 4.7%, Acc@t2 62.9%).
    return outcomes_from_counts(ff=180, ft=297, tf=3, tt=20)


def score_like_outcomes() -> list[tuple[bool, bool]]:
    return outcomes_from_counts(ff=164, ft=29, tf=7, tt=300)


def test_hacked_outcomes_are_flagged_against_a_baseline():
    m = compute_metrics(hacked_outcomes(), baseline_acc_t1=PAPER_BASE_ACC_T1)
    assert m.reward_hacking_suspected
    assert "baseline" in m.reward_hacking_reason


def test_hacked_outcomes_are_flagged_without_a_baseline():
    m = compute_metrics(hacked_outcomes())
    assert m.reward_hacking_suspected
    assert "Acc@t2" in m.reward_hacking_reason


def test_genuine_self_correction_is_not_flagged_with_or_without_baseline():
    for baseline in (PAPER_BASE_ACC_T1, None):
        m = compute_metrics(score_like_outcomes(), baseline_acc_t1=baseline)
        assert not m.reward_hacking_suspected
        assert m.reward_hacking_reason is None


def test_large_genuine_gain_with_tight_intervals_is_not_flagged_without_baseline():
    # HumanEval SCoRe in the paper: 52.4 / 64.6 (15.2 i->c, 3.0 c->i), here on 10000 problems.
    m = compute_metrics(outcomes_from_counts(ff=3240, ft=1520, tf=300, tt=4940))
    assert not m.reward_hacking_suspected


def test_first_turn_drop_without_corrections_is_degradation_not_hacking():
    m = compute_metrics(
        outcomes_from_counts(ff=380, ft=10, tf=10, tt=100), baseline_acc_t1=PAPER_BASE_ACC_T1
    )
    assert m.acc_t1.high < PAPER_BASE_ACC_T1 - 0.1
    assert not m.reward_hacking_suspected


def test_a_handful_of_episodes_is_not_enough_to_flag_hacking():
    m = compute_metrics([(False, True), (True, True), (False, False)], baseline_acc_t1=0.9)
    assert not m.reward_hacking_suspected


# -- output --------------------------------------------------------------------------------------


def test_as_dict_is_flat_and_json_serialisable():
    m = compute_metrics(score_like_outcomes(), baseline_acc_t1=0.5)
    row = json.loads(json.dumps(m.as_dict()))
    assert row["n"] == 500
    assert row["delta_i2c"] == m.delta_i2c.value
    assert row["acc_t1_low"] <= row["acc_t1"] <= row["acc_t1_high"]
    assert row["reward_hacking_suspected"] is False


def test_table_has_the_papers_columns_and_percent_cells_with_intervals():
    table = format_table({"SCoRe-like": compute_metrics(score_like_outcomes())})
    header, separator, row = table.splitlines()
    assert header == "| Method | Acc@t1 | Acc@t2 | Δ(t1,t2) | Δ i→c | Δ c→i |"
    assert separator.count("|") == 7
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == "SCoRe-like"
    assert cells[1].startswith("61.4 [") and cells[2].startswith("65.8 [")
    assert cells[3].startswith("4.4 [") and cells[4].startswith("5.8 [")
    assert cells[5].startswith("1.4 [")
    cell_form = re.compile(r"^-?\d+\.\d \[-?\d+\.\d, -?\d+\.\d\]$")
    assert all(cell_form.match(cell) for cell in cells[1:])


def test_table_shows_negative_deltas_with_a_minus_sign():
    m = compute_metrics(outcomes_from_counts(ff=40, ft=5, tf=16, tt=39))
    assert m.to_markdown_row("base").split("|")[4].strip().startswith("-11.0 [")


def test_table_marks_hacked_rows_and_explains_them_under_the_table():
    table = format_table(
        {
            "honest": compute_metrics(score_like_outcomes()),
            "hacked": compute_metrics(hacked_outcomes()),
        }
    )
    lines = table.splitlines()
    assert lines[2].startswith("| honest |")
    assert lines[3].startswith("| hacked † |")
    assert lines[-1].startswith("† hacked: ")


def test_table_escapes_pipes_in_method_names():
    row = compute_metrics([(True, True)] * 3, n_bootstrap=10).to_markdown_row("a|b")
    assert row.startswith("| a\\|b |")


def test_empty_table_raises_value_error():
    with pytest.raises(ValueError, match="at least one method"):
        format_table({})


# -- outcomes and families -----------------------------------------------------------------------


def test_episode_outcome_stores_correctness_as_a_tuple_of_bools():
    outcome = EpisodeOutcome("t/0", [1, np.False_])
    assert outcome.correct_per_turn == (True, False)
    assert all(type(value) is bool for value in outcome.correct_per_turn)


def test_episode_outcome_rejects_a_string():
    with pytest.raises(ValueError, match="sequence of bools"):
        EpisodeOutcome("t/0", "TF")


def test_metrics_by_family_splits_episodes_by_family_in_name_order():
    outcomes = [
        EpisodeOutcome("g/0", (False, True), "geometry"),
        EpisodeOutcome("a/0", (True, True), "algebra"),
        EpisodeOutcome("a/1", (True, False), "algebra"),
        EpisodeOutcome("x/0", (False, False)),
    ]
    by_family = metrics_by_family(outcomes, n_bootstrap=10)
    assert list(by_family) == ["algebra", "geometry", "unknown"]
    assert by_family["algebra"].n == 2 and by_family["algebra"].delta_c2i.value == 0.5
    assert by_family["geometry"].delta_i2c.value == 1.0


def test_metrics_by_family_requires_episode_outcomes():
    with pytest.raises(ValueError, match="EpisodeOutcome"):
        metrics_by_family([(True, False)])
