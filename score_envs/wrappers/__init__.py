"""Wrappers: reward shaping for correction and metric recording."""

from score_envs.wrappers.correction_bonus import PAPER_ALPHA, CorrectionBonus, correction_bonus
from score_envs.wrappers.record_metrics import DEFAULT_BUFFER_LENGTH, RecordSelfCorrection

__all__ = [
    "DEFAULT_BUFFER_LENGTH",
    "PAPER_ALPHA",
    "CorrectionBonus",
    "RecordSelfCorrection",
    "correction_bonus",
]
