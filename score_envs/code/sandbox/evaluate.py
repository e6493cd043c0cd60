"""A tiny, bounded interpreter for the parent's side of a test assertion.

The parent never ``eval``s test code. :mod:`score_envs.code.sandbox.testplan` turns each simple
assertion into a small tree of the node kinds below, in which every call into the program is a
*probe* (evaluated in the sandbox, its result sent back as plain data). This module evaluates the
rest -- the expected values, comparisons, ``abs(... - ...) < tol``, ``math.isclose``, ``sorted``,
``set`` ... -- on exact builtin values only, with size guards so that no operand can make the
parent compute for long or allocate much (``[0] * 10**12`` or ``10 ** 10 ** 9`` are refused).

Node kinds (tuples)::

    ("const", value)              ("probe", index)            ("name", builtin)
    ("tuple"|"list"|"set", items) ("dict", keys, values)      ("unary", op, operand)
    ("binary", op, left, right)   ("bool", op, values)        ("compare", left, ops, rights)
    ("ifexp", test, body, orelse) ("subscript", value, index) ("slice", lower, upper, step)
    ("call", function, args, kwargs)
    ("var", name)                 a variable of an enclosing comprehension
    ("listcomp"|"setcomp"|"genexp", element, generators)
    ("dictcomp", key, value, generators)
    generators: [("for", target, iterable, conditions), ...], target a name or a tuple of names

Comprehensions only ever hold test values (the planner refuses probes inside them) and are
evaluated once, when the plan is made; their bounds (:data:`MAX_COMPREHENSION_STEPS`,
:data:`MAX_COMPREHENSION_WORK`) keep a comprehension over a huge range from hanging the caller.
A :class:`Budget` holds what is left of them: each evaluation gets a fresh one unless the caller
passes its own, which the planner does so that everything it computes for one plan shares one.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterator, Sequence
from decimal import Decimal
from fractions import Fraction

from score_envs.code.sandbox import wire

MAX_ITEMS = 10_000_000
"""Largest sequence or string the parent will build while evaluating a test."""

MAX_INT_BITS = 1_000_000
"""Largest int the parent will build (``2 ** 10**6`` is 125 kB; a bigger power is refused)."""

MAX_STR_DIGITS_INT_BITS = 200_000
"""int <-> str conversions are quadratic in Python 3.10: keep them under ~60,000 digits."""

MAX_RANGE_ITEMS = 1_000_000
"""Longest ``range(...)`` the parent builds: consuming one (``sum``, ``list``) is linear."""

MAX_COMPREHENSION_STEPS = 100_000
"""Iterations of all comprehensions in one evaluation (about 0.1-0.3 s of interpreting)."""

MAX_COMPREHENSION_WORK = 10_000_000
"""Items touched inside comprehensions in one evaluation: each operation there is charged the
length of the sequences it takes and makes, so ``[big == big for i in r]`` is bounded too."""


class EvaluationLimit(ArithmeticError):
    """An operation would be too large or is not allowed in the parent."""


class ProbeRaised(Exception):
    """A probe's call raised in the sandbox; carries the description of what it raised."""

    def __init__(self, index: int, type_name: str, message: str, line: int | None) -> None:
        super().__init__(index, type_name, message, line)
        self.index = index
        self.type_name = type_name
        self.message = message
        self.line = line


class Budget:
    """What is left of the comprehension steps and work that several evaluations may spend.

    Shared by every evaluation made while planning one test source: otherwise a loop of 100
    asserts each holding ``sum([j for j in range(10**5)])`` could spend 100 full budgets on the
    caller's thread.

    Example:
        >>> budget = Budget(steps=5)
        >>> tree = ("listcomp", ("var", "i"), [("for", "i", ("const", range(4)), [])])
        >>> evaluate(tree, (), budget)
        [0, 1, 2, 3]
        >>> budget.steps
        1
    """

    __slots__ = ("steps", "work")

    def __init__(
        self, steps: int = MAX_COMPREHENSION_STEPS, work: int = MAX_COMPREHENSION_WORK
    ) -> None:
        self.steps = steps
        self.work = work


def _size(value: object) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _guard_int(value: object, bits: int = MAX_INT_BITS) -> None:
    if isinstance(value, int) and value.bit_length() > bits:
        raise EvaluationLimit("an int in the test is too large")


def _multiply(left: object, right: object) -> object:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(count, int) and isinstance(sequence, (str, bytes, list, tuple)):
            if _size(sequence) * max(count, 0) > MAX_ITEMS:
                raise EvaluationLimit("a repeated sequence in the test is too large")
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise EvaluationLimit("a product in the test is too large")
    return operator.mul(left, right)


def _power(base: object, exponent: object) -> object:
    if isinstance(exponent, int) and abs(exponent) > 1 and isinstance(base, (int, Fraction)):
        bits = (
            base.bit_length()
            if isinstance(base, int)
            else base.numerator.bit_length() + base.denominator.bit_length()
        )
        if bits > 1 and abs(exponent) * bits > MAX_INT_BITS:
            raise EvaluationLimit("a power in the test is too large")
    return operator.pow(base, exponent)


def _add(left: object, right: object) -> object:
    if _size(left) + _size(right) > MAX_ITEMS:
        raise EvaluationLimit("a concatenation in the test is too large")
    return operator.add(left, right)


def _modulo(left: object, right: object) -> object:
    if isinstance(left, (str, bytes)):
        raise EvaluationLimit("string formatting is not evaluated in the parent")
    return operator.mod(left, right)


def _shift(left: object, right: object) -> object:
    if isinstance(right, int) and right > MAX_INT_BITS:
        raise EvaluationLimit("a shift in the test is too large")
    return operator.lshift(left, right)


BINARY = {
    "Add": _add,
    "Sub": operator.sub,
    "Mult": _multiply,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": _modulo,
    "Pow": _power,
    "LShift": _shift,
    "RShift": operator.rshift,
    "BitOr": operator.or_,
    "BitXor": operator.xor,
    "BitAnd": operator.and_,
}
UNARY = {"UAdd": operator.pos, "USub": operator.neg, "Not": operator.not_, "Invert": operator.inv}
COMPARE = {
    "Eq": operator.eq,
    "NotEq": operator.ne,
    "Lt": operator.lt,
    "LtE": operator.le,
    "Gt": operator.gt,
    "GtE": operator.ge,
    "Is": operator.is_,
    "IsNot": operator.is_not,
    "In": lambda a, b: operator.contains(b, a),
    "NotIn": lambda a, b: not operator.contains(b, a),
}


def _int(value: object = 0, *base: int) -> int:
    if isinstance(value, (str, bytes)) and len(value) > 5_000:
        raise EvaluationLimit("int() of a long string is not evaluated in the parent")
    return int(value, *base) if base else int(value)  # type: ignore[call-overload]


MAX_TEXT_CHARS = MAX_ITEMS
"""Longest text ``str()``/``repr()`` may make in the parent (estimated before converting)."""

_FIXED_TEXT_SIZES = {type(None): 5, bool: 5, float: 25, complex: 52}
_FIXED_SIZE_TYPES = frozenset({type(None), bool, float, complex})


def _str(value: object = "") -> str:
    if type(value) is not str:  # str() of a str is the str itself: nothing to build
        _guard_text(value)
    return str(value)


def _repr(value: object) -> str:
    _guard_text(value)
    return repr(value)


def _guard_text(value: object) -> None:
    """Refuse ``str``/``repr`` of a value whose text would exceed :data:`MAX_TEXT_CHARS`.

    An upper bound on the text's length is added up before converting, so that
    ``str([str(list(range(10**6)))] * 10**6)`` (a 7 TB text) is refused at once; ints whose
    conversion is quadratic are refused too. A container repeated inside a value is sized once,
    and flat containers of one scalar type in bulk.
    """
    if _text_size(value, {}, 0) > MAX_TEXT_CHARS:
        raise EvaluationLimit("the text of a value in the test would be too long")


def _text_size(value: object, sized: dict[int, int], depth: int) -> int:
    """An upper bound on ``len(repr(value))``, or anything over :data:`MAX_TEXT_CHARS`."""
    kind = type(value)
    if kind is str:
        if value.isascii():  # type: ignore[attr-defined]  # '\\' or '\x00' at most per character
            return (2 if value.isprintable() else 4) * len(value) + 2  # type: ignore[attr-defined]
        return 10 * len(value) + 2  # type: ignore[arg-type]  # '\U0010ffff': 10 per character
    if kind is bytes:
        return 4 * len(value) + 3  # type: ignore[arg-type]
    if kind is int:
        _guard_int(value, MAX_STR_DIGITS_INT_BITS)
        return value.bit_length() * 30103 // 100000 + 3  # type: ignore[attr-defined]  # and a sign
    if kind is Fraction:
        parts = (value.numerator, value.denominator)  # type: ignore[attr-defined]
        return sum(_text_size(part, sized, depth) for part in parts) + 12  # Fraction(n, d)
    if kind is Decimal:
        return len(value.as_tuple().digits) + 40  # type: ignore[attr-defined]  # else scientific
    if kind is range:
        ends = (value.start, value.stop, value.step)  # type: ignore[attr-defined]
        return sum(_text_size(end, sized, depth) for end in ends) + 12
    if kind is wire.Opaque:
        return len(value.type_name) + len(value.text) + 12  # type: ignore[attr-defined]
    if kind is wire.ConsumedIterable:
        return len(value.type_name) + 40  # type: ignore[attr-defined]
    if kind not in (list, tuple, set, frozenset, dict):
        return _FIXED_TEXT_SIZES.get(kind, 200)
    known = sized.get(id(value))
    if known is not None:
        return known
    if depth > wire.MAX_DEPTH + 2:
        raise EvaluationLimit("a value in the test is too deeply nested to convert")
    items = [part for pair in value.items() for part in pair] if kind is dict else value  # type: ignore[attr-defined]
    size = 4 * len(items) + 13  # type: ignore[arg-type]  # separators, brackets, 'frozenset()'
    types = set(map(type, items))  # type: ignore[call-overload]
    if types == {int}:
        widest = max(map(int.bit_length, items), default=0)  # type: ignore[call-overload]
        if widest > MAX_STR_DIGITS_INT_BITS:
            raise EvaluationLimit("an int in the test is too large")
        size += len(items) * (widest * 30103 // 100000 + 3)  # type: ignore[arg-type]
    elif types and types <= _FIXED_SIZE_TYPES:
        size += len(items) * 52  # type: ignore[arg-type]
    elif types == {str}:
        size += 10 * sum(map(len, items))  # type: ignore[call-overload]
    else:
        for item in items:  # type: ignore[attr-defined]
            size += _text_size(item, sized, depth + 1)
            if size > MAX_TEXT_CHARS:
                break
    sized[id(value)] = size
    return size


def _round(number: object, ndigits: int | None = None) -> object:
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > 400):
        raise EvaluationLimit("round() with that many digits is not evaluated in the parent")
    return round(number) if ndigits is None else round(number, ndigits)  # type: ignore[call-overload]


def _sum(values: object, start: object = 0) -> object:
    if not isinstance(start, (int, float, complex)):
        raise EvaluationLimit("sum() of non-numbers is not evaluated in the parent")
    return sum(values, start)  # type: ignore[call-overload]


def _range(*bounds: int) -> range:
    try:
        values = range(*bounds)
        length = len(values)
    except OverflowError:
        raise EvaluationLimit("a range in the test is too long") from None
    if length > MAX_RANGE_ITEMS:
        raise EvaluationLimit("a range in the test is too long")
    return values


FUNCTIONS = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "float": float,
    "frozenset": frozenset,
    "int": _int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": _range,
    "repr": _repr,
    "reversed": reversed,
    "round": _round,
    "set": set,
    "sorted": sorted,
    "str": _str,
    "sum": _sum,
    "tuple": tuple,
    "type": type,
    "zip": zip,
    "math.isclose": math.isclose,
    "math.fabs": math.fabs,
    "math.sqrt": math.sqrt,
    "math.floor": math.floor,
    "math.ceil": math.ceil,
    "math.isnan": math.isnan,
    "math.isinf": math.isinf,
    "math.isfinite": math.isfinite,
}
"""Functions the parent evaluates itself (always the real ones, whatever the program defines)."""

KEYWORDS = {
    "math.isclose": frozenset({"rel_tol", "abs_tol"}),
    "sorted": frozenset({"reverse"}),
    "round": frozenset({"ndigits"}),
    "max": frozenset({"default"}),
    "min": frozenset({"default"}),
    "enumerate": frozenset({"start"}),
}
"""The keyword arguments allowed per function (``key=`` functions cannot run in the parent)."""

NAMES = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "set": set,
    "frozenset": frozenset,
    "bytes": bytes,
    "complex": complex,
    "math.pi": math.pi,
    "math.e": math.e,
    "math.tau": math.tau,
    "math.inf": math.inf,
    "math.nan": math.nan,
}
"""Names usable as values in the parent (types for ``isinstance``, math constants)."""


class ProbeResult:
    """What one probe gave: a value, or the exception it raised in the sandbox."""

    __slots__ = ("line", "message", "raised", "type_name", "value")

    def __init__(
        self,
        value: object = None,
        *,
        raised: bool = False,
        type_name: str = "",
        message: str = "",
        line: int | None = None,
    ) -> None:
        self.value = value
        self.raised = raised
        self.type_name = type_name
        self.message = message
        self.line = line


def evaluate(node: tuple, probes: Sequence[ProbeResult], budget: Budget | None = None) -> object:
    """The value of a node tree, with the probes' results plugged in.

    Without ``budget``, only comprehensions are metered (a fresh :class:`Budget`): every other
    operation is bounded by the size guards and runs once. With one, as the planner passes,
    every operation's sizes are charged to it too, so that a loop repeating a large but allowed
    operation (``str(list(range(10**6)))``) cannot multiply it. A generator the tree returns
    keeps spending the budget while it is consumed.

    Example:
        >>> tree = ("compare", ("call", "abs", [("binary", "Sub", ("probe", 0), ("const", 0.5))],
        ...         {}), ["Lt"], [("const", 1e-6)])
        >>> evaluate(tree, [ProbeResult(0.5000001)])
        True
    """
    if budget is None:
        return _Evaluation(probes, Budget(), metered=False).value(node, _OUTSIDE)
    return _Evaluation(probes, budget, metered=True).value(node, _OUTSIDE)


_OUTSIDE: dict[str, object] = {}
"""The variables outside any comprehension: none (never written to)."""

_SIZED = frozenset({str, bytes, list, tuple, dict, set, frozenset, range})
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "genexp", "dictcomp"})


class _Evaluation:
    """One evaluation of a tree: the probes' results and the budget it spends."""

    __slots__ = ("budget", "metered", "probes")

    def __init__(self, probes: Sequence[ProbeResult], budget: Budget, *, metered: bool) -> None:
        self.probes = probes
        self.budget = budget
        self.metered = metered

    def charge(self, value: object) -> None:
        """Count the items an operation took or made (in a comprehension, or when metered)."""
        if type(value) in _SIZED:
            budget = self.budget
            budget.work -= len(value)  # type: ignore[arg-type]
            if budget.work < 0:
                raise EvaluationLimit("the test does too much work")

    def value(self, node: tuple, scope: dict[str, object]) -> object:
        kind = node[0]
        if kind == "const":
            return node[1]
        if kind == "probe":
            result = self.probes[node[1]]
            if result.raised:
                raise ProbeRaised(node[1], result.type_name, result.message, result.line)
            return result.value
        if kind == "name":
            return NAMES[node[1]]
        if kind == "var":
            if node[1] not in scope:
                raise EvaluationLimit(f"unknown variable {node[1]!r}")
            return scope[node[1]]
        if kind in ("tuple", "list", "set"):
            items = [self.value(item, scope) for item in node[1]]
            return tuple(items) if kind == "tuple" else items if kind == "list" else set(items)
        if kind == "dict":
            keys = [self.value(key, scope) for key in node[1]]
            values = [self.value(value, scope) for value in node[2]]
            return dict(zip(keys, values, strict=True))
        if kind == "unary":
            return UNARY[node[1]](self.value(node[2], scope))
        if kind == "binary":
            left, right = self.value(node[2], scope), self.value(node[3], scope)
            _guard_int(left)
            _guard_int(right)
            result = BINARY[node[1]](left, right)
            if scope or self.metered:
                self.charge(result)
            return result
        if kind == "bool":
            result = None
            for value in node[2]:
                result = self.value(value, scope)
                if (node[1] == "And" and not result) or (node[1] == "Or" and result):
                    return result
            return result
        if kind == "compare":
            return self.compare(node, scope)
        if kind == "ifexp":
            test = self.value(node[1], scope)
            return self.value(node[2] if test else node[3], scope)
        if kind == "subscript":
            result = operator.getitem(self.value(node[1], scope), self.value(node[2], scope))
            if scope or self.metered:
                self.charge(result)
            return result
        if kind == "slice":
            parts = node[1:]
            return slice(*(None if part is None else self.value(part, scope) for part in parts))
        if kind == "call":
            args = [self.value(arg, scope) for arg in node[2]]
            kwargs = {name: self.value(value, scope) for name, value in node[3].items()}
            if scope or self.metered:
                for arg in args:
                    self.charge(arg)
            result = FUNCTIONS[node[1]](*args, **kwargs)
            if (scope or self.metered) and type(result) is not range:  # made lazily: no work
                self.charge(result)
            return result
        if kind in _COMPREHENSIONS:
            return self.comprehension(node, scope)
        raise EvaluationLimit(f"unknown node kind {kind!r}")

    def compare(self, node: tuple, scope: dict[str, object]) -> bool:
        left = self.value(node[1], scope)
        if scope or self.metered:
            self.charge(left)
        for op, right_node in zip(node[2], node[3], strict=True):
            right = self.value(right_node, scope)
            if scope or self.metered:
                self.charge(right)
            if not COMPARE[op](left, right):
                return False
            left = right
        return True

    def comprehension(self, node: tuple, scope: dict[str, object]) -> object:
        """A list, set or dict built now, or a generator (lazy, as Python's is)."""
        kind = node[0]
        generators = node[-1]
        # As in Python, the first iterable is evaluated outside the comprehension, at once.
        first = self.value(generators[0][2], scope)
        inner = dict(scope)
        if kind == "genexp":
            return self.generate(node[1], generators, inner, first)
        if kind == "dictcomp":
            built = {}
            for variables in self.bindings(generators, 0, inner, first):
                key = self.value(node[1], variables)
                built[key] = self.value(node[2], variables)
            return built
        items = [
            self.value(node[1], variables)
            for variables in self.bindings(generators, 0, inner, first)
        ]
        return set(items) if kind == "setcomp" else items

    def generate(self, element: tuple, generators: list, inner: dict, first: object) -> Iterator:
        for variables in self.bindings(generators, 0, inner, first):
            yield self.value(element, variables)

    def bindings(
        self, generators: list, index: int, variables: dict[str, object], iterable: object
    ) -> Iterator[dict[str, object]]:
        """``variables`` with the targets of generators ``index...`` bound, once per item."""
        _, target, _, conditions = generators[index]
        budget = self.budget
        for item in iterable:  # type: ignore[attr-defined]
            budget.steps -= 1
            if budget.steps < 0:
                raise EvaluationLimit("the comprehensions in the test run too many steps")
            if type(target) is str:
                variables[target] = item
            else:
                values = tuple(itertools.islice(item, len(target) + 1))
                if len(values) != len(target):
                    raise ValueError(f"cannot unpack {len(values)} values into {len(target)}")
                variables.update(zip(target, values, strict=True))
            if all(self.value(condition, variables) for condition in conditions):
                if index + 1 == len(generators):
                    yield variables
                else:
                    nested = self.value(generators[index + 1][2], variables)
                    yield from self.bindings(generators, index + 1, variables, nested)


def probe_indices(node: tuple) -> list[int]:
    """Indices of the probes a tree uses, in evaluation order (each time it is used).

    Walks only the parts of each node kind that are nodes: a constant's value, a builtin's name
    or a comprehension's variable names are never taken for nodes, whatever they hold.

    Example:
        >>> tree = ("compare", ("probe", 2), ["Eq"], [("probe", 0), ("const", ("probe", 1))])
        >>> probe_indices(tree)
        [2, 0]
    """
    found: list[int] = []
    todo: list = [node]
    while todo:
        part = todo.pop()
        if part is None:  # an omitted slice bound
            continue
        kind = part[0]
        if kind == "probe":
            found.append(part[1])
            continue
        todo.extend(reversed(node_children(part)))
    return found


def node_children(node: tuple) -> list:
    """The sub-nodes of a node, in evaluation order (see the node kinds above); an omitted
    slice bound is None.

    Example:
        >>> node_children(("binary", "Add", ("probe", 0), ("const", 1)))
        [('probe', 0), ('const', 1)]
    """
    kind = node[0]
    if kind in ("const", "name", "var", "probe"):
        return []
    if kind in ("tuple", "list", "set"):
        return list(node[1])
    if kind == "dict":
        return [*node[1], *node[2]]
    if kind in ("unary", "binary"):
        return list(node[2:])
    if kind == "bool":
        return list(node[2])
    if kind == "compare":
        return [node[1], *node[3]]
    if kind in ("ifexp", "subscript", "slice"):
        return list(node[1:])
    if kind == "call":
        return [*node[2], *node[3].values()]
    if kind in _COMPREHENSIONS:
        parts = list(node[1:-1])
        for _, _, iterable, conditions in node[-1]:
            parts.append(iterable)
            parts.extend(conditions)
        return parts
    raise EvaluationLimit(f"unknown node kind {kind!r}")
