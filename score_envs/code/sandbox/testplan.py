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
``isinstance``, ``type`` ... around them.

**Checker plan** (anything else: loops, helper functions, local variables, computed or random
expectations, ``assert`` inside other statements). The whole test source runs in a separate
checker process that never runs the program; see :mod:`score_envs.code.sandbox.checker`.

Names the tests use mean, in order: the check's parameter and the entry point -> the program;
names the trusted ``helpers`` define -> the helpers; names the tests bind or import -> the tests;
builtins and standard-library modules -> the real ones (even if the program defines a function of
that name: a program cannot redefine ``sorted`` to rig ``sorted(f(x)) == [...]``); anything else
-> the program (``add`` in ``assert add(1, 2) == 3``).
"""

from __future__ import annotations

import ast
import builtins
import functools
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from score_envs.code.sandbox import evaluate

STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))


class NotParentCheckable(Exception):
    """This assertion cannot be checked in the parent; the tests go to the checker process."""


@dataclass(frozen=True)
class ParentCheck:
    """One test checked in the parent: its assertion (for feedback) and its evaluator tree.

    The source text is only needed to explain a failure, so it is unparsed on first use: for
    a new test source that saves about a third of the planning time, which is on the caller's
    thread for every run.
    """

    node: ast.Assert = field(compare=False, repr=False)
    tree: tuple

    @functools.cached_property
    def source(self) -> str:
        """The assertion as source text, without its message."""
        return ast.unparse(ast.Assert(test=self.node.test, msg=None))


@dataclass(frozen=True)
class ProbePlan:
    """Tests checked in the parent; the sandbox only evaluates ``probes``.

    Attributes:
        probes: Source of each call expression, evaluated in order in the program's process.
        prelude: Import statements run before the probes (the tests' imports).
        candidate_name: The name bound to the entry point while probes run (``candidate``).
        checks: One per counted test.
    """

    probes: tuple[str, ...]
    prelude: tuple[str, ...]
    candidate_name: str
    checks: tuple[ParentCheck, ...]

    @property
    def total(self) -> int:
        """Number of tests."""
        return len(self.checks)


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


Plan = ProbePlan | CheckerPlan


# --- name analysis ----------------------------------------------------------------------------


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node under ``tree`` (itself included), in no particular order.

    Like ``ast.walk`` but about three times faster (no generator per node): the plans of new
    tests are made on the caller's thread for every run of a fresh process.
    """
    todo = [tree]
    found = []
    ast_type = ast.AST
    while todo:
        node = todo.pop()
        found.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                todo.extend(item for item in value if isinstance(item, ast_type))
            elif isinstance(value, ast_type):
                todo.append(value)
    return found


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """``(bound, loaded)``: the names ``tree`` binds, and the names it reads, in one pass."""
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in _nodes(tree):
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is ast.Load:
                loaded.add(node.id)
            else:
                bound.add(node.id)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            bound.add(node.name)
        elif kind is ast.arg:
            bound.add(node.arg)
        elif kind is ast.alias:
            bound.add((node.asname or node.name).split(".")[0])
        elif kind is ast.ExceptHandler and node.name:
            bound.add(node.name)
        elif kind in (ast.Global, ast.Nonlocal):
            bound.update(node.names)
        elif kind.__name__ in ("MatchAs", "MatchStar") and getattr(node, "name", None):
            bound.add(node.name)  # type: ignore[attr-defined]
        elif kind.__name__ == "MatchMapping" and getattr(node, "rest", None):
            bound.add(node.rest)  # type: ignore[attr-defined]
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
        helper_names: set[str],
        loaded: set[str],
    ) -> None:
        self.candidate = candidate
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


class _TreeBuilder:
    def __init__(self, names: _Names) -> None:
        self.names = names
        self.probes: list[str] = []
        self.modules_in_probes: set[str] = set()

    def probe(self, node: ast.expr) -> tuple:
        inner_bound, inner_loaded = _names(node)
        for name in inner_loaded - inner_bound:
            if not self.names.available_in_program_process(name):
                raise NotParentCheckable(f"the call uses {name!r} from the tests")
            if name in self.names.implicit_modules:
                self.modules_in_probes.add(name)
        self.probes.append(ast.unparse(node))
        return ("probe", len(self.probes) - 1)

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

    def tree(self, node: ast.expr) -> tuple:
        root = _program_reference(node)
        if root is not None and self.names.is_program(root):
            return self.probe(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, complex, str, bytes, type(None))):
                return ("const", node.value)
            raise NotParentCheckable("an unusual constant")
        if isinstance(node, ast.Name):
            if self.names.is_builtin(node.id) and node.id in evaluate.NAMES:
                return ("name", node.id)
            raise NotParentCheckable(f"the name {node.id!r}")
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and self.names.modules.get(node.value.id) == "math":
                if f"math.{node.attr}" in evaluate.NAMES:
                    return ("name", f"math.{node.attr}")
            raise NotParentCheckable("an attribute")
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            if any(isinstance(item, ast.Starred) for item in node.elts):
                raise NotParentCheckable("a starred item")
            kind = {ast.Tuple: "tuple", ast.List: "list", ast.Set: "set"}[type(node)]
            return (kind, [self.tree(item) for item in node.elts])
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise NotParentCheckable("a ** in a dict display")
            keys = [self.tree(key) for key in node.keys if key is not None]
            return ("dict", keys, [self.tree(value) for value in node.values])
        if isinstance(node, ast.UnaryOp) and type(node.op).__name__ in evaluate.UNARY:
            return ("unary", type(node.op).__name__, self.tree(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op).__name__ in evaluate.BINARY:
            op = type(node.op).__name__
            return ("binary", op, self.tree(node.left), self.tree(node.right))
        if isinstance(node, ast.BoolOp):
            return ("bool", type(node.op).__name__, [self.tree(value) for value in node.values])
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            return ("ifexp", self.tree(node.test), self.tree(node.body), self.tree(node.orelse))
        if isinstance(node, ast.Subscript):
            return ("subscript", self.tree(node.value), self.tree(node.slice))
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return ("slice", *(None if part is None else self.tree(part) for part in parts))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise NotParentCheckable(f"a {type(node).__name__} expression")

    def compare(self, node: ast.Compare) -> tuple:
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

    def call(self, node: ast.Call) -> tuple:
        name = self.function_name(node.func)
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise NotParentCheckable("a starred argument")
        allowed = evaluate.KEYWORDS.get(name, frozenset())
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in allowed:
                raise NotParentCheckable(f"keyword {keyword.arg!r} of {name}")
            kwargs[keyword.arg] = self.tree(keyword.value)
        return ("call", name, [self.tree(arg) for arg in node.args], kwargs)


def _parent_checks(asserts: Sequence[ast.Assert], builder: _TreeBuilder) -> list[ParentCheck]:
    """Checks for the assertions; probe-free ones that hold are dropped (``assert True``)."""
    checks = []
    for node in asserts:
        probes_before = len(builder.probes)
        tree = builder.tree(node.test)
        if len(builder.probes) == probes_before:
            try:
                if evaluate.evaluate(tree, []):
                    continue
            except Exception as exc:
                del exc
        checks.append(ParentCheck(node, tree))
    if not builder.probes:
        raise ValueError("tests never call the program (no call to the entry point or a function)")
    return checks


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


def _helper_names(helpers: str | None) -> set[str]:
    if helpers is None:
        return set()
    return _names(_parse(helpers, "helpers"))[0]


@functools.lru_cache(maxsize=512)
def _plan_items(items: tuple[str, ...], entry_point: str | None, helpers: str | None) -> Plan:
    modules = []
    parsed: list[tuple[str, ast.Module]] = []
    for index, source in enumerate(items):
        module = _parse(source, f"tests[{index}]")
        if module.body and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in module.body):
            modules.append(source)
        elif module.body:
            parsed.append((source, module))
    if not any(type(n) is ast.Assert for _, m in parsed for n in _nodes(m)):
        raise ValueError("tests hold no assert statement")
    prelude_nodes = [s for source in modules for s in _parse(source, "tests").body]
    imported_modules, imported_attributes = _imports(prelude_nodes)
    everything = ast.Module(body=[s for _, m in parsed for s in m.body] + prelude_nodes)
    candidate = "candidate" if entry_point else None
    test_bound, loaded = _names(everything)
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
        builder = _TreeBuilder(names)
        try:
            checks = _parent_checks([m.body[0] for _, m in parsed], builder)  # type: ignore[misc]
        except NotParentCheckable:
            pass
        else:
            implicit = tuple(f"import {m}" for m in sorted(builder.modules_in_probes))
            return ProbePlan(
                probes=tuple(builder.probes),
                prelude=tuple(modules) + implicit,
                candidate_name=candidate or "candidate",
                checks=tuple(checks),
            )
    return CheckerPlan(
        style="items",
        tests=tuple(source for source, _ in parsed),
        prelude=tuple(modules),
        check_name="",
        modules=tuple(sorted(names.implicit_modules)),
        program_names=tuple(sorted(names.program)),
        helpers=helpers,
        total=len(parsed),
    )


def _check_function(module: ast.Module) -> ast.FunctionDef:
    checks = [s for s in module.body if isinstance(s, ast.FunctionDef) and s.name == "check"]
    if not checks:
        raise ValueError("tests source must define check(candidate)")
    check = checks[-1]
    arguments = check.args
    if len(arguments.posonlyargs) + len(arguments.args) != 1 or arguments.vararg:
        raise ValueError("check must take exactly one argument (the candidate function)")
    return check


def _is_simple_check(module: ast.Module, check: ast.FunctionDef) -> bool:
    for statement in module.body:
        if statement is check or isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Assign) and all(
            isinstance(t, ast.Name) for t in statement.targets
        ):
            try:
                ast.literal_eval(statement.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                return False
            continue
        return False
    if check.decorator_list:
        return False
    for statement in check.body:
        if isinstance(statement, (ast.Assert, ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(statement, ast.Expr) and _has_no_effect(statement.value):
            continue
        return False
    return True


def _has_no_effect(node: ast.expr) -> bool:
    """A docstring, or a bare builtin name (HumanEval/129's check starts with a lone ``print``)."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Name) and hasattr(builtins, node.id)


@functools.lru_cache(maxsize=512)
def _plan_check(source: str, entry_point: str, helpers: str | None) -> Plan:
    module = _parse(source, "tests")
    check = _check_function(module)
    candidate = (check.args.posonlyargs + check.args.args)[0].arg
    import_nodes = [
        s for s in [*module.body, *check.body] if isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    imported_modules, imported_attributes = _imports(import_nodes)
    bound, loaded = _names(module)
    names = _Names(
        candidate=candidate,
        entry_point=entry_point,
        test_bound=bound - {candidate},
        imported_modules=imported_modules,
        imported_attributes=imported_attributes,
        helper_names=_helper_names(helpers),
        loaded=loaded,
    )
    assert_count = sum(1 for node in _nodes(check) if type(node) is ast.Assert)
    if not assert_count:
        raise ValueError("check(candidate) holds no assert statement")
    if _is_simple_check(module, check):
        builder = _TreeBuilder(names)
        # A simple check's asserts are all statements of its body (none nested), in order.
        asserts = [s for s in check.body if type(s) is ast.Assert]
        try:
            checks = _parent_checks(asserts, builder)
        except NotParentCheckable:
            pass
        else:
            prelude = tuple(ast.unparse(s) for s in import_nodes) + tuple(
                f"import {m}" for m in sorted(builder.modules_in_probes)
            )
            return ProbePlan(tuple(builder.probes), prelude, candidate, tuple(checks))
    return CheckerPlan(
        style="check",
        tests=source,
        prelude=(),
        check_name=check.name,
        modules=tuple(sorted(names.implicit_modules)),
        program_names=tuple(sorted(names.program)),
        helpers=helpers,
        total=assert_count,
    )


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
    """
    if isinstance(tests, str):
        if entry_point is None:
            raise ValueError("entry_point is required when tests is a check(candidate) source")
        return _plan_check(tests, entry_point, helpers)
    return _plan_items(tuple(tests), entry_point, helpers)
