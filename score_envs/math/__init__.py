"""Math tasks and their verifier: extraction, bounded parsing, exact equivalence, task sources."""

from score_envs.math.equivalence import answers_equivalent, check_equivalence
from score_envs.math.extraction import extract_answer
from score_envs.math.verifier import MathGrader, compute_reward, grade_answer

__all__ = [
    "MathGrader",
    "answers_equivalent",
    "check_equivalence",
    "compute_reward",
    "extract_answer",
    "grade_answer",
]
