"""``balanced_brackets``: check bracket nesting with a stack (string parsing)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase

_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _balanced(rng: random.Random, pairs: int) -> str:
    """A random well-nested string of ``pairs`` bracket pairs."""
    text = ""
    stack: list[str] = []
    opened = 0
    while opened < pairs or stack:
        if opened < pairs and (not stack or rng.random() < 0.5):
            opener = rng.choice("([{")
            text += opener
            stack.append(_PAIRS[opener])
            opened += 1
        else:
            text += stack.pop()
    return text


class BalancedBrackets(CodeFamily):
    """Bracket matching; the traps are order, bracket types, other characters, unclosed ends."""

    name = "balanced_brackets"
    category = "string"
    function_name = "balanced_brackets"
    signature = "def balanced_brackets(text: str) -> bool:"
    specification = """
    Return True if the brackets in `text` are balanced, else False.

    The brackets are (), [] and {}. They are balanced when every closing bracket closes the
    most recently opened bracket that is still open, that bracket is of the same type, and no
    bracket is left open at the end. All other characters are ignored; a text without brackets
    is balanced.
"""
    reference = """
def balanced_brackets(text):
    closing = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in closing:
            if not stack or stack.pop() != closing[ch]:
                return False
    return not stack
"""
    bugs = (
        # Only compares how many brackets open and close.
        """
def balanced_brackets(text):
    return sum(ch in "([{" for ch in text) == sum(ch in ")]}" for ch in text)
""",
        # One counter for every type: "(]" passes.
        """
def balanced_brackets(text):
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
""",
        # Forgets to check that nothing is left open.
        """
def balanced_brackets(text):
    closing = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in closing:
            if not stack or stack.pop() != closing[ch]:
                return False
    return True
""",
        # Pops without checking the stack, so a leading closer crashes.
        """
def balanced_brackets(text):
    closing = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in closing:
            if stack.pop() != closing[ch]:
                return False
    return not stack
""",
        # Treats any other character as a mismatch.
        """
def balanced_brackets(text):
    closing = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif not stack or stack.pop() != closing.get(ch):
            return False
    return not stack
""",
    )
    size_unit = "characters"
    size_limits = (6, 10, 16, 24, 40)
    example_size = 6

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the text."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """A well-nested bracket string, or one broken by one changed or dropped bracket."""
        text = _balanced(rng, rng.randint(2, max(2, size // 2)))
        flaw = rng.choice(("none", "none", "wrong type", "drop closing", "swap"))
        position = rng.randrange(len(text))
        if flaw == "wrong type":
            # Replace a closing bracket with another type of closing bracket.
            closers = [i for i, ch in enumerate(text) if ch in ")]}"]
            position = rng.choice(closers)
            other = rng.choice([ch for ch in ")]}" if ch != text[position]])
            text = text[:position] + other + text[position + 1 :]
        elif flaw == "drop closing":
            closers = [i for i, ch in enumerate(text) if ch in ")]}"]
            position = rng.choice(closers)
            text = text[:position] + text[position + 1 :]
        elif flaw == "swap":
            text = text[::-1]
        return (text,)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Mismatched types, closers first, the empty text, other characters, open ends."""
        return (
            EdgeCase("mismatched bracket types", 1, ("(]",)),
            EdgeCase("unclosed bracket at the end", 1, (_balanced(rng, 2) + "(",)),
            EdgeCase("closing before opening", 2, (")(",)),
            EdgeCase("empty text", 2, ("",)),
            EdgeCase("crossed pairs", 3, ("([)]",)),
            EdgeCase("other characters", 4, ("a(b[c]d)e",)),
            EdgeCase("other characters", 4, ("x{y",)),
            EdgeCase("text without brackets", 5, ("no brackets here",)),
        )
