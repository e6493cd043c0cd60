"""Every ``register(...)`` call of the project, in one place, with string entry points."""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENV_IDS: tuple[str, ...] = ("ScoreMath-v0",)


def register_envs() -> None:
    """Register the project's environments; safe to call more than once."""
    if "ScoreMath-v0" not in registry:
        register(id="ScoreMath-v0", entry_point="score_envs.math.env:ScoreMathEnv")
