"""The procedural math families, one module each, and their registry.

Each family turns ``(random.Random, difficulty 1..5)`` into a :class:`Problem` with an exact
answer, plausible wrong answers and a worked solution. Adding a family: write a module with a
:class:`MathFamily` subclass whose docstring says what each level changes, then add one line to
``FAMILIES`` (and its measurable property to ``tests/math/test_families.py``).

Example:
    >>> import random
    >>> FAMILIES["arithmetic"].generate(random.Random(0), 1).params["operation"] in "+-*"
    True
"""

from __future__ import annotations

from score_envs.core.task import DIFFICULTY_LEVELS, check_difficulty
from score_envs.math.families.arithmetic import Arithmetic
from score_envs.math.families.base import MathFamily, Problem
from score_envs.math.families.combinatorics import Combinatorics
from score_envs.math.families.fractions import Fractions
from score_envs.math.families.gcd_lcm import GcdLcm
from score_envs.math.families.linear_equation import LinearEquation
from score_envs.math.families.linear_system import LinearSystem
from score_envs.math.families.modular import Modular
from score_envs.math.families.percent import Percent
from score_envs.math.families.polynomial import Polynomial
from score_envs.math.families.probability import Probability
from score_envs.math.families.quadratic import Quadratic
from score_envs.math.families.radicals import Radicals
from score_envs.math.families.sequence import Sequences

_ALL: tuple[MathFamily, ...] = (
    Arithmetic(),
    Combinatorics(),
    Fractions(),
    GcdLcm(),
    LinearEquation(),
    LinearSystem(),
    Modular(),
    Percent(),
    Polynomial(),
    Probability(),
    Quadratic(),
    Radicals(),
    Sequences(),
)

FAMILIES: dict[str, MathFamily] = {
    family.name: family for family in sorted(_ALL, key=lambda f: f.name)
}
"""Every family by name, in sorted name order (the order sources draw from)."""

__all__ = [
    "DIFFICULTY_LEVELS",
    "FAMILIES",
    "MathFamily",
    "Problem",
    "check_difficulty",
]
