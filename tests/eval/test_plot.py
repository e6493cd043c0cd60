"""``score-envs plot``'s figure: the plotted values are the runs' metrics (needs matplotlib)."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")

from score_envs.eval.leaderboard import load_runs, sort_runs
from score_envs.eval.plot import make_figure, save_plot


def test_scatter_points_are_acc_t1_and_acc_t2_in_percent(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    accuracy = make_figure(runs).axes[0]
    (points,) = [c for c in accuracy.collections if c.get_offsets().shape == (len(runs), 2)]
    expected = [100 * getattr(r.metrics, key).value for r in runs for key in ("acc_t1", "acc_t2")]
    assert points.get_offsets().ravel().tolist() == pytest.approx(expected)


def test_flip_bars_are_i2c_then_c2i_per_run(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    flips = make_figure(runs).axes[1]
    widths = [bar.get_width() for bar in flips.patches]
    expected = [100 * r.metrics.delta_i2c.value for r in runs] + [
        100 * r.metrics.delta_c2i.value for r in runs
    ]
    assert widths == pytest.approx(expected)
    labels = [t.get_text() for t in flips.get_yticklabels()]
    assert labels == [f"{i}. {r.name}" for i, r in enumerate(runs, 1)]


def test_scatter_points_are_numbered_like_the_flip_chart_and_coloured_per_env(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    accuracy = make_figure(runs).axes[0]
    numbers = [text.get_text() for text in accuracy.texts]
    assert numbers == [str(i) for i in range(1, len(runs) + 1)]
    assert accuracy.get_legend() is None  # one env: no legend needed


def test_save_plot_writes_a_png(run_files, tmp_path):
    out = tmp_path / "fig.png"
    save_plot(load_runs(list(run_files.values())), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unwritable_destination_is_a_value_error(run_files, tmp_path):
    with pytest.raises(ValueError, match="cannot write the plot"):
        save_plot(load_runs([run_files["oracle"]]), tmp_path / "missing" / "dir" / "fig.png")
