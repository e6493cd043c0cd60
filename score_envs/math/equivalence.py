"""Is a predicted final answer mathematically the same as the reference?

The check runs in tiers, cheapest first, and every tier is bounded by construction (input caps,
size estimates made *before* computing, and a deterministic work budget), so it never hangs and
never runs model text as code, from any thread:

1. **Text**: identical strings; then, when both answers are in a plain form (a number, a bare
   list or tuple of numbers, a polynomial with integer coefficients), their values compared
   directly (:mod:`score_envs.math.plain_answers`, the common case, without parsing); then
   identical normalised strings.
2. **Exact rationals** (:func:`fractions.Fraction`): integers, decimals, ``a/b``, ``\\frac{a}{b}``,
   mixed numbers, percentages, and any arithmetic of them, including integer powers whose size is
   estimated first. ``0.25`` equals ``\\frac14``; ``0.3333333`` does **not** equal ``1/3``.
3. **Numeric identity testing** for everything else (radicals, ``\\pi``, ``e``, logarithms,
   trigonometry, expressions in free symbols), in :mod:`score_envs.math.numeric`: both sides are
   evaluated with mpmath at four sample points drawn from a hash of both answers (so an answer
   cannot be built to vanish at them; every variable takes both signs and magnitudes from 0.5 to
   3.5), at a working precision chosen from the sizes involved, and accepted only if they agree
   to an absolute tolerance of ``2^-(s + 64)`` where ``s`` grows with every scale in the
   expressions (the bits of each exact rational, the magnitude of each power, exponential and
   tiny intermediate value); a difference below the tolerance is recomputed at a higher precision
   and accepted only if it shrinks like rounding noise. So a decimal never matches an irrational
   reference (``1.41421356`` is not ``\\sqrt{2}``: the reference form is exact, and a decimal is
   an exact rational), ``\\pi + 10^{-100}`` is not ``\\pi`` and ``\\sin(10^{-100})`` is not
   ``10^{-100}``; but ``\\frac{1}{\\sqrt{2}}`` equals ``\\frac{\\sqrt{2}}{2}`` and ``x^2+2x+1``
   equals ``(x+1)^2``. Step functions of a variable (``\\lfloor x \\rfloor``) are not sampled:
   they only equal the same expression.
4. **Symbolic fallback** (sympy, built from the syntax tree by :func:`to_sympy`), only for
   algebraic expressions in free symbols when the numeric test is inconclusive (every sample point
   undefined, or a magnitude or precision above the caps): the difference is auto-simplified, and
   expanded only when the expansion is estimated to be small.

**Time bound.** By design a call returns within 1 s on a 2-core machine whatever the input: the
answer is capped at :data:`~score_envs.math.parsing.MAX_ANSWER_CHARS` characters and
:data:`~score_envs.math.parsing.MAX_TOKENS` tokens, every exact or numeric operation has its size
checked before it runs, and the whole comparison draws on a deterministic
:data:`~score_envs.math.numeric.WORK_BUDGET`
(about 0.3 s there), so the verdict (including ``too_large``) is the same on every machine. The
first call that needs the symbolic fallback also pays sympy's one-time import (about 0.2 s). No
signal or wall clock is used, so it works from any thread (vector envs, Ray workers).

Structured answers are compared structurally and exactly: tuples in order with the same length,
sets (including bare comma lists, ``\\pm`` pairs and ``x=1 \\text{ or } x=2``) as sets with no
"overlap" credit, intervals with their closedness, unions of intervals as sets of intervals,
matrices entry by entry, equations by proportional difference of sides (``y = 2x + 1`` equals
``2x - y + 1 = 0``), inequalities likewise with a positive factor, a one-variable assignment
(``x = 3`` or ``3 = x``) on either side by its value, and assignments to several variables as the
point of their values in alphabetical order, subscripts numerically (``x = 2, y = 3`` equals
``(2, 3)``, and is not the set ``{2, 3}``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

from score_envs.math.normalize import NormalizedAnswer, normalize_answer
from score_envs.math.numeric import (
    WORK_BUDGET,
    BadPoint,
    Budget,
    Evaluation,
    ExactEvaluator,
    InfiniteValue,
    Undefined,
    Unsampleable,
    agree,
    comparison_seed,
    evaluate_everywhere,
    free_symbols,
    mp_context,
)
from score_envs.math.parsing import (
    MAX_ANSWER_CHARS,
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
from score_envs.math.plain_answers import plain_verdict
from score_envs.math.polynomial_identity import polynomial_identity

_LOGGER = logging.getLogger(__name__)

REASONS = (
    "equivalent",
    "not_equivalent",
    "no_answer_found",
    "unparsable",
    "too_large",
    "truncated",
)
"""Every reason code the math grader can return."""

__all__ = ["REASONS", "WORK_BUDGET", "answers_equivalent", "check_equivalence"]

_UNDEFINED = object()
# Reasons the numeric test cannot decide a scalar comparison (the caller then answers False).
_UNDECIDABLE = (Undefined, InfiniteValue, Unsampleable)


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
    """One comparison: shared budget, memo tables and sample-point seed for both answers."""

    def __init__(self, seed: int) -> None:
        self.budget = Budget()
        self.exact = ExactEvaluator(self.budget)
        self.seed = seed

    def evaluate(self, nodes: list[Node]) -> Evaluation:
        return evaluate_everywhere(nodes, self.exact, self.budget, self.seed)

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
        except Undefined:
            return False
        if value_first is not None and value_second is not None:
            return value_first == value_second
        # Polynomials with rational coefficients are compared by their expansions: exact, and
        # far cheaper than sampling; None means "not a polynomial here", so sample as before.
        identity = polynomial_identity(first, second)
        if identity is not None:
            return identity
        try:
            verdict = agree(self.evaluate([first, second]), 0, 1)
        except _UNDECIDABLE:
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
            evaluation = self.evaluate([first, second])
        except _UNDECIDABLE:
            return False
        mp = mp_context()
        rows, tolerance = evaluation.rows, evaluation.tolerance_bits
        usable = [index for index, row in enumerate(rows) if None not in row]
        if len(usable) < (1 if len(rows) == 1 else 2):
            return False
        pivot = max(usable, key=lambda index: abs(rows[index][1]))
        top, bottom = rows[pivot]
        if not bottom or mp.mag(bottom) < -tolerance or not top:
            return False
        ratio = top / bottom
        if mp.mag(ratio) < -tolerance:
            return False
        if positive and (abs(mp.im(ratio)) > abs(ratio) / 2**tolerance or mp.re(ratio) <= 0):
            return False
        slack = tolerance - max(0, mp.mag(ratio))

        def residual(table: list[list[Any]], point: int) -> Any:
            (value_first, value_second), (pivot_first, pivot_second) = table[point], table[pivot]
            if None in (value_first, value_second, pivot_first) or not pivot_second:
                return None
            return value_first - pivot_first / pivot_second * value_second

        return all(evaluation.vanishes(point, residual, slack) for point in usable)

    # -- answers -------------------------------------------------------------------------------

    def answers(self, first: Answer, second: Answer) -> bool:
        if isinstance(first, Relation) or isinstance(second, Relation):
            return self.relation_involved(first, second)
        if isinstance(first, Expr) and isinstance(second, Expr):
            return self.scalars(first.node, second.node)
        # A system of assignments to distinct variables is a point, whatever it is compared with.
        if isinstance(first, SetAnswer):
            first = _assignments_as_tuple(first) or first
        if isinstance(second, SetAnswer):
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
            except Undefined:
                values.append(_UNDEFINED)
        if all(value is not None for value in values):
            return lambda a, b: values[a] is not _UNDEFINED and values[a] == values[b]
        try:
            evaluation = self.evaluate(nodes)
        except _UNDECIDABLE:
            return lambda a, b: self.scalars(nodes[a], nodes[b])

        def equal(a: int, b: int) -> bool:
            if values[a] is _UNDEFINED or values[b] is _UNDEFINED:
                return False
            if values[a] is not None and values[b] is not None:
                return values[a] == values[b]
            self.budget.charge(len(evaluation.rows))
            verdict = agree(evaluation, a, b)
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
    return bool(free_symbols(first, free_symbols(second, set())))


def _as_answer(value: object) -> Answer:
    """Relation sides are bare nodes (or, right of ``\\in``, answers): wrap scalars."""
    return Expr(value) if isinstance(value, _SCALAR_TYPES) else value  # type: ignore[return-value]


def _contains_symbol(side: object, name: str) -> bool:
    """Whether a relation side (a scalar, or a structure right of ``\\in``) mentions ``name``."""
    return isinstance(side, _SCALAR_TYPES) and name in free_symbols(side, set())


def _assignment(relation: Relation) -> tuple[str, Answer] | None:
    """``x = 3``, ``3 = x`` or ``x \\in S``: the variable and the value assigned to it, else None.

    The variable may stand on either side of ``=``; when both sides are single variables
    (``y = x``) the left one is the variable, as written.
    """
    if len(relation.ops) != 1 or relation.ops[0] not in ("=", "in"):
        return None
    left, right = relation.sides
    is_equation = relation.ops[0] == "="
    if isinstance(left, Sym) and not (is_equation and _contains_symbol(right, left.name)):
        return left.name, _as_answer(right)
    if is_equation and isinstance(right, Sym) and not _contains_symbol(left, right.name):
        return right.name, _as_answer(left)
    return None


def _assigned_value(relation: Relation) -> Answer | None:
    """The value of a single-variable assignment (see :func:`_assignment`), else None."""
    assignment = _assignment(relation)
    return None if assignment is None else assignment[1]


def _natural_key(name: str) -> list[Any]:
    """Sort ``x_2`` before ``x_10``: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _assignments_as_tuple(answer: SetAnswer) -> TupleAnswer | None:
    """``x = 2, y = 3`` as the point ``(2, 3)``: values ordered by variable name.

    Only for two or more assignments to distinct single variables; the order (alphabetical, with
    subscripts in numeric order: ``x_2`` before ``x_10``) is the convention of a solution
    ``(x, y)``, ``(a, b, c)`` or ``(x_1, x_2)``. Such a system is one point, never a set of values:
    ``x = 1, y = 2`` is not the solution set ``{1, 2}``.
    """
    values: dict[str, Answer] = {}
    for item in answer.items:
        if not (isinstance(item, Relation) and item.ops == ("=",)):
            return None
        assignment = _assignment(item)
        if assignment is None or assignment[0] in values:
            return None
        values[assignment[0]] = assignment[1]
    if len(values) < 2:
        return None
    return TupleAnswer(tuple(values[name] for name in sorted(values, key=_natural_key)))


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
    constants and symbols) whose exponents are number literals within
    :data:`MAX_SYMBOLIC_EXPONENT` and whose root indices are integers up to 64: sympy evaluates
    functions of numbers eagerly (``binomial`` of a large rational expands a product), and
    ``expand`` splits a power over a sum in its exponent (``a^{10^{30} + z}`` becomes
    ``a^{10^{30}} a^z``, then computes ``a^{10^{30}}``), and that cost is not bounded by anything
    we control. Checked before sympy is even imported.
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
            if not isinstance(exponent, Num) or (
                abs(exponent.value.numerator) > MAX_SYMBOLIC_EXPONENT
                or exponent.value.denominator > 64
            ):
                return False
            stack.append(current.base)
        elif isinstance(current, Add):
            stack.extend(current.terms)
        elif isinstance(current, Mul):
            stack.extend(current.factors)
        elif isinstance(current, Neg):
            stack.append(current.operand)
        elif isinstance(current, Div):
            stack.extend((current.numerator, current.denominator))
        elif isinstance(current, Root):
            index = current.index
            if not (isinstance(index, Num) and index.value in _ROOT_INDICES):
                return False
            stack.append(current.radicand)
        else:
            return False
    return True


_ROOT_INDICES = frozenset(Fraction(degree) for degree in range(2, 65))


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
    except (AnswerError, Undefined, InfiniteValue, BadPoint, Unsampleable):
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
    plain = plain_verdict(predicted, reference)
    if plain is not None:
        return plain, "equivalent" if plain else "not_equivalent"
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
    comparer = _Comparer(comparison_seed(mine.normalized.text, theirs.normalized.text))
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
