"""``score-envs plot``: Acc@t1 vs Acc@t2 per run, and the i→c / c→i flips (the ``plot`` extra).

Left panel: each run is a point at (Acc@t1, Acc@t2) with interval error bars; points above the
diagonal improved on their second attempt. Right panel: Δ i→c and Δ c→i per run as paired bars
with interval whiskers. matplotlib is imported only here, with the non-interactive Agg backend.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from score_envs.eval.leaderboard import RunSummary, describe_envs

INSTALL_HINT = "pip install 'score-envs[plot]'"


def make_figure(runs: Sequence[RunSummary]) -> Any:
    """The two-panel matplotlib figure for ``runs`` (raises ``ValueError`` without matplotlib).

    The figure's axes hold the plotted values (tests read them back): panel 0 has one scatter
    point per run, panel 1 one bar per run and flip kind, i→c bars first.
    """
    if not runs:
        raise ValueError("a plot needs at least one run")
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        raise ValueError(f"score-envs plot needs matplotlib: {INSTALL_HINT}") from None

    figure = Figure(figsize=(11, 4.2 + 0.15 * len(runs)), layout="constrained")
    accuracy, flips = figure.subplots(1, 2, width_ratios=(1, 1.3))
    level = round(100 * runs[0].metrics.confidence)
    figure.suptitle(f"{describe_envs(runs)} ({level}% bootstrap intervals)")

    percent = [
        (
            100 * run.metrics.acc_t1.value,
            100 * run.metrics.acc_t2.value,
            _error(run.metrics.acc_t1),
            _error(run.metrics.acc_t2),
        )
        for run in runs
    ]
    accuracy.plot([0, 100], [0, 100], color="#b8bfcc", linewidth=1, zorder=0)
    for x, y, x_error, y_error in percent:
        accuracy.errorbar(
            x,
            y,
            xerr=[[x_error[0]], [x_error[1]]],
            yerr=[[y_error[0]], [y_error[1]]],
            fmt="none",
            ecolor="#7a8499",
            elinewidth=1,
            capsize=2,
            zorder=1,
        )
    # Points are numbered (the flip chart lists the numbers with the names): with several runs
    # near each other, full names on the scatter would overprint one another.
    for number, (x, y, _, _) in enumerate(percent, start=1):
        accuracy.annotate(
            str(number), (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8
        )
    env_ids = list(dict.fromkeys(run.config.env_id for run in runs))
    for env_id, color in zip(env_ids, _ENV_COLORS * len(env_ids), strict=False):
        members = [i for i, run in enumerate(runs) if run.config.env_id == env_id]
        accuracy.scatter(
            [percent[i][0] for i in members],
            [percent[i][1] for i in members],
            color=color,
            zorder=2,
            label=env_id,
        )
    if len(env_ids) > 1:
        accuracy.legend(loc="lower right", fontsize=8)
    accuracy.set(
        xlim=(-3, 103), ylim=(-3, 103), xlabel="Acc@t1 (%)", ylabel="Acc@t2 (%)", aspect="equal"
    )
    accuracy.set_title("Above the diagonal: the second attempt is better", fontsize=10)

    positions = list(range(len(runs)))
    height = 0.38
    for offset, key, color, label in (
        (-height / 2, "delta_i2c", "#2e8b57", "Δ i→c (wrong → right)"),
        (height / 2, "delta_c2i", "#c0392b", "Δ c→i (right → wrong)"),
    ):
        estimates = [getattr(run.metrics, key) for run in runs]
        errors = [_error(estimate) for estimate in estimates]
        flips.barh(
            [p + offset for p in positions],
            [100 * estimate.value for estimate in estimates],
            height=height,
            color=color,
            label=label,
            xerr=[[e[0] for e in errors], [e[1] for e in errors]],
            error_kw={"elinewidth": 1, "capsize": 2},
        )
    flips.set_yticks(positions, [f"{i}. {run.name}" for i, run in enumerate(runs, 1)], fontsize=8)
    flips.invert_yaxis()
    flips.set_xlabel("% of all problems")
    flips.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
    flips.set_title("Flips between the first and the last attempt", fontsize=10)
    return figure


_ENV_COLORS = ["#1f4e99", "#d9822b", "#6a3d9a", "#2e8b57"]


def save_plot(runs: Sequence[RunSummary], path: str | os.PathLike[str], dpi: int = 120) -> None:
    """Draw :func:`make_figure` into ``path`` (format from the suffix: .png, .svg, .pdf)."""
    figure = make_figure(runs)
    try:
        figure.savefig(path, dpi=dpi)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot write the plot to {os.fspath(path)!r}: {exc}") from None


def _error(estimate: Any) -> tuple[float, float]:
    # Percentile intervals can sit a hair off the point estimate; errorbar needs >= 0 lengths.
    return (
        max(0.0, 100 * (estimate.value - estimate.low)),
        max(0.0, 100 * (estimate.high - estimate.value)),
    )
