"""Leaderboards: results files -> one row per run with the paper's metrics, as Markdown or CSV.

Each results file is one run (one policy on one env configuration). Rows carry Acc@t1, Acc@t2,
Δ(t1,t2), Δ i→c and Δ c→i with bootstrap intervals from :func:`score_envs.metrics.compute_metrics`
and its reward-hacking flag. Runs on different environments or env options are refused: their
numbers measure different tasks and must not share a ranking. The HTML page is in
:mod:`score_envs.eval.html_report`, the figure in :mod:`score_envs.eval.plot`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from score_envs.eval.config import RunConfig
from score_envs.eval.results import RunResults, read_results
from score_envs.eval.runner import EpisodeRecord
from score_envs.metrics import SelfCorrectionMetrics, compute_metrics

SORT_KEYS = ("acc_t2", "acc_t1", "delta", "delta_i2c", "delta_c2i", "n", "name")
"""Columns a leaderboard can be sorted by (default ``acc_t2``: the final accuracy)."""

METRIC_COLUMNS = (
    ("acc_t1", "Acc@t1"),
    ("acc_t2", "Acc@t2"),
    ("delta", "Δ(t1,t2)"),
    ("delta_i2c", "Δ i→c"),
    ("delta_c2i", "Δ c→i"),
)
"""(metric attribute, column title) in the paper's order."""


@dataclass(frozen=True)
class RunSummary:
    """One leaderboard row: a run's identity, its episodes and its metrics.

    Attributes:
        name: Row name (the results file's stem, or its path when stems collide).
        path: The results file (None for episodes that were never written to one).
        config: Env id and options, policy spec, seed.
        metrics: Acc@t1, Acc@t2, Δ, flips with intervals, and the reward-hacking flag.
        mean_seconds: Mean wall time of an episode (policy and grading).
    """

    name: str
    path: Path | None
    config: RunConfig
    metrics: SelfCorrectionMetrics
    mean_seconds: float

    @property
    def n(self) -> int:
        """Number of finished episodes."""
        return self.metrics.n


def summarize(
    results: RunResults,
    name: str | None = None,
    *,
    baseline_acc_t1: float | None = None,
    bootstrap_seed: int = 0,
) -> RunSummary:
    """Metrics of one results file (raises ``ValueError`` when it has no finished episode).

    Example:
        >>> import tempfile, pathlib
        >>> from score_envs.eval.backends import play_indices
        >>> from score_envs.eval.results import open_results
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "oracle.jsonl"
        >>> with open_results(path, RunConfig("ScoreMath-v0", {}, "oracle", 0)) as writer:
        ...     play_indices(writer.existing.config, range(5), on_records=writer.append)
        >>> summarize(read_results(path)).metrics.acc_t2.value
        1.0
    """
    records = results.ordered_records()
    if not records:
        raise ValueError(f"results file {str(results.path)!r} has no finished episode yet")
    return summarize_records(
        name or results.path.stem,
        results.config,
        records,
        path=results.path,
        baseline_acc_t1=baseline_acc_t1,
        bootstrap_seed=bootstrap_seed,
    )


def summarize_records(
    name: str,
    config: RunConfig,
    records: Sequence[EpisodeRecord],
    *,
    path: Path | None = None,
    baseline_acc_t1: float | None = None,
    bootstrap_seed: int = 0,
) -> RunSummary:
    """A leaderboard row for episodes held in memory (``summarize`` reads them from a file).

    Example:
        >>> from score_envs.eval.backends import play_indices
        >>> config = RunConfig("ScoreMath-v0", {}, "random", seed=0)
        >>> records = []
        >>> play_indices(config, range(20), on_records=records.extend)
        >>> summarize_records("random", config, records).n
        20
    """
    if not records:
        raise ValueError(f"run {name!r} has no finished episode")
    metrics = compute_metrics(
        [record.outcome for record in records],
        seed=bootstrap_seed,
        baseline_acc_t1=baseline_acc_t1,
    )
    mean_seconds = sum(record.seconds for record in records) / len(records)
    return RunSummary(
        name=name, path=path, config=config, metrics=metrics, mean_seconds=mean_seconds
    )


def load_runs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    baseline: str | None = None,
    bootstrap_seed: int = 0,
) -> list[RunSummary]:
    """Read results files into leaderboard rows (in the order given).

    ``baseline`` names a run (its row name or its path) whose Acc@t1 every other run is compared
    with by the reward-hacking check (``compute_metrics(baseline_acc_t1=...)``): use the same
    model without the correction bonus. Raises ``ValueError`` for an unreadable file, an empty
    run, the same file twice, runs on different envs or env options, or an unknown baseline.
    """
    if not paths:
        raise ValueError("no results files given")
    loaded = [read_results(path) for path in paths]
    resolved = [os.path.realpath(r.path) for r in loaded]
    for position, real in enumerate(resolved):
        if real in resolved[:position]:
            raise ValueError(f"results file {str(loaded[position].path)!r} is given twice")
    first = loaded[0]
    for other in loaded[1:]:
        if (other.config.env_id, other.config.env_kwargs) != (
            first.config.env_id,
            first.config.env_kwargs,
        ):
            raise ValueError(
                "cannot rank runs of different environments together: "
                f"{first.path} is {_env_text(first.config)} but {other.path} is "
                f"{_env_text(other.config)}"
            )
    names = _row_names(loaded)
    baseline_acc = None
    baseline_name = None
    if baseline is not None:
        baseline_name = _find_baseline(baseline, loaded, names)
        position = names.index(baseline_name)
        baseline_acc = summarize(loaded[position], bootstrap_seed=bootstrap_seed).metrics
        baseline_acc = baseline_acc.acc_t1.value
    return [
        summarize(
            results,
            name,
            baseline_acc_t1=None if name == baseline_name else baseline_acc,
            bootstrap_seed=bootstrap_seed,
        )
        for results, name in zip(loaded, names, strict=True)
    ]


def sort_runs(
    runs: Sequence[RunSummary], key: str = "acc_t2", *, descending: bool | None = None
) -> list[RunSummary]:
    """Rows sorted by a metric's point estimate (best first), ``n``, or ``name`` (A to Z).

    Ties keep name order, so the ranking is deterministic. ``descending`` defaults to True for
    numbers and False for names. Δ c→i counts damage: sort it ascending to put the best first.

    Example:
        >>> sort_runs([], "acc_t1")
        []
    """
    if key not in SORT_KEYS:
        raise ValueError(f"sort key must be one of {', '.join(SORT_KEYS)}, got {key!r}")
    by_name = sorted(runs, key=lambda run: run.name)
    if key == "name":
        return sorted(by_name, key=lambda run: run.name, reverse=bool(descending))
    reverse = True if descending is None else descending
    return sorted(by_name, key=lambda run: _sort_value(run, key), reverse=reverse)


def to_markdown(runs: Sequence[RunSummary]) -> str:
    """The leaderboard as a Markdown table, percentages with 95% intervals.

    A ``†`` marks suspected reward hacking; the reason follows the table, so a hacked result
    cannot pass for an improvement.
    """
    _require_rows(runs)
    config = runs[0].config
    level = round(100 * runs[0].metrics.confidence)
    lines = [
        f"{_env_text(config)}: percentages with {level}% bootstrap intervals",
        "",
        "| # | Run | Policy | N | " + " | ".join(title for _, title in METRIC_COLUMNS) + " |",
        "|---|---|---|---|" + "---|" * len(METRIC_COLUMNS),
    ]
    for rank, run in enumerate(runs, start=1):
        flag = " †" if run.metrics.reward_hacking_suspected else ""
        cells = [
            str(rank),
            _markdown_cell(run.name) + flag,
            "`" + run.config.policy.replace("`", "'").replace("|", "\\|") + "`",
            str(run.n),
            *(getattr(run.metrics, key).format_percent() for key, _ in METRIC_COLUMNS),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        f"† {run.name}: {run.metrics.reward_hacking_reason}"
        for run in runs
        if run.metrics.reward_hacking_suspected
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


CSV_COLUMNS = (
    "rank",
    "run",
    "policy",
    "env_id",
    "env_kwargs",
    "seed",
    "n",
    *(f"{key}{suffix}" for key, _ in METRIC_COLUMNS for suffix in ("", "_low", "_high")),
    "confidence",
    "reward_hacking_suspected",
    "reward_hacking_reason",
    "mean_seconds",
    "file",
)
"""Columns of :func:`to_csv`; metrics are fractions (0.526), not percentages."""


def to_csv(runs: Sequence[RunSummary]) -> str:
    """The leaderboard as CSV with full-precision fractions and interval bounds."""
    _require_rows(runs)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rank, run in enumerate(runs, start=1):
        metrics = run.metrics.as_dict()
        row = {
            "rank": rank,
            "run": run.name,
            "policy": run.config.policy,
            "env_id": run.config.env_id,
            "env_kwargs": json.dumps(dict(run.config.env_kwargs), sort_keys=True),
            "seed": run.config.seed,
            "n": run.n,
            "confidence": metrics["confidence"],
            "reward_hacking_suspected": metrics["reward_hacking_suspected"],
            "reward_hacking_reason": metrics["reward_hacking_reason"] or "",
            "mean_seconds": f"{run.mean_seconds:.6f}",
            "file": "" if run.path is None else str(run.path),
        }
        for key, _ in METRIC_COLUMNS:
            for suffix in ("", "_low", "_high"):
                row[key + suffix] = repr(metrics[key + suffix])
        writer.writerow(row)
    return buffer.getvalue()


def env_description(config: RunConfig) -> str:
    """The env id and its options, as shown above tables.

    Example:
        >>> env_description(RunConfig("ScoreMath-v0", {"difficulty": 2}))
        'ScoreMath-v0 {"difficulty": 2}'
    """
    return _env_text(config)


def describe_envs(runs: Sequence[RunSummary]) -> str:
    """What the runs were played on: one env description, or the list when they differ.

    ``score-envs leaderboard`` refuses to mix environments, but the demo's page shows the same
    policies on ScoreMath-v0 and ScoreCode-v0 side by side, with the env in each row's name.
    """
    descriptions = list(dict.fromkeys(_env_text(run.config) for run in runs))
    if len(descriptions) == 1:
        return descriptions[0]
    return "several environments: " + "; ".join(descriptions)


def _env_text(config: RunConfig) -> str:
    if not config.env_kwargs:
        return config.env_id
    return f"{config.env_id} {json.dumps(dict(config.env_kwargs), sort_keys=True)}"


def _sort_value(run: RunSummary, key: str) -> float:
    if key == "n":
        return float(run.n)
    return getattr(run.metrics, key).value


def _row_names(loaded: Sequence[RunResults]) -> list[str]:
    stems = [r.path.stem for r in loaded]
    return [
        stem if stems.count(stem) == 1 else str(r.path)
        for stem, r in zip(stems, loaded, strict=True)
    ]


def _find_baseline(baseline: str, loaded: Sequence[RunResults], names: list[str]) -> str:
    if baseline in names:
        return baseline
    for results, name in zip(loaded, names, strict=True):
        if os.path.realpath(results.path) == os.path.realpath(baseline):
            return name
    raise ValueError(
        f"baseline {baseline!r} is none of the runs given ({', '.join(names)}); name a run or "
        "its results file"
    )


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _require_rows(runs: Sequence[RunSummary]) -> None:
    if not runs:
        raise ValueError("a leaderboard needs at least one run")
