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
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from fractions import Fraction

from score_envs.code.sandbox import wire

MAX_ITEMS = 10_000_000
"""Largest sequence or string the parent will build while evaluating a test."""

MAX_INT_BITS = 1_000_000
"""Largest int the parent will build (``2 ** 10**6`` is 125 kB; a bigger power is refused)."""

MAX_STR_DIGITS_INT_BITS = 200_000
"""int <-> str conversions are quadratic in Python 3.10: keep them under ~60,000 digits."""


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


def _str(value: object = "") -> str:
    _guard_nested_ints(value)
    return str(value)


def _repr(value: object) -> str:
    _guard_nested_ints(value)
    return repr(value)


def _guard_nested_ints(value: object, depth: int = 0) -> None:
    if depth > wire.MAX_DEPTH + 2:
        return
    if isinstance(value, int):
        _guard_int(value, MAX_STR_DIGITS_INT_BITS)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _guard_nested_ints(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _guard_nested_ints(key, depth + 1)
            _guard_nested_ints(item, depth + 1)


def _round(number: object, ndigits: int | None = None) -> object:
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > 400):
        raise EvaluationLimit("round() with that many digits is not evaluated in the parent")
    return round(number) if ndigits is None else round(number, ndigits)  # type: ignore[call-overload]


def _sum(values: object, start: object = 0) -> object:
    if not isinstance(start, (int, float, complex)):
        raise EvaluationLimit("sum() of non-numbers is not evaluated in the parent")
    return sum(values, start)  # type: ignore[call-overload]


FUNCTIONS = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "divmod": divmod,
    "float": float,
    "frozenset": frozenset,
    "int": _int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "repr": _repr,
    "round": _round,
    "set": set,
    "sorted": sorted,
    "str": _str,
    "sum": _sum,
    "tuple": tuple,
    "type": type,
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


def evaluate(node: tuple, probes: Sequence[ProbeResult]) -> object:
    """The value of a node tree, with the probes' results plugged in.

    Example:
        >>> tree = ("compare", ("call", "abs", [("binary", "Sub", ("probe", 0), ("const", 0.5))],
        ...         {}), ["Lt"], [("const", 1e-6)])
        >>> evaluate(tree, [ProbeResult(0.5000001)])
        True
    """
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "probe":
        result = probes[node[1]]
        if result.raised:
            raise ProbeRaised(node[1], result.type_name, result.message, result.line)
        return result.value
    if kind == "name":
        return NAMES[node[1]]
    if kind in ("tuple", "list", "set"):
        items = [evaluate(item, probes) for item in node[1]]
        return tuple(items) if kind == "tuple" else items if kind == "list" else set(items)
    if kind == "dict":
        keys = [evaluate(key, probes) for key in node[1]]
        return dict(zip(keys, [evaluate(value, probes) for value in node[2]], strict=True))
    if kind == "unary":
        operand = evaluate(node[2], probes)
        return UNARY[node[1]](operand)
    if kind == "binary":
        left, right = evaluate(node[2], probes), evaluate(node[3], probes)
        _guard_int(left)
        _guard_int(right)
        return BINARY[node[1]](left, right)
    if kind == "bool":
        return _bool_op(node[1], node[2], probes)
    if kind == "compare":
        return _compare(node, probes)
    if kind == "ifexp":
        test = evaluate(node[1], probes)
        return evaluate(node[2] if test else node[3], probes)
    if kind == "subscript":
        return operator.getitem(evaluate(node[1], probes), evaluate(node[2], probes))
    if kind == "slice":
        return slice(*(None if part is None else evaluate(part, probes) for part in node[1:]))
    if kind == "call":
        args = [evaluate(arg, probes) for arg in node[2]]
        kwargs = {name: evaluate(value, probes) for name, value in node[3].items()}
        return FUNCTIONS[node[1]](*args, **kwargs)
    raise EvaluationLimit(f"unknown node kind {kind!r}")


def _bool_op(op: str, values: list, probes: Sequence[ProbeResult]) -> object:
    result: object = None
    for value in values:
        result = evaluate(value, probes)
        if (op == "And" and not result) or (op == "Or" and result):
            return result
    return result


def _compare(node: tuple, probes: Sequence[ProbeResult]) -> bool:
    left = evaluate(node[1], probes)
    for op, right_node in zip(node[2], node[3], strict=True):
        right = evaluate(right_node, probes)
        if not COMPARE[op](left, right):
            return False
        left = right
    return True


def probe_indices(node: tuple) -> list[int]:
    """Indices of the probes a tree uses, in evaluation order.

    Example:
        >>> probe_indices(("compare", ("probe", 2), ["Eq"], [("probe", 0)]))
        [2, 0]
    """
    if node[0] == "probe":
        return [node[1]]
    found: list[int] = []
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            found.extend(probe_indices(part))
        elif isinstance(part, list):
            for item in part:
                if isinstance(item, tuple):
                    found.extend(probe_indices(item))
        elif isinstance(part, dict):
            for item in part.values():
                found.extend(probe_indices(item))
    return found
