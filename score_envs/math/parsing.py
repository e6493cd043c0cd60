"""A bounded recursive-descent parser for final answers (LaTeX and plain syntax).

Model answers are adversarial, so they are never handed to ``eval``, ``sympify``, ``parse_expr`` or
a LaTeX-to-sympy converter. This parser reads a *normalised* answer (see
:func:`score_envs.math.normalize.normalize_answer`) into a small immutable syntax tree, and the
tree is turned into sympy objects only by :func:`to_sympy`, which builds ``sympy.Integer``,
``Rational``, ``Symbol``, ``Add``, ``Mul``, ``Pow``, ``sqrt`` and friends directly. Every
dimension of the work is capped *before* it is done, so a call returns quickly from any thread:

- the answer length (:data:`MAX_ANSWER_CHARS`) and the token count (:data:`MAX_TOKENS`),
- the nesting depth (:data:`MAX_DEPTH`: braces, parentheses, exponent towers, signs, factorials),
- the digits of one number literal (:data:`MAX_LITERAL_DIGITS`),
- the number of items of a set, tuple or matrix (:data:`MAX_ITEMS`).

Exceeding a cap raises :class:`TooLarge`; malformed input raises :class:`Unparsable`. Both derive
from :class:`AnswerError`, and nothing else escapes :func:`parse_answer`.

Syntax conventions (documented because LaTeX and plain text disagree):

- ``\\frac12`` and ``\\sqrt2`` take one character as argument, as in LaTeX; ``2^10`` is ``2^{10}``
  (plain-text reading: a model that writes ``2^10`` means 1024).
- A literal written in E-notation (``1e3``, ``2.5E-4``, with nothing alphanumeric right after it)
  is that number; otherwise ``e`` is Euler's number (``2e`` is 2e).
- Juxtaposition is multiplication (``2x``, ``3\\pi``, ``2\\sqrt{3}``, ``(x+1)(x-1)``), except that a
  number may not directly follow another factor (``2 3`` and ``x2`` are refused: a number dump must
  not become a product), save after a factorial (``7!3!``).
- An integer followed by ``\\frac`` of two integers, or by ``p/q`` after a space, is a mixed number:
  ``2\\frac{1}{3}`` and ``2 1/3`` are 7/3.
- ``\\log`` without a base is the natural logarithm, like ``\\ln`` (as in sympy); ``\\log_b x`` has
  base ``b``.
- ``e`` is Euler's number, ``i`` the imaginary unit, ``\\pi``/``pi`` is pi; other letters and Greek
  commands are symbols; ``x_1`` and ``x_{12}`` are single symbols.
- A word of three or more letters that is not a known function or constant makes the whole answer
  text (:class:`TextAnswer`), compared as text (``\\text{odd}``, ``Monday``), except that inside a
  formula (an answer with a digit, operator or bracket) a run of up to four letters is a product:
  ``2abc`` and ``(xyz)^2`` are algebra, ``abc`` alone is a word.
- A bare comma list at top level, ``\\{...\\}`` and ``{a, b}`` are unordered sets; ``(a, b)`` is an
  ordered tuple (compared with an interval, it is the open interval); ``[a, b]``, ``[a, b)`` and
  ``(a, b]`` are intervals; ``\\cup`` joins intervals; ``\\pm`` makes a set of two values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

MAX_ANSWER_CHARS = 1000
"""Longest answer (after extraction) the parser reads; MATH answers are far shorter."""
MAX_TOKENS = 400
"""Most tokens in one answer."""
MAX_DEPTH = 40
"""Deepest nesting of groups, exponents, signs and factorials."""
MAX_LITERAL_DIGITS = 400
"""Most digits in one number literal (also keeps ``int(str)`` far below Python's 4300 limit)."""
MAX_ITEMS = 64
"""Most elements of a set, tuple, union or matrix."""
MAX_EXACT_BITS = 20_000
"""Largest exact rational (numerator plus denominator bits) ever computed, about 6000 digits."""
MAX_FACTORIAL = 1000
"""Largest factorial argument evaluated (1000! has 2568 digits)."""
MAX_SYMBOLIC_EXPONENT = 1000
"""Largest integer exponent :func:`to_sympy` lets sympy evaluate on a non-trivial base."""


class AnswerError(Exception):
    """Base class of the two ways an answer can fail to parse."""


class Unparsable(AnswerError):
    """The answer is not well-formed math in the supported syntax."""


class TooLarge(AnswerError):
    """The answer, or the work it would take to check it, exceeds a documented cap."""


# ---------------------------------------------------------------------------------------------
# Syntax tree. Scalars are ``Node`` subclasses; structured answers wrap them.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """An exact rational literal (integers and decimals are both exact: ``0.1`` is 1/10)."""

    value: Fraction


@dataclass(frozen=True, slots=True)
class Sym:
    """A free symbol such as ``x``, ``x_1`` or ``theta``."""

    name: str


@dataclass(frozen=True, slots=True)
class Const:
    """A named constant: ``pi``, ``e``, ``i`` (imaginary unit) or ``inf``."""

    name: str


@dataclass(frozen=True, slots=True)
class Add:
    """A sum of two or more terms (subtraction is ``Add`` of a ``Neg``)."""

    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Mul:
    """A product of two or more factors."""

    factors: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Neg:
    """Negation."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Div:
    """A quotient (``a/b``, ``\\frac{a}{b}``, ``a \\div b``)."""

    numerator: Node
    denominator: Node


@dataclass(frozen=True, slots=True)
class Pow:
    """A power ``base ^ exponent``."""

    base: Node
    exponent: Node


@dataclass(frozen=True, slots=True)
class Root:
    """``\\sqrt[index]{radicand}``; an odd root of a negative real is the real root."""

    index: Node
    radicand: Node


@dataclass(frozen=True, slots=True)
class Func:
    """A named function of one argument (``sin``, ``ln``, ``abs``, ``floor``, ``factorial``...)."""

    name: str
    argument: Node


@dataclass(frozen=True, slots=True)
class Log:
    """A logarithm to a base (``\\log_2 8``); a plain ``\\log`` is parsed as ``Func('log', x)``."""

    base: Node
    argument: Node


@dataclass(frozen=True, slots=True)
class Binom:
    """The binomial coefficient ``\\binom{n}{k}``."""

    n: Node
    k: Node


@dataclass(frozen=True, slots=True)
class PlusMinus:
    """``a \\pm b``: the pair ``{a + b, a - b}``; expanded into a set at the item level."""

    left: Node
    right: Node


Node = Num | Sym | Const | Add | Mul | Neg | Div | Pow | Root | Func | Log | Binom | PlusMinus


@dataclass(frozen=True, slots=True)
class Expr:
    """A scalar answer."""

    node: Node


@dataclass(frozen=True, slots=True)
class Relation:
    """An equation or (chained) inequality: ``sides[0] ops[0] sides[1] ops[1] ...``.

    Operators are ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` and ``in`` (``x \\in [1, 2]``). Sides
    are scalar nodes, except that the right side of ``in`` may be any answer.
    """

    ops: tuple[str, ...]
    sides: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class TupleAnswer:
    """An ordered tuple ``(a, b, ...)`` (a point, a vector, an ordered list of values)."""

    items: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class SetAnswer:
    """An unordered set: ``\\{a, b\\}``, a bare list ``a, b`` or the two values of ``\\pm``.

    ``plus_minus`` marks the values of one ``\\pm`` so a list such as ``1 \\pm 2, 7`` splices
    them in rather than nesting a set.
    """

    items: tuple[Answer, ...]
    plus_minus: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval with its two endpoints and whether each end is closed."""

    low: Node
    high: Node
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class UnionAnswer:
    """A union of intervals (or other sets) joined by ``\\cup``."""

    parts: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """A matrix from ``\\begin{pmatrix} ... \\end{pmatrix}`` (rows of equal length)."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True, slots=True)
class TextAnswer:
    """A word answer (``odd``, ``Monday``), compared case-insensitively without spaces."""

    key: str


Answer = Expr | Relation | TupleAnswer | SetAnswer | Interval | UnionAnswer | Matrix | TextAnswer
_STRUCTURES = (Relation, TupleAnswer, SetAnswer, Interval, UnionAnswer, Matrix, TextAnswer)

# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------

_FUNCTIONS = frozenset(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln exp sqrt".split()
)
_GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi "
    "Omega".split()
)
_WORDS = {"pi": "pi", "inf": "inf", "infty": "inf", "infinity": "inf", "or": "sep", "and": "sep"}
_RELATIONS = {
    "=": "=",
    "==": "=",
    "<": "<",
    ">": ">",
    "<=": "<=",
    ">=": ">=",
    "!=": "!=",
    r"\le": "<=",
    r"\leq": "<=",
    r"\leqslant": "<=",
    r"\ge": ">=",
    r"\geq": ">=",
    r"\geqslant": ">=",
    r"\lt": "<",
    r"\gt": ">",
    r"\ne": "!=",
    r"\neq": "!=",
    r"\in": "in",
}
_MUL_OPS = frozenset(["*", r"\cdot", r"\times", r"\ast"])
_DIV_OPS = frozenset(["/", r"\div"])
# Opening command -> (closing command, function).
_DELIMITED = {
    r"\lvert": (r"\rvert", "abs"),
    r"\lfloor": (r"\rfloor", "floor"),
    r"\lceil": (r"\rceil", "ceil"),
}

_TOKEN_RE = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<sci>(?:\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d+(?![\dA-Za-z]))"
    r"|(?P<num>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<matbegin>\\begin\{[pbvBV]?matrix\})"
    r"|(?P<matend>\\end\{[pbvBV]?matrix\})"
    r"|(?P<cmd>\\[A-Za-z]+|\\.)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<op><=|>=|!=|==|[-+*/^_!()\[\]{},=<>|&;'])"
)


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token; ``spaced`` records whitespace before it (for mixed numbers ``2 1/3``)."""

    kind: str  # num, letter, name, cmd, op, matbegin, matend, end
    text: str
    spaced: bool = False


_END = Token("end", "")


def tokenize(text: str) -> list[Token]:
    """Split a normalised answer into tokens, refusing characters outside the supported syntax.

    Example:
        >>> [t.text for t in tokenize(r"2x+\\frac{1}{2}")]
        ['2', 'x', '+', '\\\\frac', '{', '1', '}', '{', '2', '}']
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise TooLarge(f"answer has {len(text)} characters; the cap is {MAX_ANSWER_CHARS}")
    tokens: list[Token] = []
    position = 0
    spaced = False
    length = len(text)
    # Inside a formula (digits, operators, brackets) a short letter run is a product (2abc,
    # (xyz)^2); a bare word is a word (odd, Monday).
    in_formula = _FORMULA_MARK.search(text) is not None
    while position < length:
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise Unparsable(f"unexpected character {text[position]!r} at {position}")
        position = match.end()
        kind = match.lastgroup
        value = match.group()
        if kind == "space":
            spaced = True
            continue
        if kind in ("num", "sci"):
            mantissa, _, exponent = value.lower().partition("e")
            digits = len(mantissa) - mantissa.count(".")
            if digits > MAX_LITERAL_DIGITS:
                raise TooLarge(f"a number has {digits} digits; the cap is {MAX_LITERAL_DIGITS}")
            if exponent and abs(int(exponent[:8])) > MAX_LITERAL_DIGITS:
                raise TooLarge(f"a number exponent exceeds {MAX_LITERAL_DIGITS}")
            tokens.append(Token("num", value, spaced))
        elif kind == "word":
            _append_word(tokens, value, spaced, in_formula)
        else:
            tokens.append(Token(kind or "op", value, spaced))
        spaced = False
        if len(tokens) > MAX_TOKENS:
            raise TooLarge(f"answer has more than {MAX_TOKENS} tokens")
    return tokens


class _TextSignal(Exception):
    """Raised by the tokenizer when the answer contains a word: the answer is text."""


_FORMULA_MARK = re.compile(r"[\d^_{}()\[\]+\-*/=<>|\\!]")
_MAX_PRODUCT_WORD = 4


def _append_word(tokens: list[Token], word: str, spaced: bool, in_formula: bool) -> None:
    if word in _WORDS or word in _FUNCTIONS:
        tokens.append(Token("name", word, spaced))
    elif len(word) <= 2 or (in_formula and len(word) <= _MAX_PRODUCT_WORD):
        # Two letters are a product (xy), and so are up to four inside a formula (2abc); a
        # longer unknown word, or a bare word, is prose, not algebra.
        for index, letter in enumerate(word):
            tokens.append(Token("letter", letter, spaced and index == 0))
    else:
        raise _TextSignal(word)


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------


def _is_int_literal(node: object) -> bool:
    return isinstance(node, Num) and node.value.denominator == 1


class _Parser:
    """Recursive descent over the token list; ``depth`` bounds recursion by construction."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Token:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else _END

    def advance(self) -> Token:
        token = self.peek()
        self.position += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind != "end" and token.text == text:
            self.position += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise Unparsable(f"expected {text!r}, found {self.peek().text or 'end'!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooLarge(f"nesting deeper than {MAX_DEPTH}")

    def leave(self) -> None:
        self.depth -= 1

    # -- answers -------------------------------------------------------------------------------

    def parse_answer(self) -> Answer:
        items = [self.parse_item()]
        while self.is_separator(self.peek()):
            self.advance()
            items.append(self.parse_item())
            if len(items) > MAX_ITEMS:
                raise TooLarge(f"more than {MAX_ITEMS} items")
        if self.peek().kind != "end":
            raise Unparsable(f"unexpected {self.peek().text!r}")
        if len(items) == 1:
            return items[0]
        return SetAnswer(tuple(_flatten_plus_minus_items(items)))

    @staticmethod
    def is_separator(token: Token) -> bool:
        return (token.kind == "op" and token.text in (",", ";")) or (
            token.kind == "name" and _WORDS.get(token.text) == "sep"
        )

    def parse_item(self) -> Answer:
        return _wrap_scalar(self.parse_item_unwrapped())

    def parse_item_unwrapped(self) -> object:
        """An item as parsed: a scalar node (``\\pm`` not yet expanded) or a structure."""
        first = self.parse_union()
        token = self.peek()
        relation = _RELATIONS.get(token.text) if token.kind in ("op", "cmd") else None
        if relation is None:
            return first
        ops: list[str] = []
        sides: list[object] = [first]
        while True:
            token = self.peek()
            relation = _RELATIONS.get(token.text) if token.kind in ("op", "cmd") else None
            if relation is None:
                break
            self.advance()
            ops.append(relation)
            sides.append(self.parse_union())
            if len(ops) > MAX_ITEMS:
                raise TooLarge(f"more than {MAX_ITEMS} relations in a chain")
        for index, side in enumerate(sides):
            right_of_in = index > 0 and ops[index - 1] == "in"
            if isinstance(side, _STRUCTURES) and not right_of_in:
                raise Unparsable("a relation side must be a scalar")
        if "in" in ops and (len(ops) != 1 or not isinstance(sides[0], Sym)):
            raise Unparsable("'\\in' is supported only as 'x \\in S'")
        if any(isinstance(side, PlusMinus) or _contains_plus_minus(side) for side in sides[:1]):
            raise Unparsable("'\\pm' on the left of a relation is not supported")
        if len(sides) == 2 and ops[0] == "=" and _contains_plus_minus(sides[1]):
            # x = 1 \pm \sqrt{2}: the two assignments.
            values = _expand_plus_minus(sides[1])
            pairs = tuple(Relation(("=",), (sides[0], value)) for value in values)
            return SetAnswer(pairs, plus_minus=True)
        if any(_contains_plus_minus(side) for side in sides if not isinstance(side, _STRUCTURES)):
            raise Unparsable("'\\pm' inside a relation is not supported")
        return Relation(tuple(ops), tuple(sides))

    def parse_union(self) -> object:
        first = self.parse_expression()
        if not (self.peek().kind == "cmd" and self.peek().text == r"\cup"):
            return first
        parts = [first]
        while self.accept(r"\cup"):
            parts.append(self.parse_expression())
            if len(parts) > MAX_ITEMS:
                raise TooLarge(f"more than {MAX_ITEMS} parts in a union")
        return UnionAnswer(tuple(_wrap_scalar(part) for part in parts))

    # -- scalar expressions --------------------------------------------------------------------

    def parse_expression(self) -> object:
        token = self.peek()
        if token.kind == "cmd" and token.text in (r"\pm", r"\mp"):
            self.advance()
            first: object = PlusMinus(Num(Fraction(0)), _scalar(self.parse_term()))
        else:
            first = self.parse_term()
        terms: list[object] = [first]
        while True:
            token = self.peek()
            if token.kind == "op" and token.text in "+-":
                self.advance()
                term = _scalar(self.parse_term())
                terms.append(term if token.text == "+" else Neg(term))
            elif token.kind == "cmd" and token.text in (r"\pm", r"\mp"):
                self.advance()
                left = _sum([_scalar(term) for term in terms])
                terms = [PlusMinus(left, _scalar(self.parse_term()))]
            else:
                break
        if len(terms) == 1:
            return terms[0]
        return _sum([_scalar(term) for term in terms])

    def parse_term(self) -> object:
        negative = False
        signs = 0
        while self.peek().kind == "op" and self.peek().text in "+-":
            negative ^= self.advance().text == "-"
            signs += 1
            if signs > MAX_DEPTH:
                raise TooLarge(f"more than {MAX_DEPTH} signs in a row")
        first_token = self.peek()
        factors: list[object] = [self.parse_power()]
        if first_token.kind == "num" and _is_int_literal(factors[0]):
            mixed = self.try_mixed_number(factors[0])
            if mixed is not None:
                factors[0] = mixed
        while True:
            token = self.peek()
            if token.kind in ("op", "cmd") and token.text in _MUL_OPS:
                self.advance()
                factors.append(self.parse_signed_factor())
            elif token.kind in ("op", "cmd") and token.text in _DIV_OPS:
                self.advance()
                denominator = _scalar(self.parse_signed_factor())
                previous = _scalar(factors.pop())
                factors.append(Div(previous, denominator))
            elif self.starts_implicit_factor(token) or (
                token.kind == "num" and self.peek(-1).text == "!"
            ):
                # 7!3! is 7! * 3!; otherwise a number never follows a factor implicitly.
                factors.append(self.parse_power())
            else:
                break
            if len(factors) > MAX_TOKENS:
                raise TooLarge("too many factors")
        if len(factors) == 1:
            result = factors[0]
            if negative:
                result = Neg(_scalar(result))
            return result
        product: Node = Mul(tuple(_scalar(factor) for factor in factors))
        return Neg(product) if negative else product

    def parse_signed_factor(self) -> object:
        """A factor after an explicit operator may carry its own sign: ``2 \\cdot -3``."""
        token = self.peek()
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.enter()
            try:
                operand = _scalar(self.parse_signed_factor())
            finally:
                self.leave()
            return Neg(operand) if token.text == "-" else operand
        return self.parse_power()

    def try_mixed_number(self, whole: Num) -> Node | None:
        """``2\\frac{1}{3}``, ``2\\frac13`` or ``2 1/3`` (a space, integer/integer, end of term)."""
        found = self.mixed_fraction_ahead()
        if found is None:
            return None
        numerator, denominator, width = found
        if not 0 < numerator < denominator:
            return None
        self.position += width
        return Num(whole.value + Fraction(numerator, denominator))

    def mixed_fraction_ahead(self) -> tuple[int, int, int] | None:
        """Look ahead (without consuming) for the fraction part of a mixed number."""
        token = self.peek()
        if token.kind == "cmd" and token.text == r"\frac":
            texts = [self.peek(offset).text for offset in range(1, 7)]
            kinds = [self.peek(offset).kind for offset in range(1, 7)]
            braced = texts[0] == "{" and texts[2] == "}" and texts[3] == "{" and texts[5] == "}"
            if braced and kinds[1] == kinds[4] == "num" and (texts[1] + texts[4]).isdigit():
                width = 7
                numerator, denominator = int(texts[1]), int(texts[4])
            elif kinds[0] == "num" and len(texts[0]) == 2 and texts[0].isdigit():
                width = 2
                numerator, denominator = int(texts[0][0]), int(texts[0][1])
            else:
                return None
            if self.starts_continuation(self.peek(width)):
                return None
            return numerator, denominator, width
        if (
            token.kind == "num"
            and token.spaced
            and self.peek(1).text == "/"
            and self.peek(2).kind == "num"
            and (token.text + self.peek(2).text).isdigit()
            and not self.starts_continuation(self.peek(3))
        ):
            return int(token.text), int(self.peek(2).text), 3
        return None

    def starts_continuation(self, token: Token) -> bool:
        """True when ``token`` would extend the current term (so ``2 1/3x`` is not mixed)."""
        if token.kind == "op" and token.text in ("^", "!", "*", "/", "_"):
            return True
        if token.kind == "cmd" and token.text in _MUL_OPS | _DIV_OPS:
            return True
        return self.starts_implicit_factor(token) or token.kind == "num"

    @staticmethod
    def starts_implicit_factor(token: Token) -> bool:
        if token.kind in ("letter", "matbegin"):
            return True
        if token.kind == "name":
            return _WORDS.get(token.text) != "sep"
        if token.kind == "op":
            return token.text in ("(", "{")
        if token.kind == "cmd":
            return (
                token.text in _IMPLICIT_COMMANDS
                or token.text[1:] in _FUNCTIONS
                or (token.text[1:] in _GREEK)
            )
        return False

    def parse_power(self) -> object:
        base = self.parse_postfix()
        if not self.accept("^"):
            return base
        self.enter()
        try:
            exponent = self.parse_exponent()
        finally:
            self.leave()
        return Pow(_scalar(base), exponent)

    def parse_exponent(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.enter()
            try:
                operand = self.parse_exponent()
            finally:
                self.leave()
            return Neg(operand) if token.text == "-" else operand
        if token.kind == "num":
            self.advance()
            atom: Node = _number(token.text)
        elif token.kind == "letter":
            self.advance()
            atom = self.letter_node(token.text)
        else:
            atom = _scalar(self.parse_postfix())
        if self.accept("^"):
            self.enter()
            try:
                return Pow(atom, self.parse_exponent())
            finally:
                self.leave()
        return atom

    def parse_postfix(self) -> object:
        node = self.parse_primary()
        count = 0
        while self.peek().kind == "op" and self.peek().text == "!":
            self.advance()
            node = Func("factorial", _scalar(node))
            count += 1
            if count > MAX_DEPTH:
                raise TooLarge(f"more than {MAX_DEPTH} factorials in a row")
        return node

    def letter_node(self, letter: str) -> Node:
        if self.peek().kind == "op" and self.peek().text == "_":
            self.advance()
            return Sym(letter + "_" + self.subscript_text())
        if letter == "e":
            return Const("e")
        if letter == "i":
            return Const("i")
        return Sym(letter)

    def subscript_text(self) -> str:
        token = self.advance()
        if token.kind in ("num", "letter"):
            return token.text
        if token.kind == "op" and token.text == "{":
            parts = []
            while not self.accept("}"):
                inner = self.advance()
                if inner.kind not in ("num", "letter", "name"):
                    raise Unparsable("a subscript must be letters and digits")
                parts.append(inner.text)
                if len(parts) > 16:
                    raise TooLarge("subscript too long")
            if not parts:
                raise Unparsable("empty subscript")
            return "".join(parts)
        raise Unparsable("bad subscript")

    def parse_primary(self) -> object:
        token = self.advance()
        kind, text = token.kind, token.text
        if kind == "num":
            return _number(text)
        if kind == "letter":
            return self.letter_node(text)
        if kind == "name":
            return self.parse_name(text)
        if kind == "op":
            if text == "(":
                return self.parse_bracketed("(")
            if text == "[":
                return self.parse_bracketed("[")
            if text == "{":
                return self.parse_brace_group()
            if text == "|":
                return self.parse_delimited("|", "abs")
        if kind == "cmd":
            return self.parse_command(text)
        if kind == "matbegin":
            return self.parse_matrix()
        raise Unparsable(f"unexpected {text or 'end'!r}")

    def parse_name(self, name: str) -> object:
        meaning = _WORDS.get(name)
        if meaning == "pi":
            return Const("pi")
        if meaning == "inf":
            return Const("inf")
        if name == "sqrt":
            return Root(Num(Fraction(2)), self.parse_argument())
        if name in _FUNCTIONS:
            return self.parse_function(name)
        raise Unparsable(f"unexpected {name!r}")

    def parse_command(self, command: str) -> object:
        name = command[1:]
        if name == "frac":
            numerator = self.parse_argument()
            denominator = self.parse_argument()
            return Div(numerator, denominator)
        if name == "sqrt":
            index: Node = Num(Fraction(2))
            if self.accept("["):
                self.enter()
                try:
                    index = _scalar(self.parse_expression())
                finally:
                    self.leave()
                self.expect("]")
            return Root(index, self.parse_argument())
        if name == "binom":
            return Binom(self.parse_argument(), self.parse_argument())
        if name == "pi":
            return Const("pi")
        if name in ("infty", "infinity"):
            return Const("inf")
        if name in ("emptyset", "varnothing"):
            return SetAnswer(())
        if name in _GREEK:
            return Sym(name)
        if name in _FUNCTIONS:
            return self.parse_function(name)
        if name in ("{", "lbrace"):
            return self.parse_set()
        if name == "langle":
            return self.parse_sequence(r"\rangle")
        if command in _DELIMITED:
            return self.parse_delimited(*_DELIMITED[command])
        if name == "vert":
            return self.parse_delimited(command, "abs")
        raise Unparsable(f"unsupported command {command!r}")

    def parse_argument(self) -> Node:
        """A LaTeX macro argument: a brace group, a parenthesised group or a single token."""
        token = self.peek()
        if token.kind == "op" and token.text == "{":
            self.advance()
            return _scalar(self.parse_brace_group())
        if token.kind == "op" and token.text == "(":
            self.advance()
            return _scalar(self.parse_bracketed("("))
        if token.kind == "num":
            # \frac12: one digit is the argument; the rest of the literal stays in the stream.
            if len(token.text) > 1 and token.text.isdigit():
                self.tokens[self.position] = Token("num", token.text[1:], False)
            else:
                self.advance()
                return _number(token.text)
            return _number(token.text[0])
        if token.kind == "letter":
            self.advance()
            return self.letter_node(token.text)
        if token.kind in ("cmd", "name"):
            self.enter()
            try:
                return _scalar(self.parse_primary())
            finally:
                self.leave()
        raise Unparsable(f"missing argument before {token.text or 'end'!r}")

    def parse_function(self, name: str) -> Node:
        name = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "ln": "log"}.get(name, name)
        power: Node | None = None
        base: Node | None = None
        if name == "log" and self.accept("_"):
            base = self.parse_argument()
        if self.accept("^"):
            self.enter()
            try:
                power = self.parse_exponent()
            finally:
                self.leave()
        self.enter()
        try:
            token = self.peek()
            if token.kind == "op" and token.text in "({":
                self.advance()
                argument = _scalar(
                    self.parse_bracketed("(") if token.text == "(" else self.parse_brace_group()
                )
            else:
                # \sin 2x is sin(2x): the argument runs over juxtaposed letters and numbers.
                argument = _scalar(self.parse_power())
                extra: list[Node] = []
                while self.peek().kind == "letter":
                    extra.append(_scalar(self.parse_power()))
                if extra:
                    argument = Mul((argument, *extra))
        finally:
            self.leave()
        if name == "sqrt":
            result: Node = Root(Num(Fraction(2)), argument)
        elif base is not None:
            result = Log(base, argument)
        else:
            result = Func(name, argument)
        if power is not None:
            result = Pow(result, power)
        return result

    def parse_brace_group(self) -> object:
        """``{...}``: grouping, or a set when it holds a comma list (``{1, 2}``)."""
        self.enter()
        try:
            if self.accept("}"):
                raise Unparsable("empty group")
            first = self.parse_item_unwrapped()
            if self.accept("}"):
                return first  # a group: {-1 \pm \sqrt5} stays an expression inside \frac
            items = [_wrap_scalar(first)]
            while self.accept(","):
                items.append(self.parse_item())
                if len(items) > MAX_ITEMS:
                    raise TooLarge(f"more than {MAX_ITEMS} items")
            self.expect("}")
        finally:
            self.leave()
        return SetAnswer(tuple(_flatten_plus_minus_items(items)))

    def parse_set(self) -> SetAnswer:
        self.enter()
        try:
            items: list[Answer] = []
            if not self.accept(r"\}") and not self.accept(r"\rbrace"):
                items.append(self.parse_item())
                while self.accept(",") or self.accept(";"):
                    items.append(self.parse_item())
                    if len(items) > MAX_ITEMS:
                        raise TooLarge(f"more than {MAX_ITEMS} items")
                if not (self.accept(r"\}") or self.accept(r"\rbrace")):
                    raise Unparsable("unclosed set")
        finally:
            self.leave()
        return SetAnswer(tuple(_flatten_plus_minus_items(items)))

    def parse_sequence(self, closer: str) -> TupleAnswer:
        self.enter()
        try:
            items = [_wrap_scalar(self.parse_expression())]
            while self.accept(","):
                items.append(_wrap_scalar(self.parse_expression()))
                if len(items) > MAX_ITEMS:
                    raise TooLarge(f"more than {MAX_ITEMS} items")
            self.expect(closer)
        finally:
            self.leave()
        return TupleAnswer(tuple(items))

    def parse_bracketed(self, opener: str) -> object:
        """After ``(`` or ``[``: a group, a tuple or an interval, by the closer and item count."""
        self.enter()
        try:
            items = [self.parse_expression()]
            while self.accept(","):
                items.append(self.parse_expression())
                if len(items) > MAX_ITEMS:
                    raise TooLarge(f"more than {MAX_ITEMS} items")
            closer = self.advance()
        finally:
            self.leave()
        if closer.kind != "op" or closer.text not in ")]":
            raise Unparsable(f"expected ')' or ']', found {closer.text or 'end'!r}")
        if len(items) == 1:
            if opener == "(" and closer.text == ")":
                return items[0]
            if opener == "[" and closer.text == "]":
                return items[0]
            raise Unparsable("mismatched brackets")
        if len(items) == 2 and (opener == "[" or closer.text == "]"):
            low, high = _scalar(items[0]), _scalar(items[1])
            return Interval(low, high, opener == "[", closer.text == "]")
        if opener == "(" and closer.text == ")":
            return TupleAnswer(tuple(_wrap_scalar(item) for item in items))
        if opener == "[" and closer.text == "]":
            return TupleAnswer(tuple(_wrap_scalar(item) for item in items))
        raise Unparsable("mismatched brackets")

    def parse_delimited(self, closer: str, function: str) -> Node:
        self.enter()
        try:
            inner = _scalar(self.parse_expression())
            self.expect(closer)
        finally:
            self.leave()
        return Func(function, inner)

    def parse_matrix(self) -> Matrix:
        self.enter()
        try:
            rows: list[tuple[Node, ...]] = []
            row: list[Node] = []
            count = 0
            while True:
                if self.peek().kind == "matend":
                    self.advance()
                    break
                row.append(_scalar(self.parse_expression()))
                count += 1
                if count > MAX_ITEMS:
                    raise TooLarge(f"more than {MAX_ITEMS} matrix entries")
                if self.accept("&"):
                    continue
                if self.accept("\\\\"):
                    rows.append(tuple(row))
                    row = []
                    if self.peek().kind == "matend":
                        self.advance()
                        break
                    continue
                if self.peek().kind == "matend":
                    continue
                raise Unparsable("bad matrix")
        finally:
            self.leave()
        if row:
            rows.append(tuple(row))
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            raise Unparsable("matrix rows differ in length")
        return Matrix(tuple(rows))


_IMPLICIT_COMMANDS = frozenset(
    [r"\frac", r"\sqrt", r"\binom", r"\pi", r"\infty", r"\lfloor", r"\lceil", r"\lvert"]
)


def _number(text: str) -> Num:
    return Num(Fraction(text))


def _scalar(value: object) -> Node:
    """Refuse a structure (tuple, set, interval...) where arithmetic needs a scalar."""
    if isinstance(value, _STRUCTURES):
        raise Unparsable("a tuple, set, interval or relation cannot take part in arithmetic")
    return value  # type: ignore[return-value]


def _wrap_scalar(value: object) -> Answer:
    if isinstance(value, _STRUCTURES):
        return value  # type: ignore[return-value]
    if _contains_plus_minus(value):
        values = _expand_plus_minus(value)  # type: ignore[arg-type]
        return SetAnswer(tuple(Expr(node) for node in values), plus_minus=True)
    return Expr(value)  # type: ignore[arg-type]


def _sum(terms: list[Node]) -> Node:
    flat: list[Node] = []
    for term in terms:
        if isinstance(term, Add):
            flat.extend(term.terms)
        else:
            flat.append(term)
    return flat[0] if len(flat) == 1 else Add(tuple(flat))


def _contains_plus_minus(node: object) -> bool:
    if isinstance(node, PlusMinus):
        return True
    if isinstance(node, Add):
        return any(_contains_plus_minus(term) for term in node.terms)
    if isinstance(node, Neg):
        return _contains_plus_minus(node.operand)
    if isinstance(node, Mul):
        return any(_contains_plus_minus(factor) for factor in node.factors)
    if isinstance(node, Div):
        return _contains_plus_minus(node.numerator) or _contains_plus_minus(node.denominator)
    return False


def _expand_plus_minus(node: Node) -> list[Node]:
    """The values of an expression with ``\\pm`` in additive or multiplicative position."""
    if isinstance(node, PlusMinus):
        lefts = _expand_plus_minus(node.left)
        rights = _expand_plus_minus(node.right)
        values = [_sum([a, b]) for a in lefts for b in rights]
        values += [_sum([a, Neg(b)]) for a in lefts for b in rights]
    elif isinstance(node, Add):
        combos: list[list[Node]] = [[]]
        for term in node.terms:
            options = _expand_plus_minus(term)
            combos = [[*combo, option] for combo in combos for option in options]
            _check_variants(len(combos))
        values = [_sum(combo) for combo in combos]
    elif isinstance(node, Neg):
        values = [Neg(value) for value in _expand_plus_minus(node.operand)]
    elif isinstance(node, Mul):
        combos = [[]]
        for factor in node.factors:
            options = _expand_plus_minus(factor)
            combos = [[*combo, option] for combo in combos for option in options]
            _check_variants(len(combos))
        values = [Mul(tuple(combo)) for combo in combos]
    elif isinstance(node, Div):
        values = [
            Div(a, b)
            for a in _expand_plus_minus(node.numerator)
            for b in _expand_plus_minus(node.denominator)
        ]
    else:
        values = [node]
    _check_variants(len(values))
    return values


def _check_variants(count: int) -> None:
    if count > 4:
        raise TooLarge("more than two '\\pm' signs in one expression")


def _flatten_plus_minus_items(items: list[Answer]) -> list[Answer]:
    """``x = 1 \\pm 2, 7`` lists every value: a ``\\pm`` pair inside a list is spliced in."""
    flat: list[Answer] = []
    for item in items:
        if isinstance(item, SetAnswer) and item.plus_minus:
            flat.extend(item.items)
        else:
            flat.append(item)
    return flat


def parse_answer(text: str) -> Answer:
    """Parse a normalised answer into a structured :data:`Answer`.

    Raises :class:`Unparsable` or :class:`TooLarge` (and nothing else) on bad input.

    Example:
        >>> parse_answer(r"\\frac{3}{4}")
        Expr(node=Div(numerator=Num(value=Fraction(3, 1)), denominator=Num(value=Fraction(4, 1))))
    """
    try:
        tokens = tokenize(text)
    except _TextSignal:
        return TextAnswer(_text_key(text))
    if not tokens:
        raise Unparsable("empty answer")
    try:
        return _Parser(tokens).parse_answer()
    except RecursionError as error:  # pragma: no cover - the depth cap keeps us far below
        raise TooLarge("nesting too deep") from error
    except (ValueError, ZeroDivisionError) as error:
        raise Unparsable(str(error)) from error


def _text_key(text: str) -> str:
    return "".join(text.lower().split())


# ---------------------------------------------------------------------------------------------
# Conversion to sympy, with the same caps (sympy evaluates eagerly: 9**(9**9) would be computed)
# ---------------------------------------------------------------------------------------------

_SYMPY_FUNCTIONS = {
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
    "log": "log",
    "exp": "exp",
    "abs": "Abs",
    "floor": "floor",
    "ceil": "ceiling",
}


def to_sympy(node: Node) -> Any:
    """Build the sympy expression of a scalar syntax tree directly (no string is ever parsed).

    Sizes are checked before sympy evaluates anything: integer exponents above
    :data:`MAX_SYMBOLIC_EXPONENT` on a base other than 0 and +-1, exact powers above
    :data:`MAX_EXACT_BITS` bits and factorials above :data:`MAX_FACTORIAL` raise :class:`TooLarge`.

    Example:
        >>> to_sympy(parse_answer(r"2\\sqrt{3} + x^2").node)
        x**2 + 2*sqrt(3)
    """
    import sympy

    return _build_sympy(sympy, node)


def _build_sympy(sp: Any, node: Node) -> Any:
    if isinstance(node, Num):
        return sp.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Sym):
        return sp.Symbol(node.name)
    if isinstance(node, Const):
        return {"pi": sp.pi, "e": sp.E, "i": sp.I, "inf": sp.oo}[node.name]
    if isinstance(node, Add):
        return sp.Add(*[_build_sympy(sp, term) for term in node.terms])
    if isinstance(node, Mul):
        return sp.Mul(*[_build_sympy(sp, factor) for factor in node.factors])
    if isinstance(node, Neg):
        return -_build_sympy(sp, node.operand)
    if isinstance(node, Div):
        denominator = _build_sympy(sp, node.denominator)
        if denominator == 0:
            raise Unparsable("division by zero")
        return _build_sympy(sp, node.numerator) / denominator
    if isinstance(node, Pow):
        return _sympy_power(sp, _build_sympy(sp, node.base), _build_sympy(sp, node.exponent))
    if isinstance(node, Root):
        index = _build_sympy(sp, node.index)
        radicand = _build_sympy(sp, node.radicand)
        if not (index.is_Integer and 2 <= int(index) <= 64):
            return _sympy_power(sp, radicand, 1 / index)
        degree = int(index)
        if radicand.is_Rational and radicand < 0 and degree % 2:
            return -sp.root(-radicand, degree)  # the real odd root, as in the numeric test
        return sp.root(radicand, degree)
    if isinstance(node, Func):
        argument = _build_sympy(sp, node.argument)
        if node.name == "factorial":
            if argument.is_number and abs(argument) > MAX_FACTORIAL:
                raise TooLarge(f"factorial argument above {MAX_FACTORIAL}")
            return sp.factorial(argument)
        return getattr(sp, _SYMPY_FUNCTIONS[node.name])(argument)
    if isinstance(node, Log):
        return sp.log(_build_sympy(sp, node.argument), _build_sympy(sp, node.base))
    if isinstance(node, Binom):
        n, k = _build_sympy(sp, node.n), _build_sympy(sp, node.k)
        if n.is_number and abs(n) > MAX_EXACT_BITS:
            raise TooLarge("binomial coefficient too large")
        return sp.binomial(n, k)
    raise Unparsable(f"cannot convert {type(node).__name__}")


def _sympy_power(sp: Any, base: Any, exponent: Any) -> Any:
    if exponent.is_Rational:
        numerator, denominator = int(exponent.p), int(exponent.q)
        trivial = base in (0, 1, -1)
        if not trivial and (abs(numerator) > MAX_SYMBOLIC_EXPONENT or denominator > 64):
            raise TooLarge(f"exponent {exponent} is beyond the cap")
        if base.is_Rational and not trivial:
            bits = int(base.p).bit_length() + int(base.q).bit_length()
            if bits * abs(numerator) > MAX_EXACT_BITS * denominator:
                raise TooLarge(f"a power has more than {MAX_EXACT_BITS} bits")
    return sp.Pow(base, exponent)
