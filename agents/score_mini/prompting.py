"""How an env conversation becomes the tiny model's input, and the model's output an env action.

The env speaks the paper's prompts (a paragraph of instructions, the problem, then after attempt 1
the correction instruction). The tiny model reads a compact rendering of the same conversation::

    12*34=          the problem (first user message: "... Compute $12 \\times 34$. ...")
    12*34=0418|     after attempt 1: the attempt's answer, then "|" for the correction message

and writes four characters per attempt. :func:`attempt_action` wraps them in the paper's
final-answer sentence, which the env's verifier extracts and grades; nothing is repaired on the
way (a malformed attempt such as ``"4*|1"`` is sent as it is and graded wrong). Feedback text in
the correction message (``feedback="binary"``) is not read: the mark stands for the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agents.score_mini.tasks import ANSWER_DIGITS
from score_envs.policies.base import format_final_answer

_PROBLEM = re.compile(r"Compute \$(\d{2}) \\times (\d{2})\$")
# The paper's answer sentence, as the env's scripted policies write it, around the model output.
_ACTION_PREFIX, _ACTION_SUFFIX = format_final_answer("\0").split("\0")

CORRECTION_MARK = "|"
"""Stands for the env's correction message in the model's input."""

PROMPT_CHARS = 6
"""Length of a rendered problem, ``"ab*cd="``."""

SEQUENCE_CHARS = PROMPT_CHARS + 2 * ANSWER_DIGITS + 1
"""Length of a whole two-attempt episode, ``"ab*cd=" + y1 + "|" + y2``."""


def problem_text(a: int, b: int) -> str:
    """The model's rendering of the problem ``a * b``.

    Example:
        >>> problem_text(12, 34)
        '12*34='
    """
    return f"{a}*{b}="


def answer_text(value: int) -> str:
    """A product as the model writes it: four digits, zero-padded.

    Example:
        >>> answer_text(408)
        '0408'
    """
    return str(value).zfill(ANSWER_DIGITS)


def attempt_action(model_output: str) -> str:
    """The env action for the model's four output characters: the paper's final-answer sentence.

    Example:
        >>> attempt_action("0408")
        'Final Answer: The final answer is $0408$. I hope it is correct.'
    """
    return format_final_answer(model_output)


def output_of_action(action: str) -> str:
    """The model output inside an action made by :func:`attempt_action` (inverse of it).

    Example:
        >>> output_of_action(attempt_action("12|4"))
        '12|4'
    """
    if not (action.startswith(_ACTION_PREFIX) and action.endswith(_ACTION_SUFFIX)):
        raise ValueError(
            "assistant messages must be attempts written by attempt_action "
            f'("{_ACTION_PREFIX}....{_ACTION_SUFFIX}"), got {action[:80]!r}'
        )
    return action[len(_ACTION_PREFIX) : len(action) - len(_ACTION_SUFFIX)]


def model_input(messages: Sequence[Mapping[str, str]]) -> str:
    """The compact model input for a chat (``info["messages"]``) that ends with a user turn.

    Example:
        >>> messages = [{"role": "user", "content": "Problem: Compute $12 \\\\times 34$."},
        ...             {"role": "assistant", "content": attempt_action("0418")},
        ...             {"role": "user", "content": "There might be an error ..."}]
        >>> model_input(messages[:1]), model_input(messages)
        ('12*34=', '12*34=0418|')
    """
    if not messages or messages[0].get("role") != "user":
        raise ValueError("messages must start with the user's problem message")
    if messages[-1].get("role") != "user":
        raise ValueError("messages must end with a user message (the model answers next)")
    match = _PROBLEM.search(str(messages[0].get("content", "")))
    if match is None:
        raise ValueError(
            "the miniature model reads 2-digit x 2-digit multiplication problems "
            "('Compute $ab \\times cd$.'), got " + repr(str(messages[0].get("content"))[-80:])
        )
    text = problem_text(int(match.group(1)), int(match.group(2)))
    for message in messages[1:]:
        if message.get("role") == "assistant":
            output = output_of_action(str(message.get("content", "")))
            if len(output) != ANSWER_DIGITS:
                raise ValueError(f"an attempt must hold {ANSWER_DIGITS} characters, got {output!r}")
            text += output
        else:
            text += CORRECTION_MARK
    return text
