"""A text space that admits any string a model can write.

Gymnasium's ``spaces.Text`` defaults to letters and digits only, and a charset of all printable
Unicode is slow to build and to sample (DESIGN.md section 6: 1.3 s to build, 29 ms a sample).
:class:`AnyText` checks type and length instead of membership in a charset, and samples short
strings from a small alphabet that still contains the characters verifiers care about.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

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


# -- async vector envs with shared memory ----------------------------------------------------------
# Gymnasium stores a Text observation in shared memory as indices into its charset, which AnyText
# does not have (KeyError in the worker). AnyText stores each env's string as its length followed
# by its code points (int32), and copies only the characters in use.


@create_shared_memory.register(AnyText)
def _create_any_text_shared_memory(space: AnyText, n: int = 1, ctx: Any = mp) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1), lock=False)


class SharedTextView(Sequence[str]):
    """The strings of ``n`` envs in shared memory, decoded when read.

    Gymnasium reads an async vector env's shared observations once and relies on numpy views to
    see later writes; a tuple of ``str`` cannot be such a view. This sequence decodes the current
    strings on access, and a ``deepcopy`` (``AsyncVectorEnv(copy=True)``, the default) turns it into
    a plain tuple, a snapshot of that step's observations.
    """

    def __init__(self, space: AnyText, shared_memory: Any, n: int) -> None:
        self._rows = np.frombuffer(shared_memory, dtype=np.int32).reshape((n, space.max_length + 1))

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        row = self._rows[index]
        return row[1 : 1 + int(row[0])].astype("<u4").tobytes().decode("utf-32-le")

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTextView({tuple(self)!r})"


@read_from_shared_memory.register(AnyText)
def _read_any_text_from_shared_memory(
    space: AnyText, shared_memory: Any, n: int = 1
) -> SharedTextView:
    return SharedTextView(space, shared_memory, n)


@write_to_shared_memory.register(AnyText)
def _write_any_text_to_shared_memory(
    space: AnyText, index: int, values: str, shared_memory: Any
) -> None:
    if not space.contains(values):
        raise ValueError(f"observation is not a str of at most {space.max_length} characters")
    size = space.max_length + 1
    row = np.frombuffer(shared_memory, dtype=np.int32)[index * size : (index + 1) * size]
    codes = np.frombuffer(values.encode("utf-32-le"), dtype="<u4")
    row[0] = len(codes)
    row[1 : 1 + len(codes)] = codes
