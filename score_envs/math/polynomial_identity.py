"""Exact identity of polynomials with rational coefficients: the fast path for ``x^2 + 2x + 1``.

Two polynomials over the rationals are the same function exactly when their expanded
coefficients are the same, so comparing expansions is a proof, not a test. For the answers where
it applies (sums, products, quotients by nonzero constants and small integer powers of rational
numbers and symbols) it is also about ten times cheaper than the numeric identity test of
:mod:`score_envs.math.numeric`, which evaluates both trees with mpmath at several points.

It is a shortcut, never a second opinion: :func:`polynomial_identity` answers ``None`` ("not
decided here") for any tree outside that grammar and for any expansion that would exceed the
caps below (terms, coefficient bits, degree, work), and the caller then runs the numeric test as
before. Every cap is checked before the operation that could exceed it, so the cost stays small
whatever the answer.
"""

from __future__ import annotations

from fractions import Fraction

from score_envs.math.parsing import MAX_EXACT_BITS, Add, Div, Mul, Neg, Node, Num, Pow, Sym

MAX_TERMS = 128
"""Largest number of terms any intermediate expansion may have."""
MAX_POWER = 24
"""Largest power of a sum expanded, as in ``(x + 1)^{24}``; larger ones are sampled instead (a
monomial such as ``3x^{100}`` is raised to any power within the degree and size caps)."""
MAX_DEGREE = 4095
"""Largest total degree of any monomial (so one exponent fits its 12-bit slot of a key)."""
MAX_WORK = 600
"""Coefficient operations (weighted by size) one call may spend before it gives up."""

_SLOT = MAX_DEGREE + 1

Polynomial = dict[int, Fraction | int]
"""Monomial key -> nonzero coefficient. A key packs the exponents of the symbols in base
``MAX_DEGREE + 1`` (symbol ``i`` in digit ``i``, numbered in order of appearance), so multiplying
monomials is adding keys; ``0`` is the constant term. Keys are only comparable between
polynomials expanded by the same :class:`_Expander`."""


class _GiveUp(Exception):
    """The tree is not a polynomial in this grammar, or expanding it would exceed a cap."""


class _Expander:
    """Expands trees into :data:`Polynomial` with a shared symbol numbering and work allowance."""

    def __init__(self) -> None:
        self.work = 0.0
        self.symbols: dict[str, int] = {}

    def expand(self, node: Node) -> Polynomial:
        return self._expand(node)[0]

    def _expand(self, node: Node) -> tuple[Polynomial, int]:
        """The expansion of ``node`` and its total degree."""
        if isinstance(node, Num):
            value = node.value
            # Integer coefficients stay ints: several times cheaper than Fractions, and equal
            # values compare equal across the two types.
            coefficient = value.numerator if value.denominator == 1 else value
            return ({0: coefficient} if coefficient else {}), 0
        if isinstance(node, Sym):
            index = self.symbols.setdefault(node.name, len(self.symbols))
            return {_SLOT**index: 1}, 1
        if isinstance(node, Neg):
            operand, degree = self._expand(node.operand)
            return {key: -value for key, value in operand.items()}, degree
        if isinstance(node, Add):
            total: Polynomial = {}
            top = 0
            for term in node.terms:
                expanded, degree = self._expand(term)
                total = _add(total, expanded)
                top = max(top, degree)
            return total, top
        if isinstance(node, Mul):
            product: tuple[Polynomial, int] = ({0: 1}, 0)
            for factor in node.factors:
                product = self._multiply(product, self._expand(factor))
            return product
        if isinstance(node, Div):
            denominator, _ = self._expand(node.denominator)
            if set(denominator) != {0}:  # zero, or not a constant: not a polynomial here
                raise _GiveUp
            return self._multiply(
                self._expand(node.numerator), ({0: Fraction(1) / denominator[0]}, 0)
            )
        if isinstance(node, Pow):
            return self._power(node)
        raise _GiveUp  # constants (pi, e, i), roots, functions, logarithms, binomials, ...

    def _multiply(
        self, first: tuple[Polynomial, int], second: tuple[Polynomial, int]
    ) -> tuple[Polynomial, int]:
        (left, left_degree), (right, right_degree) = first, second
        degree = left_degree + right_degree
        if degree > MAX_DEGREE:
            raise _GiveUp
        size = max(map(_bits, left.values()), default=0) + max(
            map(_bits, right.values()), default=0
        )
        if size > MAX_EXACT_BITS:
            raise _GiveUp
        self.work += len(left) * len(right) * (1 + size / 1000)
        if self.work > MAX_WORK:
            raise _GiveUp
        if len(left) == 1 or len(right) == 1:  # a monomial times a polynomial: no merging
            (key_one, value_one), many = (
                (next(iter(left.items())), right)
                if len(left) == 1
                else (next(iter(right.items())), left)
            )
            return {key_one + key: value_one * value for key, value in many.items()}, degree
        product: Polynomial = {}
        for key_left, value_left in left.items():
            for key_right, value_right in right.items():
                key = key_left + key_right
                product[key] = product.get(key, 0) + value_left * value_right
        product = {key: value for key, value in product.items() if value}
        if len(product) > MAX_TERMS:
            raise _GiveUp
        return product, degree

    def _power(self, node: Pow) -> tuple[Polynomial, int]:
        exponent = node.exponent
        if not (isinstance(exponent, Num) and exponent.value.denominator == 1):
            raise _GiveUp
        count = exponent.value.numerator
        base = self._expand(node.base)
        if set(base[0]) <= {0}:  # a rational number to an integer power
            value = base[0].get(0, 0)
            if value == 0 or abs(count) * _bits(value) > MAX_EXACT_BITS:
                raise _GiveUp  # 0^-1 is undefined; a huge power is the numeric test's business
            return {0: Fraction(value) ** count}, 0
        if count < 0:
            raise _GiveUp
        if len(base[0]) == 1:  # a monomial: exponents multiply, the coefficient is powered
            ((key, value),) = base[0].items()
            degree = base[1] * count
            if degree > MAX_DEGREE or count * _bits(value) > MAX_EXACT_BITS:
                raise _GiveUp
            return {key * count: value**count}, degree
        if count > MAX_POWER:
            raise _GiveUp
        result: tuple[Polynomial, int] = ({0: 1}, 0)
        for _ in range(count):
            result = self._multiply(result, base)
        return result


def _add(first: Polynomial, second: Polynomial) -> Polynomial:
    total = dict(first)
    for key, value in second.items():
        merged = total.get(key, 0) + value
        if merged:
            if _bits(merged) > MAX_EXACT_BITS:
                raise _GiveUp
            total[key] = merged
        else:
            total.pop(key, None)
    if len(total) > MAX_TERMS:
        raise _GiveUp
    return total


def _bits(value: Fraction | int) -> int:
    return value.numerator.bit_length() + value.denominator.bit_length()


def expand_polynomial(node: Node) -> Polynomial | None:
    """The expanded polynomial of ``node`` (monomial key -> nonzero coefficient), or None.

    None when ``node`` is not a polynomial with rational coefficients in this grammar, or when
    expanding it would exceed a cap (:data:`MAX_TERMS`, :data:`MAX_POWER`, :data:`MAX_DEGREE`,
    :data:`~score_envs.math.parsing.MAX_EXACT_BITS`, :data:`MAX_WORK`).

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> expansion = expand_polynomial(parse_answer("(x+1)^2 - 1").node)
        >>> sorted(expansion.values()), len(expansion)
        ([1, 2], 2)
        >>> expand_polynomial(parse_answer(r"\\sqrt{x}").node) is None
        True
    """
    try:
        return _Expander().expand(node)
    except (_GiveUp, ZeroDivisionError):
        return None


def polynomial_identity(first: Node, second: Node) -> bool | None:
    """True or False when both trees are polynomials this module can expand; None otherwise.

    Example:
        >>> from score_envs.math.parsing import parse_answer
        >>> nodes = [parse_answer(text).node for text in ("(x+1)^2", "x^2 + 2x + 1", "x^2 + 1")]
        >>> polynomial_identity(nodes[0], nodes[1]), polynomial_identity(nodes[0], nodes[2])
        (True, False)
        >>> polynomial_identity(parse_answer(r"\\sin x").node, nodes[0]) is None
        True
    """
    try:
        expander = _Expander()
        expanded_first = expander.expand(first)
        expanded_second = expander.expand(second)
    except (_GiveUp, ZeroDivisionError):
        return None
    return expanded_first == expanded_second
