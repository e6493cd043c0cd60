"""The ``score-envs`` command line.

``score-envs list`` shows what is built in; ``score-envs demo`` is the README's main job: a short
leaderboard of the built-in scripted policies on ScoreMath-v0 and ScoreCode-v0, printed as the
paper's table.
``score-envs eval`` plays one policy into a resumable results file, ``score-envs leaderboard``
ranks results files (Markdown, CSV or a self-contained HTML page) and ``score-envs plot`` draws
them.

Exit status: 0 on success; 2 for a user error (bad option, unknown env or policy, unreadable or
mismatched results file), printed as one ``score-envs: error: ...`` line; 1 when a model endpoint
fails during ``eval`` (finished episodes are kept: re-run the same command to resume); 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import gymnasium as gym

import score_envs
from score_envs.code.families import family_names as code_family_names
from score_envs.eval.backends import BACKENDS, check_backend_options, play_indices
from score_envs.eval.config import RunConfig, parse_env_options
from score_envs.eval.leaderboard import (
    SORT_KEYS,
    load_runs,
    sort_runs,
    summarize,
    summarize_records,
    to_csv,
)
from score_envs.eval.leaderboard import to_markdown as leaderboard_markdown
from score_envs.eval.results import ResultsWriter, open_results, read_results
from score_envs.eval.runner import EpisodeRecord, run_episodes
from score_envs.math.procedural import family_names
from score_envs.metrics import compute_metrics, format_table
from score_envs.policies import BUILTIN_POLICIES, make_policy
from score_envs.policies.errors import ModelEndpointError
from score_envs.policies.registry import SPEC_FORMS
from score_envs.registration import ENV_IDS

TEXT_ENV_IDS = ("ScoreMath-v0", "ScoreCode-v0")
"""Registered envs with text actions, which ``eval`` and ``demo`` play with policies."""

LEADERBOARD_FORMATS = ("md", "csv", "html")
"""Values of ``score-envs leaderboard --format``."""

DEMO_POLICIES: tuple[tuple[str, str], ...] = (
    ("oracle", "oracle"),
    ("self-corrector (noisy)", "noisy:p1=0.55,i2c=0.25,c2i=0.03"),
    ("prompted base (noisy)", "noisy:p1=0.55,i2c=0.05,c2i=0.2"),
    ("copy first attempt", "copy-first:noisy:p1=0.55,i2c=0.25,c2i=0.03"),
    ("random guess", "random"),
)
"""(row name, policy spec) pairs: each row shows one behaviour the metrics must tell apart."""


class _Progress:
    """A tqdm bar with episodes/s and running Acc@t1/Acc@t2 when tqdm is installed (``cli``
    extra); without tqdm, or when stderr is not a terminal (CI logs, pipes), it shows nothing."""

    def __init__(
        self, total: int, description: str, finished: Sequence[EpisodeRecord] = ()
    ) -> None:
        self.episodes = len(finished)
        self.right_first = sum(record.correct_per_turn[0] for record in finished)
        self.right_last = sum(record.correct_per_turn[-1] for record in finished)
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
            return
        self.bar = tqdm(
            total=total,
            initial=min(self.episodes, total),
            desc=description,
            unit="ep",
            leave=False,
            file=sys.stderr,
            disable=None,
        )
        self._postfix()

    def update(self, records: Sequence[EpisodeRecord]) -> None:
        """Count finished episodes."""
        for record in records:
            self.episodes += 1
            self.right_first += record.correct_per_turn[0]
            self.right_last += record.correct_per_turn[-1]
        if self.bar is not None:
            self.bar.update(len(records))
            self._postfix()

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()

    def _postfix(self) -> None:
        if self.bar is not None and self.episodes:
            self.bar.set_postfix(
                t1=f"{self.right_first / self.episodes:.3f}",
                t2=f"{self.right_last / self.episodes:.3f}",
            )


def _difficulty(text: str | None) -> tuple[int, int] | int | None:
    if text is None:
        return None
    low, _, high = text.partition("-")
    try:
        return (int(low), int(high)) if high else int(low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"difficulty must look like 3 or 2-4, got {text!r}"
        ) from None


def command_list(args: argparse.Namespace) -> int:
    """Print environments, math task families and built-in policies."""
    print("Environments (text envs play policies in eval; the others are for agents/):")
    for env_id in ENV_IDS:
        kind = "text" if env_id in TEXT_ENV_IDS else "agents"
        print(f"  {env_id:<24}{kind}")
    print("ScoreMath-v0 task families:")
    for name in family_names():
        print(f"  {name}")
    print("ScoreCode-v0 task families (source='procedural'; or source='humaneval'):")
    for name in code_family_names():
        print(f"  {name}")
    print("Built-in policies:")
    for name in BUILTIN_POLICIES:
        print(f"  {name}")
    print("Policy adapters:")
    for form in SPEC_FORMS.values():
        print(f"  {form}")
    return 0


def command_demo(args: argparse.Namespace) -> int:
    """Run every demo policy on the same seeded tasks of each env; print paper-style tables."""
    math_kwargs: dict[str, object] = {}
    if args.families:
        math_kwargs["families"] = args.families.split(",")
    if args.difficulty is not None:
        math_kwargs["difficulty"] = args.difficulty
    for option, value in (("--out", args.out), ("--html", args.html), ("--plot", args.plot)):
        if value:
            _check_writable(option, Path(value))  # fail before the run, not after it
    plan = [("ScoreMath-v0", math_kwargs, args.episodes)]
    if args.code_episodes:
        plan.append(("ScoreCode-v0", {}, args.code_episodes))
    envs = [
        (env_id, kwargs, episodes, gym.make(env_id, **kwargs)) for env_id, kwargs, episodes in plan
    ]
    print(
        f"score-envs {score_envs.__version__}: seed {args.seed}; "
        + "; ".join(f"{episodes} {env_id} episodes per policy" for env_id, _, episodes, _ in envs)
        + f"; math tasks {math_kwargs or 'all families, difficulty 1-5'}",
        file=sys.stderr,
    )
    tables = []
    summaries = []
    started = time.perf_counter()
    total = 0
    for env_id, env_kwargs, episodes, env in envs:
        rows = {}
        for name, spec in DEMO_POLICIES:
            progress = _Progress(episodes, f"{env_id} {name}")
            records = run_episodes(
                env,
                make_policy(spec),
                episodes=episodes,
                seed=args.seed,
                on_episode=lambda record, progress=progress: progress.update([record]),
            )
            progress.close()
            total += episodes
            rows[f"{name} `{spec}`"] = compute_metrics([r.outcome for r in records], seed=args.seed)
            if args.html or args.plot:
                config = RunConfig(env_id, env_kwargs, spec, args.seed)
                label = name if len(envs) == 1 else f"{name} · {env_id}"
                summaries.append(
                    summarize_records(label, config, records, bootstrap_seed=args.seed)
                )
        tables.append(f"### {env_id}\n\n{format_table(rows)}")
    text = "\n\n".join(tables)
    print(text)
    elapsed = time.perf_counter() - started
    print(
        f"\n{total} episodes in {elapsed:.1f} s ({total / elapsed:.0f} episodes/s)", file=sys.stderr
    )
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"table written to {path}", file=sys.stderr)
    if args.html:
        from score_envs.eval.html_report import to_html

        _write_text(Path(args.html), to_html(summaries, title="score-envs demo leaderboard"))
        print(f"HTML page written to {args.html}", file=sys.stderr)
    if args.plot:
        from score_envs.eval.plot import save_plot

        save_plot(summaries, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def command_eval(args: argparse.Namespace) -> int:
    """Play ``--episodes`` episodes of one policy into a resumable results file."""
    config = RunConfig(
        args.env, parse_env_options(args.env_kwargs, args.env_opt), args.policy, args.seed
    )
    # Check everything before touching the file: a typo must not leave an empty results file.
    check_backend_options(args.backend, args.concurrency, args.address, args.chunk_size)
    config.make_env().close()
    policy = config.make_policy()
    if callable(getattr(policy, "close", None)):
        policy.close()
    out = Path(args.out)
    return _play_into(out, config, args, created=not out.exists())


def _play_into(out: Path, config: RunConfig, args: argparse.Namespace, *, created: bool) -> int:
    with open_results(out, config) as writer:
        finished = writer.existing.ordered_records()
        try:
            return _play_with(writer, out, config, args, finished)
        except BaseException:
            if created and not finished and writer.written == 0:
                out.unlink(missing_ok=True)  # still locked by us: a failed start leaves no file
            raise


def _play_with(
    writer: ResultsWriter,
    out: Path,
    config: RunConfig,
    args: argparse.Namespace,
    finished: list[EpisodeRecord],
) -> int:
    todo = [index for index in range(args.episodes) if index not in writer.finished_indices]
    if finished:
        print(
            f"resuming {out}: {len(finished)} episodes already finished, {len(todo)} to go",
            file=sys.stderr,
        )
    progress = _Progress(args.episodes, out.stem, finished)
    started = time.perf_counter()

    def save(records: list[EpisodeRecord]) -> None:
        writer.append(records)
        progress.update(records)

    try:
        play_indices(
            config,
            todo,
            on_records=save,
            backend=args.backend,
            concurrency=args.concurrency,
            address=args.address,
            chunk_size=args.chunk_size,
        )
    except (ModelEndpointError, KeyboardInterrupt) as exc:
        progress.close()
        writer.sync()
        kept = len(finished) + writer.written
        if kept:
            resume = f"{kept} episodes saved in {out}; re-run the same command to resume"
        else:
            resume = "no episode finished"
        if isinstance(exc, KeyboardInterrupt):
            raise _RunStopped(f"interrupted: {resume}", 130) from None
        raise _RunStopped(f"model endpoint failed: {exc}; {resume}", 1) from None
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    writer.sync()
    if todo:
        print(
            f"{writer.written} episodes in {elapsed:.1f} s "
            f"({writer.written / max(elapsed, 1e-9):.1f} episodes/s), {out}",
            file=sys.stderr,
        )
    print(leaderboard_markdown([summarize(read_results(out))]))
    return 0


def command_leaderboard(args: argparse.Namespace) -> int:
    """Rank results files and write the table as Markdown, CSV or HTML."""
    runs = sort_runs(
        load_runs(args.results, baseline=args.baseline),
        args.sort,
        descending=None if not args.ascending else False,
    )
    if args.format == "md":
        text = leaderboard_markdown(runs) + "\n"
    elif args.format == "csv":
        text = to_csv(runs)
    else:
        from score_envs.eval.html_report import to_html

        text = to_html(runs, title=args.title)
    if args.out:
        _write_text(Path(args.out), text)
        print(
            f"{args.format} leaderboard of {len(runs)} runs written to {args.out}", file=sys.stderr
        )
    else:
        sys.stdout.write(text)
    return 0


def command_plot(args: argparse.Namespace) -> int:
    """Draw Acc@t1 vs Acc@t2 and the flips of each run into an image file."""
    from score_envs.eval.plot import save_plot

    runs = sort_runs(load_runs(args.results), args.sort)
    _check_writable("--out", Path(args.out))
    save_plot(runs, args.out)
    print(f"plot of {len(runs)} runs written to {args.out}", file=sys.stderr)
    return 0


class _RunStopped(Exception):
    """A run that stopped early, with its one-line message and exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _check_writable(option: str, path: Path) -> None:
    """Make ``path``'s folder and check a file can be written there; ``ValueError`` if not."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"{option} {str(path)!r}: cannot create its folder: {exc.strerror}"
        ) from None
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise ValueError(f"{option} {str(path)!r} is not a writable file path")


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise ValueError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with user errors on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"score-envs: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = _Parser(prog="score-envs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=score_envs.__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="environments, task families, built-in policies").set_defaults(
        func=command_list
    )
    demo = sub.add_parser("demo", help="leaderboard of the built-in policies on ScoreMath-v0")
    demo.add_argument(
        "--episodes",
        type=_positive_int,
        default=1000,
        help="ScoreMath-v0 episodes per policy (1000)",
    )
    demo.add_argument(
        "--code-episodes",
        type=_non_negative_int,
        default=200,
        help="ScoreCode-v0 episodes per policy, each program run in the sandbox (200; 0 skips)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the task stream (0)")
    demo.add_argument("--families", help="comma-separated math families (default: all)")
    demo.add_argument("--difficulty", type=_difficulty, help="a level 1..5 or a range like 2-4")
    demo.add_argument("--out", help="also write the Markdown table to this file")
    demo.add_argument("--html", help="also write the sortable HTML leaderboard to this file")
    demo.add_argument("--plot", help="also draw Acc@t1/Acc@t2 and flips (needs matplotlib)")
    demo.set_defaults(func=command_demo)

    run = sub.add_parser(
        "eval",
        help="play one policy into a resumable JSONL results file",
        description="Play episodes 0..N-1 of a policy and append one JSON line per finished "
        "episode to --out. Re-running the same command resumes: finished episodes are skipped.",
    )
    run.add_argument("--env", default="ScoreMath-v0", help="Gymnasium env id (ScoreMath-v0)")
    run.add_argument("--env-kwargs", metavar="JSON", help='env options as JSON: {"difficulty": 2}')
    run.add_argument(
        "--env-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one env option (repeatable): families=arithmetic,fractions or max_turns=3",
    )
    run.add_argument("--policy", required=True, help="policy spec (score-envs list shows them)")
    run.add_argument("--episodes", type=_positive_int, default=100, help="episodes (100)")
    run.add_argument(
        "--seed", type=_non_negative_int, default=0, help="episode i resets with seed+i (0)"
    )
    run.add_argument("--out", required=True, help="results file, e.g. results/NAME.jsonl")
    run.add_argument("--backend", choices=BACKENDS, default="local", help="where to run (local)")
    run.add_argument(
        "--concurrency",
        type=_positive_int,
        help="threads (local; for remote models), processes (process) or Ray tasks in flight",
    )
    run.add_argument("--address", help="Ray cluster address: auto, or ray://HEAD:10001")
    run.add_argument("--chunk-size", type=_positive_int, help="episodes per process or Ray task")
    run.set_defaults(func=command_eval)

    board = sub.add_parser("leaderboard", help="rank results files: Markdown, CSV or HTML")
    board.add_argument("results", nargs="+", help="results files (one run each)")
    board.add_argument("--format", choices=LEADERBOARD_FORMATS, default="md", help="md (default)")
    board.add_argument("--out", help="write to this file instead of stdout")
    board.add_argument("--sort", choices=SORT_KEYS, default="acc_t2", help="column (acc_t2)")
    board.add_argument("--ascending", action="store_true", help="lowest first")
    board.add_argument(
        "--baseline",
        metavar="RUN",
        help="run (name or file) whose Acc@t1 the reward-hacking check compares the others with",
    )
    board.add_argument("--title", default="score-envs leaderboard", help="HTML page title")
    board.set_defaults(func=command_leaderboard)

    plot = sub.add_parser("plot", help="Acc@t1 vs Acc@t2 and flips per run (needs matplotlib)")
    plot.add_argument("results", nargs="+", help="results files (one run each)")
    plot.add_argument("--out", required=True, help="image file (.png, .svg, .pdf)")
    plot.add_argument("--sort", choices=SORT_KEYS, default="acc_t2", help="run order (acc_t2)")
    plot.set_defaults(func=command_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``score-envs`` console script; user errors exit 2 with one line."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"score-envs: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be read or written: the user's to fix
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"score-envs: error:{where} {exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 2
    except _RunStopped as exc:
        print(f"score-envs: error: {_one_line(exc)}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("score-envs: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
