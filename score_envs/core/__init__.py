"""The environment-independent core: tasks, grades, prompts, feedback and the turn loop."""

from score_envs.core.env import SelfCorrectionEnv
from score_envs.core.feedback import FEEDBACK_MODES, binary_feedback, detail_feedback, no_feedback
from score_envs.core.grading import Grade, Grader
from score_envs.core.prompts import (
    CODE_CORRECTION_INSTRUCTION,
    MATH_CORRECTION_INSTRUCTION,
    MATH_FIRST_TURN_INSTRUCTION,
    MATH_TEMPLATES,
    PromptTemplates,
    render_conversation,
)
from score_envs.core.spaces import AnyText
from score_envs.core.task import Task, TaskSource

__all__ = [
    "CODE_CORRECTION_INSTRUCTION",
    "FEEDBACK_MODES",
    "MATH_CORRECTION_INSTRUCTION",
    "MATH_FIRST_TURN_INSTRUCTION",
    "MATH_TEMPLATES",
    "AnyText",
    "Grade",
    "Grader",
    "PromptTemplates",
    "SelfCorrectionEnv",
    "Task",
    "TaskSource",
    "binary_feedback",
    "detail_feedback",
    "no_feedback",
    "render_conversation",
]
