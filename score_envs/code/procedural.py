"""Procedural function-writing tasks: a :class:`~score_envs.core.task.TaskSource` over the families.

A task's id is ``code:<family>/d<difficulty>/<seed>`` (for example
``code:reverse_words/d3/42``); :meth:`ProceduralCodeSource.task_from_id` rebuilds exactly that
task, whichever families and difficulties the source itself draws from. ``task_from_seed`` picks
the family and the level with ``random.Random(seed)`` and then generates the problem from the same
seed (the problem's own stream is keyed by family, level and seed, so the choice of family does
not bias the problem).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from score_envs.code.families import FAMILIES, CodeProblem
from score_envs.core.task import Task, check_difficulty, check_task_seed, resolve_difficulties

SOURCE_NAME = "procedural"
"""``metadata["source"]`` of procedural code tasks."""

FAMILY_PREFIX = "code:"
"""Task families of code tasks start with this (``"code:reverse_words"``), so consumers can tell
code tasks from math ones by the family alone."""

_TASK_ID = re.compile(r"code:(?P<family>[a-z_]+)/d(?P<difficulty>[0-9]+)/(?P<seed>[0-9]+)")


class ProceduralCodeSource:
    """Function-writing tasks with hidden tests, drawn from the procedural families.

    Args:
        families: Family names to draw from (default: all, see
            :func:`score_envs.code.families.family_names`).
        difficulty: An int 1..5, an inclusive ``(low, high)`` pair, or a list of levels
            (default: all five).

    Example:
        >>> source = ProceduralCodeSource(families=["gcd_lcm"], difficulty=2)
        >>> task = source.task_from_seed(7)
        >>> task.task_id, task.family, task.metadata["entry_point"]
        ('code:gcd_lcm/d2/7', 'code:gcd_lcm', 'gcd_lcm')
        >>> source.task_from_id(task.task_id) == task
        True
    """

    def __init__(
        self,
        families: Sequence[str] | str | None = None,
        difficulty: int | tuple[int, int] | Sequence[int] | None = None,
    ) -> None:
        self.families: tuple[str, ...] = _check_families(families)
        self.difficulties: tuple[int, ...] = resolve_difficulties(difficulty)

    def task_from_seed(self, seed: int) -> Task:
        """The task for ``seed`` (an int in ``[0, 2**63)``): family, level and problem."""
        seed = check_task_seed(seed)
        rng = random.Random(seed)
        family = rng.choice(self.families)
        level = rng.choice(self.difficulties)
        return make_task(family, level, seed)

    def task_from_id(self, task_id: str) -> Task:
        """Rebuild the task with id ``code:<family>/d<level>/<seed>``."""
        match = _TASK_ID.fullmatch(task_id) if isinstance(task_id, str) else None
        if match is None:
            raise ValueError(
                "task_id must look like 'code:reverse_words/d3/12345' "
                f"(code:<family>/d<level>/<seed>), got {task_id!r}"
            )
        family, level_text, seed_text = match.group("family", "difficulty", "seed")
        if str(int(seed_text)) != seed_text or str(int(level_text)) != level_text:
            raise ValueError(f"task_id {task_id!r} is not canonical (leading zeros)")
        return make_task(family, int(level_text), int(seed_text))

    def __repr__(self) -> str:
        return (
            f"ProceduralCodeSource(families={list(self.families)}, "
            f"difficulty={list(self.difficulties)})"
        )


def make_task(family: str, difficulty: int, seed: int) -> Task:
    """The :class:`Task` of one generated problem.

    ``prompt`` is the problem's description, ``answer`` its reference solution; ``metadata``
    holds ``source``, ``seed``, ``entry_point``, the hidden ``tests``, ``buggy_solutions`` (also
    under ``distractors``, the key scripted policies and discrete views read),
    ``edge_case_categories``, ``size_limit`` and ``size_unit``.

    Example:
        >>> task = make_task("digital_root", 1, seed=3)
        >>> task.metadata["tests"][0].startswith("assert digital_root(")
        True
    """
    family = _check_family(family)
    difficulty = check_difficulty(difficulty)
    seed = check_task_seed(seed)
    problem = FAMILIES[family].generate(difficulty, seed)
    return Task(
        task_id=f"{FAMILY_PREFIX}{family}/d{difficulty}/{seed}",
        prompt=problem.description,
        answer=problem.reference_solution,
        family=FAMILY_PREFIX + family,
        difficulty=difficulty,
        metadata=_metadata(problem),
    )


def _metadata(problem: CodeProblem) -> dict[str, object]:
    return {
        "source": SOURCE_NAME,
        "seed": problem.seed,
        "entry_point": problem.function_name,
        "tests": problem.tests,
        "buggy_solutions": problem.buggy_solutions,
        "distractors": problem.buggy_solutions,
        "edge_case_categories": problem.edge_case_categories,
        "size_limit": problem.size_limit,
        "size_unit": problem.size_unit,
    }


def _check_families(families: Sequence[str] | str | None) -> tuple[str, ...]:
    if families is None:
        return tuple(FAMILIES)
    if isinstance(families, str):
        families = [families]  # one name given on its own
    for name in families:
        _check_family(name)
    # Sorted, so the same set of names draws the same tasks whatever order it was given in.
    chosen = tuple(sorted(set(families)))
    if not chosen:
        raise ValueError(
            f"families must name at least one family; valid families: {', '.join(FAMILIES)}"
        )
    return chosen


def _check_family(name: object) -> str:
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"unknown code family {name!r}; valid families: {', '.join(FAMILIES)}")
    return name
