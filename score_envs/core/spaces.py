"""A text space that admits any string a model can write.

Gymnasium's ``spaces.Text`` defaults to letters and digits only, and a charset of all printable
Unicode is slow to build and to sample (DESIGN.md section 6: 1.3 s to build, 29 ms a sample).
:class:`AnyText` checks type and length instead of membership in a charset, and samples short
strings from a small alphabet that still contains the characters verifiers care about.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

_SAMPLE_ALPHABET = "0123456789abcxyz +-*/^=()[]{},.$\\ \n"


class AnyText(spaces.Text):
    """Any ``str`` of at most ``max_length`` characters (empty strings included).

    Example:
        >>> space = AnyText(max_length=10)
        >>> space.contains("x² ≠ ∞ 🤖"), space.contains("x" * 11), space.contains(3)
        (True, False, False)
    """

    def __init__(self, max_length: int, *, seed: int | np.random.Generator | None = None) -> None:
        if not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"max_length must be a positive int, got {max_length!r}")
        super().__init__(max_length=max_length, min_length=0, charset=_SAMPLE_ALPHABET, seed=seed)

    def contains(self, x: Any) -> bool:
        """True for every string no longer than ``max_length``; no charset restriction."""
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A short random string (at most 32 characters) from a small math-flavoured alphabet."""
        if mask is not None or probability is not None:
            return super().sample(mask=mask, probability=probability)
        length = int(self.np_random.integers(0, min(32, self.max_length) + 1))
        picks = self.np_random.integers(0, len(_SAMPLE_ALPHABET), size=length)
        return "".join(_SAMPLE_ALPHABET[i] for i in picks)

    def __repr__(self) -> str:
        return f"AnyText(max_length={self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, AnyText) and other.max_length == self.max_length

    def __hash__(self) -> int:
        return hash(("AnyText", self.max_length))
