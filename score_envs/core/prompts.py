"""Prompt templates and how a conversation is rendered as one observation string.

The defaults are the SCoRe paper's prompts verbatim (DESIGN.md section 1), because they are the
benchmark: results are only comparable with the paper's when the instruction text is the same.
Users replace them by passing their own :class:`PromptTemplates` to the env.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MINERVA_ANSWER_FORM = (
    "At the end of the Solution, when you give your final answer, write it in the form "
    '"Final Answer: The final answer is $answer$. I hope it is correct."'
)

MATH_FIRST_TURN_INSTRUCTION = (
    "You are a math expert. When you respond, respond only with the Solution of the final "
    "Problem, thinking step by step. " + MINERVA_ANSWER_FORM
)

MATH_CORRECTION_INSTRUCTION = (
    "There might be an error in the solution above because of lack of understanding of the "
    "question. Please correct the error, if any, and rewrite the solution. Only output the final "
    "solution! " + MINERVA_ANSWER_FORM
)

CODE_CORRECTION_INSTRUCTION = (
    "There might be an error in the code above because of lack of understanding of the question. "
    "Please correct the error, if any, and rewrite the solution. Only output the final correct "
    "Python program!"
)


@dataclass(frozen=True)
class PromptTemplates:
    """The text around a task.

    Attributes:
        first_turn: Template of the first user message; ``{problem}`` becomes the task prompt.
        correction: The user message after each non-final attempt (``{problem}`` allowed too).
        feedback_separator: Put between the feedback text (if any) and the correction instruction.

    Example:
        >>> PromptTemplates(first_turn="Solve: {problem}", correction="Again.").first_message("1+1")
        'Solve: 1+1'
    """

    first_turn: str
    correction: str
    feedback_separator: str = "\n\n"

    def __post_init__(self) -> None:
        if "{problem}" not in self.first_turn:
            raise ValueError("first_turn template must contain '{problem}'")
        for name in ("first_turn", "correction"):
            text = getattr(self, name)
            try:
                text.format(problem="")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"{name} template may only use the '{{problem}}' placeholder "
                    f"(double other braces as '{{{{' and '}}}}'): {exc!r}"
                ) from exc

    def first_message(self, problem: str) -> str:
        """The first user message for ``problem``."""
        return _fill(self.first_turn, problem)

    def correction_message(self, problem: str, feedback: str | None = None) -> str:
        """The user message that asks for another attempt, with optional feedback first."""
        instruction = _fill(self.correction, problem)
        if feedback:
            return feedback + self.feedback_separator + instruction
        return instruction


def _fill(template: str, problem: str) -> str:
    """``template.format(problem=problem)``; messages are rendered at every reset and step."""
    parts = _literal_parts(template)
    if parts is None or not isinstance(problem, str):
        return template.format(problem=problem)
    return problem.join(parts)


@functools.lru_cache(maxsize=64)
def _literal_parts(template: str) -> tuple[str, ...] | None:
    """The text around each ``{problem}``, or None when the template has any other brace.

    Joining these parts around the problem gives the text ``str.format`` gives, without parsing
    the template each time; escaped braces or a format spec are left to ``str.format``.
    """
    parts = tuple(template.split("{problem}"))
    if any("{" in part or "}" in part for part in parts):
        return None
    return parts


MATH_TEMPLATES = PromptTemplates(
    first_turn=MATH_FIRST_TURN_INSTRUCTION + "\n\nProblem:\n{problem}\n\nSolution:",
    correction=MATH_CORRECTION_INSTRUCTION,
)
"""The paper's MATH prompts (first turn and correction instruction), verbatim."""


def render_conversation(messages: Sequence[Mapping[str, str]]) -> str:
    """Render chat messages as one plain-text observation.

    Chat models should use ``info["messages"]`` with their own chat template; this rendering is for
    text-only agents and logs. Each message is introduced by its role in capitals.

    Example:
        >>> print(render_conversation([{"role": "user", "content": "2+2?"},
        ...                            {"role": "assistant", "content": "4"}]))
        USER:
        2+2?
        <BLANKLINE>
        ASSISTANT:
        4
    """
    return "\n\n".join(render_message(m["role"], m["content"]) for m in messages)


def render_message(role: str, content: str) -> str:
    """One message as :func:`render_conversation` writes it: the role in capitals, then the text.

    Example:
        >>> render_message("user", "2+2?")
        'USER:\\n2+2?'
    """
    return f"{role.upper()}:\n{content}"
