"""The procedural task source of ``ScoreMath-v0``: a seed picks a family, a level and the numbers.

Problems are a pure function of ``(family, difficulty, seed)``: each is drawn from its own
:class:`random.Random` seeded with the string ``"{family}/d{difficulty}/{seed}"``. Python seeds a
``Random`` from a string through SHA-512 (the documented version-2 seeding), so the stream, and
hence the task, is the same on every machine and Python version, and a task id alone rebuilds
the task whatever families or levels the rebuilding source was configured with.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from score_envs.core.task import Task, check_task_seed, resolve_difficulties
from score_envs.math.families import FAMILIES, check_difficulty

_TASK_ID = re.compile(r"(?P<family>[a-z_]+)/d(?P<difficulty>[0-9]+)/(?P<seed>[0-9]+)")


def family_names() -> list[str]:
    """Every procedural family name, sorted.

    Example:
        >>> "arithmetic" in family_names()
        True
    """
    return sorted(FAMILIES)


def _check_family(name: object) -> str:
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(
            f"unknown math family {name!r}; valid families: {', '.join(family_names())}"
        )
    return name


def procedural_task(family: str, difficulty: int, seed: int) -> Task:
    """The task of ``family`` at ``difficulty`` for ``seed``; its id is ``family/d{level}/seed``.

    Example:
        >>> task = procedural_task("arithmetic", 2, 7)
        >>> task.task_id, task.family, task.difficulty, task.metadata["source"]
        ('arithmetic/d2/7', 'arithmetic', 2, 'procedural')
    """
    return _build_task(_check_family(family), check_difficulty(difficulty), check_task_seed(seed))


def _build_task(family: str, difficulty: int, seed: int) -> Task:
    """:func:`procedural_task` for arguments already checked (the per-episode path)."""
    task_id = f"{family}/d{difficulty}/{seed}"
    problem = FAMILIES[family].generate(random.Random(task_id), difficulty)
    return Task(
        task_id=task_id,
        prompt=problem.question,
        answer=problem.answer,
        family=family,
        difficulty=difficulty,
        metadata={
            "source": "procedural",
            "seed": seed,
            "distractors": problem.distractors,
            "solution": problem.solution,
            "params": dict(problem.params),
        },
    )


def _resolve_families(families: Sequence[str] | str | None) -> tuple[str, ...]:
    if families is None:
        return tuple(family_names())
    if isinstance(families, str):
        families = [families]  # one name given on its own
    names = sorted({_check_family(name) for name in families})
    if not names:
        raise ValueError(
            f"families must name at least one family; valid families: {', '.join(family_names())}"
        )
    return tuple(names)


class ProceduralMathSource:
    """A :class:`~score_envs.core.task.TaskSource` over the procedural math families.

    ``task_from_seed(seed)`` picks the family uniformly among the selected names (in sorted
    order, so the choice never depends on the order given or on hashing), then the level
    uniformly among the allowed ones, both with ``random.Random(seed)``, and generates the
    problem with :func:`procedural_task`.

    Args:
        families: Family names (default: all, see :func:`family_names`); one name may be
            given as a plain string.
        difficulty: An int 1..5, an inclusive ``(low, high)`` tuple, or a list of levels
            (default: all five). Note that a 2-tuple is a range: ``(1, 3)`` means 1, 2 and 3,
            while ``[1, 3]`` means levels 1 and 3.

    Raises:
        ValueError: An unknown family (the message lists the valid ones), an empty selection,
            or a level outside 1..5.

    Example:
        >>> source = ProceduralMathSource(families=["fractions", "arithmetic"], difficulty=(1, 2))
        >>> task = source.task_from_seed(123)
        >>> task.family in source.families and task.difficulty in source.difficulties
        True
        >>> source.task_from_id(task.task_id) == task
        True
    """

    def __init__(
        self,
        families: Sequence[str] | str | None = None,
        difficulty: int | tuple[int, int] | Sequence[int] | None = None,
    ) -> None:
        self.families: tuple[str, ...] = _resolve_families(families)
        self.difficulties: tuple[int, ...] = resolve_difficulties(difficulty)

    def task_from_seed(self, seed: int) -> Task:
        """The task for ``seed`` (an int in ``[0, 2**63)``); the same seed, the same task."""
        seed = check_task_seed(seed)
        rng = random.Random(seed)
        family = rng.choice(self.families)
        difficulty = rng.choice(self.difficulties)
        return _build_task(family, difficulty, seed)

    def task_from_id(self, task_id: str) -> Task:
        """Rebuild a task from its id ``"{family}/d{level}/{seed}"``.

        Any valid family and level is accepted, not only this source's selection, so a logged
        id replays in any procedural source.
        """
        match = _TASK_ID.fullmatch(task_id) if isinstance(task_id, str) else None
        if match is None:
            raise ValueError(
                f"task_id must look like 'arithmetic/d3/12345' (family/d<level>/<seed>), "
                f"got {task_id!r}"
            )
        family, level_text, seed_text = match.group("family", "difficulty", "seed")
        if str(int(seed_text)) != seed_text or str(int(level_text)) != level_text:
            raise ValueError(f"task_id {task_id!r} is not canonical (leading zeros)")
        return procedural_task(family, int(level_text), int(seed_text))

    def __repr__(self) -> str:
        return (
            f"ProceduralMathSource(families={list(self.families)!r}, "
            f"difficulty={list(self.difficulties)!r})"
        )
