"""Every ``register(...)`` call of the project, in one place, with string entry points."""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENTRY_POINTS: dict[str, str] = {
    "ScoreMath-v0": "score_envs.math.env:ScoreMathEnv",
    "ScoreCode-v0": "score_envs.code.env:ScoreCodeEnv",
    "ScoreMathChoice-v0": "score_envs.wrappers.multiple_choice:make_math_choice_env",
    "ScoreCodeChoice-v0": "score_envs.wrappers.multiple_choice:make_code_choice_env",
    "ScoreGridWorld-v0": "score_envs.gridworld.env:GridWorldEnv",
    "ScoreGridWorldGoal-v0": "score_envs.gridworld.goal_env:GoalGridWorldEnv",
}
"""Environment id -> entry point; entry points are strings so importing the package stays cheap."""

ENV_IDS: tuple[str, ...] = tuple(ENTRY_POINTS)


def register_envs() -> None:
    """Register the project's environments; safe to call more than once."""
    for env_id, entry_point in ENTRY_POINTS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point)
