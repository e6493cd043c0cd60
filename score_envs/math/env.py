"""``ScoreMath-v0``: the math half of the SCoRe setting on the shared turn loop."""

from __future__ import annotations

import os
from collections.abc import Sequence

from score_envs.core.env import DEFAULT_MAX_ATTEMPT_CHARS, SelfCorrectionEnv
from score_envs.core.feedback import FeedbackFn
from score_envs.core.prompts import MATH_TEMPLATES, PromptTemplates
from score_envs.core.task import TaskSource, dataset_name
from score_envs.math.datasets import DatasetSource, load_math_dataset
from score_envs.math.procedural import ProceduralMathSource
from score_envs.math.verifier import MathGrader


class ScoreMathEnv(SelfCorrectionEnv):
    """Self-correction on math problems, graded by an exact answer verifier.

    ## Description
    A procedural or dataset math problem is posed with the SCoRe paper's MATH prompt; the agent
    answers, is told "There might be an error in the solution above ..." and answers again. The
    final answer of each attempt is extracted (``\\boxed{}``, the paper's "Final Answer: The final
    answer is X. I hope it is correct.", GSM8K ``#### X``) and checked for mathematical
    equivalence with the reference (:func:`score_envs.math.answers_equivalent`).

    ## Action Space
    Any string up to ``max_attempt_chars`` characters (:class:`~score_envs.core.spaces.AnyText`).

    ## Observation Space
    The conversation so far as text; chat models read ``info["messages"]``.

    ## Starting State
    ``reset(seed=s)`` picks the task deterministically from ``s``: a family (uniform over
    ``families``), a difficulty (uniform over ``difficulty``), and the numbers; or, with
    ``dataset_path``, a problem of the file.

    ## Turns
    ``max_turns`` attempts, default 2 (the paper's setting).

    ## Reward
    1.0 when the attempt's final answer is equivalent to the reference, else 0.0, at every step.
    Add :class:`~score_envs.wrappers.CorrectionBonus` for the paper's Stage II shaping.

    ## Scoring
    ``info["reason"]`` says why: ``equivalent``, ``not_equivalent``, ``no_answer_found``,
    ``unparsable``, ``too_large`` or ``truncated``. ``info["extracted_answer"]`` is what was graded.

    ## Episode End
    Terminated after the last attempt; never truncated.

    ## Information
    See :class:`~score_envs.core.env.SelfCorrectionEnv`.

    ## Arguments
    - ``families``: names of procedural families (default: all; see
      :func:`score_envs.math.procedural.family_names`).
    - ``difficulty``: an int 1..5, an inclusive ``(low, high)`` pair, or a list of levels
      (default: all five).
    - ``max_turns``: attempts per episode (default 2).
    - ``feedback``: ``"none"`` (default, the paper's intrinsic setting), ``"binary"``, a callable.
    - ``templates``: :class:`~score_envs.core.prompts.PromptTemplates` (default: the paper's).
    - ``dataset_path``: a MATH- or GSM8K-format JSONL file (``.jsonl`` or ``.jsonl.gz``) to use
      instead of the procedural families; ``dataset_format``: ``"auto"``, ``"math"``, ``"gsm8k"``.
    - ``max_attempt_chars``, ``render_mode`` (``"ansi"``).

    ## Registered IDs
    ``ScoreMath-v0``.

    ## Version History
    - v0: initial release.

    Example:
        >>> import gymnasium as gym, score_envs
        >>> env = gym.make("ScoreMath-v0", families=["arithmetic"], difficulty=1)
        >>> obs, info = env.reset(seed=0)
        >>> answer = env.unwrapped.task.answer
        >>> obs, reward, terminated, truncated, info = env.step(f"\\\\boxed{{{answer}}}")
        >>> reward, terminated, info["reason"]
        (1.0, False, 'equivalent')
        >>> _, reward, terminated, _, info = env.step("I am not sure.")
        >>> reward, terminated, info["correct_per_turn"], info["reason"]
        (0.0, True, [True, False], 'no_answer_found')
    """

    def __init__(
        self,
        *,
        families: Sequence[str] | None = None,
        difficulty: int | tuple[int, int] | Sequence[int] | None = None,
        max_turns: int = 2,
        feedback: str | FeedbackFn = "none",
        templates: PromptTemplates | None = None,
        dataset_path: str | os.PathLike[str] | None = None,
        dataset_format: str = "auto",
        max_attempt_chars: int = DEFAULT_MAX_ATTEMPT_CHARS,
        render_mode: str | None = None,
    ) -> None:
        source: TaskSource
        if dataset_path is not None:
            if families is not None or difficulty is not None:
                raise ValueError(
                    "families/difficulty select procedural tasks and cannot be combined with "
                    f"dataset_path={os.fspath(dataset_path)!r}"
                )
            tasks = load_math_dataset(dataset_path, format=dataset_format)
            source = DatasetSource(tasks, name=dataset_name(dataset_path))
        else:
            source = ProceduralMathSource(families=families, difficulty=difficulty)
        super().__init__(
            source,
            MathGrader(),
            templates=templates if templates is not None else MATH_TEMPLATES,
            max_turns=max_turns,
            feedback=feedback,
            max_attempt_chars=max_attempt_chars,
            render_mode=render_mode,
        )
