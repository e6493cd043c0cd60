"""The procedural code families, by name.

Each family is one module with one :class:`~score_envs.code.families.base.CodeFamily` subclass;
:data:`FAMILIES` maps names to instances and is the only registry the task source reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from score_envs.code.families.balanced_brackets import BalancedBrackets
from score_envs.code.families.base import (
    CodeFamily,
    CodeProblem,
    EdgeCase,
    check_plain_data,
    strictly_equal,
)
from score_envs.code.families.caesar_cipher import CaesarCipher
from score_envs.code.families.char_histogram import CharHistogram
from score_envs.code.families.digital_root import DigitalRoot
from score_envs.code.families.fibonacci_mod import FibonacciMod
from score_envs.code.families.flatten_nested import FlattenNested
from score_envs.code.families.gcd_lcm import GcdLcm
from score_envs.code.families.interval_merge import IntervalMerge
from score_envs.code.families.invert_dict import InvertDict
from score_envs.code.families.matrix_transpose import MatrixTranspose
from score_envs.code.families.merge_sorted import MergeSorted
from score_envs.code.families.prime_factors import PrimeFactors
from score_envs.code.families.reverse_words import ReverseWords
from score_envs.code.families.robot_walk import RobotWalk
from score_envs.code.families.rotate_list import RotateList
from score_envs.code.families.run_length_encode import RunLengthEncode
from score_envs.code.families.second_largest import SecondLargest
from score_envs.core.task import DIFFICULTY_LEVELS

FAMILIES: Mapping[str, CodeFamily] = MappingProxyType(
    {
        family.name: family
        for family in sorted(
            (
                BalancedBrackets(),
                CaesarCipher(),
                CharHistogram(),
                DigitalRoot(),
                FibonacciMod(),
                FlattenNested(),
                GcdLcm(),
                IntervalMerge(),
                InvertDict(),
                MatrixTranspose(),
                MergeSorted(),
                PrimeFactors(),
                ReverseWords(),
                RobotWalk(),
                RotateList(),
                RunLengthEncode(),
                SecondLargest(),
            ),
            key=lambda family: family.name,
        )
    }
)
"""Every procedural code family, by name, in alphabetical order."""


def family_names() -> tuple[str, ...]:
    """The names of the procedural code families, sorted.

    Example:
        >>> "reverse_words" in family_names(), len(family_names()) >= 10
        (True, True)
    """
    return tuple(FAMILIES)


__all__ = [
    "DIFFICULTY_LEVELS",
    "FAMILIES",
    "CodeFamily",
    "CodeProblem",
    "EdgeCase",
    "check_plain_data",
    "family_names",
    "strictly_equal",
]
