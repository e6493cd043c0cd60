"""The self-correction turn loop shared by every text environment of the project.

One episode: the task's first-turn prompt -> attempt 1 -> the same conversation plus a fixed
correction instruction (with optional feedback) -> attempt 2 -> ... up to ``max_turns`` attempts.
Each attempt is graded on its own (reward 1.0 / 0.0, instantaneous, as in the paper); shaping such
as the correction bonus lives in wrappers, never here, so the raw signal stays available.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
from gymnasium.error import ResetNeeded

from score_envs.core.feedback import FeedbackFn, resolve_feedback
from score_envs.core.grading import Grade, Grader
from score_envs.core.prompts import PromptTemplates, render_conversation, render_message
from score_envs.core.spaces import AnyText
from score_envs.core.task import TASK_SEED_BITS, Task, TaskSource

DEFAULT_MAX_ATTEMPT_CHARS = 32_000
"""Attempts longer than this are graded wrong with reason ``truncated`` (and stored cut)."""

MAX_PROMPT_CHARS = 200_000
"""A task prompt longer than this is a broken source, not model output: it raises."""

_TASK_SEED_LIMIT = 2**TASK_SEED_BITS


class SelfCorrectionEnv(gym.Env[str, str]):
    """A multi-turn self-correction episode over tasks from a :class:`TaskSource`.

    ## Description
    The agent answers a task, is asked to review its answer, and answers again; every attempt is
    graded by an exact verifier. This is the setting of the SCoRe paper (arXiv 2409.12917).

    ## Action Space
    :class:`~score_envs.core.spaces.AnyText`: any string (the model's whole attempt). Attempts
    longer than ``max_attempt_chars`` are graded wrong with reason ``truncated``.

    ## Observation Space
    :class:`~score_envs.core.spaces.AnyText`: the conversation so far rendered as plain text
    (see :func:`~score_envs.core.prompts.render_conversation`); chat models should read
    ``info["messages"]`` instead.

    ## Starting State
    ``reset(seed=s)`` draws a 63-bit task seed from ``self.np_random`` and asks the source for
    that task, so the same seed gives the same task. ``options={"task_id": ...}`` replays a given
    task and ``options={"task": Task(...)}`` plays an explicit one.

    ## Turns
    ``max_turns`` attempts (default 2). After each non-final attempt the conversation gets the
    attempt as an assistant message and then a user message holding the feedback (per
    ``feedback``) and the correction instruction.

    ## Reward
    1.0 for a correct attempt, 0.0 otherwise, at every step (gamma = 0 in the paper).

    ## Episode End
    ``terminated=True`` after the last attempt; ``truncated`` is always ``False``. Stepping a
    finished episode raises :class:`gymnasium.error.ResetNeeded`.

    ## Information
    ``messages``, ``turn`` (attempts graded so far), ``max_turns``, ``task_id``, ``family``,
    ``difficulty``; after a step also ``correct``, ``reason``, ``extracted_answer``, ``feedback``
    (the text shown to the model next, or None); after the last step ``correct_per_turn`` and
    ``reasons_per_turn``.

    ## Arguments
    ``task_source``, ``grader``, ``max_turns``, ``feedback`` (a mode name or a callable
    ``(task, grade) -> str | None``), ``templates``, ``extra_feedback_modes``,
    ``max_attempt_chars``, ``render_mode`` (``"ansi"`` or None).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}

    def __init__(
        self,
        task_source: TaskSource,
        grader: Grader,
        *,
        templates: PromptTemplates,
        max_turns: int = 2,
        feedback: str | FeedbackFn = "none",
        extra_feedback_modes: Mapping[str, FeedbackFn] | None = None,
        max_attempt_chars: int = DEFAULT_MAX_ATTEMPT_CHARS,
        render_mode: str | None = None,
    ) -> None:
        if isinstance(max_turns, bool) or not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns must be an int >= 1, got {max_turns!r}")
        if not isinstance(max_attempt_chars, int) or max_attempt_chars < 1:
            raise ValueError(f"max_attempt_chars must be a positive int, got {max_attempt_chars!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        if not isinstance(templates, PromptTemplates):
            raise ValueError(f"templates must be a PromptTemplates, got {type(templates).__name__}")
        self.task_source = task_source
        self.grader = grader
        self.templates = templates
        self.max_turns = max_turns
        self.feedback_fn = resolve_feedback(feedback, extra_feedback_modes)
        self.max_attempt_chars = max_attempt_chars
        self.render_mode = render_mode
        self.action_space = AnyText(max_attempt_chars)
        self.observation_space = AnyText(
            MAX_PROMPT_CHARS
            + max_turns * (max_attempt_chars + 2 * len(templates.correction) + 8192)
        )
        self.task: Task | None = None
        self._messages: list[dict[str, str]] = []
        self._observation = ""  # render_conversation(self._messages), kept up to date
        self._grades: list[Grade] = []
        self._done = False

    # -- the turn loop -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start an episode on a new task and return the first-turn prompt."""
        super().reset(seed=seed)
        self.task = self._choose_task(options or {})
        if len(self.task.prompt) > MAX_PROMPT_CHARS:
            raise ValueError(
                f"task {self.task.task_id!r} prompt has {len(self.task.prompt)} "
                f"characters, more than {MAX_PROMPT_CHARS}"
            )
        self._messages = []
        self._observation = ""
        self._append("user", self.templates.first_message(self.task.prompt))
        self._grades = []
        self._done = False
        return self._observation, self._base_info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Grade one attempt; if turns remain, append it and the correction request."""
        if self.task is None:
            raise ResetNeeded("Cannot call step() before reset().")
        if self._done:
            raise ResetNeeded("The episode has terminated; call reset() before step() again.")
        if not isinstance(action, str):
            raise TypeError(
                f"action must be a str (the model's attempt), got {type(action).__name__}"
            )
        task = self.task
        grade = self._grade(task, action)
        self._grades.append(grade)
        self._append("assistant", action[: self.max_attempt_chars])
        terminated = len(self._grades) >= self.max_turns
        feedback = None
        if terminated:
            self._done = True
        else:
            feedback = self.feedback_fn(task, grade)
            self._append("user", self.templates.correction_message(task.prompt, feedback))
        info = self._base_info()
        info.update(
            correct=grade.correct,
            reason=grade.reason,
            extracted_answer=grade.extracted,
            feedback=feedback,
        )
        if terminated:
            info["correct_per_turn"] = [g.correct for g in self._grades]
            info["reasons_per_turn"] = [g.reason for g in self._grades]
        return self._observation, grade.reward, terminated, False, info

    def render(self) -> str | None:
        """The conversation so far as text (``render_mode="ansi"``)."""
        if self.render_mode == "ansi":
            return render_conversation(self._messages)
        return None

    # -- pure pieces ---------------------------------------------------------------------------

    def reward_for(self, task: Task, attempt: str) -> float:
        """The reward ``step`` gives ``attempt`` on ``task``: a pure function of its arguments.

        Like Gymnasium-Robotics' ``compute_reward``, it lets a learner re-score attempts (relabel,
        compare candidates) without stepping the env.
        """
        return self._grade(task, attempt).reward

    def _grade(self, task: Task, attempt: str) -> Grade:
        if len(attempt) > self.max_attempt_chars:
            return Grade(correct=False, reason="truncated", extracted=None)
        try:
            return self.grader(task, attempt)
        except Exception as exc:  # a grader bug must not become the model's fault or crash a run
            warnings.warn(
                f"grader raised on task {task.task_id!r}: {exc!r}", RuntimeWarning, stacklevel=3
            )
            return Grade(correct=False, reason="grader_error", detail=repr(exc)[:500])

    def _choose_task(self, options: Mapping[str, Any]) -> Task:
        if options:
            unknown = set(options) - {"task", "task_id"}
            if unknown:
                raise ValueError(
                    f"unknown reset options {sorted(unknown)}; expected 'task' or 'task_id'"
                )
            if "task" in options:
                if not isinstance(options["task"], Task):
                    raise ValueError(
                        f"options['task'] must be a Task, got {type(options['task']).__name__}"
                    )
                return options["task"]
            if "task_id" in options:
                return self.task_source.task_from_id(options["task_id"])
        task_seed = int(self.np_random.integers(0, _TASK_SEED_LIMIT))
        return self.task_source.task_from_seed(task_seed)

    def _append(self, role: str, content: str) -> None:
        # The observation grows by one rendered message instead of re-rendering the whole
        # conversation at every step (the same text, without the quadratic cost).
        rendered = render_message(role, content)
        self._observation = f"{self._observation}\n\n{rendered}" if self._messages else rendered
        self._messages.append({"role": role, "content": content})

    def _base_info(self) -> dict[str, Any]:
        task = self.task
        if task is None:
            raise ResetNeeded("Cannot read episode info before reset().")
        return {
            "messages": [dict(m) for m in self._messages],
            "turn": len(self._grades),
            "max_turns": self.max_turns,
            "task_id": task.task_id,
            "family": task.family,
            "difficulty": task.difficulty,
        }
