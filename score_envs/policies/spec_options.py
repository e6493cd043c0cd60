"""``KEY=VALUE,...`` options of an adapter spec (``openai:model=m,timeout=5``), parsed one way.

Every adapter's spec is written into results files and leaderboard rows, so all of them read the
same grammar and give the same errors: unknown keys, repeated keys and values of the wrong type
are refused with a line naming the adapter, the key and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


def parse_options(
    text: str, option_types: Mapping[str, type], *, prefix: str, bare_key: str
) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` pairs into typed values; a text without ``=`` is ``{bare_key: text}``.

    Example:
        >>> parse_options("model=m,timeout=2.5,seed=true", {"model": str, "timeout": float,
        ...               "seed": bool}, prefix="openai", bare_key="model")
        {'model': 'm', 'timeout': 2.5, 'seed': True}
        >>> parse_options("tiny", {"model": str}, prefix="hf", bare_key="model")
        {'model': 'tiny'}
    """
    text = text.strip()
    if text and "=" not in text:
        return {bare_key: text}
    options: dict[str, Any] = {}
    for item in text.split(","):
        key, has_value, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not has_value or key not in option_types:
            raise ValueError(
                f"{prefix} spec: expected KEY=VALUE with KEY one of {sorted(option_types)}, "
                f"got {item.strip()!r}"
            )
        if key in options:
            raise ValueError(f"{prefix} spec: {key} is given twice")
        options[key] = _convert(prefix, key, value, option_types[key])
    return options


def _convert(prefix: str, key: str, value: str, kind: type) -> Any:
    if kind is bool:
        if value.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError(f"{prefix} spec: {key} must be true or false, got {value!r}")
        return value.lower() in TRUE_WORDS
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{prefix} spec: {key} must be a {kind.__name__}, got {value!r}") from None
