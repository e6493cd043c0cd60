"""Is a predicted final answer mathematically the same as the reference?

The check runs in tiers, cheapest first, and every tier is bounded by construction (input caps,
size estimates made *before* computing, and a deterministic work budget), so it never hangs and
never runs model text as code, from any thread:

1. **Text**: identical strings, then identical normalised strings.
2. **Exact rationals** (:func:`fractions.Fraction`): integers, decimals, ``a/b``, ``\\frac{a}{b}``,
   mixed numbers, percentages, and any arithmetic of them, including integer powers whose size is
   estimated first. ``0.25`` equals ``\\frac14``; ``0.3333333`` does **not** equal ``1/3``.
3. **Numeric identity testing** for everything else (radicals, ``\\pi``, ``e``, logarithms,
   trigonometry, expressions in free symbols): both sides are evaluated with mpmath at a few
   deterministic sample points (fixed seed, one of them with negative coordinates) at a working
   precision chosen from the sizes involved, and accepted only if they agree to an absolute
   tolerance of ``2^-(s + 64)`` where ``s`` grows with every scale in the expressions (the bits of
   each exact rational, the magnitude of each power or exponential). So a decimal never matches an
   irrational reference (``1.41421356`` is not ``\\sqrt{2}``: the reference form is exact, and a
   decimal is an exact rational), and ``\\pi + 10^{-100}`` is not ``\\pi``; but
   ``\\frac{1}{\\sqrt{2}}`` equals ``\\frac{\\sqrt{2}}{2}`` and ``x^2+2x+1`` equals ``(x+1)^2``.
4. **Symbolic fallback** (sympy, built from the syntax tree by :func:`to_sympy`), only for
   algebraic expressions in free symbols when the numeric test is inconclusive (every sample point
   undefined, or a magnitude or precision above the caps): the difference is auto-simplified, and
   expanded only when the expansion is estimated to be small.

**Time bound.** By design a call returns within 1 s on a 2-core machine whatever the input: the
answer is capped at :data:`~score_envs.math.parsing.MAX_ANSWER_CHARS` characters and
:data:`~score_envs.math.parsing.MAX_TOKENS` tokens, every exact or numeric operation has its size
checked before it runs, and the whole comparison draws on a deterministic :data:`WORK_BUDGET`
(about 0.3 s there), so the verdict (including ``too_large``) is the same on every machine. The
first call that needs the symbolic fallback also pays sympy's one-time import (about 0.2 s). No
signal or wall clock is used, so it works from any thread (vector envs, Ray workers).

Structured answers are compared structurally and exactly: tuples in order with the same length,
sets (including bare comma lists, ``\\pm`` pairs and ``x=1 \\text{ or } x=2``) as sets with no
"overlap" credit, intervals with their closedness, unions of intervals as sets of intervals,
matrices entry by entry, equations by proportional difference of sides (``y = 2x + 1`` equals
``2x - y + 1 = 0``), inequalities likewise with a positive factor, a one-variable assignment
(``x = 3``) on either side by its value, and assignments to several variables against a tuple as
the point of their values in alphabetical order (``x = 2, y = 3`` equals ``(2, 3)``).
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath

from score_envs.math.normalize import NormalizedAnswer, normalize_answer
from score_envs.math.parsing import (
    MAX_ANSWER_CHARS,
    MAX_EXACT_BITS,
    MAX_FACTORIAL,
    MAX_SYMBOLIC_EXPONENT,
    Add,
    Answer,
    AnswerError,
    Binom,
    Const,
    Div,
    Expr,
    Func,
    Interval,
    Log,
    Matrix,
    Mul,
    Neg,
    Node,
    Num,
    PlusMinus,
    Pow,
    Relation,
    Root,
    SetAnswer,
    Sym,
    TextAnswer,
    TooLarge,
    TupleAnswer,
    UnionAnswer,
    Unparsable,
    parse_answer,
    to_sympy,
)

_LOGGER = logging.getLogger(__name__)

MAX_MAGNITUDE_BITS = 4096
"""Numeric values (and sample-point intermediates) must stay within ``2^±4096``."""
MAX_PRECISION_BITS = 12_288
"""Highest working precision of the numeric test (about 3700 decimal digits)."""
WORK_BUDGET = 300_000
"""Work units one comparison may spend (about one microsecond each on a 2-core CI machine)."""
SAMPLE_POINTS = 4
"""Sample points for expressions with free symbols."""
_SAMPLE_SEED = 0x5C0E
_BASE_PRECISION = 256
_MAX_GAMMA_PRECISION = 384
_MAX_PRECISION_ROUNDS = 3
_GUARD_BITS = 64

REASONS = (
    "equivalent",
    "not_equivalent",
    "no_answer_found",
    "unparsable",
    "too_large",
    "truncated",
)
"""Every reason code the math grader can return."""


class _Undefined(Exception):
    """The expression has no value (``1/0``, ``0^{-1}``, ``(-1)!``)."""


class _Infinite(Exception):
    """The expression uses infinity inside arithmetic; only a bare signed infinity is compared."""


class _BadPoint(Exception):
    """The expression is undefined at this sample point (a pole, ``log 0``)."""


class _Budget:
    """The deterministic work allowance of one comparison (no wall clock: same verdict anywhere)."""

    __slots__ = ("spent",)

    def __init__(self) -> None:
        self.spent = 0.0

    def charge(self, units: float) -> None:
        self.spent += units
        if self.spent > WORK_BUDGET:
            raise TooLarge("the comparison exceeds its work budget")


# ---------------------------------------------------------------------------------------------
# Tier 2: exact rational evaluation
# ---------------------------------------------------------------------------------------------

_NOT_RATIONAL = object()
_UNDEFINED = object()


def _bits(value: Fraction) -> int:
    return value.numerator.bit_length() + value.denominator.bit_length()


def _check_size(value: Fraction) -> Fraction:
    if _bits(value) > MAX_EXACT_BITS:
        raise TooLarge(f"an exact value exceeds {MAX_EXACT_BITS} bits")
    return value


class _Exact:
    """Evaluates rational subtrees exactly; memoised by node identity for one comparison."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.memo: dict[int, Any] = {}

    def value(self, node: Node) -> Fraction | None:
        # Keyed by identity (hashing a tree is linear in its size); the entry keeps the node
        # alive so that its id cannot be reused by a temporary node during this comparison.
        entry = self.memo.get(id(node))
        if entry is None:
            entry = (node, self._compute(node))
            self.memo[id(node)] = entry
        cached = entry[1]
        return None if cached is _NOT_RATIONAL else cached

    def _compute(self, node: Node) -> Any:
        self.budget.charge(1)
        result = self._rational(node)
        if result is None:
            return _NOT_RATIONAL
        self.budget.charge(_bits(result) / 4000)
        return _check_size(result)

    def _rational(self, node: Node) -> Fraction | None:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Neg):
            operand = self.value(node.operand)
            return None if operand is None else -operand
        if isinstance(node, Add):
            total = Fraction(0)
            for term in node.terms:
                value = self.value(term)
                if value is None:
                    return None
                total = _check_size(total + value)
            return total
        if isinstance(node, Mul):
            product = Fraction(1)
            for factor in node.factors:
                value = self.value(factor)
                if value is None:
                    return None
                if _bits(product) + _bits(value) > 2 * MAX_EXACT_BITS:
                    raise TooLarge("an exact product is too large")
                product = _check_size(product * value)
            return product
        if isinstance(node, Div):
            numerator = self.value(node.numerator)
            denominator = self.value(node.denominator)
            if denominator == 0:
                raise _Undefined("division by zero")
            if numerator is None or denominator is None:
                return None
            return numerator / denominator
        if isinstance(node, Pow):
            return self._power(node)
        if isinstance(node, Root):
            index = self.value(node.index)
            radicand = self.value(node.radicand)
            if index is None or radicand is None or index.denominator != 1:
                return None
            return _exact_root(radicand, int(index))
        if isinstance(node, Func):
            return self._function(node)
        if isinstance(node, Log):
            return self._logarithm(node)
        if isinstance(node, Binom):
            n, k = self.value(node.n), self.value(node.k)
            if n is None or k is None or n.denominator != 1 or k.denominator != 1:
                return None
            if n < 0:
                return None
            if n > MAX_EXACT_BITS:
                raise TooLarge("binomial coefficient too large")
            return Fraction(math.comb(int(n), int(k))) if k >= 0 else Fraction(0)
        if isinstance(node, PlusMinus):
            raise Unparsable("'\\pm' inside an expression that is not a list of values")
        return None  # Sym, Const

    def _power(self, node: Pow) -> Fraction | None:
        base = self.value(node.base)
        exponent = self.value(node.exponent)
        if base is None or exponent is None:
            return None
        if base == 0:
            if exponent < 0:
                raise _Undefined("zero to a negative power")
            return Fraction(1) if exponent == 0 else Fraction(0)
        if base == 1:
            return base
        if base == -1 and exponent.denominator == 1:
            return Fraction(1) if exponent.numerator % 2 == 0 else base
        if exponent.denominator != 1:
            if exponent.denominator > 64 or abs(exponent.numerator) > MAX_EXACT_BITS:
                return None
            root = _exact_root(base, exponent.denominator)
            if root is None:
                return None
            base, exponent = root, Fraction(exponent.numerator)
        power = exponent.numerator
        if abs(power) * _bits(base) > MAX_EXACT_BITS:
            raise TooLarge(f"a power has more than {MAX_EXACT_BITS} bits")
        return base**power

    def _function(self, node: Func) -> Fraction | None:
        argument = self.value(node.argument)
        if argument is None:
            return None
        name = node.name
        if name == "abs":
            return abs(argument)
        if name == "floor":
            return Fraction(math.floor(argument))
        if name == "ceil":
            return Fraction(math.ceil(argument))
        if name == "factorial":
            if argument.denominator != 1:
                return None
            if argument < 0:
                raise _Undefined("factorial of a negative integer")
            if argument > MAX_FACTORIAL:
                raise TooLarge(f"factorial argument above {MAX_FACTORIAL}")
            return Fraction(math.factorial(int(argument)))
        if argument == 0 and name in ("sin", "tan", "asin", "atan", "sinh", "tanh"):
            return Fraction(0)
        if argument == 0 and name in ("cos", "cosh", "exp"):
            return Fraction(1)
        if argument == 1 and name == "log":
            return Fraction(0)
        return None

    def _logarithm(self, node: Log) -> Fraction | None:
        base = self.value(node.base)
        argument = self.value(node.argument)
        if base is None or argument is None or base <= 0 or base == 1 or argument <= 0:
            return None
        # log_b(a) is rational and an integer k when a = b^k: estimate k, then verify exactly.
        estimate = (_log_abs(argument)) / _log_abs(base)
        power = round(estimate)
        if abs(estimate - power) > 1e-9 or abs(power) * _bits(base) > MAX_EXACT_BITS:
            return None
        return Fraction(power) if base**power == argument else None


def _log_abs(value: Fraction) -> float:
    return math.log(abs(value.numerator)) - math.log(value.denominator)


def _integer_root(value: int, degree: int) -> int | None:
    """The exact non-negative ``degree``-th root of ``value`` >= 0, or None."""
    if value < 2:
        return value
    guess = 1 << -(-value.bit_length() // degree)  # >= the root
    while True:  # Newton's method on integers; converges from above in O(log) steps
        better = ((degree - 1) * guess + value // guess ** (degree - 1)) // degree
        if better >= guess:
            break
        guess = better
    return guess if guess**degree == value else None


def _exact_root(value: Fraction, degree: int) -> Fraction | None:
    if degree < 1 or degree > 64:
        return None
    if degree == 1:
        return value
    if value < 0:
        if degree % 2 == 0:
            return None
        root = _exact_root(-value, degree)
        return None if root is None else -root
    numerator = _integer_root(value.numerator, degree)
    denominator = _integer_root(value.denominator, degree)
    if numerator is None or denominator is None:
        return None
    return Fraction(numerator, denominator)


# ---------------------------------------------------------------------------------------------
# Tier 3: numeric identity testing with mpmath
# ---------------------------------------------------------------------------------------------

_LOCAL = threading.local()
# What mpmath raises at a pole, outside a domain or when a series does not converge.
_MPMATH_DOMAIN_ERRORS = (ValueError, ZeroDivisionError, TypeError, mpmath.libmp.NoConvergence)


def _mp() -> Any:
    """A private mpmath context per thread: ``mpmath.mp`` is global mutable state."""
    context = getattr(_LOCAL, "context", None)
    if context is None:
        context = mpmath.MPContext()
        _LOCAL.context = context
    return context


_TRANSCENDENTAL = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "cot": "cot",
    "sec": "sec",
    "csc": "csc",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "log": "ln",
}


class _Numeric:
    """Evaluates a tree at one precision, tracking the scales that set precision and tolerance.

    ``big`` is the largest magnitude (in bits) of any intermediate value; ``small`` the largest
    scale deliberately present (bits of exact rationals, magnitudes of powers and exponentials),
    which decides how close two values must be to count as equal.
    """

    def __init__(self, exact: _Exact, budget: _Budget, precision: int) -> None:
        self.exact = exact
        self.budget = budget
        self.mp = _mp()
        self.mp.prec = precision
        self.precision = precision
        # Calibrated so that one unit is about a microsecond on a 2-core CI machine.
        self.arithmetic_cost = 1 + precision / 1000
        self.function_cost = 8 * max(1.0, precision / 256) ** 1.85
        self.big = 0
        self.small = 0
        self.env: dict[str, Any] = {}

    def evaluate(self, node: Node, env: dict[str, Any]) -> Any:
        self.env = env
        return self.value(node)

    def note(self, value: Any) -> Any:
        mp = self.mp
        if not mp.isfinite(value):
            raise _BadPoint("not finite")
        if value:
            magnitude = mp.mag(value)
            if magnitude > MAX_MAGNITUDE_BITS:
                raise TooLarge(f"a value exceeds 2^{MAX_MAGNITUDE_BITS}")
            if magnitude > self.big:
                self.big = magnitude
        return value

    def scale(self, bits: Any) -> None:
        """Record a deliberate scale of ``bits`` (an int, or an mpf from a magnitude estimate)."""
        bits = abs(bits)
        if bits > MAX_MAGNITUDE_BITS:
            raise TooLarge(f"a value exceeds 2^{MAX_MAGNITUDE_BITS}")
        if bits > self.small:
            self.small = int(bits) + 1

    def value(self, node: Node) -> Any:
        exact = self.exact.value(node)
        mp = self.mp
        if exact is not None:
            self.budget.charge(self.arithmetic_cost)
            self.scale(_bits(exact))
            return self.note(mp.mpf(exact.numerator) / exact.denominator)
        self.budget.charge(self.arithmetic_cost)
        if isinstance(node, Sym):
            return self.env[node.name]
        if isinstance(node, Const):
            if node.name == "pi":
                return mp.pi
            if node.name == "e":
                return mp.e
            if node.name == "i":
                return mp.mpc(0, 1)
            raise _Infinite("infinity in arithmetic")
        if isinstance(node, Neg):
            return -self.value(node.operand)
        if isinstance(node, Add):
            total = mp.mpf(0)
            for term in node.terms:
                total = self.note(total + self.value(term))
            return total
        if isinstance(node, Mul):
            product = mp.mpf(1)
            for factor in node.factors:
                product = self.note(product * self.value(factor))
            return product
        if isinstance(node, Div):
            denominator = self.value(node.denominator)
            if not denominator:
                raise _BadPoint("division by zero")
            return self.note(self.value(node.numerator) / denominator)
        if isinstance(node, Pow):
            return self.power(node)
        if isinstance(node, Root):
            index = self.exact.value(node.index)
            radicand = self.value(node.radicand)
            if index is not None and index.denominator == 1 and index.numerator > 0:
                return self.real_power(radicand, Fraction(1, index.numerator))
            index_value = self.value(node.index)
            if not index_value:
                raise _BadPoint("root of index zero")
            return self.general_power(radicand, 1 / index_value)
        if isinstance(node, Func):
            return self.function(node.name, self.value(node.argument))
        if isinstance(node, Log):
            self.budget.charge(2 * self.function_cost)
            base = self.value(node.base)
            argument = self.value(node.argument)
            if not base or not argument:
                raise _BadPoint("log of zero")
            denominator = mp.ln(base)
            if not denominator:
                raise _BadPoint("log base one")
            return self.note(mp.ln(argument) / denominator)
        if isinstance(node, Binom):
            n, k = self.value(node.n), self.value(node.k)
            for argument in (n, k):
                if abs(argument) > MAX_FACTORIAL:
                    raise TooLarge(f"binomial argument above {MAX_FACTORIAL}")
            self.gamma_allowed()
            try:
                return self.note(mp.binomial(n, k))
            except _MPMATH_DOMAIN_ERRORS as error:
                raise _BadPoint(str(error)) from error
        raise Unparsable(f"cannot evaluate {type(node).__name__}")

    def power(self, node: Pow) -> Any:
        base = self.value(node.base)
        exponent_exact = self.exact.value(node.exponent)
        if exponent_exact is not None and exponent_exact.denominator % 2 == 1:
            return self.real_power(base, exponent_exact)
        return self.general_power(base, self.value(node.exponent))

    def real_power(self, base: Any, exponent: Fraction) -> Any:
        """Rational exponents with odd denominators keep real values real: (-8)^(1/3) = -2."""
        mp = self.mp
        if not base:
            if exponent < 0:
                raise _BadPoint("zero to a negative power")
            return mp.mpf(0) if exponent else mp.mpf(1)
        # The size of the result, estimated before computing it (never through a float, which
        # would overflow on an exponent such as 10^400). For a small integer exponent the
        # binary exponent of the base is precise enough and far cheaper than a logarithm.
        if exponent.denominator == 1 and abs(exponent.numerator) <= 64:
            self.budget.charge(self.arithmetic_cost)
            self.scale(exponent.numerator * (mp.mag(base) + 1))
            return self.note(mp.power(base, exponent.numerator))
        self.budget.charge(self.function_cost)
        self.scale(mp.mpf(exponent.numerator) / exponent.denominator * mp.log(abs(base), 2))
        if exponent.denominator == 1:
            return self.note(mp.power(base, exponent.numerator))
        if mp.im(base) == 0 and mp.re(base) < 0 and exponent.denominator % 2 == 1:
            root = mp.root(-base, exponent.denominator)
            value = mp.power(root, exponent.numerator)
            return self.note(-value if exponent.numerator % 2 else value)
        return self.note(mp.power(base, mp.mpf(exponent.numerator) / exponent.denominator))

    def general_power(self, base: Any, exponent: Any) -> Any:
        mp = self.mp
        self.budget.charge(2 * self.function_cost)
        if not base:
            if mp.re(exponent) > 0:
                return mp.mpf(0)
            raise _BadPoint("zero to a non-positive power")
        self.scale(mp.re(exponent * mp.ln(base)) / mp.ln2)
        try:
            return self.note(mp.power(base, exponent))
        except _MPMATH_DOMAIN_ERRORS as error:
            raise _BadPoint(str(error)) from error

    def gamma_allowed(self) -> None:
        """mpmath's gamma builds tables per precision (seconds at 3000 bits): keep it low."""
        if self.precision > _MAX_GAMMA_PRECISION:
            raise TooLarge("a non-integer factorial or binomial at high precision")
        self.budget.charge(10 * self.function_cost)

    def function(self, name: str, argument: Any) -> Any:
        mp = self.mp
        # Complex arguments cost about three times as much (inverse functions most of all).
        self.budget.charge(self.function_cost * (3 if mp.im(argument) else 1))
        try:
            if name in _TRANSCENDENTAL:
                if name == "log" and not argument:
                    raise _BadPoint("log of zero")
                return self.note(getattr(mp, _TRANSCENDENTAL[name])(argument))
            if name == "exp":
                self.scale(mp.re(argument) / mp.ln2)
                return self.note(mp.exp(argument))
            if name == "abs":
                return self.note(abs(argument))
            if name in ("floor", "ceil"):
                if mp.im(argument) != 0:
                    raise _BadPoint("floor of a complex number")
                return self.note(mp.floor(argument) if name == "floor" else mp.ceil(argument))
            if name == "factorial":
                if abs(argument) > MAX_FACTORIAL:
                    raise TooLarge(f"factorial argument above {MAX_FACTORIAL}")
                self.gamma_allowed()
                return self.note(mp.gamma(argument + 1))
        except _MPMATH_DOMAIN_ERRORS as error:
            raise _BadPoint(str(error)) from error
        raise Unparsable(f"unknown function {name!r}")


def _free_symbols(node: Node, found: set[str]) -> set[str]:
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Sym):
            found.add(current.name)
        elif isinstance(current, (Add,)):
            stack.extend(current.terms)
        elif isinstance(current, Mul):
            stack.extend(current.factors)
        elif isinstance(current, Neg):
            stack.append(current.operand)
        elif isinstance(current, Div):
            stack.extend((current.numerator, current.denominator))
        elif isinstance(current, Pow):
            stack.extend((current.base, current.exponent))
        elif isinstance(current, Root):
            stack.extend((current.index, current.radicand))
        elif isinstance(current, Func):
            stack.append(current.argument)
        elif isinstance(current, Log):
            stack.extend((current.base, current.argument))
        elif isinstance(current, Binom):
            stack.extend((current.n, current.k))
        elif isinstance(current, PlusMinus):
            stack.extend((current.left, current.right))
    return found


@lru_cache(maxsize=64)
def _sample_values(symbols: tuple[str, ...]) -> tuple[tuple[tuple[str, float], ...], ...]:
    """Deterministic sample points: same seed, same points, on every machine."""
    rng = random.Random(_SAMPLE_SEED)
    points = []
    for index in range(SAMPLE_POINTS):
        point = []
        for position, name in enumerate(symbols):
            magnitude = 0.55 + 0.9 * rng.random()
            # Point 2 has alternating negative coordinates: sqrt(x^2) is not x.
            negative = index == 2 and position % 2 == 0
            point.append((name, -magnitude if negative else magnitude))
        points.append(tuple(point))
    return tuple(points)


def _evaluate_everywhere(
    nodes: list[Node], exact: _Exact, budget: _Budget
) -> tuple[list[list[Any]], int]:
    """Evaluate each node at every sample point at a sufficient precision.

    Returns ``values[point][node]`` (None where that node is undefined at that point) and the
    tolerance exponent: two values agree when they differ by at most ``2^-tolerance_bits``. The
    precision is chosen so that rounding errors stay far below that tolerance.
    """
    symbols: set[str] = set()
    for node in nodes:
        _free_symbols(node, symbols)
    names = tuple(sorted(symbols))
    points = _sample_values(names) if names else ((),)
    precision = _BASE_PRECISION
    for _round in range(_MAX_PRECISION_ROUNDS):
        numeric = _Numeric(exact, budget, precision)
        mp = numeric.mp
        rows: list[list[Any]] = []
        for point in points:
            env = {name: mp.mpf(value) for name, value in point}
            row = []
            for node in nodes:
                try:
                    row.append(numeric.evaluate(node, env))
                except _BadPoint:
                    row.append(None)
            rows.append(row)
        needed = numeric.big + 2 * numeric.small + 3 * _GUARD_BITS
        if needed <= precision:
            return rows, numeric.small + _GUARD_BITS
        if needed > MAX_PRECISION_BITS:
            raise TooLarge(f"checking needs more than {MAX_PRECISION_BITS} bits of precision")
        # Magnitudes barely depend on the precision, so one more round normally suffices. A need
        # that keeps growing with the precision comes from rounding noise (sqrt(sin(pi))), and
        # the expression cannot be checked numerically.
        precision = needed + _GUARD_BITS
    raise TooLarge("the precision needed keeps growing: the value is numerically unstable")


def _close(mp: Any, first: Any, second: Any, tolerance_bits: int) -> bool:
    difference = first - second
    return not difference or mp.mag(difference) < -tolerance_bits


def _agree(mp: Any, rows: list[list[Any]], first: int, second: int, tolerance: int) -> bool | None:
    """Do nodes ``first`` and ``second`` agree at every point where both are defined?

    None when too few points are usable (one for constants, two with free symbols).
    """
    usable = 0
    for row in rows:
        a, b = row[first], row[second]
        if a is None or b is None:
            continue
        if not _close(mp, a, b, tolerance):
            return False
        usable += 1
    return None if usable < (1 if len(rows) == 1 else 2) else True


def _numeric_equal(first: Node, second: Node, exact: _Exact, budget: _Budget) -> bool | None:
    """True/False when the test decides, None when too few sample points were usable."""
    rows, tolerance = _evaluate_everywhere([first, second], exact, budget)
    return _agree(_mp(), rows, 0, 1, tolerance)


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------


def _infinity_sign(node: Node) -> int | None:
    sign = 1
    while isinstance(node, Neg):
        sign, node = -sign, node.operand
    if isinstance(node, Const) and node.name == "inf":
        return sign
    return None


class _Comparer:
    """One comparison: shared budget and memo tables for both answers."""

    def __init__(self) -> None:
        self.budget = _Budget()
        self.exact = _Exact(self.budget)

    # -- scalars -------------------------------------------------------------------------------

    def scalars(self, first: Node, second: Node) -> bool:
        if first == second:
            return True
        infinite_first, infinite_second = _infinity_sign(first), _infinity_sign(second)
        if infinite_first is not None or infinite_second is not None:
            return infinite_first == infinite_second
        try:
            value_first = self.exact.value(first)
            value_second = self.exact.value(second)
        except _Undefined:
            return False
        if value_first is not None and value_second is not None:
            return value_first == value_second
        try:
            verdict = _numeric_equal(first, second, self.exact, self.budget)
        except (_Undefined, _Infinite):
            return False
        except TooLarge:
            # A numeric magnitude or precision beyond the caps (exact sizes were checked above);
            # a symbolic identity such as (x+100)^500 = (100+x)^500 may still be provable.
            if _has_symbols(first, second) and _symbolically_zero(first, second):
                return True
            raise
        if verdict is None:
            return _has_symbols(first, second) and _symbolically_zero(first, second)
        return verdict

    def proportional(self, first: Node, second: Node, positive: bool) -> bool:
        """Is ``first == c * second`` identically for a constant c != 0 (c > 0 if positive)?"""
        try:
            rows, tolerance = _evaluate_everywhere([first, second], self.exact, self.budget)
        except (_Undefined, _Infinite):
            return False
        mp = _mp()
        usable = [row for row in rows if row[0] is not None and row[1] is not None]
        if len(usable) < (1 if len(rows) == 1 else 2):
            return False
        pivot = max(usable, key=lambda row: abs(row[1]))
        if not pivot[1] or mp.mag(pivot[1]) < -tolerance or not pivot[0]:
            return False
        ratio = pivot[0] / pivot[1]
        if mp.mag(ratio) < -tolerance:
            return False
        if positive and (abs(mp.im(ratio)) > abs(ratio) / 2**tolerance or mp.re(ratio) <= 0):
            return False
        slack = tolerance - max(0, mp.mag(ratio))
        return all(_close(mp, row[0], ratio * row[1], slack) for row in usable)

    # -- answers -------------------------------------------------------------------------------

    def answers(self, first: Answer, second: Answer) -> bool:
        if isinstance(first, Relation) or isinstance(second, Relation):
            return self.relation_involved(first, second)
        if isinstance(first, Expr) and isinstance(second, Expr):
            return self.scalars(first.node, second.node)
        if isinstance(first, SetAnswer) and isinstance(second, TupleAnswer):
            first = _assignments_as_tuple(first) or first
        if isinstance(second, SetAnswer) and isinstance(first, TupleAnswer):
            second = _assignments_as_tuple(second) or second
        if isinstance(first, SetAnswer) or isinstance(second, SetAnswer):
            return self.set_involved(first, second)
        if isinstance(first, TupleAnswer) and isinstance(second, TupleAnswer):
            return len(first.items) == len(second.items) and all(
                self.answers(a, b) for a, b in zip(first.items, second.items, strict=True)
            )
        intervals = (Interval, UnionAnswer)
        if isinstance(first, intervals) or isinstance(second, intervals):
            return self.intervals_involved(first, second)
        if isinstance(first, Matrix) or isinstance(second, Matrix):
            return self.matrices(first, second)
        if isinstance(first, TextAnswer) and isinstance(second, TextAnswer):
            return first.key == second.key
        return False

    def relation_involved(self, first: Answer, second: Answer) -> bool:
        if isinstance(first, Relation) and isinstance(second, Relation):
            return self.relations(first, second)
        relation, other = (first, second) if isinstance(first, Relation) else (second, first)
        assigned = _assigned_value(relation)
        if assigned is not None:
            return self.answers(assigned, other)
        if isinstance(other, (Interval, UnionAnswer, TupleAnswer)):
            interval = _relation_to_interval(relation)
            return interval is not None and self.answers(interval, other)
        return False

    def relations(self, first: Relation, second: Relation) -> bool:
        first, second = _ascending(first), _ascending(second)
        if first.ops != second.ops:
            return False
        if first.ops == ("in",):
            return first.sides[0] == second.sides[0] and self.answers(
                _as_answer(first.sides[1]), _as_answer(second.sides[1])
            )
        for index, op in enumerate(first.ops):
            # Each link a op b is compared through a - b: equal up to a constant factor, which
            # must be positive for an inequality (so x < 3 matches 2x < 6, not x > 3).
            difference_first = _difference(first.sides[index], first.sides[index + 1])
            difference_second = _difference(second.sides[index], second.sides[index + 1])
            positive = op in ("<", "<=")
            if not self.proportional(difference_first, difference_second, positive=positive):
                return False
        return True

    def set_involved(self, first: Answer, second: Answer) -> bool:
        """Set equality (no credit for overlap); a one-element set equals its element."""
        if not isinstance(first, SetAnswer) or not isinstance(second, SetAnswer):
            the_set, other = (first, second) if isinstance(first, SetAnswer) else (second, first)
            items = the_set.items  # type: ignore[union-attr]
            if not items or len(_distinct(range(len(items)), self.item_equality(items))) != 1:
                return False
            return self.answers(items[0], other)
        items = (*first.items, *second.items)
        equal = self.item_equality(items)
        first_kept = _distinct(range(len(first.items)), equal)
        second_kept = _distinct(range(len(first.items), len(items)), equal)
        if len(first_kept) != len(second_kept):
            return False
        return all(any(equal(a, b) for b in second_kept) for a in first_kept)

    def item_equality(self, items: tuple[Answer, ...]) -> Callable[[int, int], bool]:
        """A pairwise equality test over ``items``, evaluating each expression only once."""
        if not all(isinstance(item, Expr) for item in items):
            return lambda a, b: self.answers(items[a], items[b])
        nodes: list[Node] = [item.node for item in items]  # type: ignore[union-attr]
        if any(_infinity_sign(node) is not None for node in nodes):
            return lambda a, b: self.scalars(nodes[a], nodes[b])
        values: list[Any] = []
        for node in nodes:
            try:
                values.append(self.exact.value(node))
            except _Undefined:
                values.append(_UNDEFINED)
        if all(value is not None for value in values):
            return lambda a, b: values[a] is not _UNDEFINED and values[a] == values[b]
        try:
            rows, tolerance = _evaluate_everywhere(nodes, self.exact, self.budget)
        except (_Undefined, _Infinite):
            return lambda a, b: self.scalars(nodes[a], nodes[b])
        mp = _mp()

        def equal(a: int, b: int) -> bool:
            if values[a] is _UNDEFINED or values[b] is _UNDEFINED:
                return False
            if values[a] is not None and values[b] is not None:
                return values[a] == values[b]
            self.budget.charge(len(rows))
            verdict = _agree(mp, rows, a, b, tolerance)
            return self.scalars(nodes[a], nodes[b]) if verdict is None else verdict

        return equal

    def intervals_involved(self, first: Answer, second: Answer) -> bool:
        first_parts = _interval_parts(first)
        second_parts = _interval_parts(second)
        if first_parts is None or second_parts is None:
            return False
        if len(first_parts) != len(second_parts):
            return False
        remaining = list(second_parts)
        for part in first_parts:
            for index, candidate in enumerate(remaining):
                if self.intervals(part, candidate):
                    del remaining[index]
                    break
            else:
                return False
        return True

    def intervals(self, first: Interval, second: Interval) -> bool:
        low_closed_matters = _infinity_sign(first.low) is None
        high_closed_matters = _infinity_sign(first.high) is None
        if low_closed_matters and first.low_closed != second.low_closed:
            return False
        if high_closed_matters and first.high_closed != second.high_closed:
            return False
        return self.scalars(first.low, second.low) and self.scalars(first.high, second.high)

    def matrices(self, first: Answer, second: Answer) -> bool:
        first_rows, second_rows = _matrix_rows(first), _matrix_rows(second)
        if first_rows is None or second_rows is None:
            return False
        if isinstance(first, Matrix) != isinstance(second, Matrix):
            # A column or row vector equals the tuple of its entries.
            first_rows = [tuple(entry for row in first_rows for entry in row)]
            second_rows = [tuple(entry for row in second_rows for entry in row)]
        if len(first_rows) != len(second_rows):
            return False
        for row_first, row_second in zip(first_rows, second_rows, strict=True):
            if len(row_first) != len(row_second):
                return False
            if not all(self.scalars(a, b) for a, b in zip(row_first, row_second, strict=True)):
                return False
        return True


_SCALAR_TYPES = (Num, Sym, Const, Add, Mul, Neg, Div, Pow, Root, Func, Log, Binom, PlusMinus)


def _difference(left: object, right: object) -> Node:
    return Add((left, Neg(right)))  # type: ignore[arg-type]


def _distinct(indices: range, equal: Callable[[int, int], bool]) -> list[int]:
    kept: list[int] = []
    for index in indices:
        if not any(equal(index, other) for other in kept):
            kept.append(index)
    return kept


def _has_symbols(first: Node, second: Node) -> bool:
    return bool(_free_symbols(first, _free_symbols(second, set())))


def _as_answer(value: object) -> Answer:
    """Relation sides are bare nodes (or, right of ``\\in``, answers): wrap scalars."""
    return Expr(value) if isinstance(value, _SCALAR_TYPES) else value  # type: ignore[return-value]


def _contains_symbol(node: Node, name: str) -> bool:
    return name in _free_symbols(node, set())


def _assigned_value(relation: Relation) -> Answer | None:
    """``x = 3`` or ``x \\in S``: the value assigned to a single variable, else None."""
    if len(relation.ops) != 1 or relation.ops[0] not in ("=", "in"):
        return None
    variable, value = relation.sides
    if not isinstance(variable, Sym):
        return None
    if relation.ops[0] == "=" and _contains_symbol(value, variable.name):  # type: ignore[arg-type]
        return None
    return _as_answer(value)


def _assignments_as_tuple(answer: SetAnswer) -> TupleAnswer | None:
    """``x = 2, y = 3`` as the point ``(2, 3)``: values ordered by variable name.

    Only for two or more assignments to distinct single variables; the alphabetical order is the
    convention of a solution ``(x, y)`` or ``(a, b, c)``.
    """
    values: dict[str, Answer] = {}
    for item in answer.items:
        if not (isinstance(item, Relation) and item.ops == ("=",)):
            return None
        variable = item.sides[0]
        value = _assigned_value(item)
        if not isinstance(variable, Sym) or value is None or variable.name in values:
            return None
        values[variable.name] = value
    if len(values) < 2:
        return None
    return TupleAnswer(tuple(values[name] for name in sorted(values)))


def _ascending(relation: Relation) -> Relation:
    """Write ``a > b > c`` as ``c < b < a`` so both directions compare alike."""
    if relation.ops and all(op in (">", ">=") for op in relation.ops):
        flipped = tuple({">": "<", ">=": "<="}[op] for op in reversed(relation.ops))
        return Relation(flipped, tuple(reversed(relation.sides)))
    return relation


def _relation_to_interval(relation: Relation) -> Interval | None:
    """``x < 3``, ``2 \\le x``, ``1 < x \\le 3`` as intervals of the single variable."""
    relation = _ascending(relation)
    ops, sides = relation.ops, relation.sides
    if not all(op in ("<", "<=") for op in ops):
        return None
    infinity = Const("inf")
    if len(ops) == 2 and isinstance(sides[1], Sym):
        return Interval(sides[0], sides[2], ops[0] == "<=", ops[1] == "<=")  # type: ignore[arg-type]
    if len(ops) == 1 and isinstance(sides[0], Sym):
        return Interval(Neg(infinity), sides[1], False, ops[0] == "<=")  # type: ignore[arg-type]
    if len(ops) == 1 and isinstance(sides[1], Sym):
        return Interval(sides[0], infinity, ops[0] == "<=", False)  # type: ignore[arg-type]
    return None


def _interval_parts(answer: Answer) -> list[Interval] | None:
    """The intervals of an interval-like answer; ``(a, b)`` counts as the open interval."""
    if isinstance(answer, Interval):
        return [answer]
    if isinstance(answer, TupleAnswer):
        if len(answer.items) != 2 or not all(isinstance(item, Expr) for item in answer.items):
            return None
        low, high = (item.node for item in answer.items)  # type: ignore[union-attr]
        return [Interval(low, high, False, False)]
    if isinstance(answer, UnionAnswer):
        parts = [_interval_parts(part) for part in answer.parts]
        if any(part is None for part in parts):
            return None
        return [interval for part in parts for interval in part]  # type: ignore[union-attr]
    if isinstance(answer, Relation):
        interval = _relation_to_interval(answer)
        return None if interval is None else [interval]
    if isinstance(answer, SetAnswer) and answer.items:
        parts = [_interval_parts(item) for item in answer.items]
        if any(part is None for part in parts) or not all(
            isinstance(item, Relation) for item in answer.items
        ):
            return None
        return [interval for part in parts for interval in part]  # type: ignore[union-attr]
    return None


def _matrix_rows(answer: Answer) -> list[tuple[Node, ...]] | None:
    if isinstance(answer, Matrix):
        return list(answer.rows)
    if isinstance(answer, TupleAnswer) and all(isinstance(item, Expr) for item in answer.items):
        return [tuple(item.node for item in answer.items)]  # type: ignore[union-attr]
    return None


# ---------------------------------------------------------------------------------------------
# Tier 4: symbolic fallback
# ---------------------------------------------------------------------------------------------

_MAX_EXPANDED_TERMS = 200


def _expanded_terms(node: Node) -> int:
    """An upper estimate of the number of terms of the expanded expression (capped)."""
    cap = _MAX_EXPANDED_TERMS + 1
    if isinstance(node, Add):
        return min(cap, sum(_expanded_terms(term) for term in node.terms))
    if isinstance(node, Mul):
        product = 1
        for factor in node.factors:
            product = min(cap, product * _expanded_terms(factor))
        return product
    if isinstance(node, Neg):
        return _expanded_terms(node.operand)
    if isinstance(node, Div):
        return min(cap, _expanded_terms(node.numerator) * _expanded_terms(node.denominator))
    if isinstance(node, Pow):
        base_terms = _expanded_terms(node.base)
        if base_terms == 1:
            return 1
        exponent = node.exponent
        if isinstance(exponent, Num) and exponent.value.denominator == 1:
            count = abs(exponent.value.numerator)
            if count > 64:
                return cap
            return min(cap, math.comb(count + base_terms - 1, base_terms - 1))
        return cap
    return 1


def _sympy_friendly(node: Node) -> bool:
    """Whether the symbolic fallback may build ``node`` in sympy at a predictable cost.

    Only algebraic trees qualify (sums, products, quotients, powers and roots of numbers,
    constants and symbols) with integer exponents within :data:`MAX_SYMBOLIC_EXPONENT`: sympy
    evaluates functions of numbers eagerly (``binomial`` of a large rational expands a product),
    and that cost is not bounded by anything we control. Checked before sympy is even imported.
    """
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (Num, Sym, Const)):
            continue
        if isinstance(current, Pow):
            exponent = current.exponent
            if isinstance(exponent, Neg):
                exponent = exponent.operand
            if isinstance(exponent, Num) and (
                abs(exponent.value.numerator) > MAX_SYMBOLIC_EXPONENT
                or exponent.value.denominator > 64
            ):
                return False
            stack.extend((current.base, current.exponent))
        elif isinstance(current, Add):
            stack.extend(current.terms)
        elif isinstance(current, Mul):
            stack.extend(current.factors)
        elif isinstance(current, Neg):
            stack.append(current.operand)
        elif isinstance(current, Div):
            stack.extend((current.numerator, current.denominator))
        elif isinstance(current, Root):
            stack.extend((current.index, current.radicand))
        else:
            return False
    return True


def _symbolically_zero(first: Node, second: Node) -> bool:
    """Bounded sympy check that ``first - second`` is zero; False when it cannot tell."""
    if not (_sympy_friendly(first) and _sympy_friendly(second)):
        return False
    expand = _expanded_terms(first) + _expanded_terms(second) <= _MAX_EXPANDED_TERMS
    try:
        difference = to_sympy(first) - to_sympy(second)
        if difference == 0:
            return True
        if expand:
            import sympy

            return sympy.expand(difference) == 0
    except (AnswerError, ValueError, TypeError, ZeroDivisionError, ArithmeticError):
        return False
    return False


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


class _Prepared:
    """A normalised and parsed answer (or the reason it could not be parsed); cached."""

    __slots__ = ("answer", "error", "normalized")

    def __init__(self, normalized: NormalizedAnswer, answer: Answer | None, error: str | None):
        self.normalized = normalized
        self.answer = answer
        self.error = error


@lru_cache(maxsize=8192)
def _prepare(text: str) -> _Prepared:
    normalized = normalize_answer(text)
    if normalized.is_text:
        return _Prepared(normalized, TextAnswer(_text_key(normalized.text)), None)
    try:
        return _Prepared(normalized, parse_answer(normalized.text), None)
    except TooLarge:
        return _Prepared(normalized, None, "too_large")
    except Unparsable:
        return _Prepared(normalized, None, "unparsable")


_PLAIN_NUMBER = re.compile(r"-?\d{1,50}(?:\.\d{1,50})?")


def _text_key(text: str) -> str:
    return "".join(text.lower().split())


def _units_compatible(first: str | None, second: str | None) -> bool:
    if first is None or second is None or first == second:
        return True
    # "square units" goes with any area unit; otherwise different units are different answers.
    return first.split("^")[0] == "unit" or second.split("^")[0] == "unit"


def check_equivalence(predicted: str, reference: str) -> tuple[bool, str]:
    """Compare a predicted final answer with the reference: ``(verdict, reason)``.

    ``reason`` is ``equivalent``, ``not_equivalent``, ``unparsable`` (the prediction is not
    well-formed math), ``too_large`` (it exceeds a cap or the work budget) or ``no_answer_found``
    (``predicted`` is empty). Never raises, never runs model text as code, and returns quickly
    from any thread.

    Example:
        >>> check_equivalence("0.75", r"\\frac{3}{4}")
        (True, 'equivalent')
        >>> check_equivalence("0.3333333", r"\\frac{1}{3}")
        (False, 'not_equivalent')
        >>> check_equivalence("9^{9^{9^9}}", "5")
        (False, 'too_large')
    """
    if not isinstance(reference, str):
        raise TypeError(f"reference must be a string, got {type(reference).__name__}")
    try:
        return _check(predicted, reference)
    except TooLarge:
        return False, "too_large"
    except (AnswerError, _Undefined, _Infinite, _BadPoint):
        return False, "unparsable"
    except (RecursionError, MemoryError, OverflowError):  # pragma: no cover - caps prevent it
        return False, "too_large"
    except Exception:  # pragma: no cover - a grader must never raise on model output
        # A bug, not a verdict: keep grading, but make it visible to whoever runs the env.
        _LOGGER.error(
            "internal error comparing %s with %s",
            repr(predicted)[:200],
            repr(reference)[:200],
            exc_info=True,
        )
        return False, "unparsable"


def _check(predicted: str, reference: str) -> tuple[bool, str]:
    if not isinstance(predicted, str) or not predicted.strip():
        return False, "no_answer_found"
    if len(predicted) > MAX_ANSWER_CHARS:
        return False, "too_large"
    predicted, reference = predicted.strip(), reference.strip()
    if predicted == reference:
        return True, "equivalent"
    if _PLAIN_NUMBER.fullmatch(predicted) and _PLAIN_NUMBER.fullmatch(reference):
        same = Fraction(predicted) == Fraction(reference)
        return same, "equivalent" if same else "not_equivalent"
    mine, theirs = _prepare(predicted), _prepare(reference)
    if not _units_compatible(mine.normalized.unit, theirs.normalized.unit):
        return False, "not_equivalent"
    if mine.normalized.text == theirs.normalized.text and mine.normalized.text:
        return True, "equivalent"
    if mine.answer is None:
        return False, mine.error or "unparsable"
    reference_answer = theirs.answer
    if reference_answer is None and theirs.error == "too_large":
        return False, "too_large"
    if reference_answer is None or TextAnswer in (type(reference_answer), type(mine.answer)):
        # Words (and an unparsable reference) are compared as text, case-insensitively.
        same = _text_key(mine.normalized.text) == _text_key(theirs.normalized.text)
        return same, "equivalent" if same else "not_equivalent"
    comparer = _Comparer()
    for candidate_mine, candidate_theirs in _percent_readings(
        mine, reference_answer, theirs.normalized.percent
    ):
        if comparer.answers(candidate_mine, candidate_theirs):
            return True, "equivalent"
    return False, "not_equivalent"


def _percent_readings(
    mine: _Prepared, reference: Answer, reference_percent: bool
) -> list[tuple[Answer, Answer]]:
    """``50\\%`` is compared both as 50 (the sign dropped) and as 1/2 (its value)."""
    readings: list[tuple[Answer, Answer]] = [(mine.answer, reference)]  # type: ignore[list-item]
    if mine.normalized.percent == reference_percent:
        return readings
    if mine.normalized.percent and isinstance(mine.answer, Expr):
        scaled = Expr(Div(mine.answer.node, Num(Fraction(100))))
        readings.append((scaled, reference))
    elif reference_percent and isinstance(reference, Expr):
        scaled = Expr(Div(reference.node, Num(Fraction(100))))
        readings.append((mine.answer, scaled))  # type: ignore[arg-type]
    return readings


def answers_equivalent(predicted: str, reference: str) -> bool:
    """True when the predicted answer is mathematically the reference (see the module docstring).

    Example:
        >>> answers_equivalent(r"\\dfrac34", "0.75")
        True
        >>> answers_equivalent("(1, 2)", "(2, 1)")
        False
    """
    return check_equivalence(predicted, reference)[0]
