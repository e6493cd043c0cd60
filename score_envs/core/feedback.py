"""What the second-turn message says about the first attempt.

The paper's setting is *intrinsic* self-correction: the correction instruction never reveals
whether the attempt was right (mode ``"none"``). ``"binary"`` tells the model right/wrong, and
:func:`detail_feedback` passes the grader's task-specific detail (the code env exposes it as
``"tests"``: the failing test). A user may pass any callable ``(task, grade) -> str | None``
instead of a name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from score_envs.core.grading import Grade
from score_envs.core.task import Task

FeedbackFn = Callable[[Task, Grade], "str | None"]

BINARY_CORRECT = "Your previous answer is correct."
BINARY_INCORRECT = "Your previous answer is incorrect."


def no_feedback(task: Task, grade: Grade) -> str | None:
    """The paper's intrinsic setting: say nothing about the attempt."""
    return None


def binary_feedback(task: Task, grade: Grade) -> str:
    """Tell the model whether its attempt was right.

    Example:
        >>> from score_envs.core.grading import Grade
        >>> binary_feedback(None, Grade(correct=False, reason="not_equivalent"))
        'Your previous answer is incorrect.'
    """
    return BINARY_CORRECT if grade.correct else BINARY_INCORRECT


def detail_feedback(task: Task, grade: Grade) -> str | None:
    """Binary feedback followed by the grader's detail (for code: the failing test, truncated)."""
    if grade.correct or not grade.detail:
        return binary_feedback(task, grade)
    return f"{BINARY_INCORRECT}\n{grade.detail}"


FEEDBACK_MODES: Mapping[str, FeedbackFn] = {
    "none": no_feedback,
    "binary": binary_feedback,
}
"""Modes every env understands; an env adds its own (the code env maps ``"tests"`` to
:func:`detail_feedback`) through ``extra_modes``."""


def resolve_feedback(
    mode: str | FeedbackFn, extra_modes: Mapping[str, FeedbackFn] | None = None
) -> FeedbackFn:
    """Turn a mode name (or a callable) into a feedback function; unknown names are an error.

    Example:
        >>> resolve_feedback("binary") is binary_feedback
        True
    """
    if callable(mode):
        return mode
    modes = {**FEEDBACK_MODES, **(extra_modes or {})}
    if not isinstance(mode, str) or mode not in modes:
        raise ValueError(f"feedback must be one of {sorted(modes)} or a callable, got {mode!r}")
    return modes[mode]
