"""The fast path of the equivalence check: answers written in a few plain forms.

Every procedural answer and distractor, and most answers models write for such problems, is in
one of a handful of plain forms whose meaning can be read off with one regular expression:

- a **number**: an integer, a decimal, ``\\frac{a}{b}`` (``\\dfrac``, ``\\tfrac``) or
  ``a\\sqrt{b}``, each with an optional minus sign;
- a **bare list** ``a, b, c`` of numbers (the set of its items, as the full path reads it);
- an **ordered tuple** ``(a, b, c)`` of numbers;
- a **polynomial** with integer coefficients such as ``12x^2 - 28x + 15`` (terms ``c``, ``cx``,
  ``cx^n``, ``x^{nn}`` in the letters x, y, z).

Such text means exactly its value, so comparing values gives the verdict of the full
normalise-parse-evaluate path of :mod:`score_envs.math.equivalence` (which
``tests/math/test_plain_answers.py`` checks pair by pair against it) at a small fraction of its
cost: that path parses both answers into trees and expands or samples them. Anything else, or
any mix of forms this module does not decide (a polynomial against a radical, a tuple against a
list), gets ``None`` and takes the full path. The forms are bounded (digits, exponents, terms),
so reading one is linear in its length and far below every cap of the full path.
"""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(
    r"(?P<sign>-?)(?:"
    r"(?P<integer>\d{1,50})(?:\.(?P<decimals>\d{1,50}))?"
    r"|\\[dt]?frac\{(?P<numerator>\d{1,50})\}\{(?P<denominator>\d{1,50})\}"
    r"|(?P<coefficient>\d{1,50})?\\sqrt\{(?P<radicand>\d{1,50})\})"
)

# A term of a polynomial: an integer coefficient and/or a letter with an optional power (a single
# digit, or one or two in braces). At most 16 terms and 15-digit coefficients keep every
# polynomial far inside the caps of the full path, so both paths always reach a verdict.
_TERM = r"(?:\d{1,15}(?:[xyz](?:\^(?:[1-9]|\{[1-9]\d?\}))?)?|[xyz](?:\^(?:[1-9]|\{[1-9]\d?\}))?)"
_POLYNOMIAL = re.compile(rf"-?{_TERM}(?: ?[-+] ?{_TERM}){{0,15}}")
_POLYNOMIAL_TERM = re.compile(r"([-+]?)(\d*)([xyz]?)(?:\^\{?(\d+)\}?)?")

Number = tuple[int, int, int]
"""A real number ``v`` as ``(sign, p, q)`` with ``p / q`` the square of ``v`` in lowest terms."""

_ZERO: Number = (0, 0, 1)


def plain_number(text: str) -> Number | None:
    """The value of a plainly written number, as ``(sign, p, q)`` where ``p/q`` is its square.

    Two reals are equal exactly when their signs and squares are, and the square of
    ``a\\sqrt{b}`` is the integer ``a^2 b``: so every plain form, radicals included, has one key,
    compared exactly with integers only. None when ``text`` is not a plain number.

    Example:
        >>> plain_number("-\\\\frac{6}{8}") == plain_number("-0.75"), plain_number("2\\\\sqrt{2}")
        (True, (1, 8, 1))
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    integer, numerator, radicand = match.group("integer", "numerator", "radicand")
    if integer is not None:
        decimals = match.group("decimals")
        if decimals is None:
            top, bottom = int(integer), 1
        else:
            top, bottom = int(integer + decimals), 10 ** len(decimals)
    elif numerator is not None:
        top, bottom = int(numerator), int(match.group("denominator"))
        if bottom == 0:
            return None
    else:
        coefficient = match.group("coefficient")
        root = int(coefficient) if coefficient is not None else 1
        top, bottom = root * root * int(radicand), 1
        if not top:
            return _ZERO
        return (-1 if match.group("sign") else 1), top, 1
    if not top:
        return _ZERO
    if bottom != 1:
        common = math.gcd(top, bottom)
        if common != 1:
            top, bottom = top // common, bottom // common
    return (-1 if match.group("sign") else 1), top * top, bottom * bottom


def plain_polynomial(text: str) -> frozenset[tuple[str, int, int]] | None:
    """A polynomial with integer coefficients as its set of ``(letter, power, coefficient)``.

    Like terms are added and zero terms dropped, so equal polynomials have equal sets (the
    constant term has the letter ``""`` and power 0). None when ``text`` is not in the form.

    Example:
        >>> sorted(plain_polynomial("2x^2 - x + 3 - x^{2}"))
        [('', 0, 3), ('x', 1, -1), ('x', 2, 1)]
    """
    if _POLYNOMIAL.fullmatch(text) is None:
        return None
    coefficients: dict[tuple[str, int], int] = {}
    for sign, digits, letter, power in _POLYNOMIAL_TERM.findall(text.replace(" ", "")):
        if not digits and not letter:
            continue  # the empty match at the end
        coefficient = int(digits) if digits else 1
        if sign == "-":
            coefficient = -coefficient
        key = (letter, int(power) if power else 1) if letter else ("", 0)
        coefficients[key] = coefficients.get(key, 0) + coefficient
    return frozenset((letter, power, c) for (letter, power), c in coefficients.items() if c)


def _plain_items(text: str) -> list[Number] | None:
    items = [plain_number(item) for item in text.split(", ")]
    return None if None in items else items  # type: ignore[return-value]


def plain_verdict(predicted: str, reference: str) -> bool | None:
    """The verdict for two answers in plain forms, or None when the full path must decide.

    Numbers compare by value; a bare list is the set of its items, and a single number is a
    one-element set, so ``3`` equals ``3, 3`` but not ``-3, 3``; tuples compare item by item, in
    order; polynomials compare by their coefficients. Expects stripped text.

    Example:
        >>> plain_verdict("0.5", "\\\\frac{1}{2}"), plain_verdict("(2, 3)", "(3, 2)")
        (True, False)
        >>> plain_verdict("x^2 + 2x", "2x + x^2"), plain_verdict("x^2", "(1, 2)") is None
        (True, True)
    """
    first, second = plain_number(predicted), plain_number(reference)
    if first is not None and second is not None:
        return first == second
    if ", " in predicted or ", " in reference:
        tuples = predicted[:1] == "(", reference[:1] == "("
        if tuples == (True, True):
            if predicted[-1:] != ")" or reference[-1:] != ")":
                return None
            items_first = _plain_items(predicted[1:-1])
            items_second = _plain_items(reference[1:-1])
            if items_first is None or items_second is None or len(items_first) < 2:
                return None
            if len(items_second) < 2:
                return None
            return items_first == items_second
        if tuples != (False, False):
            return None
        set_first = {first} if first is not None else _plain_items(predicted)
        set_second = {second} if second is not None else _plain_items(reference)
        if set_first is None or set_second is None:
            return None
        return set(set_first) == set(set_second)
    if first is not None or second is not None:
        return None  # a number against something else (a polynomial is only read if both are)
    polynomial_first = plain_polynomial(predicted)
    if polynomial_first is None:
        return None
    polynomial_second = plain_polynomial(reference)
    if polynomial_second is None:
        return None
    return polynomial_first == polynomial_second
