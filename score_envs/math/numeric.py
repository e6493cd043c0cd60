"""Exact and numeric evaluation of answer syntax trees, every step paid from a work budget.

Two evaluators serve :mod:`score_envs.math.equivalence`:

- :class:`ExactEvaluator` computes rational subtrees exactly with :class:`fractions.Fraction`
  (integers, decimals, fractions, integer powers, exact roots, factorials, binomials), checking the
  size of every result *before* it is computed.
- :func:`evaluate_everywhere` evaluates trees with mpmath at a few sample points, at a working
  precision chosen from the scales present in the trees, and returns the tolerance within which
  two values count as equal. Two trees are then equal when they :func:`agree` at every usable
  point.

Why the numeric test can be trusted, and where it stops (documented in ``docs/verifier.md``):

- **Sample points are not predictable.** They are drawn from a seed that hashes both answers
  (:func:`comparison_seed`), so an answer cannot be built to vanish at the points it will be
  evaluated at (``(x-a)(x-b)(x-c)(x-d) + 5`` with the points as ``a..d``): changing the answer
  changes the points. The seed is a hash, not Python's ``hash()``, so every machine draws the
  same points for the same pair.
- **Each coordinate takes both signs and four magnitude bands** (0.5 to 3.5), so ``|y|`` is not
  ``y``, ``\\sqrt{y^2}`` is not ``y`` and ``\\arcsin(\\sin x)`` is not ``x``, for every variable.
- **Step functions of a variable are not sampled**: ``\\lfloor x \\rfloor`` and ``\\lceil x
  \\rceil`` are locally constant, so agreeing at a few points proves nothing
  (``\\lceil |x|/2 \\rceil`` is 1 at every point of a small box). Such a tree raises
  :class:`Unsampleable` and is only equal to the same tree.
- **Every tiny value is a scale.** The tolerance is ``2^-(s + 64)`` where ``s`` covers the bits of
  every exact rational, the magnitude of every power and exponential, and the magnitude of every
  nonzero intermediate value, so a product of tiny factors (``\\sin(10^{-399})^2`` written as a
  product) cannot hide below the tolerance. Rounding noise is kept out of that rule: a sum that
  cancels to within rounding error of its largest term, and a function value within rounding
  error of zero, is a zero at this precision and is flushed to an exact 0 (``\\sin(\\pi)``,
  ``\\sqrt{3}^2 - 3``). The precision rounds then make sure the final precision resolves every
  recorded scale, so a genuinely small value is never flushed in the round that decides. A small
  function value near a zero records three times its smallness: ``\\sin t - t`` is ``-t^3/6``.
- **Below the tolerance, a difference must behave like noise.** :meth:`Evaluation.vanishes`
  computes it again with more precision and accepts it only if it shrank: rounding noise does, a
  real difference (``e^{10^{-100}} - 1 - 10^{-100}``) keeps its size.

Work is charged in units of about a microsecond (calibrated on a 2-core CI machine) and is
deterministic: the same pair spends the same units, and gets the same verdict, everywhere.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath

from score_envs.math.parsing import (
    MAX_EXACT_BITS,
    MAX_FACTORIAL,
    Add,
    Binom,
    Const,
    Div,
    Func,
    Log,
    Mul,
    Neg,
    Node,
    Num,
    PlusMinus,
    Pow,
    Root,
    Sym,
    TooLarge,
    Unparsable,
)

MAX_MAGNITUDE_BITS = 4096
"""Numeric values (and sample-point intermediates) must stay within ``2^±4096``."""
MAX_PRECISION_BITS = 12_288
"""Highest working precision of the numeric test (about 3700 decimal digits)."""
WORK_BUDGET = 300_000
"""Work units one comparison may spend (about one microsecond each on a 2-core CI machine)."""
SAMPLE_POINTS = 4
"""Sample points for expressions with free symbols."""
MAGNITUDE_BANDS = ((0.5, 1.0), (1.0, 1.5), (1.5, 2.3), (2.3, 3.5))
"""Each coordinate of the sample points takes one magnitude from each band (in a random order)."""
# Balanced sign patterns whose pairwise products are balanced too: two variables always meet
# every combination of signs, so sqrt(a^2 b^2) is not ab.
_SIGN_PATTERNS = ((1, 1, -1, -1), (1, -1, 1, -1), (1, -1, -1, 1))
_BASE_PRECISION = 256
_MAX_GAMMA_PRECISION = 384
_MAX_PRECISION_ROUNDS = 3
_GUARD_BITS = 64
_REFINE_BITS = 128
# Functions that vanish somewhere. A result within rounding error of zero is flushed (sin(pi) is
# 0, not 2^-256). A small result 2^-m records the scale 3m: near a zero where the second
# derivative vanishes too (sin, tan, asin, atan, sinh, tanh at 0; sin at pi...) the first term
# an answer cannot cancel with rationals is cubic, so sin(t) - t hides a difference of t^3/6.
_FUNCTIONS_WITH_ZEROS = frozenset(
    ["sin", "cos", "tan", "cot", "asin", "acos", "atan", "sinh", "tanh", "log"]
)


class Undefined(Exception):
    """The expression has no value (``1/0``, ``0^{-1}``, ``(-1)!``)."""


class InfiniteValue(Exception):
    """The expression uses infinity inside arithmetic; only a bare signed infinity is compared."""


class BadPoint(Exception):
    """The expression is undefined at this sample point (a pole, ``log 0``)."""


class Unsampleable(Exception):
    """The expression cannot be checked by sampling (a step function of a variable)."""


class Budget:
    """The deterministic work allowance of one comparison (no wall clock: same verdict anywhere).

    Example:
        >>> budget = Budget()
        >>> budget.charge(10)
        >>> budget.spent
        10.0
    """

    __slots__ = ("spent",)

    def __init__(self) -> None:
        self.spent = 0.0

    def charge(self, units: float) -> None:
        """Spend ``units``; raise :class:`TooLarge` once the total exceeds :data:`WORK_BUDGET`."""
        self.spent += units
        if self.spent > WORK_BUDGET:
            raise TooLarge("the comparison exceeds its work budget")


# ---------------------------------------------------------------------------------------------
# Exact rational evaluation
# ---------------------------------------------------------------------------------------------

_NOT_RATIONAL = object()


def bits(value: Fraction) -> int:
    """The size of an exact rational: numerator bits plus denominator bits.

    Example:
        >>> bits(Fraction(3, 4))
        5
    """
    return value.numerator.bit_length() + value.denominator.bit_length()


def _check_size(value: Fraction) -> Fraction:
    if bits(value) > MAX_EXACT_BITS:
        raise TooLarge(f"an exact value exceeds {MAX_EXACT_BITS} bits")
    return value


class ExactEvaluator:
    """Evaluates rational subtrees exactly; memoised by node identity for one comparison.

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> ExactEvaluator(Budget()).value(parse_answer(r"\\frac{3}{4} + 2^{-2}").node)
        Fraction(1, 1)
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.memo: dict[int, Any] = {}

    def value(self, node: Node) -> Fraction | None:
        """The exact rational value of ``node``, or None when it is not (known to be) rational.

        Raises :class:`Undefined` for ``1/0`` and friends, :class:`TooLarge` beyond the caps.
        """
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
        self.budget.charge(bits(result) / 4000)
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
                if bits(product) + bits(value) > 2 * MAX_EXACT_BITS:
                    raise TooLarge("an exact product is too large")
                product = _check_size(product * value)
            return product
        if isinstance(node, Div):
            numerator = self.value(node.numerator)
            denominator = self.value(node.denominator)
            if denominator == 0:
                raise Undefined("division by zero")
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
            if k < 0 or k > n:
                return Fraction(0)
            # comb(n, k) has about min(k, n - k) * log2(n) bits: estimate before computing, so
            # that binom(10^9, 2) is computed and binom(10^9, 5 * 10^8) is refused.
            if min(k, n - k) * n.numerator.bit_length() > MAX_EXACT_BITS:
                raise TooLarge("binomial coefficient too large")
            return Fraction(math.comb(int(n), int(k)))
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
                raise Undefined("zero to a negative power")
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
        if abs(power) * bits(base) > MAX_EXACT_BITS:
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
                raise Undefined("factorial of a negative integer")
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
        # A base within float rounding of 1 (1 + 10^-300) has a float logarithm of 0: leave it
        # to the numeric test rather than divide by it.
        base_log = _log_abs(base)
        if base_log == 0.0:
            return None
        estimate = _log_abs(argument) / base_log
        power = round(estimate)
        if abs(estimate - power) > 1e-9 or abs(power) * bits(base) > MAX_EXACT_BITS:
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
# Numeric evaluation with mpmath
# ---------------------------------------------------------------------------------------------

_LOCAL = threading.local()
# What mpmath raises at a pole, outside a domain or when a series does not converge.
_MPMATH_DOMAIN_ERRORS = (ValueError, ZeroDivisionError, TypeError, mpmath.libmp.NoConvergence)


def mp_context() -> Any:
    """A private mpmath context per thread: ``mpmath.mp`` is global mutable state.

    Example:
        >>> mp_context() is mp_context()
        True
    """
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
    scale present (bits of exact rationals, magnitudes of powers and exponentials, and the
    smallness of every nonzero intermediate value), which decides how close two values must be to
    count as equal.
    """

    def __init__(
        self, exact: ExactEvaluator, budget: Budget, precision: int, refining: bool = False
    ) -> None:
        self.exact = exact
        self.budget = budget
        self.mp = mp_context()
        self.mp.prec = precision
        self.precision = precision
        # The refining pass (see Evaluation) runs a little above the usual gamma cap.
        self.gamma_precision = _MAX_GAMMA_PRECISION + (_REFINE_BITS if refining else 0)
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
        """Check a computed value and record its magnitude (large in ``big``, tiny in ``small``)."""
        mp = self.mp
        if not mp.isfinite(value):
            raise BadPoint("not finite")
        if value:
            magnitude = mp.mag(value)
            if magnitude > MAX_MAGNITUDE_BITS:
                raise TooLarge(f"a value exceeds 2^{MAX_MAGNITUDE_BITS}")
            if magnitude > self.big:
                self.big = magnitude
            # A value this small is a scale the tolerance must resolve: otherwise a product of
            # tiny factors could differ from the reference by less than the tolerance.
            if -magnitude > self.small:
                self.scale(-magnitude)
        return value

    def scale(self, bits: Any) -> None:
        """Record a deliberate scale of ``bits`` (an int, or an mpf from a magnitude estimate)."""
        bits = abs(bits)
        if bits > MAX_MAGNITUDE_BITS:
            raise TooLarge(f"a value exceeds 2^{MAX_MAGNITUDE_BITS}")
        if bits > self.small:
            self.small = int(bits) + 1

    def flush_noise(self, value: Any, reference_magnitude: Any) -> Any:
        """Zero a result that is within rounding error of zero, relative to what produced it.

        ``reference_magnitude`` is the magnitude of the largest input (the largest term of a sum,
        the argument of a function). A nonzero result below it by nearly the whole precision
        carries no correct bit: it is a true zero computed inexactly (``\\sin(\\pi)``), and
        treating it as a scale would make every precision look too low. A genuinely tiny value
        survives once the precision rounds resolve the scales that produced it.
        """
        if value and reference_magnitude is not None:
            if self.mp.mag(value) < reference_magnitude - self.precision + _GUARD_BITS:
                return self.mp.mpf(0)
        return value

    def value(self, node: Node) -> Any:
        exact = self.exact.value(node)
        mp = self.mp
        if exact is not None:
            self.budget.charge(self.arithmetic_cost)
            self.scale(bits(exact))
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
            raise InfiniteValue("infinity in arithmetic")
        if isinstance(node, Neg):
            return -self.value(node.operand)
        if isinstance(node, Add):
            return self.add(node)
        if isinstance(node, Mul):
            product = mp.mpf(1)
            for factor in node.factors:
                product = self.note(product * self.value(factor))
            return product
        if isinstance(node, Div):
            denominator = self.value(node.denominator)
            if not denominator:
                raise BadPoint("division by zero")
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
                raise BadPoint("root of index zero")
            return self.general_power(radicand, 1 / index_value)
        if isinstance(node, Func):
            if node.name in ("floor", "ceil") and free_symbols(node.argument, set()):
                raise Unsampleable("a step function of a variable")
            return self.function(node.name, self.value(node.argument))
        if isinstance(node, Log):
            self.budget.charge(2 * self.function_cost)
            base = self.value(node.base)
            argument = self.value(node.argument)
            if not base or not argument:
                raise BadPoint("log of zero")
            denominator = self.flush_noise(mp.ln(base), mp.mag(base))
            if not denominator:
                raise BadPoint("log base one")
            numerator = self.flush_noise(mp.ln(argument), mp.mag(argument))
            return self.note(numerator / denominator)
        if isinstance(node, Binom):
            n, k = self.value(node.n), self.value(node.k)
            for argument in (n, k):
                if abs(argument) > MAX_FACTORIAL:
                    raise TooLarge(f"binomial argument above {MAX_FACTORIAL}")
            self.gamma_allowed()
            try:
                return self.note(mp.binomial(n, k))
            except _MPMATH_DOMAIN_ERRORS as error:
                raise BadPoint(str(error)) from error
        raise Unparsable(f"cannot evaluate {type(node).__name__}")

    def add(self, node: Add) -> Any:
        mp = self.mp
        values = [self.value(term) for term in node.terms]
        self.budget.charge(self.arithmetic_cost * len(values))
        largest = max((mp.mag(value) for value in values if value), default=None)
        # fsum adds exactly before rounding, so partial sums add no noise of their own.
        return self.note(self.flush_noise(mp.fsum(values), largest))

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
                raise BadPoint("zero to a negative power")
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
            raise BadPoint("zero to a non-positive power")
        self.scale(mp.re(exponent * mp.ln(base)) / mp.ln2)
        try:
            return self.note(mp.power(base, exponent))
        except _MPMATH_DOMAIN_ERRORS as error:
            raise BadPoint(str(error)) from error

    def gamma_allowed(self) -> None:
        """mpmath's gamma builds tables per precision (seconds at 3000 bits): keep it low."""
        if self.precision > self.gamma_precision:
            raise TooLarge("a non-integer factorial or binomial at high precision")
        self.budget.charge(10 * self.function_cost)

    def function(self, name: str, argument: Any) -> Any:
        mp = self.mp
        # Complex arguments cost about three times as much (inverse functions most of all).
        self.budget.charge(self.function_cost * (3 if mp.im(argument) else 1))
        try:
            if name in _TRANSCENDENTAL:
                if name == "log" and not argument:
                    raise BadPoint("log of zero")
                result = getattr(mp, _TRANSCENDENTAL[name])(argument)
                if name in _FUNCTIONS_WITH_ZEROS and argument:
                    result = self.flush_noise(result, mp.mag(argument))
                    if result and mp.mag(result) < 0:
                        self.scale(3 * mp.mag(result))
                return self.note(result)
            if name == "exp":
                self.scale(mp.re(argument) / mp.ln2)
                return self.note(mp.exp(argument))
            if name == "abs":
                return self.note(abs(argument))
            if name in ("floor", "ceil"):
                if mp.im(argument) != 0:
                    raise BadPoint("floor of a complex number")
                return self.note(mp.floor(argument) if name == "floor" else mp.ceil(argument))
            if name == "factorial":
                if abs(argument) > MAX_FACTORIAL:
                    raise TooLarge(f"factorial argument above {MAX_FACTORIAL}")
                self.gamma_allowed()
                return self.note(mp.gamma(argument + 1))
        except _MPMATH_DOMAIN_ERRORS as error:
            raise BadPoint(str(error)) from error
        raise Unparsable(f"unknown function {name!r}")


def free_symbols(node: Node, found: set[str]) -> set[str]:
    """Add the names of the free symbols of ``node`` to ``found`` and return it.

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> sorted(free_symbols(parse_answer(r"x^2 + \\sin(y) + \\pi").node, set()))
        ['x', 'y']
    """
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Sym):
            found.add(current.name)
        elif isinstance(current, Add):
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


def comparison_seed(*texts: str) -> int:
    """The sample-point seed of one comparison: a hash of both answers, whatever their order.

    A keyed hash rather than a fixed seed makes the points unpredictable to whoever writes an
    answer (any change to the answer moves them), and rather than Python's ``hash()`` (salted per
    process) makes them identical on every machine.

    Example:
        >>> comparison_seed("x^2", "(x+1)^2") == comparison_seed("(x+1)^2", "x^2")
        True
    """
    digest = hashlib.blake2b(
        "\x00".join(sorted(texts)).encode("utf-8", "surrogatepass"),
        digest_size=8,
        person=b"score-envs-pts",
    )
    return int.from_bytes(digest.digest(), "big")


@lru_cache(maxsize=256)
def sample_points(symbols: tuple[str, ...], seed: int) -> tuple[tuple[tuple[str, float], ...], ...]:
    """Deterministic sample points: every coordinate takes both signs and every magnitude band.

    Coordinates take the balanced sign patterns in turn (from a random start, each possibly
    negated), so any two of the first three variables have a balanced product as well.

    Example:
        >>> points = sample_points(("x", "y"), seed=7)
        >>> len(points), sum(y < 0 for (_, x), (_, y) in points)
        (4, 2)
    """
    rng = random.Random(seed)
    start = rng.randrange(len(_SIGN_PATTERNS))
    columns: list[list[float]] = []
    for position in range(len(symbols)):
        pattern = _SIGN_PATTERNS[(start + position) % len(_SIGN_PATTERNS)]
        flip = rng.choice((1, -1))
        bands = list(range(SAMPLE_POINTS))
        rng.shuffle(bands)
        columns.append(
            [
                flip * pattern[index] * (low + (high - low) * rng.random())
                for index, (low, high) in enumerate(MAGNITUDE_BANDS[band] for band in bands)
            ]
        )
    return tuple(
        tuple((name, columns[position][index]) for position, name in enumerate(symbols))
        for index in range(SAMPLE_POINTS)
    )


class Evaluation:
    """Some trees evaluated at every sample point, and the means to decide what vanishes.

    ``rows[point][node]`` is a value, or None where that node is undefined at that point;
    ``tolerance_bits`` says that a difference of at least ``2^-tolerance_bits`` is certainly not
    zero. A smaller difference is either rounding noise (a true zero computed inexactly) or a
    genuinely tiny difference (``e^{10^{-100}} - 1 - 10^{-100}``, about ``10^{-200}``), and
    :meth:`vanishes` tells them apart by computing it again with :data:`_REFINE_BITS` more bits:
    noise shrinks with the precision, a real difference keeps its size. The precision always
    covers twice the largest scale, so a near miss is caught well below the tolerance.
    """

    def __init__(
        self,
        nodes: list[Node],
        exact: ExactEvaluator,
        budget: Budget,
        points: tuple[tuple[tuple[str, float], ...], ...],
        precision: int,
    ) -> None:
        self.nodes = nodes
        self.exact = exact
        self.budget = budget
        self.points = points
        self.precision = precision
        self.rows, self.big, self.small = _evaluate_rows(nodes, exact, budget, points, precision)
        self.tolerance_bits = self.small + _GUARD_BITS
        self._refined: list[list[Any]] | None = None

    def refined_rows(self) -> list[list[Any]]:
        """The same values at a higher precision (computed once, on first use)."""
        if self._refined is None:
            self._refined = _evaluate_rows(
                self.nodes,
                self.exact,
                self.budget,
                self.points,
                self.precision + _REFINE_BITS,
                refining=True,
            )[0]
        return self._refined

    def vanishes(self, point: int, residual: Any, tolerance_bits: int | None = None) -> bool:
        """Whether ``residual(rows, point)`` is zero at this point (within the rounding noise).

        ``residual`` computes a difference from a table of rows, so that it can be computed again
        from the refined rows; it returns None where a value it needs is undefined. A difference
        below the tolerance (even an exact 0, which may hide a difference below the last bit) is
        computed again at a higher precision: it vanishes when it is now below what noise at
        that precision can reach, that is when it shrank by at least half the added precision.
        """
        mp = mp_context()
        bits_needed = self.tolerance_bits if tolerance_bits is None else tolerance_bits
        mp.prec = self.precision
        difference = residual(self.rows, point)
        if difference is None:
            return False
        if difference and mp.mag(difference) >= -bits_needed:
            return False
        refined_rows = self.refined_rows()
        mp.prec = self.precision + _REFINE_BITS
        refined = residual(refined_rows, point)
        if refined is None:
            return False
        if not refined:
            return True
        # Noise at precision p is about 2^(big - p + c), c being how much the expression
        # amplifies rounding errors (observed from the first difference when it is not 0).
        noise_floor = self.big - self.precision - _REFINE_BITS // 2
        if difference:
            noise_floor = max(noise_floor, mp.mag(difference) - _REFINE_BITS // 2)
        return mp.mag(refined) < noise_floor


def _evaluate_rows(
    nodes: list[Node],
    exact: ExactEvaluator,
    budget: Budget,
    points: tuple[tuple[tuple[str, float], ...], ...],
    precision: int,
    refining: bool = False,
) -> tuple[list[list[Any]], int, int]:
    numeric = _Numeric(exact, budget, precision, refining)
    mp = numeric.mp
    rows: list[list[Any]] = []
    for point in points:
        env = {name: mp.mpf(value) for name, value in point}
        row = []
        for node in nodes:
            try:
                row.append(numeric.evaluate(node, env))
            except BadPoint:
                row.append(None)
        rows.append(row)
    return rows, numeric.big, numeric.small


def evaluate_everywhere(
    nodes: list[Node], exact: ExactEvaluator, budget: Budget, seed: int
) -> Evaluation:
    """Evaluate each node at every sample point at a sufficient precision.

    The precision is chosen so that rounding errors stay far below the tolerance: it must cover
    the largest magnitude plus twice the largest scale, and it is raised (in steps of 64 bits,
    which keeps mpmath's per-precision caches few) until it does.

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> budget = Budget()
        >>> nodes = [parse_answer(text).node for text in ("(x+1)^2", "x^2+2x+1")]
        >>> agree(evaluate_everywhere(nodes, ExactEvaluator(budget), budget, seed=1), 0, 1)
        True
    """
    symbols: set[str] = set()
    for node in nodes:
        free_symbols(node, symbols)
    names = tuple(sorted(symbols))
    points = sample_points(names, seed) if names else ((),)
    precision = _BASE_PRECISION
    for _round in range(_MAX_PRECISION_ROUNDS):
        evaluation = Evaluation(nodes, exact, budget, points, precision)
        needed = evaluation.big + 2 * evaluation.small + 3 * _GUARD_BITS
        if needed <= precision:
            return evaluation
        if needed > MAX_PRECISION_BITS:
            raise TooLarge(f"checking needs more than {MAX_PRECISION_BITS} bits of precision")
        # Magnitudes barely depend on the precision, so one more round normally suffices. A need
        # that keeps growing with the precision comes from rounding noise (sqrt(sin(pi))), and
        # the expression cannot be checked numerically.
        precision = -(-(needed + _GUARD_BITS) // _GUARD_BITS) * _GUARD_BITS
    raise TooLarge("the precision needed keeps growing: the value is numerically unstable")


def agree(evaluation: Evaluation, first: int, second: int) -> bool | None:
    """Do nodes ``first`` and ``second`` agree at every point where both are defined?

    None when too few points are usable (one for constants, two with free symbols).

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> budget = Budget()
        >>> nodes = [parse_answer(text).node for text in (r"\\sin(10^{-100})", "10^{-100}")]
        >>> agree(evaluate_everywhere(nodes, ExactEvaluator(budget), budget, seed=1), 0, 1)
        False
    """
    usable = 0

    def residual(rows: list[list[Any]], point: int) -> Any:
        a, b = rows[point][first], rows[point][second]
        return None if a is None or b is None else a - b

    for point, row in enumerate(evaluation.rows):
        if row[first] is None or row[second] is None:
            continue
        if not evaluation.vanishes(point, residual):
            return False
        usable += 1
    return None if usable < (1 if len(evaluation.rows) == 1 else 2) else True
