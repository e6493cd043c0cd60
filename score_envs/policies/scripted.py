"""Scripted baseline policies with known behaviour, and the registry that builds them from specs.

They read the task (answer and distractors included) and act with set probabilities, so the
metrics they should produce are known in advance: they test the metrics and wrappers end to end
and give the demo leaderboard rows that each show one behaviour (perfect, random, collapsed to
"repeat the first answer", self-correcting, self-damaging). All randomness comes from the
``numpy.random.Generator`` passed to ``start_episode``: the same generator state gives the same
attempts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from score_envs.core.task import Task
from score_envs.policies.base import Policy, attempts_so_far, is_code_task, render_answer

RANDOM_INTEGER_RANGE = (0, 100)
"""Inclusive range of :class:`RandomGuessPolicy`'s guesses on tasks without distractors."""

WRONG_MATH_ANSWERS = (r"\text{unknown}", r"\text{undetermined}", r"\text{unanswered}")
"""Answers no math reference equals; the first whose word is not in the reference is used."""

WRONG_PROGRAM = 'raise NotImplementedError("a deliberately wrong attempt")\n'
"""A program that fails every test: it raises as soon as it is loaded."""

MAX_SPEC_CHARS = 1000
"""Longest policy spec :func:`make_policy` accepts (specs nest through ``copy-first:``)."""


def distractors_of(task: Task) -> tuple[str, ...]:
    """The task's distinct wrong answers (``metadata["distractors"]``), minus the reference.

    Example:
        >>> task = Task("t", "2+2?", "4", "arithmetic", 1, {"distractors": ("5", "4", "3", "5")})
        >>> distractors_of(task)
        ('5', '3')
    """
    raw = task.metadata.get("distractors") or ()
    if isinstance(raw, str):
        raw = (raw,)
    seen: list[str] = []
    for candidate in raw:
        text = str(candidate)
        if text.strip() != task.answer.strip() and text not in seen:
            seen.append(text)
    return tuple(seen)


def guaranteed_wrong_answer(task: Task) -> str:
    """An answer the verifier grades wrong whatever the reference looks like.

    For code tasks, a program that raises on load; for math, a ``\\text{...}`` word that does not
    occur in the reference (a word no numeric, symbolic or structured answer equals).

    Example:
        >>> guaranteed_wrong_answer(Task("t", "Name it.", "\\\\text{unknown}", "riddles", 1))
        '\\\\text{undetermined}'
    """
    if is_code_task(task):
        return WRONG_PROGRAM
    letters = re.sub(r"[^a-z]", "", task.answer.lower())
    for candidate in WRONG_MATH_ANSWERS:
        word = re.sub(r"[^a-z]", "", candidate.removeprefix(r"\text").lower())
        if word not in letters:
            return candidate
    # Unreachable for real answers (the reference would have to contain all three words).
    return r"\text{" + "x" * (len(letters) + 1) + "}"


class _ScriptedPolicy:
    """Shared plumbing: the current task and generator, and the correctness of past attempts."""

    name: str

    def __init__(self) -> None:
        self._task: Task | None = None
        self._rng: np.random.Generator | None = None
        self._correct: list[bool] = []

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Begin an episode on ``task`` drawing every random choice from ``rng``."""
        if not isinstance(task, Task):
            raise ValueError(f"task must be a Task, got {type(task).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self._task, self._rng, self._correct = task, rng, []

    def _begin_attempt(self, messages: Sequence[Mapping[str, str]]) -> tuple[Task, int]:
        """The task and the index of the attempt asked for, checked against the conversation."""
        if self._task is None:
            raise RuntimeError(f"{self.name}: call start_episode() before next_attempt()")
        index = attempts_so_far(messages)
        if index != len(self._correct):
            raise RuntimeError(
                f"{self.name}: the conversation holds {index} attempt(s) but this policy made "
                f"{len(self._correct)} since start_episode(); call start_episode() for each episode"
            )
        return self._task, index

    def _attempt(self, task: Task, correct: bool) -> str:
        """Record the attempt's intended correctness and write it."""
        self._correct.append(correct)
        if correct:
            return render_answer(task, task.answer)
        return render_answer(task, self._wrong_answer(task))

    def _wrong_answer(self, task: Task) -> str:
        distractors = distractors_of(task)
        if not distractors:
            return guaranteed_wrong_answer(task)
        return distractors[int(self._generator().integers(len(distractors)))]

    def _generator(self) -> np.random.Generator:
        if self._rng is None:
            raise RuntimeError(f"{self.name}: call start_episode() before next_attempt()")
        return self._rng

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class OraclePolicy(_ScriptedPolicy):
    """Always answers the reference: Acc@t1 = Acc@t2 = 100%, the upper bound of any table.

    Example:
        >>> policy = OraclePolicy()
        >>> policy.start_episode(Task("t", "2+2?", "4", "arithmetic", 1), np.random.default_rng(0))
        >>> policy.next_attempt([{"role": "user", "content": "2+2?"}]).splitlines()[-1]
        'Final Answer: The final answer is $4$. I hope it is correct.'
    """

    name = "oracle"

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The reference answer, at every attempt."""
        task, _ = self._begin_attempt(messages)
        return self._attempt(task, True)


class RandomGuessPolicy(_ScriptedPolicy):
    """Guesses afresh at every attempt.

    With ``k`` distinct distractors the guess is uniform over the reference and the distractors,
    so each attempt is right with probability ``1 / (k + 1)`` and the two attempts are
    independent (expected Δ = 0, Δ i→c = Δ c→i = k / (k + 1)^2). Without distractors it guesses
    an integer uniformly in :data:`RANDOM_INTEGER_RANGE` (right with probability 1/101 when the
    reference is such an integer, never otherwise).

    Example:
        >>> policy = RandomGuessPolicy()
        >>> task = Task("t", "2+2?", "4", "arithmetic", 1, {"distractors": ("5",)})
        >>> policy.start_episode(task, np.random.default_rng(0))
        >>> policy.next_attempt([]).splitlines()[-1] in (
        ...     "Final Answer: The final answer is $4$. I hope it is correct.",
        ...     "Final Answer: The final answer is $5$. I hope it is correct.")
        True
    """

    name = "random"

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """A uniform guess among reference and distractors (or an integer without distractors)."""
        task, _ = self._begin_attempt(messages)
        rng = self._generator()
        options = (task.answer, *distractors_of(task))
        if len(options) > 1:
            guess = options[int(rng.integers(len(options)))]
        else:
            low, high = RANDOM_INTEGER_RANGE
            guess = str(int(rng.integers(low, high + 1)))
        self._correct.append(guess == task.answer)
        return render_answer(task, guess)


class NoisySolverPolicy(_ScriptedPolicy):
    """A solver with set first-attempt accuracy and set correction and damage rates.

    The first attempt is right with probability ``p_first``. Each later attempt depends only on
    the previous one: a wrong attempt becomes right with probability ``p_wrong_to_right`` (else it
    stays wrong, possibly with another wrong answer); a right one becomes wrong with probability
    ``p_right_to_wrong``. With two turns the expected metrics are therefore

    - Acc@t1 = ``p_first``
    - Δ i→c = ``(1 - p_first) * p_wrong_to_right``
    - Δ c→i = ``p_first * p_right_to_wrong``

    Wrong answers are drawn uniformly from the task's distractors, or are
    :func:`guaranteed_wrong_answer` when it has none.

    Args:
        p_first: Probability that the first attempt is right (spec key ``p1``).
        p_wrong_to_right: Probability that a wrong attempt is followed by a right one (``i2c``).
        p_right_to_wrong: Probability that a right attempt is followed by a wrong one (``c2i``).

    Example:
        >>> policy = NoisySolverPolicy(p_first=0.0, p_wrong_to_right=1.0, p_right_to_wrong=0.0)
        >>> policy.name
        'noisy:p1=0.0,i2c=1.0,c2i=0.0'
        >>> policy.start_episode(Task("t", "2+2?", "4", "arithmetic", 1), np.random.default_rng(0))
        >>> policy.next_attempt([]).splitlines()[-1]
        'Final Answer: The final answer is $\\\\text{unknown}$. I hope it is correct.'
        >>> policy.next_attempt([{"role": "assistant", "content": "..."}]).splitlines()[-1]
        'Final Answer: The final answer is $4$. I hope it is correct.'
    """

    def __init__(
        self, p_first: float = 0.5, p_wrong_to_right: float = 0.2, p_right_to_wrong: float = 0.05
    ) -> None:
        super().__init__()
        self.p_first = _probability("p_first", p_first)
        self.p_wrong_to_right = _probability("p_wrong_to_right", p_wrong_to_right)
        self.p_right_to_wrong = _probability("p_right_to_wrong", p_right_to_wrong)
        self.name = (
            f"noisy:p1={self.p_first!r},i2c={self.p_wrong_to_right!r},c2i={self.p_right_to_wrong!r}"
        )

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The next attempt, right or wrong according to the policy's probabilities."""
        task, index = self._begin_attempt(messages)
        draw = float(self._generator().random())
        if index == 0:
            correct = draw < self.p_first
        elif self._correct[-1]:
            correct = draw >= self.p_right_to_wrong
        else:
            correct = draw < self.p_wrong_to_right
        return self._attempt(task, correct)


class CopyFirstPolicy:
    """Makes its first attempt with another policy, then repeats it verbatim at every turn.

    This is the collapse the paper observes under naive multi-turn RL: the "correction" never
    changes anything, so Acc@t2 = Acc@t1 and Δ = Δ i→c = Δ c→i = 0 exactly.

    Example:
        >>> policy = CopyFirstPolicy(OraclePolicy())
        >>> policy.name
        'copy-first:oracle'
        >>> policy.start_episode(Task("t", "2+2?", "4", "arithmetic", 1), np.random.default_rng(0))
        >>> first = policy.next_attempt([])
        >>> policy.next_attempt([{"role": "assistant", "content": first}]) == first
        True
    """

    def __init__(self, first: Policy) -> None:
        if not isinstance(first, Policy):
            raise ValueError(
                f"first must be a Policy (name, start_episode, next_attempt), "
                f"got {type(first).__name__}"
            )
        self.first = first
        self.name = f"copy-first:{first.name}"
        self._first_attempt: str | None = None

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Start the wrapped policy's episode and forget the previous first attempt."""
        self.first.start_episode(task, rng)
        self._first_attempt = None

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The wrapped policy's attempt at turn 1; the same text at every later turn."""
        if attempts_so_far(messages) == 0:
            self._first_attempt = self.first.next_attempt(messages)
        elif self._first_attempt is None:
            raise RuntimeError(
                f"{self.name}: asked for a later attempt before making a first one; "
                "call start_episode() for each episode"
            )
        return self._first_attempt

    def __repr__(self) -> str:
        return f"<CopyFirstPolicy {self.name!r}>"


BUILTIN_POLICIES: dict[str, Callable[..., Policy]] = {
    "copy-first": CopyFirstPolicy,
    "noisy": NoisySolverPolicy,
    "oracle": OraclePolicy,
    "random": RandomGuessPolicy,
}
"""Constructors of the built-in policies by spec name (see :func:`make_policy`)."""

DEFAULT_COPY_FIRST_INNER = "noisy"
"""The spec ``copy-first`` alone copies this policy's first attempt."""

_NOISY_KEYS = {
    "p1": "p_first",
    "p_first": "p_first",
    "i2c": "p_wrong_to_right",
    "p_wrong_to_right": "p_wrong_to_right",
    "c2i": "p_right_to_wrong",
    "p_right_to_wrong": "p_right_to_wrong",
}
_SPEC_FORMS = "copy-first[:SPEC], noisy[:p1=P,i2c=P,c2i=P], oracle, random"


def check_policy_spec(spec: object) -> str:
    """Refuse what is not a policy spec at all: a non-string, or one longer than the cap.

    Example:
        >>> check_policy_spec("oracle")
        'oracle'
    """
    if not isinstance(spec, str):
        raise ValueError(f"policy spec must be a str, got {type(spec).__name__}")
    if len(spec) > MAX_SPEC_CHARS:
        raise ValueError(
            f"policy spec must be at most {MAX_SPEC_CHARS} characters, got {len(spec)}"
        )
    return spec


def make_policy(spec: str) -> Policy:
    """Build a built-in policy from a spec string.

    Forms: ``oracle``; ``random``; ``noisy`` or ``noisy:p1=0.6,i2c=0.2,c2i=0.05`` (keys may also
    be spelt ``p_first``, ``p_wrong_to_right``, ``p_right_to_wrong``; missing ones keep
    :class:`NoisySolverPolicy`'s defaults); ``copy-first:SPEC`` copies the first attempt of the
    policy ``SPEC`` (default ``noisy``; any spec :func:`~score_envs.policies.build_policy` takes,
    adapters included). A built-in policy's ``name`` is a spec that rebuilds it.

    Example:
        >>> make_policy("copy-first:noisy:p1=0.6,i2c=0.2,c2i=0.05").name
        'copy-first:noisy:p1=0.6,i2c=0.2,c2i=0.05'
    """
    check_policy_spec(spec)
    name, has_arguments, arguments = spec.strip().partition(":")
    name = name.strip().lower()
    if name not in BUILTIN_POLICIES:
        raise ValueError(f"unknown policy {name!r} in spec {spec!r}; valid specs: {_SPEC_FORMS}")
    if name == "copy-first":
        inner = arguments.strip() if has_arguments else DEFAULT_COPY_FIRST_INNER
        if not inner:
            raise ValueError(f"policy spec {spec!r}: copy-first: needs a policy spec after ':'")
        from score_envs.policies.registry import build_policy  # registry imports this module

        return CopyFirstPolicy(build_policy(inner))  # any spec, e.g. copy-first:openai:...
    if name == "noisy":
        return NoisySolverPolicy(**_noisy_arguments(spec, arguments) if has_arguments else {})
    if has_arguments:
        raise ValueError(f"policy {name!r} takes no parameters, got spec {spec!r}")
    return BUILTIN_POLICIES[name]()


def _noisy_arguments(spec: str, arguments: str) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for item in arguments.split(","):
        key, has_value, value = item.partition("=")
        key = key.strip().lower()
        if not has_value or key not in _NOISY_KEYS:
            raise ValueError(
                f"policy spec {spec!r}: expected KEY=VALUE with KEY one of "
                f"{sorted(_NOISY_KEYS)}, got {item.strip()!r}"
            )
        field = _NOISY_KEYS[key]
        if field in parsed:
            raise ValueError(f"policy spec {spec!r}: {field} is given twice")
        try:
            parsed[field] = float(value)
        except ValueError:
            raise ValueError(
                f"policy spec {spec!r}: {key} must be a number in [0, 1], got {value.strip()!r}"
            ) from None
    return parsed


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)
