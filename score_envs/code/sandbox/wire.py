"""Plain data with explicit type tags: the only form in which values leave a sandboxed process.

A program's return value never crosses a process boundary as an object (unpickling would run the
program's code in the receiver, and an object can rig ``__eq__``). The sandboxed process turns it
into a JSON tree of tagged nodes; the receiver rebuilds exact builtin values from the tags and
rejects anything malformed. Whatever the program does to the encoder in its own process, the
receiver only ever gets ints, floats, strings, lists, ... of the exact builtin types.

Tags (each node is a JSON list whose first item is the tag)::

    ["n"] None             ["b", true] bool         ["i", "-1f"] int (hex)
    ["f", "0x1.8p+1"] float (float.hex, exact)      ["c", re, im] complex (float.hex parts)
    ["s", "text"] str      ["y", "00ff"] bytes      ["q", num, den] Fraction (hex ints)
    ["D", "1.50"] Decimal  ["l", [...]] list        ["t", [...]] tuple
    ["S", [...]] set       ["F", [...]] frozenset   ["d", [[k, v], ...]] dict
    ["g", "generator", [...]] an iterable that is not plain data, consumed into its items
    ["o", "Foo", "repr"] any other object: only its type name and a short repr

Subclasses of builtin types are sent as their base type, read through the base type's own C
methods (``list.__iter__(value)``, ``str.__str__(value)``): a rigged ``__eq__`` or ``__iter__``
does not travel. Sizes and nesting are bounded on both sides.
"""

from __future__ import annotations

import re
import sys

MAX_DEPTH = 100
"""Deeper nesting is rejected: it is never a real answer and recursion must stay bounded."""

MAX_NODES = 500_000
"""Most nodes one message may hold (all values in it together)."""

MAX_INT_HEX_DIGITS = 20_000
"""Largest int accepted (80,000 bits): keeps every later str()/int() conversion cheap."""

MAX_ITERABLE_ITEMS = 100_000
"""Most items taken from a non-plain iterable (a generator, a range) before giving up."""

MAX_REPR_CHARS = 200
"""Opaque objects travel as their type name and at most this much of their repr."""

_HEX_INT = re.compile(r"-?[0-9a-f]+")
_DECIMAL = re.compile(
    r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:NaN|sNaN|Infinity)"
)


class WireError(ValueError):
    """A tagged tree is malformed, too deep or too large."""


class TooLarge(WireError):
    """A value is too large or too deeply nested to encode."""


class Opaque:
    """Stands in for an object that is not plain data; equal to nothing but itself.

    Its truth value is undefined (using it as a condition raises), so a test such as
    ``assert candidate(x)`` cannot pass on an object of unknown meaning.
    """

    __slots__ = ("text", "type_name")

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __bool__(self) -> bool:
        raise TypeError(f"the program returned a {self.type_name} object, which is not plain data")

    def __repr__(self) -> str:
        return f"<{self.type_name} object: {self.text}>"


class ConsumedIterable:
    """A non-plain iterable (generator, map, range ...) the program returned, with its items.

    Like a generator it equals nothing but itself; ``list()``, ``tuple()``, ``sorted()`` ... of it
    give its items, as they would have in the program's process.
    """

    __slots__ = ("items", "type_name")

    def __init__(self, type_name: str, items: tuple[object, ...]) -> None:
        self.type_name = type_name
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<{self.type_name} of {len(self.items)} items>"


def _type_name(value: object) -> str:
    name = type.__dict__["__name__"].__get__(type(value), type)
    return name if type(name) is str else "object"


class Encoder:
    """Turns values into tagged trees within a node budget shared by everything it encodes.

    Example:
        >>> Encoder().encode([1, "a", (None, 2.5)])
        ['l', [['i', '1'], ['s', 'a'], ['t', [['n'], ['f', '0x1.4000000000000p+1']]]]]
    """

    def __init__(self, max_nodes: int = MAX_NODES) -> None:
        self.nodes_left = max_nodes

    def encode(self, value: object, depth: int = 0) -> list:
        """The tagged tree of ``value``; raises :class:`TooLarge` past the limits."""
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise TooLarge("the value is too large to send back")
        if depth > MAX_DEPTH:
            raise TooLarge("the value is nested too deeply to send back")
        kind = type(value)
        if value is None:
            return ["n"]
        if kind is bool:
            return ["b", value]
        if kind is str:
            self._charge_chars(len(value))
            return ["s", value]
        if kind is int:
            return ["i", self._hex(value)]
        if kind is float:
            return ["f", float.hex(value)]
        if kind is list:
            return ["l", [self.encode(item, depth + 1) for item in value]]
        if kind is tuple:
            return ["t", [self.encode(item, depth + 1) for item in value]]
        if kind is dict:
            return ["d", self._pairs(dict.items(value), depth)]
        return self._encode_other(value, depth)

    def _encode_other(self, value: object, depth: int) -> list:
        # Subclasses are read through the base type's own methods, never the subclass's.
        if isinstance(value, bool):
            return ["b", bool(value)]
        if isinstance(value, int):
            return ["i", self._hex(int.__index__(value))]
        if isinstance(value, float):
            return ["f", float.hex(float.__float__(value))]
        if isinstance(value, complex):
            return [
                "c",
                float.hex(complex.real.__get__(value)),
                float.hex(complex.imag.__get__(value)),
            ]
        if isinstance(value, str):
            text = str.__str__(value)
            self._charge_chars(len(text))
            return ["s", text]
        if isinstance(value, (bytes, bytearray)):
            data = bytes(memoryview(value))
            self._charge_chars(2 * len(data))
            return ["y", data.hex()]
        if isinstance(value, list):
            return ["l", [self.encode(item, depth + 1) for item in list.__iter__(value)]]
        if isinstance(value, tuple):
            return ["t", [self.encode(item, depth + 1) for item in tuple.__iter__(value)]]
        if isinstance(value, dict):
            return ["d", self._pairs(dict.items(value), depth)]
        if isinstance(value, frozenset):
            return ["F", [self.encode(item, depth + 1) for item in frozenset.__iter__(value)]]
        if isinstance(value, set):
            return ["S", [self.encode(item, depth + 1) for item in set.__iter__(value)]]
        # Fraction and Decimal can only exist if the program imported their modules.
        fractions = sys.modules.get("fractions")
        if fractions is not None and isinstance(value, fractions.Fraction):
            return ["q", self._hex(int(value.numerator)), self._hex(int(value.denominator))]
        decimal = sys.modules.get("decimal")
        if decimal is not None and isinstance(value, decimal.Decimal):
            return ["D", decimal.Decimal.__str__(value)]
        if hasattr(type(value), "__iter__"):
            return ["g", _type_name(value), self._consume(value, depth)]
        return ["o", _type_name(value), self._short_repr(value)]

    def _pairs(self, items, depth: int) -> list:
        return [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in items]

    def _consume(self, value: object, depth: int) -> list:
        out = []
        for item in iter(value):  # type: ignore[call-overload]
            if len(out) >= MAX_ITERABLE_ITEMS:
                raise TooLarge("the returned iterable has too many items to send back")
            out.append(self.encode(item, depth + 1))
        return out

    def _hex(self, number: int) -> str:
        text = format(number, "x")
        if len(text) > MAX_INT_HEX_DIGITS:
            raise TooLarge("an int in the value is too large to send back")
        self._charge_chars(len(text))
        return text

    def _charge_chars(self, count: int) -> None:
        # Long strings cost nodes too, so the message size stays bounded by the node budget.
        self.nodes_left -= count // 64
        if self.nodes_left < 0:
            raise TooLarge("the value is too large to send back")

    @staticmethod
    def _short_repr(value: object) -> str:
        try:
            text = repr(value)
        except BaseException:
            return "?"
        if type(text) is not str:
            return "?"
        return text[:MAX_REPR_CHARS]


def encode(value: object) -> list:
    """Tagged tree of one value (a fresh budget).

    Example:
        >>> encode({"a": [1, 2]})
        ['d', [[['s', 'a'], ['l', [['i', '1'], ['i', '2']]]]]]
    """
    return Encoder().encode(value)


class Decoder:
    """Rebuilds exact builtin values from tagged trees, strictly; raises :class:`WireError`.

    Args:
        iterators: How a ``g`` node comes back: False gives a :class:`ConsumedIterable` (the
            parent's evaluator knows it), True an iterator over the items (what test code in the
            checker process expects of a generator).

    Example:
        >>> Decoder().decode(["t", [["i", "-1f"], ["s", "x"]]])
        (-31, 'x')
    """

    def __init__(self, *, iterators: bool = False, max_nodes: int = MAX_NODES) -> None:
        self.iterators = iterators
        self.nodes_left = max_nodes

    def decode(self, tree: object, depth: int = 0) -> object:
        """The value a tagged tree stands for."""
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise WireError("too many values")
        if depth > MAX_DEPTH + 1:
            raise WireError("values nested too deeply")
        if type(tree) is not list or not tree or type(tree[0]) is not str:
            raise WireError("a value node must be a list starting with its tag")
        tag = tree[0]
        size = len(tree)
        if tag == "n" and size == 1:
            return None
        if size == 2:
            payload = tree[1]
            if tag == "b" and type(payload) is bool:
                return payload
            if tag == "i":
                return self._int(payload)
            if tag == "f":
                return self._float(payload)
            if tag == "s" and type(payload) is str:
                return payload
            if tag == "y" and type(payload) is str:
                try:
                    return bytes.fromhex(payload)
                except ValueError as exc:
                    raise WireError("malformed bytes") from exc
            if tag == "D" and type(payload) is str and _DECIMAL.fullmatch(payload):
                from decimal import Decimal

                return Decimal(payload)
            if tag in ("l", "t", "S", "F", "d"):
                return self._container(tag, payload, depth)
        if size == 3:
            if tag == "c":
                return complex(self._float(tree[1]), self._float(tree[2]))
            if tag == "q":
                numerator, denominator = self._int(tree[1]), self._int(tree[2])
                if denominator <= 0:
                    raise WireError("malformed fraction")
                from fractions import Fraction

                return Fraction(numerator, denominator)
            if tag == "o" and type(tree[1]) is str and type(tree[2]) is str:
                return Opaque(tree[1][:MAX_REPR_CHARS], tree[2][:MAX_REPR_CHARS])
            if tag == "g" and type(tree[1]) is str and type(tree[2]) is list:
                if len(tree[2]) > MAX_ITERABLE_ITEMS:
                    raise WireError("too many items")
                items = tuple(self.decode(item, depth + 1) for item in tree[2])
                if self.iterators:
                    return iter(items)
                return ConsumedIterable(tree[1][:MAX_REPR_CHARS], items)
        raise WireError(f"malformed value node with tag {tag[:10]!r}")

    def _container(self, tag: str, payload: object, depth: int) -> object:
        if type(payload) is not list:
            raise WireError("a container's items must be a list")
        if tag == "d":
            result = {}
            for pair in payload:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a dict item must be a [key, value] pair")
                key = self.decode(pair[0], depth + 1)
                try:
                    result[key] = self.decode(pair[1], depth + 1)
                except TypeError as exc:
                    raise WireError("unhashable dict key") from exc
            return result
        items = [self.decode(item, depth + 1) for item in payload]
        if tag == "l":
            return items
        if tag == "t":
            return tuple(items)
        try:
            return set(items) if tag == "S" else frozenset(items)
        except TypeError as exc:
            raise WireError("unhashable set item") from exc

    @staticmethod
    def _int(payload: object) -> int:
        if (
            type(payload) is not str
            or len(payload) > MAX_INT_HEX_DIGITS + 1
            or not _HEX_INT.fullmatch(payload)
        ):
            raise WireError("malformed int")
        return int(payload, 16)

    @staticmethod
    def _float(payload: object) -> float:
        if type(payload) is not str or len(payload) > 40:
            raise WireError("malformed float")
        try:
            return float.fromhex(payload)
        except ValueError as exc:
            raise WireError("malformed float") from exc


def decode(tree: object) -> object:
    """The value of one tagged tree (a fresh budget; generators come back consumed).

    Example:
        >>> decode(encode({1: {2.5, "x"}})) == {1: {2.5, "x"}}
        True
    """
    return Decoder().decode(tree)
