"""The leaderboard as one self-contained HTML page: sortable table, intervals and flip chart.

The page fetches nothing: styles, the sorting script and the chart (inline SVG drawn here) are in
the file, and a Content-Security-Policy forbids any load from elsewhere, so it can be mailed,
attached to a paper's artefacts or opened offline. Every name and spec from a results file is
HTML-escaped; the script reads numbers from ``data-value`` attributes and never evaluates text.

Clicking a column header sorts the rows by it (numbers high to low first, text A to Z first);
clicking again reverses. Cells keep the point estimate in ``data-value`` (a fraction), show it as a
percentage, and show the interval under it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import score_envs
from score_envs.eval.leaderboard import METRIC_COLUMNS, RunSummary, describe_envs

CHART_WIDTH = 760
"""Width of the flip chart in CSS pixels."""

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 68rem;
       padding: 0 1rem; color: #1d2433; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
p.env { color: #56607a; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .45rem .6rem; border-bottom: 1px solid #dfe3ec; text-align: right;
         vertical-align: top; }
th { cursor: pointer; user-select: none; background: #f3f5f9; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.text, th.text { text-align: left; }
td code { font-size: .85em; word-break: break-all; }
span.ci { display: block; font-size: .78em; color: #6b7488; }
tr.hacking td { background: #fff3f1; }
p.note { font-size: .9em; color: #8a2b1d; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2433; }
rect.i2c { fill: #2e8b57; } rect.c2i { fill: #c0392b; }
line.whisker { stroke: #1d2433; stroke-width: 1.2; }
"""

_SCRIPT = """
(function () {
  const table = document.getElementById("leaderboard");
  const body = table.tBodies[0];
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    th.addEventListener("click", function () {
      const numeric = th.dataset.type === "number";
      const current = th.getAttribute("aria-sort");
      let direction = numeric ? "descending" : "ascending";
      if (current) { direction = current === "ascending" ? "descending" : "ascending"; }
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", direction);
      const sign = direction === "ascending" ? 1 : -1;
      const rows = Array.from(body.rows);
      rows.sort(function (a, b) {
        const x = a.cells[column].dataset.value, y = b.cells[column].dataset.value;
        let order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        if (order === 0) { order = a.dataset.run.localeCompare(b.dataset.run) * sign; }
        return sign * order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""


def to_html(runs: Sequence[RunSummary], *, title: str = "score-envs leaderboard") -> str:
    """The leaderboard page for ``runs`` (already sorted as the table should first appear).

    Example:
        >>> to_html([])
        Traceback (most recent call last):
        ...
        ValueError: a leaderboard needs at least one run
    """
    if not runs:
        raise ValueError("a leaderboard needs at least one run")
    level = round(100 * runs[0].metrics.confidence)
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="env">{escape(describe_envs(runs))} &middot; percentages of all '
        f"problems with {level}% bootstrap intervals &middot; score-envs "
        f"{escape(score_envs.__version__)}</p>",
        _table(runs),
        *(
            f'<p class="note">&dagger; {escape(run.name)}: '
            f"{escape(run.metrics.reward_hacking_reason or '')}</p>"
            for run in runs
            if run.metrics.reward_hacking_suspected
        ),
        "<h2>Flips between the first and the last attempt</h2>",
        '<p class="env">Δ i→c: wrong at t1, right at t2 (green); Δ c→i: right at t1, wrong at '
        f"t2 (red); whiskers show the {level}% intervals. Δ(t1,t2) = Δ i→c − Δ c→i.</p>",
        flip_chart_svg(runs),
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _table(runs: Sequence[RunSummary]) -> str:
    escape = html.escape
    head = [
        '<th data-key="rank" data-type="number">#</th>',
        '<th data-key="name" data-type="text" class="text">Run</th>',
        '<th data-key="policy" data-type="text" class="text">Policy</th>',
        '<th data-key="n" data-type="number">N</th>',
        *(f'<th data-key="{key}" data-type="number">{title}</th>' for key, title in METRIC_COLUMNS),
    ]
    rows = []
    for rank, run in enumerate(runs, start=1):
        hacking = run.metrics.reward_hacking_suspected
        name = escape(run.name, quote=True)
        cells = [
            f'<td data-key="rank" data-value="{rank}">{rank}</td>',
            f'<td data-key="name" data-value="{name}" class="text">{escape(run.name)}'
            + (' <span title="reward hacking suspected">&dagger;</span>' if hacking else "")
            + "</td>",
            f'<td data-key="policy" data-value="{escape(run.config.policy, quote=True)}" '
            f'class="text"><code>{escape(run.config.policy)}</code></td>',
            f'<td data-key="n" data-value="{run.n}">{run.n}</td>',
        ]
        for key, _ in METRIC_COLUMNS:
            estimate = getattr(run.metrics, key)
            low, high = estimate.format_percent().partition(" ")[2].strip("[]").split(", ")
            value = estimate.format_percent().partition(" ")[0]
            cells.append(
                f'<td data-key="{key}" data-value="{estimate.value!r}" '
                f'data-low="{estimate.low!r}" data-high="{estimate.high!r}">{value}'
                f'<span class="ci">[{low}, {high}]</span></td>'
            )
        row_class = ' class="hacking"' if hacking else ""
        rows.append(f'<tr data-run="{name}"{row_class}>' + "".join(cells) + "</tr>")
    return (
        '<table id="leaderboard"><thead><tr>'
        + "".join(head)
        + "</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def flip_chart_svg(runs: Sequence[RunSummary]) -> str:
    """Inline SVG: per run, a green Δ i→c bar and a red Δ c→i bar with interval whiskers.

    Example:
        >>> flip_chart_svg([])[:4]
        '<svg'
    """
    label_width, bar_height, gap, top = 220, 14, 12, 24
    plot_width = CHART_WIDTH - label_width - 60
    highest = max(
        [0.05] + [max(run.metrics.delta_i2c.high, run.metrics.delta_c2i.high) for run in runs]
    )
    scale = plot_width / highest
    height = top + len(runs) * (2 * bar_height + gap) + 10
    parts = [
        f'<svg id="flip-chart" xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" '
        f'height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        'aria-label="Δ i→c and Δ c→i per run">'
    ]
    for tick in range(5):
        fraction = highest * tick / 4
        x = label_width + fraction * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" '
            'stroke="#e3e7ef"/>'
            f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{100 * fraction:.0f}%</text>'
        )
    for position, run in enumerate(runs):
        y = top + position * (2 * bar_height + gap)
        name = html.escape(run.name, quote=True)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height + 4}" text-anchor="end">'
            f"{html.escape(_short(run.name))}</text>"
        )
        for offset, key in ((0, "delta_i2c"), (bar_height, "delta_c2i")):
            estimate = getattr(run.metrics, key)
            kind = "i2c" if key == "delta_i2c" else "c2i"
            width = estimate.value * scale
            middle = y + offset + bar_height / 2
            low_x = label_width + estimate.low * scale
            high_x = label_width + estimate.high * scale
            parts.append(
                f'<rect class="bar {kind}" data-run="{name}" data-value="{estimate.value!r}" '
                f'x="{label_width}" y="{y + offset}" width="{width:.2f}" '
                f'height="{bar_height - 1}"><title>{html.escape(run.name)} '
                f"{'Δ i→c' if kind == 'i2c' else 'Δ c→i'}: {estimate.format_percent()}</title>"
                "</rect>"
                f'<line class="whisker" x1="{low_x:.2f}" y1="{middle:.1f}" x2="{high_x:.2f}" '
                f'y2="{middle:.1f}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
