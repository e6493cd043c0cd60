"""``caesar_cipher``: shift letters around the alphabet (string handling)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class CaesarCipher(CodeFamily):
    """The Caesar cipher; the traps are case, non-letters, negative and large shifts."""

    name = "caesar_cipher"
    category = "string"
    function_name = "caesar_cipher"
    signature = "def caesar_cipher(text: str, shift: int) -> str:"
    specification = """
    Encrypt `text` with a Caesar cipher: move every ASCII letter `shift` places forward in
    the alphabet, wrapping around from 'z' to 'a'.

    Letters keep their case; every other character (spaces, digits, punctuation) is kept
    unchanged. `shift` may be any integer: a negative shift moves letters backwards and shifts
    of 26 or more wrap around as many times as needed.
"""
    reference = """
def caesar_cipher(text, shift):
    result = []
    for ch in text:
        if "a" <= ch <= "z":
            result.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        elif "A" <= ch <= "Z":
            result.append(chr((ord(ch) - ord("A") + shift) % 26 + ord("A")))
        else:
            result.append(ch)
    return "".join(result)
"""
    bugs = (
        # No wrap-around: letters near 'z' leave the alphabet.
        """
def caesar_cipher(text, shift):
    return "".join(chr(ord(ch) + shift) if ch.isalpha() else ch for ch in text)
""",
        # Shifts every character, spaces included.
        """
def caesar_cipher(text, shift):
    return "".join(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")) for ch in text)
""",
        # Treats capitals as lowercase letters.
        """
def caesar_cipher(text, shift):
    result = []
    for ch in text.lower():
        if "a" <= ch <= "z":
            result.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        else:
            result.append(ch)
    return "".join(result)
""",
        # Uses the lowercase base for capitals too.
        """
def caesar_cipher(text, shift):
    result = []
    for ch in text:
        if ch.isalpha():
            result.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        else:
            result.append(ch)
    return "".join(result)
""",
        # Clamps the shift into 0..25 by abs(), so negative shifts go forwards.
        """
def caesar_cipher(text, shift):
    shift = abs(shift) % 26
    result = []
    for ch in text:
        if "a" <= ch <= "z":
            result.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        elif "A" <= ch <= "Z":
            result.append(chr((ord(ch) - ord("A") + shift) % 26 + ord("A")))
        else:
            result.append(ch)
    return "".join(result)
""",
    )
    size_unit = "characters"
    size_limits = (8, 12, 16, 24, 32)
    example_size = 8

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Length of the text."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """Lowercase words with single spaces (some letters near 'z'), shift 1..25."""
        length = rng.randint(min(5, size), size)
        chars = [rng.choice(_LETTERS) for _ in range(length)]
        chars[rng.randrange(length)] = rng.choice("wxyz")  # make wrap-around likely
        for _ in range(length // 5):
            position = rng.randrange(1, length - 1)
            if chars[position - 1] != " " and chars[position + 1] != " ":
                chars[position] = " "
        return ("".join(chars), rng.randint(1, 25))

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """Capitals, non-letters, negative shifts, shifts of 26 or more."""
        return (
            EdgeCase("upper case letters", 2, ("Hello World", rng.randint(1, 25))),
            EdgeCase("digits and punctuation", 3, ("abc, xyz! 123?", rng.randint(1, 25))),
            EdgeCase("negative shift", 4, ("hello Zoe", -rng.randint(1, 25))),
            EdgeCase("shift of 26 or more", 5, ("Zebra xyz", 26 + rng.randint(1, 60))),
            EdgeCase("shift of 26 or more", 5, ("abc", -26 - rng.randint(1, 25))),
        )
