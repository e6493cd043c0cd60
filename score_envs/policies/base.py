"""What a policy is to the runner, and how scripted policies write their answers.

A policy answers one conversation at a time: the runner calls :meth:`Policy.start_episode` after
each reset and :meth:`Policy.next_attempt` before each step, with ``info["messages"]``. Scripted
policies (test and demo baselines) may read the task, answer included, from ``start_episode``;
model adapters ignore it and only see the messages, as a model would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from score_envs.core.task import Task

CODE_FAMILY_PREFIX = "code"
"""Tasks whose family starts with this (``"code"``, ``"code:mbpp"``, ...) are answered with a bare
program; every other task is a math task answered in the paper's final-answer sentence."""


@runtime_checkable
class Policy(Protocol):
    """Anything that can play a self-correction episode.

    Attributes:
        name: A short name for tables and logs (for built-in policies, a spec that
            :func:`score_envs.policies.scripted.make_policy` turns back into the same policy).
    """

    name: str

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Begin an episode on ``task``; ``rng`` is the only source of randomness allowed."""
        ...

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """Return the next assistant message given the chat so far (``info["messages"]``)."""
        ...


def format_final_answer(answer: str) -> str:
    """Write ``answer`` in the paper's MATH answer form, which the math verifier extracts.

    Example:
        >>> format_final_answer("\\\\frac{1}{2}")
        'Final Answer: The final answer is $\\\\frac{1}{2}$. I hope it is correct.'
    """
    return f"Final Answer: The final answer is ${answer}$. I hope it is correct."


def is_code_task(task: Task) -> bool:
    """True when ``task`` expects a program rather than a math answer (by its family name).

    Example:
        >>> is_code_task(Task("t", "Add.", "def add(a, b): return a + b", "code:mbpp", 1))
        True
    """
    return task.family.startswith(CODE_FAMILY_PREFIX)


def render_answer(task: Task, answer: str) -> str:
    """The attempt a scripted policy sends to give ``answer`` on ``task``.

    Programs are sent as they are; math answers in the paper's final-answer sentence after a
    one-line solution (so the attempt looks like what the prompt asks for).

    Example:
        >>> print(render_answer(Task("t", "What is 2 + 2?", "4", "arithmetic", 1), "4"))
        Solution: by direct computation.
        Final Answer: The final answer is $4$. I hope it is correct.
    """
    if is_code_task(task):
        return answer
    return "Solution: by direct computation.\n" + format_final_answer(answer)


def attempts_so_far(messages: Sequence[Mapping[str, str]]) -> int:
    """How many attempts the conversation already holds (its assistant messages).

    Example:
        >>> attempts_so_far([{"role": "user", "content": "2+2?"},
        ...                  {"role": "assistant", "content": "4"},
        ...                  {"role": "user", "content": "Check it."}])
        1
    """
    return sum(1 for message in messages if message.get("role") == "assistant")
