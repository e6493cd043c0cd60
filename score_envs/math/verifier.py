"""The math grader: extract the final answer, check it against the reference, explain the verdict.

Reason codes (``Grade.reason``), exactly one per verdict:

- ``equivalent``: the extracted answer equals the reference (the only correct verdict);
- ``not_equivalent``: a well-formed answer with a different value or structure;
- ``no_answer_found``: no final answer could be located (see :mod:`score_envs.math.extraction`);
- ``unparsable``: an answer was found but is not well-formed math in the supported syntax;
- ``too_large``: the answer, or the work needed to check it, exceeds a documented cap;
- ``truncated``: the response is longer than ``max_response_chars``
  (:data:`MAX_RESPONSE_CHARS` by default). Such a response is **refused, not graded**: its
  answer may lie beyond what the grader reads within its time bound, a generation that long has
  usually been cut off before finishing, and grading only a part would make the verdict depend on
  where the cut falls.

The reward is a pure function of (attempt, reference): :func:`compute_reward` is callable outside
any environment, and ``MathGrader()(task, attempt).reward`` always equals
``compute_reward(attempt, task.answer)``.
"""

from __future__ import annotations

from score_envs.core.grading import Grade
from score_envs.core.task import Task
from score_envs.math.equivalence import check_equivalence
from score_envs.math.extraction import MAX_TEXT_CHARS, extract_answer
from score_envs.math.parsing import MAX_ANSWER_CHARS

MAX_RESPONSE_CHARS = MAX_TEXT_CHARS
"""Longest response graded by default (64 KiB of text, far above a MATH solution)."""


def grade_answer(
    response: str, reference: str, *, max_response_chars: int = MAX_RESPONSE_CHARS
) -> Grade:
    """Grade one response against the reference answer; never raises on any response.

    ``Grade.extracted`` is the extracted answer, cut to :data:`MAX_ANSWER_CHARS` characters.

    Example:
        >>> grade_answer("... so the total is $\\\\boxed{\\\\dfrac{3}{4}}$.", "0.75")
        Grade(correct=True, reason='equivalent', extracted='\\\\dfrac{3}{4}', detail=None)
        >>> grade_answer("I give up.", "0.75").reason
        'no_answer_found'
    """
    if not isinstance(max_response_chars, int) or max_response_chars < 1:
        raise ValueError(f"max_response_chars must be a positive int, got {max_response_chars!r}")
    if not isinstance(reference, str):
        raise TypeError(f"reference must be a string, got {type(reference).__name__}")
    if not isinstance(response, str):
        return Grade(False, "no_answer_found", None, "the response is not text")
    if len(response) > max_response_chars:
        detail = f"response has {len(response)} characters; the cap is {max_response_chars}"
        return Grade(False, "truncated", None, detail)
    extracted = extract_answer(response)
    if extracted is None:
        return Grade(False, "no_answer_found")
    if len(extracted) > MAX_ANSWER_CHARS:
        detail = f"answer has {len(extracted)} characters; the cap is {MAX_ANSWER_CHARS}"
        return Grade(False, "too_large", extracted[:MAX_ANSWER_CHARS], detail)
    correct, reason = check_equivalence(extracted, reference)
    return Grade(correct, reason, extracted)


def compute_reward(attempt: str, reference: str) -> float:
    """The binary reward of one attempt: 1.0 when its final answer equals the reference, else 0.0.

    Example:
        >>> attempt = "Final Answer: The final answer is $2\\\\sqrt{3}$. I hope it is correct."
        >>> compute_reward(attempt, "\\\\sqrt{12}")
        1.0
    """
    return grade_answer(attempt, reference).reward


class MathGrader:
    """The :class:`~score_envs.core.grading.Grader` for math tasks: grades against ``task.answer``.

    Args:
        max_response_chars: Responses longer than this are refused with reason ``truncated``.

    Example:
        >>> task = Task("arithmetic/d1/0", "What is 2 + 2?", "4", "arithmetic", 1)
        >>> MathGrader()(task, "#### 4").correct
        True
    """

    def __init__(self, *, max_response_chars: int = MAX_RESPONSE_CHARS) -> None:
        if not isinstance(max_response_chars, int) or max_response_chars < 1:
            raise ValueError(
                f"max_response_chars must be a positive int, got {max_response_chars!r}"
            )
        self.max_response_chars = max_response_chars

    def __call__(self, task: Task, attempt: str) -> Grade:
        """Grade ``attempt`` against ``task.answer``."""
        return grade_answer(attempt, task.answer, max_response_chars=self.max_response_chars)
