"""A character-level vocabulary for the miniature: digits and three marks, one id per character.

The miniature's whole world is ``"12*34=0408|0408"``: a problem, attempt 1, the correction
instruction folded into one mark, attempt 2. Fourteen symbols are enough, so every id is one
character and decoding can never produce text the prompt layout cannot represent.
"""

from __future__ import annotations

from collections.abc import Sequence

ALPHABET = "0123456789*=|"
"""Digits, the multiplication sign, the end of the problem, and the correction mark."""


class CharTokenizer:
    """Maps characters of :data:`ALPHABET` (or a given alphabet) to ids and back.

    Example:
        >>> tok = CharTokenizer()
        >>> tok.encode("12*34=")
        [1, 2, 10, 3, 4, 11]
        >>> tok.decode(tok.encode("12*34=0408|"))
        '12*34=0408|'
    """

    def __init__(self, alphabet: str = ALPHABET) -> None:
        if not alphabet or len(set(alphabet)) != len(alphabet):
            raise ValueError(
                f"alphabet must be non-empty with distinct characters, got {alphabet!r}"
            )
        self.alphabet = alphabet
        self._ids = {char: index for index, char in enumerate(alphabet)}

    @property
    def vocab_size(self) -> int:
        """Number of ids (the model's output size)."""
        return len(self.alphabet)

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``; a character outside the alphabet is a caller bug and raises."""
        try:
            return [self._ids[char] for char in text]
        except KeyError as exc:
            raise ValueError(
                f"text must use only the characters {self.alphabet!r}, got {exc.args[0]!r} "
                f"in {text[:40]!r}"
            ) from None

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` (ids out of range raise)."""
        out = []
        for index in ids:
            if not 0 <= int(index) < len(self.alphabet):
                raise ValueError(f"token id must be in 0..{len(self.alphabet) - 1}, got {index}")
            out.append(self.alphabet[int(index)])
        return "".join(out)

    def id_of(self, char: str) -> int:
        """The id of one character.

        Example:
            >>> CharTokenizer().id_of("|")
            12
        """
        return self.encode(char)[0]
