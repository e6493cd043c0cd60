"""Turn the caller's tests into a plan: what the sandbox evaluates, and what the parent keeps.

The tests are parsed with :mod:`ast` (parsing never runs code) and never executed in the parent.

**Parent-checked plan** (the common case: every assertion has a simple shape). Each assertion is
split into *probes* -- the sub-expressions that call into the program, ``candidate([1, 2])`` or
``add(1, 2)``, found as the expressions whose root name belongs to the program -- and the rest,
compiled into a small tree for :mod:`score_envs.code.sandbox.evaluate`. Only the probes' source
goes to the sandbox; the expected values, comparisons, tolerances, ``sorted``/``set`` wrappers and
``not`` stay in the parent. Simple shapes are: comparisons (``==``, ``!=``, ``<``, ``in``, ``is
None/True/False`` ...) and truth tests of probes, with literal or constant-arithmetic expected
values (``2.0 / 3.0``), ``abs(probe - x) < tol``, ``math.isclose(...)``, ``not probe``, and the
builtins ``len``, ``sorted``, ``set``, ``tuple``, ``list``, ``round``, ``sum``, ``min``, ``max``,
``isinstance``, ``type``, ``range`` ... around them.

A ``check(candidate)`` body may also hold *test values* the parent computes itself, once, when it
makes the plan: ``NAME = EXPR`` where EXPR needs no probe (constants, ``list(range(...))``,
comprehensions over constants, ``sum(...)`` of those), module-level literal constants, and
``for NAME in ITERABLE:`` loops over such values whose bodies hold only these statements. Loops are
unrolled: each iteration's assert is one test, as the checker counts executed asserts (at most
:data:`MAX_UNROLLED_ASSERTS`). A probe that uses a test value is sent with the value written as a
literal (``candidate(x, x + 1)`` becomes ``candidate(2, 3)``), so the program still receives
only call arguments; values without an exact literal (``nan``, objects) keep the checker plan.

Every probe runs, in order, whatever the parent later finds; so a probe Python would skip (the
untaken side of ``and``/``or``/``x if c else y``) is never sent, and the operands that decide
what runs must need no probe. The program's process receives the probes in *stages*: a probe
that spells an expected value of a check Python evaluates before it starts a new stage, which
the program gets only once it has answered every earlier probe (see :func:`_leak_boundaries`).
Making one plan has a budget (statements, nodes, evaluation
work, expression depth): planning runs on the caller's thread.

**Checker plan** (anything else: helper functions, values that depend on a probe (``r =
candidate(3)``), random inputs, ``if``/``while``/``try``, asserts inside other statements,
calls whose course depends on a result). The
whole test source runs in a separate checker process that never runs the program; see
:mod:`score_envs.code.sandbox.checker`.

Names the tests use mean, in order: the check's parameter and the entry point -> the program;
names the trusted ``helpers`` define -> the helpers; names the tests bind or import -> the tests;
builtins and standard-library modules -> the real ones (even if the program defines a function of
that name: a program cannot redefine ``sorted`` to rig ``sorted(f(x)) == [...]``); anything else
-> the program (``add`` in ``assert add(1, 2) == 3``).
"""

from __future__ import annotations

import ast
import builtins
import collections
import functools
import itertools
import math
import re
import reprlib
import sys
import threading
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from score_envs.code.sandbox import checker, evaluate, harness, wire

STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))

MAX_UNROLLED_ASSERTS = 1000
"""Most asserts the loops of one check may unroll to; a longer check goes to the checker."""

MAX_PROBE_CHARS = 100_000
"""Longest probe source with test values written in as literals."""

MAX_LITERAL_CHARS = 1_000_000
"""Most characters of literals written into the probes of one plan."""

MAX_LITERAL_INT_BITS = 14_000
"""Largest int written as a literal: Python refuses int literals over 4300 digits by default."""

MAX_EXPRESSION_DEPTH = 100
"""Deepest expression the parent builds a tree for (``1 + 1 + ... + 1`` is as deep as it is
long); a deeper one goes to the checker, which compiles it as Python does. The bound keeps the
planner and the evaluator far from the interpreter's recursion limit wherever they are called."""

MAX_PLAN_STATEMENTS = 10_000
"""Statements the unroller may execute for one plan (``pass`` in nested loops included)."""

MAX_PLAN_NODES = 100_000
"""Expression nodes the planner may build for one plan, over all unrolled iterations (about
0.1 s); the comprehensions it computes share one :class:`evaluate.Budget` as well."""

MAX_PLAN_WORK = 4_000_000
"""Items of work (sizes of what operations take and make) everything computed for one plan may
spend together, comprehensions included: about 0.1 s (``list(range(10**6))`` costs 2 * 10**6)."""

MAX_AUDITED_VALUES = 100_000
"""Values the leak audit may look at for one plan (see :func:`_leak_boundaries`)."""

MAX_CACHED_PLAN_BYTES = 1 << 20
"""A plan holding more than this (estimated: computed test values, probe text) is not cached."""

MAX_CACHE_BYTES = 64 << 20
"""Estimated size of all cached plans together; the least recently used go first."""

PLAN_CACHE_SIZE = 512
"""Most plans cached (the same tests come back for every attempt at a task)."""

_PLACEHOLDER = "_score_literal_"
_PLACEHOLDERS = re.compile(_PLACEHOLDER + r"(\d+)_")


class NotParentCheckable(Exception):
    """This assertion cannot be checked in the parent; the tests go to the checker process."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 8


def _short(value: object) -> str:
    """A short repr for a failure message (huge ints have no repr in Python 3.11)."""
    try:
        return _SHORT.repr(value)
    except ValueError:
        return f"<{type(value).__name__}>"


@dataclass(frozen=True)
class ParentCheck:
    """One test checked in the parent: its assertion (for feedback) and its evaluator tree.

    The assertion's text is only needed to explain a failure. It is kept as the slice of the
    tests' source where that is exact, else as the node, unparsed on first use: unparsing every
    assertion up front cost about a third of the planning time, and keeping the nodes alive made
    the garbage collector's passes slower (planning is on the caller's thread for every run).
    ``bindings`` are the loop variables of an unrolled assert, shown with the source so that a
    failure names its iteration.
    """

    assertion: str | ast.expr = field(compare=False, repr=False)
    tree: tuple
    bindings: tuple[tuple[str, object], ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def source(self) -> str:
        """The assertion as source text, without its message (with its loop variables)."""
        test = self.assertion
        text = "assert " + (test if isinstance(test, str) else ast.unparse(test))
        if self.bindings:
            shown = ", ".join(f"{name} = {_short(value)}" for name, value in self.bindings)
            text += f" (with {shown})"
        return text


@dataclass(frozen=True)
class ProbePlan:
    """Tests checked in the parent; the sandbox only evaluates ``probes``.

    Attributes:
        probes: Source of each call expression, evaluated in order in the program's process.
        prelude: Import statements run before the probes (the tests' imports).
        candidate_name: The name bound to the entry point while probes run (``candidate``).
        checks: One per counted test.
        stages: Indices of the probes that start a new stage, in increasing order (empty: one
            stage). The program's process gets a stage's probes only once it has answered every
            earlier probe, so that no probe shows it an earlier check's expected value before
            that check's calls are answered (see :func:`_leak_boundaries`).
        literal_calls: For each probe that is a call of a plain name with literal arguments
            only (``candidate([1, 2], k=3)``), ``(name, args, kwargs or None)`` with the
            arguments as values; ``None`` for any other probe (empty: none known). Such a call
            is sent as these values instead of compiled code (see :attr:`compiled`).
    """

    probes: tuple[str, ...]
    prelude: tuple[str, ...]
    candidate_name: str
    checks: tuple[ParentCheck, ...]
    stages: tuple[int, ...] = ()
    literal_calls: tuple[tuple | None, ...] = ()

    @property
    def total(self) -> int:
        """Number of tests."""
        return len(self.checks)

    @property
    def stage_spans(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each stage's probes."""
        return list(itertools.pairwise([0, *self.stages, len(self.probes)]))

    @functools.cached_property
    def compiled(self) -> tuple[list[CodeType], list[list[CodeType | tuple]]] | None:
        """``(prelude, probes of each stage)`` compiled as the sandbox would, once per plan;
        a literal call (:attr:`literal_calls`) as its values, not compiled.

        The program's process then gets code instead of source: a just-forked process that
        compiles only the program copies fewer of the fork server's pages. ``None`` if one does
        not compile (the source is sent, and the sandbox reports it as an error of the tests),
        or if one holds a set constant: ``marshal`` rebuilds a set from its items in iteration
        order, which can change the order it iterates in (``{16, 8, 0}``), and a probe's set
        must iterate as the parent's does; compiled in the sandbox, it does.
        """
        calls: Sequence[str | tuple] = self.probes
        if self.literal_calls:
            # A literal call needs no compiler on either side: about a third of the cost of
            # planning new tests, and in the sandbox a smaller job and no frame for the call.
            calls = [
                source if call is None else call
                for source, call in zip(self.probes, self.literal_calls, strict=True)
            ]
        try:
            compiled = (
                harness.compile_calls(self.prelude, "exec"),
                [
                    harness.compile_calls(calls[start:end], "eval")
                    for start, end in self.stage_spans
                ],
            )
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
            return None
        sources = itertools.chain(self.probes, self.prelude)
        codes = [*compiled[0], *itertools.chain.from_iterable(compiled[1])]
        return None if _holds_set_constant(sources, codes) else compiled

    @property
    def prelude_calls(self) -> list[CodeType] | list[str]:
        """The imports as sent to the sandbox: compiled (see :attr:`compiled`), else source."""
        compiled = self.compiled
        return compiled[0] if compiled is not None else list(self.prelude)

    def stage_calls(self, stage: int) -> list[CodeType | tuple] | list[str]:
        """The probes of ``stage`` as sent to the sandbox: compiled or literal calls, else
        source."""
        compiled = self.compiled
        if compiled is not None:
            return compiled[1][stage]
        start, end = self.stage_spans[stage]
        return list(self.probes[start:end])


@dataclass(frozen=True)
class CheckerPlan:
    """Tests run by the checker process against the program process.

    Attributes:
        style: ``check`` (a source defining ``check(candidate)``) or ``items`` (assert strings).
        tests: The test source, or the non-import items.
        prelude: Import items (``items`` style).
        check_name: Name of the check function (``check``).
        modules: Standard-library modules the tests use without importing them.
        program_names: Names the tests take from the program.
        helpers: Trusted source run before the tests.
        total: Statically counted tests (items, or assert statements in ``check``).
    """

    style: str
    tests: str | tuple[str, ...]
    prelude: tuple[str, ...]
    check_name: str
    modules: tuple[str, ...]
    program_names: tuple[str, ...]
    helpers: str | None
    total: int

    @functools.cached_property
    def compiled(self) -> tuple[CodeType | list[CodeType], CodeType | None] | None:
        """``(tests, helpers)`` compiled as the checker would (the tests instrumented to count
        their asserts; a list of codes for ``items``), once per plan: the checker process then
        neither parses nor compiles (0.3-0.4 ms of each checker run, measured warm). ``None``
        as for :attr:`ProbePlan.compiled`: the checker then compiles the source itself.
        """
        sources = [self.tests] if isinstance(self.tests, str) else list(self.tests)
        try:
            codes = [checker.instrumented(source, "<tests>") for source in sources]
            helpers = (
                compile(self.helpers, "<helpers>", "exec", dont_inherit=True)
                if self.helpers
                else None
            )
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
            return None
        if _holds_set_constant([*sources, self.helpers or ""], [*codes, *filter(None, [helpers])]):
            return None
        return (codes[0] if isinstance(self.tests, str) else codes), helpers


def _holds_set_constant(sources: Iterable[str], codes: Iterable[CodeType]) -> bool:
    """Whether code compiled from ``sources`` holds a set constant (``x in {1, 2}``, a set
    display of constants), in itself or in a nested code object or tuple.

    Compiled code crosses to a sandboxed process as ``marshal`` data, which rebuilds a set from
    its items in iteration order: that can change the order the set iterates in (``{16, 8,
    0}``), which a test may compare. Such code is sent as source instead. Without a brace in
    the source there is no set display, hence no set constant.
    """
    if not any("{" in source for source in sources):
        return False
    constants: list = list(codes)
    while constants:
        constant = constants.pop()
        if isinstance(constant, frozenset):
            return True
        if isinstance(constant, CodeType):
            constants.extend(constant.co_consts)
        elif isinstance(constant, tuple):
            constants.extend(constant)
    return False


Plan = ProbePlan | CheckerPlan


# --- name analysis ----------------------------------------------------------------------------

# Fields that never hold a node the analysis needs: names as strings, flags, and the context and
# operator singletons (skipping them makes a walk about a third cheaper).
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "arg", "attr", "kind", "type_comment", "level", "module"}
    | {"conversion", "is_async", "simple"}
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_BINDERS = frozenset(
    [ast.Assert, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.arg, ast.alias]
    + [ast.ExceptHandler, ast.Global, ast.Nonlocal]
    + [
        getattr(ast, name)
        for name in ("MatchAs", "MatchStar", "MatchMapping")
        if hasattr(ast, name)
    ]
)


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes (none for a string, int or None)."""
    fields = tuple(name for name in getattr(kind, "_fields", ()) if name not in _LEAF_FIELDS)
    _CHILD_FIELDS[kind] = fields
    return fields


def _scan(tree: ast.AST) -> tuple[set[str], set[str], int]:
    """``(bound, loaded, asserts)``: the names ``tree`` binds and reads, and its assert count.

    One explicit-stack walk that pushes whole child lists and skips what is not a node when it
    comes off the stack: about three times faster than ``ast.walk`` (a generator per node and an
    ``isinstance`` per child), and the plans of new tests are made on the caller's thread.
    """
    bound: set[str] = set()
    loaded: set[str] = set()
    asserts = 0
    todo: list = [tree]
    pop, push, extend = todo.pop, todo.append, todo.extend
    fields_of = _CHILD_FIELDS.get
    name_type, load_type, constant_type, binders = ast.Name, ast.Load, ast.Constant, _BINDERS
    while todo:
        node = pop()
        kind = type(node)
        if kind is name_type:
            if type(node.ctx) is load_type:
                loaded.add(node.id)
            else:
                bound.add(node.id)
            continue
        if kind is constant_type:
            continue
        if kind in binders:
            if kind is ast.Assert:
                asserts += 1
            elif kind in (ast.Global, ast.Nonlocal):
                bound.update(node.names)
            elif kind is ast.arg:
                bound.add(node.arg)
            elif kind is ast.alias:
                bound.add((node.asname or node.name).split(".")[0])
            elif getattr(node, "name", None):  # definitions, except handlers, match captures
                bound.add(node.name)
            elif getattr(node, "rest", None):  # a match mapping's **rest
                bound.add(node.rest)
        fields = fields_of(kind)
        if fields is None:
            fields = _child_fields(kind)
        for field_name in fields:
            value = getattr(node, field_name, None)
            if type(value) is list:
                extend(value)
            elif value is not None:
                push(value)
    return bound, loaded, asserts


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """``(bound, loaded)``: the names ``tree`` binds, and the names it reads, in one pass."""
    bound, loaded, _ = _scan(tree)
    return bound, loaded


def _imports(statements: Sequence[ast.stmt]) -> tuple[dict[str, str], dict[str, str]]:
    """``(name -> module, name -> module.attribute)`` bound by import statements."""
    modules: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for statement in statements:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    modules[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    modules[top] = top
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            for alias in statement.names:
                attributes[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    return modules, attributes


class _Names:
    """What each name in the tests means (see the module docstring)."""

    def __init__(
        self,
        *,
        candidate: str | None,
        entry_point: str | None,
        test_bound: set[str],
        imported_modules: dict[str, str],
        imported_attributes: dict[str, str],
        helper_names: frozenset[str],
        loaded: set[str],
    ) -> None:
        self.candidate = candidate
        self.entry_point = entry_point
        self.modules = dict(imported_modules)
        self.attributes = imported_attributes
        self.helpers = helper_names - {entry_point}
        self.test_bound = test_bound
        self.program: set[str] = set()
        self.implicit_modules: set[str] = set()
        for name in loaded - test_bound:
            if name == candidate:
                continue
            if name == entry_point:
                self.program.add(name)
            elif name in self.helpers:
                continue
            elif hasattr(builtins, name) or name.startswith("__"):
                continue
            elif name in STDLIB_MODULES:
                self.modules[name] = name
                self.implicit_modules.add(name)
            else:
                self.program.add(name)
        if entry_point and entry_point in test_bound:
            self.program.add(entry_point)
        # Probes need a look at the names they use only if some name of the tests cannot be
        # used in the program's process, or a module must be imported for them (else every
        # probe is fine as it is: the common case, which skips a walk per probe).
        self.probe_scan_needed = bool(self.implicit_modules) or any(
            not self.available_in_program_process(name) for name in loaded
        )

    def is_program(self, name: str) -> bool:
        return name == self.candidate or name in self.program

    def is_builtin(self, name: str) -> bool:
        return (
            hasattr(builtins, name)
            and name not in self.test_bound
            and name not in self.helpers
            and not self.is_program(name)
        )

    def available_in_program_process(self, name: str) -> bool:
        """Can a probe that uses ``name`` be evaluated in the program's process?"""
        if self.is_program(name) or name in self.modules or name in self.attributes:
            return True
        return self.is_builtin(name)

    def can_hold_a_test_value(self, name: str) -> bool:
        """May the tests bind ``name`` to a value the parent computes (no shadowing doubts)?

        A name the helpers also bind is fine: the tests' own binding hides the helpers' one.
        """
        return not (
            self.is_program(name)
            or name == self.entry_point
            or name in self.modules
            or name in self.attributes
            or hasattr(builtins, name)
            or name.startswith("__")
        )


# --- source text ------------------------------------------------------------------------------


class _SourceText:
    """A node's own source text, sliced from the tests (much cheaper than ``ast.unparse``).

    Used for single-line nodes of ASCII sources only, where AST column offsets are character
    offsets; anything else is unparsed.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.usable = source.isascii() and "\r" not in source and "\f" not in source
        self.starts: list[int] | None = None

    def segment(self, node: ast.AST) -> str | None:
        line = getattr(node, "lineno", None)
        if not self.usable or line is None or line != getattr(node, "end_lineno", None):
            return None
        if self.starts is None:
            starts = [0]
            position = self.source.find("\n")
            while position >= 0:
                starts.append(position + 1)
                position = self.source.find("\n", position + 1)
            self.starts = starts
        start = self.starts[line - 1]
        return self.source[start + node.col_offset : start + node.end_col_offset]

    def of(self, node: ast.AST, starts_with: str) -> str:
        """The source of ``node``, which must start with ``starts_with`` (a sanity check)."""
        text = self.segment(node)
        if text is not None and text.startswith(starts_with):
            return text
        return ast.unparse(node)


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes, range})
_PLAIN_CONTAINERS = frozenset({list, tuple, set, frozenset})


def _is_plain(value: Any, budget: evaluate.Budget | None = None, depth: int = 0) -> bool:
    """Is ``value`` plain data (no iterator or object), safe to keep and reuse in a plan?

    The items looked at are charged to ``budget``'s work (a plan may check a large value once
    per iteration of a loop).
    """
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if depth > wire.MAX_DEPTH:
        return False
    if kind in _PLAIN_CONTAINERS or kind is dict:
        if budget is not None:
            budget.work -= len(value)
            if budget.work < 0:
                raise NotParentCheckable("planning these tests would take too long")
        if kind is dict:
            return all(
                _is_plain(key, budget, depth + 1) and _is_plain(item, budget, depth + 1)
                for key, item in value.items()
            )
        if set(map(type, value)) <= _PLAIN_SCALARS:
            return True
        return all(_is_plain(item, budget, depth + 1) for item in value)
    return False


def _holds_comprehension(tree: tuple) -> bool:
    todo = [tree]
    while todo:
        node = todo.pop()
        if node is None:
            continue
        if node[0] in ("listcomp", "setcomp", "genexp", "dictcomp"):
            return True
        todo.extend(evaluate.node_children(node))
    return False


def _estimated_bytes(value: object, limit: int) -> int:
    """About how many bytes ``value`` takes, counted up to a little past ``limit``."""
    total = 0
    todo = [value]
    seen: set[int] = set()
    while todo and total <= limit:
        item = todo.pop()
        kind = type(item)
        if kind in (str, bytes):
            total += 50 + len(item)
        elif kind in _PLAIN_CONTAINERS or kind is dict:
            if id(item) in seen:
                continue
            seen.add(id(item))
            total += 64 + 8 * len(item)
            todo.extend(item.items() if kind is dict else item)
        elif kind is int:
            total += 28 + item.bit_length() // 8
        else:
            total += 32
    return total


# --- parent-side trees ------------------------------------------------------------------------


def _program_reference(node: ast.expr) -> str | None:
    """The root name of ``name``, ``name.attr...`` or a call of one of those, else None.

    Only these are probes. Anything done to the *result* of a call -- ``f(x).startswith("a")``,
    ``f(x).real`` -- must be done on plain data, by the parent or the checker: evaluated next to
    the program, a result object could answer ``startswith`` with True whatever it holds.
    """
    if isinstance(node, ast.Call):
        node = node.func
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


_COMPREHENSION_KINDS = {
    ast.ListComp: "listcomp",
    ast.SetComp: "setcomp",
    ast.GeneratorExp: "genexp",
    ast.DictComp: "dictcomp",
}
_LITERAL_TYPES = frozenset({int, bool, float, complex, str, bytes, type(None)})
_CONSUMERS = frozenset(
    {"all", "any", "dict", "frozenset", "list", "max", "min", "set", "sorted", "sum", "tuple"}
)
"""Functions that consume a generator argument at once (so it may sit in a comprehension)."""

_FIXED_HASH_TYPES = frozenset({bool, int, float})
"""Types whose hash is the same in every process (str and bytes hashes are salted per process,
and None's is its address before Python 3.12)."""


def _has_fixed_hash(value: object) -> bool:
    kind = type(value)
    if kind is tuple:
        return all(_has_fixed_hash(item) for item in value)
    return kind in _FIXED_HASH_TYPES


def _display_order(value: set) -> list | None:
    """An order of ``value``'s items whose set display iterates as ``value`` does in any
    process, or None if none is found.

    The items' hashes must not depend on the process, and both ways CPython builds a set display
    -- adding the items one by one (two items, or items that are not constants) and merging a
    frozenset constant into an empty set (more) -- must give back ``value``'s order. A set's
    order depends on its table's history: ``{8, 0}`` and ``{0, 8}`` iterate differently, colliding
    items iterate in an order their insertion order decides (the reverse of the iteration order
    may be the one that rebuilds it), and a set left from a larger one can iterate in an order no
    display of its items gives.
    """
    order = list(value)
    if len(order) < 2:
        return order
    if not all(_has_fixed_hash(item) for item in order):
        return None
    for items in (order, order[::-1]):
        added: set = set()
        for item in items:
            added.add(item)
        merged: set = set()
        merged.update(frozenset(items))
        if list(added) == order and list(merged) == order:
            return items
    return None


class _TreeBuilder:
    """Builds evaluator trees and probe sources; holds the test values known at this point."""

    def __init__(self, names: _Names, text: _SourceText, env: dict[str, object]) -> None:
        self.names = names
        self.text = text
        self.env = env
        self.probes: list[str] = []
        self.probe_arguments: list[tuple[ast.AST, dict[str, object]]] = []
        self.modules_in_probes: set[str] = set()
        self.scopes: list[set[str]] = []
        self.in_comprehension = 0
        self.no_probes = 0
        self.comprehensions = 0
        self.failed_fold = -1  # the count of comprehensions when computing one last failed
        self.consumed_generator: ast.expr | None = None
        self.literal_chars_left = MAX_LITERAL_CHARS
        self.budget = evaluate.Budget(work=MAX_PLAN_WORK)
        self.nodes_left = MAX_PLAN_NODES
        self.depth = 0
        self.pruned = False  # a branch Python would skip was left out
        self.held_bytes = 0  # computed test values the plan may hold (estimated)

    # -- probes --

    def probe(self, node: ast.expr, root: str) -> tuple:
        if self.no_probes:
            raise NotParentCheckable("a test value computed from a call of the program")
        if self.in_comprehension:
            raise NotParentCheckable("a call of the program inside a comprehension")
        uses_test_values = False
        if self.names.probe_scan_needed:
            inner_bound, inner_loaded = _names(node)
            for name in inner_loaded - inner_bound:
                if name in self.env:
                    uses_test_values = True
                elif not self.names.available_in_program_process(name):
                    raise NotParentCheckable(f"the call uses {name!r} from the tests")
                elif name in self.names.implicit_modules:
                    self.modules_in_probes.add(name)
            if uses_test_values and not inner_bound.isdisjoint(self.env):
                raise NotParentCheckable("a name bound inside the call hides a test value")
        if uses_test_values:
            source, sent, values = self.substituted(node)
            self.probe_arguments.append((sent, values))
        else:
            source = self.text.of(node, root)
            self.probe_arguments.append((node, _NO_VALUES))
        self.probes.append(source)
        return ("probe", len(self.probes) - 1)

    def substituted(self, node: ast.expr) -> tuple[str, ast.AST, dict[str, object]]:
        """``(source, tree, values)`` of the probe with every test value it uses written as a
        literal: the source to send, its tree with placeholder names, and their values.

        A literal is parenthesised where it would not be one operand (``(-2) ** t``,
        ``(258).to_bytes(2, 'big')``), and the source is parsed again to make sure it is still a
        call of the program that reads no other name (see :meth:`check_rebuilt`).
        """
        literals: list[str] = []
        values: dict[str, object] = {}
        using = _nodes_using(node, self.env)
        rewritten = self.rewrite(node, literals, values, using, is_probe=True)
        text = ast.unparse(rewritten)
        found = sorted(int(index) for index in _PLACEHOLDERS.findall(text))
        if found != list(range(len(literals))):
            # The tests themselves hold text like a placeholder: the splice would be ambiguous.
            raise NotParentCheckable("the tests use the planner's placeholder names")

        def splice(match: re.Match) -> str:
            literal = literals[int(match[1])]
            after = text[match.end() : match.end() + 4]
            # Only attribute access, subscripts, calls and ** bind tighter than a unary minus,
            # and only an attribute access changes an int literal (258.to_bytes).
            if (literal[0] == "-" and after.startswith((".", "[", "(", " ** "))) or (
                literal[0].isdigit() and after.startswith(".")
            ):
                return f"({literal})"
            return literal

        source = _PLACEHOLDERS.sub(splice, text)
        if len(source) > MAX_PROBE_CHARS:
            raise NotParentCheckable("a call with very large test values")
        self.check_rebuilt(source, node)
        return source, rewritten, values

    def check_rebuilt(self, source: str, original: ast.expr) -> None:
        """Refuse a rebuilt probe that does not parse, or is no longer the same program call.

        A safety net under the parentheses: a probe that does not compile must never reach the
        program's process, where it would be blamed on the program.
        """
        try:
            with _PARSE_LOCK:
                parsed = ast.parse(source, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise NotParentCheckable("a call whose rebuilt source does not parse") from None
        root = _program_reference(parsed)
        if type(parsed) is not type(original) or root != _program_reference(original):
            raise NotParentCheckable("a call whose rebuilt source means something else")
        bound, loaded = _names(parsed)
        original_bound, original_loaded = _names(original)
        if not (bound <= original_bound and loaded <= original_loaded - self.env.keys()):
            raise NotParentCheckable("a call whose rebuilt source reads other names")

    def rewrite(
        self,
        node: ast.AST,
        literals: list[str],
        values: dict[str, object],
        using: set[int],
        *,
        is_probe: bool = False,
        depth: int = 0,
    ) -> ast.AST:
        """``node`` with its largest parts that use test values replaced by placeholders.

        A part is computed in the parent only if it needs no probe; otherwise its own parts are
        tried, down to the names (``candidate(x, x + 1)`` gives ``candidate(2, 3)``).
        ``using`` holds the ids of the nodes that use test values (:func:`_nodes_using`).
        """
        if id(node) not in using:
            return node
        self.charge(1)
        if type(node) is ast.Name:
            return self.placeholder(self.env[node.id], literals, values)  # type: ignore[attr-defined]
        if type(node) is ast.JoinedStr:
            # Python 3.10 and 3.11 cannot parse a literal with the f-string's own quotes in it.
            raise NotParentCheckable("a test value inside an f-string")
        if depth > MAX_EXPRESSION_DEPTH:
            raise NotParentCheckable("a call too deeply nested")
        if isinstance(node, ast.expr) and not is_probe:
            root = _program_reference(node)
            if root is None or not self.names.is_program(root):
                try:
                    value = self.constant(node)
                except NotParentCheckable:
                    pass
                else:
                    return self.placeholder(value, literals, values)
        changes = {}
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                new = self.rewrite(value, literals, values, using, depth=depth + 1)
                if new is not value:
                    changes[name] = new
            elif type(value) is list:
                items = [
                    self.rewrite(item, literals, values, using, depth=depth + 1)
                    if isinstance(item, ast.AST)
                    else item
                    for item in value
                ]
                if any(new is not old for new, old in zip(items, value, strict=True)):
                    changes[name] = items
        if not changes:
            return node
        fields = {name: getattr(node, name, None) for name in node._fields}
        fields.update(changes)
        return type(node)(**fields)

    def placeholder(
        self, value: object, literals: list[str], values: dict[str, object]
    ) -> ast.Name:
        literals.append(self.literal(value))
        name = f"{_PLACEHOLDER}{len(literals) - 1}_"
        values[name] = value
        return ast.Name(id=name, ctx=ast.Load())

    def literal(self, value: Any, depth: int = 0) -> str:
        """Source that evaluates to exactly ``value`` without looking up any name."""
        kind = type(value)
        if value is None or kind is bool:
            text = repr(value)
        elif kind is int:
            if value.bit_length() > MAX_LITERAL_INT_BITS:
                raise NotParentCheckable("an int too large for a literal")
            text = repr(value)
        elif kind is float:
            if math.isnan(value):
                raise NotParentCheckable("nan has no literal")
            text = repr(value) if math.isfinite(value) else "-1e999" if value < 0 else "1e999"
        elif kind is str or kind is bytes:
            if len(value) > self.literal_chars_left:
                raise NotParentCheckable("test values too large to send as literals")
            text = repr(value)
        elif kind in (list, tuple, set, dict):
            if depth > wire.MAX_DEPTH or len(value) > self.literal_chars_left:
                raise NotParentCheckable("test values too large or too deep to send as literals")
            self.literal_chars_left -= 2 * len(value) + 2
            if kind is dict:
                parts = [
                    f"{self.literal(key, depth + 1)}: {self.literal(item, depth + 1)}"
                    for key, item in value.items()
                ]
                return "{" + ", ".join(parts) + "}"
            if kind is set:
                # Only where the program's process rebuilds the set's own order: a test may
                # compare with ``list(s)``.
                items = _display_order(value)
                if items is None:
                    raise NotParentCheckable("a set whose order could differ in the program")
                value = items
            parts = [self.literal(item, depth + 1) for item in value]
            if kind is list:
                return "[" + ", ".join(parts) + "]"
            if kind is tuple:
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
            return "{" + ", ".join(parts) + "}" if parts else "{*()}"
        else:
            raise NotParentCheckable(f"a {kind.__name__} value has no literal")
        self.literal_chars_left -= len(text)
        if self.literal_chars_left < 0:
            raise NotParentCheckable("test values too large to send as literals")
        return text

    # -- budget --

    def charge(self, nodes: int) -> None:
        self.nodes_left -= nodes
        if self.nodes_left < 0:
            raise NotParentCheckable("planning these tests would take too long")

    def evaluate_now(self, tree: tuple) -> object:
        """The value of a probe-free tree, computed while planning (within the plan's budget)."""
        return evaluate.evaluate(tree, (), self.budget)

    def computed(self, value: object) -> None:
        """Count a computed test value the plan may keep (for the plan cache's bound)."""
        if self.held_bytes <= MAX_CACHED_PLAN_BYTES:
            self.held_bytes += _estimated_bytes(value, MAX_CACHED_PLAN_BYTES)

    # -- test values --

    def constant(self, node: ast.expr) -> object:
        """The value of an expression that needs no probe, computed now."""
        self.no_probes += 1
        comprehensions = self.comprehensions
        try:
            tree = self.tree(node)
        finally:
            self.no_probes -= 1
        if self.failed_fold > comprehensions:
            raise NotParentCheckable("a test value whose comprehension could not be computed")
        try:
            value = self.evaluate_now(tree)
        except Exception as exc:
            raise NotParentCheckable(f"a test value that raises {type(exc).__name__}") from None
        return value

    # -- trees --

    def tree(self, node: ast.expr) -> tuple:
        """The evaluator tree of ``node``; comprehensions are computed at once (see below).

        Constants are the most common node and come first; they are charged to the plan's
        budget by the node that holds them (see :meth:`parts`).
        """
        if type(node) is ast.Constant and type(node.value) in _LITERAL_TYPES:
            return ("const", node.value)
        self.nodes_left -= 1
        self.depth += 1
        try:
            if self.nodes_left < 0 or self.depth > MAX_EXPRESSION_DEPTH:
                raise NotParentCheckable("an expression too large or too deep to plan")
            if self.in_comprehension:
                return self.parts(node)
            probes, comprehensions = len(self.probes), self.comprehensions
            built = self.parts(node)
            # A part of the test built with a comprehension but no probe is computed now, once:
            # evaluating tests later never runs a comprehension, and a value that cannot be kept
            # (a generator) is left for the enclosing expression (``sum(i for i in r)``). A part
            # that raised is not tried again for each enclosing expression.
            if (
                comprehensions != self.comprehensions
                and probes == len(self.probes)
                and self.failed_fold <= comprehensions
            ):
                try:
                    value = self.evaluate_now(built)
                except Exception as exc:
                    del exc
                    self.failed_fold = self.comprehensions
                else:
                    if _is_plain(value, self.budget):
                        self.computed(value)
                        return ("const", value)
            return built
        finally:
            self.depth -= 1

    def parts(self, node: ast.expr) -> tuple:
        """The tree of a node that is not a plain constant (exact type tests, most common first:
        this runs for every node of every new test, on the caller's thread)."""
        kind = type(node)
        if kind is ast.Call or kind is ast.Name or kind is ast.Attribute:
            root = _program_reference(node)
            if root is not None and self.names.is_program(root):
                return self.probe(node, root)
        if kind is ast.Compare:
            return self.compare(node)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self.call(node)  # type: ignore[arg-type]
        if kind is ast.Name:
            return self.name(node.id)  # type: ignore[attr-defined]
        if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
            elements = node.elts  # type: ignore[attr-defined]
            self.nodes_left -= len(elements)  # checked by the next tree() call
            if any(type(item) is ast.Starred for item in elements):
                raise NotParentCheckable("a starred item")
            name = "list" if kind is ast.List else "tuple" if kind is ast.Tuple else "set"
            return (name, [self.tree(item) for item in elements])
        if kind is ast.UnaryOp and type(node.op).__name__ in evaluate.UNARY:  # type: ignore[attr-defined]
            return ("unary", type(node.op).__name__, self.tree(node.operand))  # type: ignore[attr-defined]
        if kind is ast.BinOp and type(node.op).__name__ in evaluate.BINARY:  # type: ignore[attr-defined]
            op = type(node.op).__name__  # type: ignore[attr-defined]
            return ("binary", op, self.tree(node.left), self.tree(node.right))  # type: ignore[attr-defined]
        if kind is ast.Constant:
            if isinstance(node.value, (int, float, complex, str, bytes, type(None))):  # type: ignore[attr-defined]
                return ("const", node.value)  # type: ignore[attr-defined]
            raise NotParentCheckable("an unusual constant")
        if kind is ast.Attribute:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is ast.Name and self.names.modules.get(value.id) == "math":
                if f"math.{node.attr}" in evaluate.NAMES:  # type: ignore[attr-defined]
                    return ("name", f"math.{node.attr}")  # type: ignore[attr-defined]
            raise NotParentCheckable("an attribute")
        if kind is ast.Dict:
            self.nodes_left -= 2 * len(node.keys)  # type: ignore[attr-defined]
            if any(key is None for key in node.keys):  # type: ignore[attr-defined]
                raise NotParentCheckable("a ** in a dict display")
            keys, values = [], []
            for key, value in zip(node.keys, node.values, strict=True):  # type: ignore[attr-defined]
                keys.append(self.tree(key))  # Python's order: key, value, key, value
                values.append(self.tree(value))
            return ("dict", keys, values)
        if kind is ast.Subscript:
            return ("subscript", self.tree(node.value), self.tree(node.slice))  # type: ignore[attr-defined]
        if kind is ast.Slice:
            parts = (node.lower, node.upper, node.step)  # type: ignore[attr-defined]
            return ("slice", *(None if part is None else self.tree(part) for part in parts))
        if kind is ast.BoolOp:
            return self.boolean(node)  # type: ignore[arg-type]
        if kind is ast.IfExp:
            return self.conditional(node)  # type: ignore[arg-type]
        if kind in _COMPREHENSION_KINDS:
            return self.comprehension(node)  # type: ignore[arg-type]
        raise NotParentCheckable(f"a {kind.__name__} expression")

    def boolean(self, node: ast.BoolOp) -> tuple:
        """``and`` / ``or``, keeping only the operands Python evaluates.

        Every probe runs in the program's process, whatever the parent later finds, so a probe
        Python would skip (``n == 0 or f(n) == n`` for ``n = 0``) must not be sent: each operand
        that decides whether the next one runs is computed now, and must need no probe (else
        whether a call happens would depend on an earlier result: the checker plan).
        """
        op = type(node.op).__name__
        self.nodes_left -= len(node.values)
        if self.in_comprehension or self.no_probes:  # no probe can be in it: evaluate lazily
            return ("bool", op, [self.tree(value) for value in node.values])
        last = len(node.values) - 1
        for position, operand in enumerate(node.values):
            probes = len(self.probes)
            tree = self.tree(operand)
            if position == last:
                return tree
            if len(self.probes) != probes:
                raise NotParentCheckable(f"an '{op.lower()}' whose course depends on a call")
            value = self.decided(tree)
            if bool(value) != (op == "And"):  # Python stops at this operand: it is the value
                self.pruned = True
                return ("const", value)
        raise AssertionError("unreachable")  # pragma: no cover - a BoolOp has two operands

    def conditional(self, node: ast.IfExp) -> tuple:
        """``x if c else y``, keeping only the branch Python takes (see :meth:`boolean`)."""
        if self.in_comprehension or self.no_probes:
            return ("ifexp", self.tree(node.test), self.tree(node.body), self.tree(node.orelse))
        probes = len(self.probes)
        test = self.tree(node.test)
        if len(self.probes) != probes:
            raise NotParentCheckable("a conditional expression whose test calls the program")
        self.pruned = True
        return self.tree(node.body if self.decided(test) else node.orelse)

    def decided(self, tree: tuple) -> object:
        """The value of a probe-free operand that decides what Python evaluates next."""
        try:
            value = self.evaluate_now(tree)
        except Exception as exc:
            raise NotParentCheckable(f"a condition that raises {type(exc).__name__}") from None
        if not _is_plain(value, self.budget):
            raise NotParentCheckable("a condition whose value is not plain data")
        return value

    def name(self, name: str) -> tuple:
        """A comprehension's variable, a test value, or a builtin type or constant."""
        if self.scopes and any(name in scope for scope in self.scopes):
            return ("var", name)
        if name in self.env:
            return ("const", self.env[name])
        if self.names.is_builtin(name) and name in evaluate.NAMES:
            return ("name", name)
        raise NotParentCheckable(f"the name {name!r}")

    def compare(self, node: ast.Compare) -> tuple:
        self.nodes_left -= len(node.ops)
        if len(node.ops) == 1 and type(node.ops[0]) is ast.Eq:  # the most common test, first
            return ("compare", self.tree(node.left), ["Eq"], [self.tree(node.comparators[0])])
        ops = [type(op).__name__ for op in node.ops]
        operands = [node.left, *node.comparators]
        for index, op in enumerate(ops):
            if op in ("Is", "IsNot"):
                pair = operands[index : index + 2]
                singleton = any(
                    isinstance(side, ast.Constant) and type(side.value) in (bool, type(None))
                    for side in pair
                )
                if not singleton:
                    raise NotParentCheckable("'is' with something other than None/True/False")
        return ("compare", self.tree(node.left), ops, [self.tree(c) for c in node.comparators])

    def function_name(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            if self.names.is_builtin(node.id) and node.id in evaluate.FUNCTIONS:
                return node.id
            attribute = self.names.attributes.get(node.id)
            if attribute in evaluate.FUNCTIONS:
                return attribute
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if self.names.modules.get(node.value.id) == "math":
                qualified = f"math.{node.attr}"
                if qualified in evaluate.FUNCTIONS:
                    return qualified
        raise NotParentCheckable("a function the parent does not evaluate")

    def call(self, node: ast.Call) -> tuple:
        name = self.function_name(node.func)
        self.nodes_left -= len(node.args) + len(node.keywords)
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise NotParentCheckable("a starred argument")
        allowed = evaluate.KEYWORDS.get(name, frozenset())
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in allowed:
                raise NotParentCheckable(f"keyword {keyword.arg!r} of {name}")
        args = []
        for arg in node.args:  # positional arguments first, as Python evaluates them
            if type(arg) is ast.GeneratorExp and name in _CONSUMERS:
                self.consumed_generator = arg
            args.append(self.tree(arg))
        kwargs = {keyword.arg: self.tree(keyword.value) for keyword in node.keywords}
        return ("call", name, args, kwargs)

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> tuple:
        """A comprehension over test values (no probe anywhere in it, its first iterable too)."""
        kind = _COMPREHENSION_KINDS[type(node)]
        if kind == "genexp" and self.in_comprehension and node is not self.consumed_generator:
            # A generator kept past its iteration would see later values of the variables.
            raise NotParentCheckable("a generator expression that is not consumed at once")
        self.comprehensions += 1
        self.in_comprehension += 1
        scope: set[str] = set()
        try:
            generators = []
            for index, generator in enumerate(node.generators):
                if generator.is_async:
                    raise NotParentCheckable("an async comprehension")
                target = _target_names(generator.target)
                iterable = self.tree(generator.iter)
                if index == 0:
                    self.scopes.append(scope)
                scope.update([target] if isinstance(target, str) else target)
                conditions = [self.tree(condition) for condition in generator.ifs]
                generators.append(("for", target, iterable, conditions))
            if kind == "dictcomp":
                return (kind, self.tree(node.key), self.tree(node.value), generators)
            return (kind, self.tree(node.elt), generators)
        finally:
            if self.scopes and self.scopes[-1] is scope:
                self.scopes.pop()
            self.in_comprehension -= 1


def _target_names(target: ast.expr) -> str | tuple[str, ...]:
    """A loop or comprehension target: a name, or a flat tuple of names."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, (ast.Tuple, ast.List)) and all(
        isinstance(item, ast.Name) for item in target.elts
    ):
        return tuple(item.id for item in target.elts)  # type: ignore[attr-defined]
    raise NotParentCheckable("a target other than names")


# --- statements -------------------------------------------------------------------------------


# --- leaks: a later call must not spell out an earlier expected value ------------------------

_NO_VALUES: dict[str, object] = {}
"""The literal values of a probe sent as the tests wrote it: none (never written to)."""

_UNSPELLED = object()
"""What a part of a probe's arguments that is not a literal display spells as a whole."""

_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})
_SIZED_KEYS = _CONTAINERS | {str, bytes}


def _is_secret(value: object) -> bool:
    """Could a program not guess ``value`` without being shown it?

    Everything counts but None, bools, numbers equal to an int in -9..9 and empty strings and
    containers. Chosen with data (the strictest rule that keeps at least ~150 of HumanEval's 164
    problems parent-checked): counting every constant leaves 125 of 164 parent-checked, leaving
    out only bools, None and -1..1 leaves 140, this rule 155.
    """
    kind = type(value)
    if kind is str:
        return value != ""
    if kind is int:
        return not -9 <= value <= 9  # type: ignore[operator]
    if kind in _SIZED_KEYS or kind is _DictKey:
        return len(value) > 0  # type: ignore[arg-type]
    if value is None or kind is bool:
        return False
    if kind is float:
        return not (value.is_integer() and -9 <= value <= 9)  # type: ignore[attr-defined,operator]
    return True


class _Audit:
    """What is left of the values the leak audit may look at."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_AUDITED_VALUES

    def charge(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise NotParentCheckable("expected values too large to audit for leaks")


def _value_key(value: object, shown: dict, index: int, audit: _Audit) -> object:
    """A hashable stand-in for ``value`` that equal values share (a list and a tuple with the
    same items too: the program could turn one into the other). ``value`` and everything inside
    it are noted in ``shown`` as shown by probe ``index`` unless an earlier probe showed them."""
    kind = type(value)
    if kind not in _CONTAINERS:
        key = value
    else:
        audit.charge(len(value))  # type: ignore[arg-type]
        if kind is dict:
            key = _DictKey(
                (_value_key(k, shown, index, audit), _value_key(v, shown, index, audit))
                for k, v in value.items()  # type: ignore[attr-defined]
            )
        elif kind is set or kind is frozenset:
            key = frozenset(_value_key(item, shown, index, audit) for item in value)  # type: ignore[attr-defined]
        else:
            key = tuple(_value_key(item, shown, index, audit) for item in value)  # type: ignore[attr-defined]
    if key not in shown:
        shown[key] = index
    return key


class _DictKey(frozenset):
    """The key of a dict: its items (a set of pairs, told apart from a set of tuples)."""

    __slots__ = ()


def _spelled(
    node: ast.AST, literals: dict[str, object], shown: dict, index: int, audit: _Audit, depth: int
) -> object:
    """The key of the value a probe's argument spells (:data:`_UNSPELLED` for one that is not a
    literal display); every constant and display in it is noted in ``shown`` (see
    :func:`_value_key`)."""
    kind = type(node)
    if kind is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        if value not in shown:
            shown[value] = index
        return value
    if kind is ast.Name:
        if node.id in literals:  # type: ignore[attr-defined]
            return _value_key(literals[node.id], shown, index, audit)  # type: ignore[attr-defined]
        return _UNSPELLED
    audit.charge(1)
    if depth > MAX_EXPRESSION_DEPTH:
        raise NotParentCheckable("a call too deeply nested to audit for leaks")
    if kind is ast.UnaryOp and type(node.op) in (ast.USub, ast.UAdd):  # type: ignore[attr-defined]
        operand = _spelled(node.operand, literals, shown, index, audit, depth + 1)  # type: ignore[attr-defined]
        if type(operand) not in (int, float, complex):
            return _UNSPELLED
        value = -operand if type(node.op) is ast.USub else +operand  # type: ignore[attr-defined,operator]
        return _value_key(value, shown, index, audit)
    if kind in (ast.List, ast.Tuple, ast.Set):
        parts = []
        spelled = True
        for item in node.elts:  # type: ignore[attr-defined]
            if type(item) is ast.Constant:  # the common case, inline
                value = item.value
                if value not in shown:
                    shown[value] = index
            else:
                value = _spelled(item, literals, shown, index, audit, depth + 1)
                spelled = spelled and value is not _UNSPELLED
            parts.append(value)
        if not spelled:
            return _UNSPELLED
        key: object = frozenset(parts) if kind is ast.Set else tuple(parts)
    elif kind is ast.Dict:
        pairs = [
            (
                _UNSPELLED if k is None else _spelled(k, literals, shown, index, audit, depth + 1),
                _spelled(v, literals, shown, index, audit, depth + 1),
            )
            for k, v in zip(node.keys, node.values, strict=True)  # type: ignore[attr-defined]
        ]
        if any(part is _UNSPELLED for pair in pairs for part in pair):
            return _UNSPELLED
        key = _DictKey(pairs)
    else:
        for child in ast.iter_child_nodes(node):
            _spelled(child, literals, shown, index, audit, depth + 1)
        return _UNSPELLED
    if key not in shown:
        shown[key] = index
    return key


def _expected_secrets(
    checks: Sequence[ParentCheck], first_probes: Sequence[int | None], audit: _Audit
) -> dict:
    """The keys of the values the checks compare with (and of everything inside them) that
    :func:`_is_secret`, each with the first probe of the first check that uses it."""
    expected: dict = {}
    containers: set[int] = set()  # each container is looked at once (the first check is earliest)
    for check, first in zip(checks, first_probes, strict=True):
        if first is None:
            continue  # a check with no probe does not depend on the program
        tree = check.tree
        # The common shape, ``probe == constant``, without the general walk.
        todo = [tree[1], *tree[3]] if tree[0] == "compare" else [tree]
        while todo:
            node = todo.pop()
            kind = node[0]
            if kind == "const":
                value = node[1]
                if type(value) in _CONTAINERS:
                    if id(value) in containers:
                        continue
                    containers.add(id(value))
                    parts: dict = {}
                    _value_key(value, parts, first, audit)
                    for key in parts:
                        if key not in expected and _is_secret(key):
                            expected[key] = first
                elif value not in expected and _is_secret(value):
                    expected[value] = first
            elif kind != "probe" and kind != "name":
                todo.extend(child for child in evaluate.node_children(node) if child is not None)
    return expected


_NEVER = -1


def _leak_boundaries(
    checks: Sequence[ParentCheck], first_probes: Sequence[int | None], builder: _TreeBuilder
) -> tuple[int, ...]:
    """The probes that would show the program an expected value of an earlier check (or of its
    own check, which Python evaluates before that probe runs) that no probe showed it before.

    The program's process gets every probe at once, so a program can read the probes still to
    come (walking its frames to the harness's job) and answer ``encode(plain)`` with the
    argument of the next probe, ``decode(cipher)``. Each such probe starts a new *stage*: the
    program gets it only once it has answered every earlier probe, as Python would have made
    those calls before. A value counts as shown early when the
    first probe that spells it comes after the check's first probe: one the program was already
    given (an item of its own input) tells it nothing new. Values are compared by equality (a
    tuple and a list with the same items alike), constants and whole displays, leaving out
    those :func:`_is_secret` says a program could guess.
    """
    probe_arguments = builder.probe_arguments
    if len(probe_arguments) < 2:
        return ()
    audit = _Audit()
    expected = _expected_secrets(checks, first_probes, audit)
    if not expected:
        return ()  # a third of HumanEval's tests: only guessable values are expected
    shown: dict = {}  # what the probes spell -> the first probe that spells it
    for index, (node, literals) in enumerate(probe_arguments):
        if type(node) is not ast.Call:
            continue
        for argument in node.args:  # type: ignore[attr-defined]
            if type(argument) is ast.Constant:  # the common case, inline
                if argument.value not in shown:
                    shown[argument.value] = index
            else:
                _spelled(argument, literals, shown, index, audit, 0)
        for keyword in node.keywords:  # type: ignore[attr-defined]
            _spelled(keyword.value, literals, shown, index, audit, 0)
    return tuple(
        sorted({shown[key] for key, first in expected.items() if shown.get(key, _NEVER) > first})
    )


def _nodes_using(node: ast.AST, names: Container[str]) -> set[int]:
    """The ids of ``node`` and of its parts that read one of ``names`` (in them or below them).

    One walk, so that rewriting a probe does not walk each part again (a deep expression would
    cost its depth times its size).
    """
    parents: dict[int, int] = {}
    using: set[int] = set()
    todo: list = [node]
    fields_of = _CHILD_FIELDS.get
    while todo:
        current = todo.pop()
        kind = type(current)
        if kind is ast.Name:
            if current.id in names and type(current.ctx) is ast.Load:
                key: int | None = id(current)
                while key is not None and key not in using:
                    using.add(key)
                    key = parents.get(key)
            continue
        fields = fields_of(kind)
        if fields is None:
            fields = _child_fields(kind)
        for field_name in fields:
            value = getattr(current, field_name, None)
            for child in value if type(value) is list else (value,):
                if isinstance(child, ast.AST):
                    parents[id(child)] = id(current)
                    todo.append(child)
    return using


class _Unroller:
    """Walks a check's statements in order, as running them would.

    Asserts become checks, loops are unrolled, and assignments bind test values for the
    statements after them.
    """

    def __init__(self, builder: _TreeBuilder) -> None:
        self.builder = builder
        self.checks: list[ParentCheck] = []
        self.first_probes: list[int | None] = []  # per check: the index of its first probe
        self.bindings: list[tuple[str, object]] = []
        self.unrolled = 0
        self.statements_left = MAX_PLAN_STATEMENTS
        self.computes_values = False
        self.stages: tuple[int, ...] = ()  # set by finish()

    def statements(self, body: Iterable[ast.stmt], *, top: bool) -> None:
        for statement in body:
            self.statements_left -= 1
            if self.statements_left < 0:
                raise NotParentCheckable("loops that run too many statements to plan")
            if isinstance(statement, ast.Assert):
                self.add(statement)
            elif isinstance(statement, ast.For):
                self.loop(statement)
            elif isinstance(statement, ast.Assign):
                self.assign(statement)
            elif isinstance(statement, ast.Pass) or (
                isinstance(statement, ast.Expr) and _has_no_effect(statement.value)
            ):
                continue
            elif top and isinstance(statement, (ast.Import, ast.ImportFrom)):
                continue  # the prelude runs them
            else:
                raise NotParentCheckable(f"a {type(statement).__name__} statement")

    def add(self, node: ast.Assert) -> None:
        """One check for the assertion; probe-free ones that hold are dropped (``assert True``)."""
        builder = self.builder
        if self.bindings:
            self.unrolled += 1
            if self.unrolled > MAX_UNROLLED_ASSERTS:
                raise NotParentCheckable("loops that unroll to too many asserts")
        probes, comprehensions = len(builder.probes), builder.comprehensions
        tree = builder.tree(node.test)
        if comprehensions != builder.comprehensions and _holds_comprehension(tree):
            raise NotParentCheckable("a comprehension that could not be computed in advance")
        if len(builder.probes) == probes:
            try:
                if builder.evaluate_now(tree):
                    return
            except evaluate.EvaluationLimit:
                raise NotParentCheckable("an assertion too costly to compute") from None
            except Exception as exc:
                del exc
        assertion = builder.text.segment(node.test)
        check = ParentCheck(
            node.test if assertion is None else assertion, tree, tuple(self.bindings)
        )
        self.checks.append(check)
        self.first_probes.append(probes if len(builder.probes) > probes else None)

    def local(self, name: str) -> str:
        if not self.builder.names.can_hold_a_test_value(name):
            raise NotParentCheckable(f"the tests bind {name!r}, which has another meaning")
        return name

    def assign(self, statement: ast.Assign) -> None:
        names = []
        for target in statement.targets:
            if type(target) is not ast.Name:
                raise NotParentCheckable("an assignment to something other than a name")
            names.append(self.local(target.id))
        builder = self.builder
        value = builder.constant(statement.value)
        if type(statement.value) is not ast.Name or statement.value.id not in builder.env:
            # (a test value is plain already: checking a large one again in a loop would be slow)
            if not _is_plain(value, builder.budget):
                raise NotParentCheckable("a test value that is not plain data")
            builder.computed(value)
        self.computes_values = True
        for name in names:
            builder.env[name] = value

    def loop(self, statement: ast.For) -> None:
        if statement.orelse:
            raise NotParentCheckable("a for loop with an else clause")
        target = _target_names(statement.target)
        names = [self.local(name) for name in ([target] if isinstance(target, str) else target)]
        builder = self.builder
        iterable = builder.constant(statement.iter)
        if type(iterable) in (set, frozenset):
            raise NotParentCheckable("a loop over a set (its order is not fixed)")
        try:
            items = list(itertools.islice(iterable, MAX_UNROLLED_ASSERTS + 1))
        except Exception as exc:
            raise NotParentCheckable(f"a loop whose iterable raises {type(exc).__name__}") from None
        if len(items) > MAX_UNROLLED_ASSERTS:
            raise NotParentCheckable("a loop with too many iterations")
        if not _is_plain(items, builder.budget):
            raise NotParentCheckable("a loop over values that are not plain data")
        builder.computed(items)
        self.computes_values = True
        env = builder.env
        for item in items:
            values = [item] if isinstance(target, str) else _unpacked(item, len(names))
            env.update(zip(names, values, strict=True))
            self.bindings.extend(zip(names, values, strict=True))
            self.statements(statement.body, top=False)
            del self.bindings[-len(names) :]

    def finish(self) -> list[ParentCheck]:
        if not self.builder.probes:
            if self.computes_values or self.builder.pruned:
                raise NotParentCheckable("no call of the program after unrolling")
            raise ValueError(
                "tests never call the program (no call to the entry point or a function)"
            )
        self.stages = _leak_boundaries(self.checks, self.first_probes, self.builder)
        return self.checks


def _unpacked(item: Any, count: int) -> list[object]:
    if type(item) not in (list, tuple, str, bytes, range):
        raise NotParentCheckable("a loop target unpacks something other than a sequence")
    if len(item) != count:
        raise NotParentCheckable("a loop target unpacks the wrong number of values")
    return list(item)


def _has_no_effect(node: ast.expr) -> bool:
    """A docstring, or a bare builtin name (HumanEval/129's check starts with a lone ``print``)."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Name) and hasattr(builtins, node.id)


# --- plans ------------------------------------------------------------------------------------


# CPython 3.11's AST conversion keeps its recursion depth per interpreter, not per thread:
# concurrent ast.parse calls (run_tests_many's threads) can fail with "SystemError: AST constructor
# recursion depth mismatch". Parsing test sources is cheap and cached, so serialise it.
_PARSE_LOCK = threading.Lock()


def _parse(source: str, what: str) -> ast.Module:
    try:
        with _PARSE_LOCK:
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{what} is not valid Python: {exc}") from None


@functools.lru_cache(maxsize=64)
def _helper_names(helpers: str | None) -> frozenset[str]:
    if helpers is None:
        return frozenset()
    return frozenset(_names(_parse(helpers, "helpers"))[0])


def _plan_items(
    items: tuple[str, ...], entry_point: str | None, helpers: str | None
) -> tuple[Plan, int]:
    """The plan for a list of assert strings, and about how many bytes it holds."""
    modules = []
    parsed: list[tuple[str, ast.Module]] = []
    for index, source in enumerate(items):
        module = _parse(source, f"tests[{index}]")
        if module.body and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in module.body):
            modules.append(source)
        elif module.body:
            parsed.append((source, module))
    prelude_nodes = [s for source in modules for s in _parse(source, "tests").body]
    imported_modules, imported_attributes = _imports(prelude_nodes)
    everything = ast.Module(body=[s for _, m in parsed for s in m.body] + prelude_nodes)
    candidate = "candidate" if entry_point else None
    test_bound, loaded, asserts = _scan(everything)
    if not asserts:
        raise ValueError("tests hold no assert statement")
    names = _Names(
        candidate=candidate,
        entry_point=entry_point,
        test_bound=test_bound,
        imported_modules=imported_modules,
        imported_attributes=imported_attributes,
        helper_names=_helper_names(helpers),
        loaded=loaded,
    )
    simple = all(len(m.body) == 1 and isinstance(m.body[0], ast.Assert) for _, m in parsed)
    if simple:
        builder = _TreeBuilder(names, _SourceText(""), {})
        unroller = _Unroller(builder)
        try:
            for source, module in parsed:
                builder.text = _SourceText(source)
                unroller.add(module.body[0])
            checks = unroller.finish()
        except (NotParentCheckable, RecursionError):
            pass
        else:
            implicit = tuple(f"import {m}" for m in sorted(builder.modules_in_probes))
            plan = ProbePlan(
                probes=tuple(builder.probes),
                prelude=tuple(modules) + implicit,
                candidate_name=candidate or "candidate",
                checks=tuple(checks),
                stages=unroller.stages,
                literal_calls=_literal_calls(builder),
            )
            return plan, _plan_bytes(builder)
    checker = CheckerPlan(
        style="items",
        tests=tuple(source for source, _ in parsed),
        prelude=tuple(modules),
        check_name="",
        modules=tuple(sorted(names.implicit_modules)),
        program_names=tuple(sorted(names.program)),
        helpers=helpers,
        total=len(parsed),
    )
    return checker, 0


def _check_function(module: ast.Module) -> ast.FunctionDef:
    checks = [s for s in module.body if isinstance(s, ast.FunctionDef) and s.name == "check"]
    if not checks:
        raise ValueError("tests source must define check(candidate)")
    check = checks[-1]
    arguments = check.args
    if len(arguments.posonlyargs) + len(arguments.args) != 1 or arguments.vararg:
        raise ValueError("check must take exactly one argument (the candidate function)")
    return check


def _module_constants(module: ast.Module, check: ast.FunctionDef) -> dict[str, object] | None:
    """The literal constants the module binds, or None if it does anything else."""
    constants: dict[str, object] = {}
    for statement in module.body:
        if statement is check or isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Assign) and all(
            isinstance(t, ast.Name) for t in statement.targets
        ):
            try:
                value = ast.literal_eval(statement.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                return None
            if not _is_plain(value):
                return None  # nested deeper than any value the plan keeps
            for target in statement.targets:
                constants[target.id] = value
            continue
        return None
    return constants


def _plan_check(source: str, entry_point: str, helpers: str | None) -> tuple[Plan, int]:
    """The plan for a ``check(candidate)`` source, and about how many bytes it holds."""
    module = _parse(source, "tests")
    check = _check_function(module)
    candidate = (check.args.posonlyargs + check.args.args)[0].arg
    import_nodes = [
        s for s in [*module.body, *check.body] if isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    imported_modules, imported_attributes = _imports(import_nodes)
    bound: set[str] = set()
    loaded: set[str] = set()
    check_bound: set[str] = set()
    assert_count = 0
    for statement in module.body:
        statement_bound, statement_loaded, asserts = _scan(statement)
        bound |= statement_bound
        loaded |= statement_loaded
        if statement is check:
            check_bound, assert_count = statement_bound, asserts
    names = _Names(
        candidate=candidate,
        entry_point=entry_point,
        test_bound=bound - {candidate},
        imported_modules=imported_modules,
        imported_attributes=imported_attributes,
        helper_names=_helper_names(helpers),
        loaded=loaded,
    )
    if not assert_count:
        raise ValueError("check(candidate) holds no assert statement")
    constants = _module_constants(module, check)
    if constants is not None and not check.decorator_list:
        # Module constants are seen by the check unless it binds the same name itself.
        env = {
            name: value
            for name, value in constants.items()
            if name not in check_bound and names.can_hold_a_test_value(name)
        }
        text = _SourceText(source)
        builder = _TreeBuilder(names, text, env)
        unroller = _Unroller(builder)
        try:
            unroller.statements(check.body, top=True)
            checks = unroller.finish()
        except (NotParentCheckable, RecursionError):
            # RecursionError: a last resort (expressions past MAX_EXPRESSION_DEPTH are refused
            # before), so that no shape of test can make planning raise.
            pass
        else:
            prelude = tuple(text.of(s, "") for s in import_nodes) + tuple(
                f"import {m}" for m in sorted(builder.modules_in_probes)
            )
            plan = ProbePlan(
                tuple(builder.probes),
                prelude,
                candidate,
                tuple(checks),
                unroller.stages,
                _literal_calls(builder),
            )
            return plan, _plan_bytes(builder)
    checker = CheckerPlan(
        style="check",
        tests=source,
        prelude=(),
        check_name=check.name,
        modules=tuple(sorted(names.implicit_modules)),
        program_names=tuple(sorted(names.program)),
        helpers=helpers,
        total=assert_count,
    )
    return checker, 0


class _PlanCache:
    """Plans by their tests, bounded in count and in estimated bytes; least recently used out.

    ``functools.lru_cache`` bounds only the count: 512 plans of a short test that computes
    ``list(range(10**6))`` would keep about 18 GB.
    """

    def __init__(self) -> None:
        self.entries: collections.OrderedDict[tuple, tuple[Plan, int]] = collections.OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Plan | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[0]

    def put(self, key: tuple, plan: Plan, size: int) -> None:
        if size > MAX_CACHED_PLAN_BYTES:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self.entries[key] = (plan, size)
            self.bytes += size
            while len(self.entries) > PLAN_CACHE_SIZE or self.bytes > MAX_CACHE_BYTES:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0


_CACHE = _PlanCache()
_SOURCE_BYTES_FACTOR = 12
"""About how many bytes a plan holds per character of its tests (trees of their constants)."""


_NOT_LITERAL = object()
_SIGNED_NUMBERS = frozenset({int, float, complex})


def _literal(node: ast.expr) -> object:
    """The value of a literal: a constant, a signed number, or a list, tuple or dict display of
    literals; :data:`_NOT_LITERAL` for anything else.

    Sets are not literals here: ``marshal`` rebuilds a set from its items in iteration order,
    which can change the order the set iterates in (see :func:`_holds_set_constant`). Each
    display gives a new object, as evaluating it would: a program that changes one argument
    changes no other.
    """
    kind = type(node)
    if kind is ast.Constant:
        return node.value
    if kind is ast.UnaryOp and type(node.operand) is ast.Constant:
        number = node.operand.value
        if type(number) in _SIGNED_NUMBERS:
            if type(node.op) is ast.USub:
                return -number
            if type(node.op) is ast.UAdd:
                return +number
        return _NOT_LITERAL
    if kind is ast.List or kind is ast.Tuple:
        items = [_literal(element) for element in node.elts]
        if _NOT_LITERAL in items:  # (an identity test first: no item's __eq__ is called)
            return _NOT_LITERAL
        return items if kind is ast.List else tuple(items)
    if kind is ast.Dict:
        display: dict = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # ``**spread``
                return _NOT_LITERAL
            key, value = _literal(key_node), _literal(value_node)
            if key is _NOT_LITERAL or value is _NOT_LITERAL:
                return _NOT_LITERAL
            try:
                display[key] = value
            except TypeError:  # an unhashable key: the sandbox raises it, evaluating the source
                return _NOT_LITERAL
        return display
    return _NOT_LITERAL


def _literal_call(node: ast.AST) -> tuple | None:
    """``(name, args, kwargs or None)`` if ``node`` calls a plain name with literal arguments
    only, else ``None``."""
    if type(node) is not ast.Call or type(node.func) is not ast.Name:
        return None
    names = [keyword.arg for keyword in node.keywords]
    if len(set(names)) != len(names) or None in names or "__debug__" in names:
        # ``**spread`` has no name; a repeated name or ``__debug__`` parses but does not
        # compile: sent as source, the sandbox reports it as an error of the tests
        return None
    try:
        args = tuple(_literal(argument) for argument in node.args)
        kwargs = {keyword.arg: _literal(keyword.value) for keyword in node.keywords}
    except RecursionError:
        return None
    if any(value is _NOT_LITERAL for value in itertools.chain(args, kwargs.values())):
        return None  # (``*args`` is a Starred node, no literal)
    return node.func.id, args, kwargs or None


def _literal_calls(builder: _TreeBuilder) -> tuple[tuple | None, ...]:
    """:attr:`ProbePlan.literal_calls` for the builder's probes (those sent with test values
    spliced into their source are left compiled)."""
    calls = tuple(
        _literal_call(node) if values is _NO_VALUES else None
        for node, values in builder.probe_arguments
    )
    return calls if any(call is not None for call in calls) else ()


def _plan_bytes(builder: _TreeBuilder) -> int:
    """What a parent-checked plan holds beyond its tests' own text: computed values, probes."""
    return builder.held_bytes + sum(map(len, builder.probes)) + 50 * len(builder.probes)


def clear_plan_cache() -> None:
    """Forget every cached plan (for measurements of planning itself).

    Example:
        >>> clear_plan_cache()
    """
    _CACHE.clear()


def make_plan(
    tests: str | Sequence[str], entry_point: str | None = None, helpers: str | None = None
) -> Plan:
    """The plan for ``tests`` (validated; cached, as the same tests come back for every attempt).

    Example:
        >>> plan = make_plan(["assert add(1, 2) == 3", "assert abs(add(0.1, 0.2) - 0.3) < 1e-9"])
        >>> plan.probes
        ('add(1, 2)', 'add(0.1, 0.2)')
        >>> "3" in plan.probes[0] or "0.3" in " ".join(plan.probes)
        False
        >>> loop = "def check(c):\\n    for x in range(2, 4):\\n        assert c(x, x + 1) == x\\n"
        >>> make_plan(loop, "f").probes
        ('c(2, 3)', 'c(3, 4)')
    """
    if isinstance(tests, str):
        if entry_point is None:
            raise ValueError("entry_point is required when tests is a check(candidate) source")
        key: tuple = ("check", tests, entry_point, helpers)
    else:
        key = ("items", tuple(tests), entry_point, helpers)
    plan = _CACHE.get(key)
    if plan is None:
        if isinstance(tests, str):
            plan, held = _plan_check(tests, entry_point, helpers)  # type: ignore[arg-type]
            text = len(tests)
        else:
            plan, held = _plan_items(key[1], entry_point, helpers)
            text = sum(map(len, key[1]))
        _CACHE.put(key, plan, held + _SOURCE_BYTES_FACTOR * text + len(helpers or ""))
    return plan
