"""String normalisation of final answers, before parsing.

The aim is to remove notation that does not change the value (display commands, spacing, units,
degree signs, thousands separators, Unicode variants) while keeping everything that does. All steps
are linear-time string operations on an answer already capped in length, so normalisation cannot
be made slow by its input.

Decisions (documented because graders disagree):

- **Units** are stripped and remembered: ``5\\text{ cm}`` and ``5 cm`` give ``5`` with unit
  ``centimeter``. The equivalence check ignores a unit present on one side only (``5 cm`` equals
  ``5``) but refuses two *different* units (``5 cm`` is not ``5 m``; no conversion is attempted).
  A trailing ``\\text{...}`` word after a number is treated as a unit-like label
  (``5\\text{ apples}``); bare words are only units when they are in the unit table and at least
  two letters long, since a bare ``m`` or ``s`` may be a variable.
- **Degrees** (``^\\circ``, ``^{\\circ}``, ``\\degree``, ``°``) are a unit: ``30^\\circ`` equals
  ``30``.
- **Percent**: a trailing ``%``/``\\%`` is removed and flagged; the equivalence check then accepts
  both ``x`` (the MATH convention of dropping the sign) and ``x/100`` (its value): ``50\\%`` equals
  ``50`` and ``0.5``. Without a percent sign ``50`` and ``0.5`` differ.
- **Money**: ``\\$`` is removed and recorded as the unit ``dollar``.
- **Thousands separators**: a comma is a thousands separator only between a 1-3 digit group and
  exact 3-digit groups (``1,000`` and ``12,345,678``), and only when the answer has no brackets or
  separates its items with ``", "``; so ``1,2`` is the list of 1 and 2, ``(2,100)`` is a point,
  ``(1,000, 2)`` is the point (1000, 2) and ``1, 000`` is the list of 1 and 0. ``{,}`` and a thin
  space ``\\,`` between digit groups are separators as well.
- **Unicode**: a compatibility (NFKC) mapping folds full-width digits, mathematical alphanumerics
  and similar presentation forms; ``−``, ``×``, ``÷``, ``·``, ``√``, ``π``, ``∞``, ``≤``, ``≥``,
  ``±``, superscript digits and vulgar fractions become their LaTeX meaning. Look-alikes from other
  scripts (Cyrillic ``х``, Greek ``ο``) are left as they are: the parser refuses them, so they never
  pass for Latin letters or digits. Zero-width characters are dropped; bidirectional controls
  (which display text in another order than it is read) are kept, and refused by the parser.
- **Invisible and presentational commands**: ``\\phantom{...}`` (and ``\\hphantom``,
  ``\\vphantom``) are removed *with* their content, since what is graded must be what a reader
  sees; ``\\hspace{...}``, ``\\color{...}`` and the colour of ``\\textcolor{c}{x}`` are dropped.
- **Labels**: a trailing text after a number is a label only when it reads as one; a text with a
  word such as ``or``, ``and``, ``not``, ``more``, ``at``, ``approximately`` (``5\\text{ or more}``)
  is a claim about other values and stays in the answer, which then fails to parse as a number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from score_envs.math.parsing import MAX_ANSWER_CHARS


@dataclass(frozen=True)
class NormalizedAnswer:
    """The normalised text of an answer plus what was stripped from it.

    Attributes:
        text: The answer with notation-only parts removed; what the parser reads.
        unit: The canonical unit or label that was stripped (``"centimeter"``, ``"degree"``,
            ``"dollar"``, ``"apple"``...), or None.
        percent: Whether a trailing percent sign was stripped.
        is_text: Whether the whole answer was one ``\\text{...}`` of two or more letters (such as
            ``\\text{No}``): a word, not a product of variables.
    """

    text: str
    unit: str | None = None
    percent: bool = False
    is_text: bool = False


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "meter": ("m", "meter", "meters", "metre", "metres"),
    "centimeter": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "millimeter": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "kilometer": ("km", "kilometer", "kilometers", "kilometre", "kilometres"),
    "inch": ("in", "inch", "inches"),
    "foot": ("ft", "foot", "feet"),
    "yard": ("yd", "yds", "yard", "yards"),
    "mile": ("mi", "mile", "miles"),
    "second": ("s", "sec", "secs", "second", "seconds"),
    "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("yr", "yrs", "year", "years"),
    "gram": ("g", "gram", "grams"),
    "kilogram": ("kg", "kilogram", "kilograms"),
    "milligram": ("mg", "milligram", "milligrams"),
    "pound": ("lb", "lbs", "pound", "pounds"),
    "ounce": ("oz", "ounce", "ounces"),
    "ton": ("ton", "tons"),
    "liter": ("l", "liter", "liters", "litre", "litres"),
    "milliliter": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "gallon": ("gal", "gallon", "gallons"),
    "quart": ("qt", "quart", "quarts"),
    "pint": ("pt", "pint", "pints"),
    "cup": ("cup", "cups"),
    "dollar": ("dollar", "dollars", "usd"),
    "cent": ("cent", "cents"),
    "degree": ("deg", "degree", "degrees"),
    "radian": ("rad", "rads", "radian", "radians"),
    "unit": ("unit", "units"),
    "mph": ("mph",),
}
_UNIT_CANONICAL = {alias: name for name, aliases in _UNIT_ALIASES.items() for alias in aliases}
# Bare (outside \text{}) only unambiguous aliases count: m, s, g, h, l and "in" may be variables
# or English words.
_BARE_UNITS = {
    alias: name
    for alias, name in _UNIT_CANONICAL.items()
    if len(alias) >= 2 and alias not in ("in", "pt", "mi", "rad")
}
_UNIT_PREFIXES = {"square": "^2", "sq": "^2", "sq.": "^2", "cubic": "^3", "cu": "^3"}
_PHRASE_UNITS = {"miles per hour": "mph", "percent": "percent", "per cent": "percent"}
# Words that change what a number means: "5 or more", "5 at most", "5 or six" are claims about
# other values, not a number with a label, so a trailing text holding one is not stripped.
_LABEL_STOP_WORDS = frozenset(
    "or and not no nor either neither more less fewer least most than at over under above below "
    "plus minus times except but maybe perhaps possibly approximately about roughly around "
    "nearly almost if unless only is are was were be wrong incorrect".split()
)

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _canonical_unit(phrase: str, bare: bool) -> str | None:
    """Map ``cm``, ``square units``, ``inches^2`` to a canonical unit, or None if not a unit.

    Inside ``\\text{}`` (``bare`` False) any short phrase of words after a number is a label.
    """
    words = phrase.lower().replace(".", " ").split()
    if not words or len(words) > 3 or not _LABEL_STOP_WORDS.isdisjoint(words):
        return None
    joined = " ".join(words)
    if joined in _PHRASE_UNITS:
        return _PHRASE_UNITS[joined]
    power = ""
    if words[0] in _UNIT_PREFIXES and len(words) > 1:
        power = _UNIT_PREFIXES[words[0]]
        words = words[1:]
    table = _BARE_UNITS if bare else _UNIT_CANONICAL
    if len(words) == 1 and words[0] in table:
        return table[words[0]] + power
    if bare or not all(word.isalpha() for word in words):
        return None
    # A label such as "apples" or "square feet of carpet": compare it as a word, singular.
    label = " ".join(words)
    return (label[:-1] if label.endswith("s") and len(label) > 3 else label) + power


# ---------------------------------------------------------------------------------------------
# Unicode
# ---------------------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUBSCRIPT_RUN = re.compile("[₀₁₂₃₄₅₆₇₈₉]+")
_VULGAR_FRACTION = re.compile("[¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞]")
_SYMBOLS = {
    "\u2212": "-",  # minus sign
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "×": r" \times ",
    "÷": r" \div ",
    "·": r" \cdot ",
    "⋅": r" \cdot ",
    "√": r"\sqrt",
    "∛": r"\sqrt[3]",
    "π": r"\pi ",
    "∞": r"\infty ",
    "≤": r" \le ",
    "≥": r" \ge ",
    "≠": r" \ne ",
    "±": r" \pm ",
    "∓": r" \mp ",
    "∪": r" \cup ",
    "∈": r" \in ",
    "∅": r"\emptyset ",
    "°": r"^\circ ",
    "⟨": r"\langle ",
    "⟩": r"\rangle ",
    "θ": r"\theta ",
    "α": r"\alpha ",
    "β": r"\beta ",
    "λ": r"\lambda ",
    "μ": r"\mu ",
    "φ": r"\phi ",
    "ω": r"\omega ",
    "\u00a0": " ",
    # Invisible characters that change nothing a reader sees are dropped. Bidirectional controls
    # (U+202E...) are kept, so the parser refuses them: they make the text display in a different
    # order than it is read, and what is graded must be what is shown.
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
}
_SYMBOL_RUN = re.compile("[" + "".join(_SYMBOLS) + "]")


def _unicode_to_ascii_math(text: str) -> str:
    """Fold Unicode presentation forms into ASCII/LaTeX; leave other scripts untouched."""
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPTS) + "}", text)
    text = _SUBSCRIPT_RUN.sub(lambda m: "_{" + m.group().translate(_SUBSCRIPTS) + "}", text)
    text = _VULGAR_FRACTION.sub(_vulgar_fraction, text)
    text = unicodedata.normalize("NFKC", text)
    return _SYMBOL_RUN.sub(lambda m: _SYMBOLS[m.group()], text)


def _vulgar_fraction(match: re.Match[str]) -> str:
    numerator, denominator = unicodedata.normalize("NFKC", match.group()).split("\u2044")
    return r"\frac{" + numerator + "}{" + denominator + "}"


# ---------------------------------------------------------------------------------------------
# LaTeX clean-up
# ---------------------------------------------------------------------------------------------

_INVISIBLE_DELIMITER = re.compile(r"\\(?:left|right)\s*\.")
_SIZING = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])")
# A row break \\ is matched first so that "\\ 3" is not read as "\" + "\ " (a space).
_SPACING = re.compile(r"\\\\|\\[,:;> ]|\\q?quad(?![A-Za-z])|~")
_DIGIT_THIN_SPACE = re.compile(r"(?<=\d)\\,(?=\d{3}(?!\d))")
_STYLE = re.compile(r"\\(?:displaystyle|textstyle|scriptstyle)(?![A-Za-z])")
# Invisible or presentational commands, removed with their arguments: what a reader sees is what
# is graded (a \phantom{6} hides its 6, so it must not count), and a colour changes nothing.
_INVISIBLE = re.compile(
    r"\\(?:[hv]?phantom|[hv]space\*?|color|textcolor(?=\s*\{[^{}]*\}\s*\{))\s*\{[^{}]*\}"
)
_FRAC_VARIANT = re.compile(r"\\[dtc]frac(?![A-Za-z])")
_BINOM_VARIANT = re.compile(r"\\[dt]binom(?![A-Za-z])")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\degree(?![A-Za-z])")
_TEXT_GROUP = re.compile(
    r"\\(?:text(?:bf|it|rm|sf|tt|normal|up)?|mbox|math(?:rm|it|bf|sf|tt)|operatorname"
    r"|boldsymbol|bm)\s*\{([^{}]*)\}"
)
_TRAILING_TEXT_UNIT = re.compile(
    r"\\(?:text(?:rm|normal|up)?|mbox|mathrm)\s*\{([^{}]*)\}(\s*\^\s*\{?\s*[23]\s*\}?)?\s*$"
)
_TRAILING_POWER = re.compile(r"\^\s*\{?\s*([23])\s*\}?\s*$")
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?!\d)")
_WHOLE_TEXT_WORD = re.compile(
    r"\\(?:text(?:bf|it|rm|normal|up)?|mbox|mathrm)\s*\{\s*([A-Za-z][A-Za-z ]*[A-Za-z])\s*\}"
)
_BOXED = re.compile(r"^\\(?:boxed|fbox)\s*\{")
_SPACES = re.compile(r"\s+")
_SEPARATOR_WORDS = {"or", "and", ",", "or,", "and,"}


def normalize_answer(text: str) -> NormalizedAnswer:
    """Normalise an extracted answer (see the module docstring for each decision).

    Example:
        >>> normalize_answer(r"\\$1,000.50")
        NormalizedAnswer(text='1000.50', unit='dollar', percent=False, is_text=False)
        >>> normalize_answer(r"5\\text{ cm}^2")
        NormalizedAnswer(text='5', unit='centimeter^2', percent=False, is_text=False)
    """
    if len(text) > MAX_ANSWER_CHARS:
        # The parser refuses it anyway; do not spend time on it.
        return NormalizedAnswer(text)
    if not text.isascii():
        text = _unicode_to_ascii_math(text)
    text = text.strip()
    unit: str | None = None
    percent = False

    # Math delimiters and display-only commands.
    if "$" in text:
        if r"\$" in text:
            unit = "dollar"
            text = text.replace(r"\$", " ")
        text = text.replace("$", " ").strip()
    text = _strip_display_delimiters(text)
    if "\\" in text:
        text = _INVISIBLE_DELIMITER.sub(" ", text)
        text = _SIZING.sub("", text)
        text = text.replace(r"\!", "")
        text = _DIGIT_THIN_SPACE.sub("", text)
        text = _SPACING.sub(_spacing_replacement, text)
        text = _STYLE.sub(" ", text)
        text = _INVISIBLE.sub(" ", text)
        text = _FRAC_VARIANT.sub(r"\\frac", text)
        text = _BINOM_VARIANT.sub(r"\\binom", text)
        text = _unwrap_boxed(text).strip()
    else:
        text = text.replace("~", " ")

    word = _WHOLE_TEXT_WORD.fullmatch(text)
    if word is not None:
        return NormalizedAnswer(_SPACES.sub(" ", word.group(1)), None, False, True)

    # Degrees.
    if "circ" in text or "degree" in text:
        stripped = _DEGREES.sub(" ", text)
        if stripped != text:
            text, unit = stripped, unit or "degree"

    # Percent.
    text = text.strip()
    if text.endswith("%"):
        text = text[:-2] if text.endswith(r"\%") else text[:-1]
        percent = True
    if "%" in text:
        text = text.replace(r"\%", " ").replace("%", " ")

    # Text groups: a trailing unit/label, "or"/"and" separators, the rest unwrapped.
    text = text.strip().rstrip(".").strip()
    if "\\" in text:
        text, text_unit = _strip_trailing_text_unit(text)
        unit = unit or text_unit
        text = _unwrap_text_groups(text)
    if text.endswith("percent"):
        head = text[: -len("percent")].rstrip()
        if head and (head[-1].isdigit() or head[-1] in ")}"):
            text, percent = head, True
    text, bare_unit = _strip_trailing_bare_unit(text)
    unit = unit or bare_unit

    # Trailing punctuation, thousands separators, whitespace.
    text = text.strip().rstrip(".").strip()
    if "{,}" in text:
        text = text.replace("{,}", "")
    if "," in text:
        text = _join_thousands(text)
    text = _SPACES.sub(" ", text).strip()
    if unit == "percent":
        unit, percent = None, True
    return NormalizedAnswer(text, unit, percent)


def _spacing_replacement(match: re.Match[str]) -> str:
    return match.group() if match.group() == "\\\\" else " "


def _strip_display_delimiters(text: str) -> str:
    for opener, closer in ((r"\[", r"\]"), (r"\(", r"\)")):
        if text.startswith(opener) and text.endswith(closer) and len(text) >= 4:
            text = text[2:-2].strip()
    return text


def _unwrap_boxed(text: str) -> str:
    """A reference written as ``\\boxed{...}`` (whole answer) loses the box."""
    for _ in range(3):
        match = _BOXED.match(text)
        if match is None or not text.endswith("}"):
            return text
        inner = text[match.end() : -1]
        if not _braces_balanced(inner):
            return text
        text = inner.strip()
    return text


def _braces_balanced(text: str) -> bool:
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _strip_trailing_text_unit(text: str) -> tuple[str, str | None]:
    match = _TRAILING_TEXT_UNIT.search(text)
    if match is None:
        return text, None
    head = text[: match.start()].rstrip()
    if not head or not (head[-1].isdigit() or head[-1] in ")}."):
        return text, None
    content = match.group(1).strip()
    if content.lower() in _SEPARATOR_WORDS:
        return text, None
    unit = _canonical_unit(content, bare=False)
    if unit is None:
        return text, None
    if match.group(2):
        unit += "^" + match.group(2).strip().strip("^{} ")
    return head.rstrip("."), unit


def _unwrap_text_groups(text: str) -> str:
    # Innermost groups first; a few rounds cover any realistic nesting (\text{\textbf{A}}).
    for _ in range(4):
        if "\\" not in text:
            break
        replaced = _TEXT_GROUP.sub(_text_group_replacement, text)
        if replaced == text:
            break
        text = replaced
    return text


def _text_group_replacement(match: re.Match[str]) -> str:
    content = match.group(1)
    if content.strip().lower() in _SEPARATOR_WORDS:
        return " , "
    return " " + content + " "


def _strip_trailing_bare_unit(text: str) -> tuple[str, str | None]:
    """``5 cm``, ``12 square feet``, ``3 km^2``: a known unit word after a number."""
    if not text or not (text[-1].isalpha() or text[-1] in "}23"):
        return text, None
    power = ""
    body = text
    match = _TRAILING_POWER.search(body)
    if match is not None and body[: match.start()].rstrip()[-1:].isalpha():
        power = "^" + match.group(1)
        body = body[: match.start()].rstrip()
    head = body.rstrip(_LETTERS + " .")
    phrase = body[len(head) :]
    if not phrase.strip() or not head:
        return text, None
    if not (head[-1].isdigit() or head[-1] in ")}"):
        return text, None
    unit = _canonical_unit(phrase, bare=True)
    if unit is None:
        return text, None
    return head, unit + power


def _join_thousands(text: str) -> str:
    """Join digit groups of a thousands separator (see the module docstring for the rule)."""
    if _THOUSANDS.search(text) is None:
        return text
    has_brackets = any(char in text for char in "()[]{}")
    if has_brackets and ", " not in text:
        return text
    return _THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)
