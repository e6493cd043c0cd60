"""What a procedural code family is, and how one becomes a problem with hidden tests.

A family is a small class: the function's signature and specification, a reference
implementation and a few plausible wrong ones (all as source text), an input generator and a list
of edge cases. :meth:`CodeFamily.generate` turns ``(difficulty, seed)`` into a frozen
:class:`CodeProblem`: a docstring-style prompt with one example, and hidden MBPP-style tests
``assert f(args) == expected`` whose expected values come from running the reference in this
process. That is trusted code written in this package, never model text; model programs only ever
run in the sandbox.

## Difficulty

The specification is the same at every level; what grows is what the hidden tests demand, in two
measurable quantities recorded on every problem:

- ``edge_case_categories``: each family orders its edge cases (empty input, duplicates, wrap
  around, ...) by the level from which the hidden tests include them, so level ``d`` covers every
  category whose ``min_difficulty <= d``; level 1 checks typical inputs and at most a couple of
  basic cases.
- ``size_limit``: the bound on the family's size measure (``size_unit``: characters, list length,
  magnitude, ...) of the random test inputs, non-decreasing with the level; where a family's
  largest inputs need a better algorithm (``fibonacci_mod``), the sandbox's CPU limit enforces it.

From one level to the next at least one of the two strictly grows and neither shrinks; the number
of random tests grows too (:data:`RANDOM_TESTS`). A test checks all of it for every family.

## Determinism

Everything is drawn from ``random.Random(f"{family}/d{difficulty}/{seed}")``: seeding from a
string uses SHA-512 and is the same on every machine and Python version, and the string keeps the
streams of different families, levels and seeds independent.
"""

from __future__ import annotations

import copy
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from score_envs.core.task import DIFFICULTY_LEVELS

RANDOM_TESTS: dict[int, int] = {1: 6, 2: 6, 3: 7, 4: 8, 5: 9}
"""Random (typical-input) hidden tests per level, on top of the level's edge cases."""

MIN_TESTS = 6
MAX_TESTS = 20
MIN_BUGGY_SOLUTIONS = 2

_PLAIN_SCALARS = (int, str, bool, type(None))


@dataclass(frozen=True)
class EdgeCase:
    """One edge-case input of a family, tested from ``min_difficulty`` on.

    Attributes:
        category: Short name of the kind of input (``"empty list"``), recorded on problems.
        min_difficulty: The lowest level whose hidden tests include it (1..5).
        args: The positional arguments (plain data).
    """

    category: str
    min_difficulty: int
    args: tuple[Any, ...]


@dataclass(frozen=True)
class CodeProblem:
    """One generated function-writing problem.

    Attributes:
        family: The family's name (``"reverse_words"``).
        difficulty: 1..5.
        seed: The seed it was generated from (with family and difficulty it rebuilds it).
        function_name: The function the program must define (the tests' entry point).
        signature: The ``def`` line with type hints.
        description: The prompt: signature plus a docstring with the specification and one
            example. It reveals no hidden test (the example is never one of them).
        reference_solution: Source of a correct implementation; it passes ``tests``.
        tests: Hidden MBPP-style asserts ``assert f(args) == expected`` over plain data.
        buggy_solutions: Sources of plausible wrong implementations, each failing at least one
            of ``tests`` (for discrete views and noisy policies).
        edge_case_categories: The edge-case kinds the hidden tests cover (grows with difficulty).
        size_limit: Bound on the size of the random test inputs, in ``size_unit``.
        size_unit: What ``size_limit`` counts.
    """

    family: str
    difficulty: int
    seed: int
    function_name: str
    signature: str
    description: str
    reference_solution: str
    tests: tuple[str, ...]
    buggy_solutions: tuple[str, ...]
    edge_case_categories: tuple[str, ...]
    size_limit: int
    size_unit: str


class CodeFamily(ABC):
    """A kind of function-writing problem; subclasses fill in the class attributes and hooks.

    Class attributes:
        name: Registry name, also the task family (``"reverse_words"``).
        category: ``"string"``, ``"list"``, ``"number theory"``, ``"dict"``, ``"recursion"`` or
            ``"simulation"``.
        function_name, signature: The function to write and its ``def`` line.
        specification: The docstring body (without the example), indented by four spaces.
        reference: Source of the correct implementation.
        bugs: Sources of plausible wrong implementations; a problem keeps those its hidden tests
            catch (at least two must remain, or generation raises: a family bug).
        size_unit: What the size measure counts.
        size_limits: The size bound for levels 1..5 (non-decreasing).
        example_size: Size of the example shown in the prompt (kept small at every level).
    """

    name: ClassVar[str]
    category: ClassVar[str]
    function_name: ClassVar[str]
    signature: ClassVar[str]
    specification: ClassVar[str]
    reference: ClassVar[str]
    bugs: ClassVar[tuple[str, ...]]
    size_unit: ClassVar[str]
    size_limits: ClassVar[tuple[int, int, int, int, int]]
    example_size: ClassVar[int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Sources are written as indented triple-quoted blocks; store them as clean programs.
        if "reference" in cls.__dict__:
            cls.reference = _tidy(cls.reference)
        if "bugs" in cls.__dict__:
            cls.bugs = tuple(_tidy(bug) for bug in cls.bugs)

    @abstractmethod
    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Typical positional arguments whose size measure is at most ``size``."""

    @abstractmethod
    def input_size(self, args: tuple[Any, ...]) -> int:
        """The family's size measure of ``args`` (in ``size_unit``)."""

    @abstractmethod
    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Every edge case of the family (each tagged with its first level)."""

    # -- generation ----------------------------------------------------------------------------

    def generate(self, difficulty: int, seed: int) -> CodeProblem:
        """The problem of this family for ``(difficulty, seed)``; a pure function of both.

        Example:
            >>> from score_envs.code.families import FAMILIES
            >>> problem = FAMILIES["reverse_words"].generate(2, seed=7)
            >>> problem.function_name, problem.difficulty, 6 <= len(problem.tests) <= 20
            ('reverse_words', 2, True)
        """
        if isinstance(difficulty, bool) or difficulty not in DIFFICULTY_LEVELS:
            raise ValueError(f"difficulty must be 1..5, got {difficulty!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        rng = random.Random(f"{self.name}/d{difficulty}/{seed}")
        reference = load_function(self.reference, self.function_name)
        example = self.random_args(rng, self.example_size)
        cases = _HiddenCases(reference, self.name, shown=example)
        edge = [case for case in self.edge_cases(rng) if case.min_difficulty <= difficulty]
        for case in edge:
            cases.add(case.args)
        size_limit = self.size_limits[difficulty - 1]
        self._add_random(rng, size_limit, cases, RANDOM_TESTS[difficulty])
        caught = self._catch_bugs(rng, size_limit, cases)
        if len(caught) < MIN_BUGGY_SOLUTIONS:
            raise RuntimeError(
                f"family {self.name!r} difficulty {difficulty} seed {seed}: only {len(caught)} "
                f"buggy solutions fail the hidden tests, expected >= {MIN_BUGGY_SOLUTIONS}"
            )
        if not MIN_TESTS <= len(cases.inputs) <= MAX_TESTS:
            raise RuntimeError(
                f"family {self.name!r} made {len(cases.inputs)} tests at difficulty "
                f"{difficulty}, expected {MIN_TESTS}..{MAX_TESTS}"
            )
        return CodeProblem(
            family=self.name,
            difficulty=difficulty,
            seed=seed,
            function_name=self.function_name,
            signature=self.signature,
            description=self._describe(example, reference(*copy.deepcopy(example))),
            reference_solution=self.reference,
            tests=tuple(
                f"assert {self.function_name}({_render_args(args)}) == {value!r}"
                for args, value in zip(cases.inputs, cases.expected, strict=True)
            ),
            buggy_solutions=caught,
            edge_case_categories=tuple(dict.fromkeys(case.category for case in edge)),
            size_limit=size_limit,
            size_unit=self.size_unit,
        )

    def _add_random(self, rng: random.Random, size: int, cases: _HiddenCases, count: int) -> None:
        added = 0
        for _ in range(50 * count):  # bounded: tiny input domains may run out of fresh inputs
            if added == count:
                return
            added += cases.add(self.random_args(rng, size))

    def _catch_bugs(self, rng: random.Random, size: int, cases: _HiddenCases) -> tuple[str, ...]:
        """The bugs the hidden tests catch, adding typical tests while fewer than two are.

        Typical inputs catch most bugs; when a seed's draw happens to miss them, more typical
        tests are added (still a pure function of the seed), up to :data:`MAX_TESTS`.
        """
        uncaught = [bug for bug in self.bugs if not cases.catch(bug, self.function_name)]
        while (
            len(self.bugs) - len(uncaught) < MIN_BUGGY_SOLUTIONS and len(cases.inputs) < MAX_TESTS
        ):
            before = len(cases.inputs)
            self._add_random(rng, size, cases, 1)
            if len(cases.inputs) == before:
                break
            uncaught = [bug for bug in uncaught if not cases.catch(bug, self.function_name)]
        return tuple(bug for bug in self.bugs if bug not in uncaught)

    def _describe(self, example: tuple[Any, ...], result: Any) -> str:
        call = f"{self.function_name}({_render_args(example)})"
        return (
            f"{self.signature}\n"
            f'    """{self.specification.strip()}\n\n'
            f"    Example:\n"
            f"        >>> {call}\n"
            f"        {result!r}\n"
            f'    """\n'
        )


class _HiddenCases:
    """The distinct inputs of the hidden tests and the reference's outputs for them."""

    def __init__(self, reference: Callable[..., Any], family: str, shown: tuple[Any, ...]) -> None:
        self._reference = reference
        self._family = family
        self._seen = {repr(shown)}  # the prompt's example is never a hidden test
        self.inputs: list[tuple[Any, ...]] = []
        self.expected: list[Any] = []

    def add(self, args: tuple[Any, ...]) -> bool:
        """Add ``args`` unless already present; True when added."""
        if repr(args) in self._seen:
            return False
        self._seen.add(repr(args))
        value = self._reference(*copy.deepcopy(args))
        check_plain_data(value, f"{self._family} reference output")
        self.inputs.append(args)
        self.expected.append(value)
        return True

    def catch(self, bug: str, function_name: str) -> bool:
        """True when the buggy source fails at least one case (crashing counts as failing)."""
        function = load_function(bug, function_name)
        for args, value in zip(self.inputs, self.expected, strict=True):
            try:
                if not strictly_equal(function(*copy.deepcopy(args)), value):
                    return True
            except Exception:
                return True
        return False


# -- helpers -----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def load_function(source: str, name: str) -> Callable[..., Any]:
    """Compile trusted source written in this package and return its function ``name``.

    Only family references and bugs go through here (to compute expected values and to check
    that the bugs are caught); model programs never do: they run in the sandbox.

    Example:
        >>> load_function("def double(x):\\n    return 2 * x\\n", "double")(21)
        42
    """
    namespace: dict[str, Any] = {"__name__": "score_envs_reference"}
    exec(compile(source, f"<reference {name}>", "exec"), namespace)  # noqa: S102 - our own code
    return namespace[name]


def check_plain_data(value: Any, what: str) -> None:
    """Raise ``TypeError`` unless ``value`` is int/str/bool/None or list/tuple/dict of them.

    Hidden tests are written with ``repr`` and compared with strict types, so anything else
    (floats, sets, subclasses) would make a test ambiguous.

    Example:
        >>> check_plain_data({"a": [1, (2, None)]}, "example")
        >>> check_plain_data(1.5, "example")
        Traceback (most recent call last):
        ...
        TypeError: example must be plain data (int, str, bool, None, list, tuple, dict), got float
    """
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return
    if kind in (list, tuple):
        for item in value:
            check_plain_data(item, what)
        return
    if kind is dict:
        for key, item in value.items():
            check_plain_data(key, what)
            check_plain_data(item, what)
        return
    raise TypeError(
        f"{what} must be plain data (int, str, bool, None, list, tuple, dict), got {kind.__name__}"
    )


def strictly_equal(left: Any, right: Any) -> bool:
    """Equality that also requires equal types at every level (``[1] != (1,)``, ``1 != True``).

    Example:
        >>> strictly_equal([1, (2, 3)], [1, (2, 3)]), strictly_equal([1, 2], (1, 2))
        (True, False)
    """
    if type(left) is not type(right):
        return False
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(
            strictly_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(
            strictly_equal(value, right[key]) for key, value in left.items()
        )
    return left == right


def _tidy(source: str) -> str:
    """Source without leading blank lines and with exactly one final newline."""
    return source.strip("\n") + "\n"


def _render_args(args: tuple[Any, ...]) -> str:
    for arg in args:
        check_plain_data(arg, "test argument")
    return ", ".join(repr(arg) for arg in args)
