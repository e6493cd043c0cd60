"""Wrappers: correction reward shaping, metric recording, discrete views for classic agents."""

from score_envs.wrappers.correction_bonus import PAPER_ALPHA, CorrectionBonus, correction_bonus
from score_envs.wrappers.multiple_choice import (
    MultipleChoiceView,
    make_code_choice_env,
    make_math_choice_env,
    optimal_accuracy,
)
from score_envs.wrappers.record_metrics import DEFAULT_BUFFER_LENGTH, RecordSelfCorrection

__all__ = [
    "DEFAULT_BUFFER_LENGTH",
    "PAPER_ALPHA",
    "CorrectionBonus",
    "MultipleChoiceView",
    "RecordSelfCorrection",
    "correction_bonus",
    "make_code_choice_env",
    "make_math_choice_env",
    "optimal_accuracy",
]
