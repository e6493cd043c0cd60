"""A discrete view of a self-correction env, so that classic RL agents (DQN, REINFORCE, SB3) can
play ``ScoreMath-v0`` and ``ScoreCode-v0``.

The text envs want a whole answer per attempt; a classic agent picks one of ``K`` actions from a
fixed-size vector. :class:`MultipleChoiceView` bridges the two: each action is one of ``K``
candidate answers (the reference and the task's plausible mistakes), the chosen candidate is sent to
the wrapped env as the attempt and graded there by the real verifier (or the code sandbox), and the
observation is a vector of noisy "looks" at the candidates, a stand-in for what a model believes
about each answer. The numbers are synthetic; the grading is not.

Why noisy looks: an agent that cannot read the problem needs *some* evidence about which candidate
is right, or every policy scores ``1/K``. Evidence that grows from one turn to the next is what
makes self-correction possible without feedback: the second attempt can fix a first attempt that
trusted a misleading first look. Because the evidence model is Gaussian, the best achievable score
of every turn has a closed form (:func:`optimal_accuracy`), so a learned policy can be compared with
the optimum instead of with a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from score_envs.core.task import Task

DEFAULT_NUM_CHOICES = 4
"""Candidates per task: every procedural math task has at least 3 distractors."""

DEFAULT_LOOK_STRENGTHS = (1.0, 1.0)
"""Signal strength of each turn's look for the paper's two attempts (see the class docstring)."""

SCORE_BOUND = 8.0
"""Look scores are clipped to ``[-SCORE_BOUND, SCORE_BOUND]`` so the observation space is bounded
(a standard normal exceeds 8 with probability about 1e-15)."""

ABSTAIN_MATH = "I cannot determine the answer."
"""Filler candidate for tasks with too few distractors: text with no final answer, always wrong."""

ABSTAIN_CODE = "I cannot write this program."
"""Filler candidate for code tasks: prose, not a program, so it always fails."""

CODE_FAMILY_PREFIX = "code"
"""Task families of code tasks start with this (the convention of ``score_envs.code``): their
candidates are sent as a Python block instead of the paper's MATH final-answer sentence."""

_STREAM = 0x5C0E_C401CE
"""Mixed with the reset seed so the view's draws never mirror the wrapped env's own stream."""


def render_candidate(task: Task, candidate: str) -> str:
    """The attempt text for ``candidate`` on ``task``, in the form its verifier extracts.

    Math answers go in the paper's "Final Answer" sentence; programs in a ``python`` block.

    Example:
        >>> render_candidate(Task("t", "What is 2 + 2?", "4", "arithmetic", 1), "4")
        'Final Answer: The final answer is $4$. I hope it is correct.'
    """
    if task.family.startswith(CODE_FAMILY_PREFIX):
        if candidate == ABSTAIN_CODE:
            return candidate
        return f"```python\n{candidate.rstrip()}\n```"
    if candidate == ABSTAIN_MATH:
        return candidate
    return f"Final Answer: The final answer is ${candidate}$. I hope it is correct."


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (
        1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in x.ravel()]).reshape(x.shape)
    )


def argmax_accuracy(num_choices: int, strength: float, *, pick: str = "best") -> float:
    """Probability that the candidate with the highest (or lowest) score is the correct one.

    The correct candidate's score is ``strength + N(0, 1)``, the others' ``N(0, 1)``, all
    independent. ``pick="best"`` gives ``∫ φ(x - μ) Φ(x)^(K-1) dx`` (choose the top score: the
    best a policy can do), ``pick="worst"`` gives ``∫ φ(x - μ) (1 - Φ(x))^(K-1) dx`` (choose the
    bottom score: how rarely a policy that *wants* to be wrong is right). Computed by the
    trapezoidal rule on a fine grid (error below 1e-6).

    Example:
        >>> round(argmax_accuracy(4, 0.0), 6)
        0.25
        >>> round(argmax_accuracy(4, 1.0), 3), round(argmax_accuracy(4, 1.0, pick="worst"), 3)
        (0.552, 0.068)
    """
    if isinstance(num_choices, bool) or not isinstance(num_choices, int) or num_choices < 2:
        raise ValueError(f"num_choices must be an int >= 2, got {num_choices!r}")
    if not isinstance(strength, (int, float)) or not math.isfinite(strength) or strength < 0:
        raise ValueError(f"strength must be a finite number >= 0, got {strength!r}")
    if pick not in ("best", "worst"):
        raise ValueError(f"pick must be 'best' or 'worst', got {pick!r}")
    x = np.linspace(-12.0, 12.0 + strength, 12_001)
    cdf = _normal_cdf(x)
    density = np.exp(-0.5 * (x - strength) ** 2) / math.sqrt(2.0 * math.pi)
    others = cdf if pick == "best" else 1.0 - cdf
    integrand = density * others ** (num_choices - 1)
    # The trapezoidal rule by hand: np.trapezoid is numpy >= 2 only, np.trapz is gone in 2.x.
    return float(np.sum((integrand[1:] + integrand[:-1]) * np.diff(x)) / 2.0)


def optimal_accuracy(num_choices: int, look_strengths: Sequence[float]) -> list[float]:
    """The best achievable accuracy of each attempt in a :class:`MultipleChoiceView`.

    After the looks of turns ``1..t`` the posterior over candidates is proportional to
    ``exp(sum_s μ_s * score_s,i)``, so the Bayes-optimal attempt ``t`` picks the highest
    ``sum_s μ_s * score_s,i``: a Gaussian signal of strength ``sqrt(sum_s μ_s²)``. Attempt ``t``'s
    best accuracy is therefore ``argmax_accuracy(K, sqrt(μ_1² + ... + μ_t²))``.

    Example:
        >>> [round(a, 3) for a in optimal_accuracy(4, (1.0, 1.0))]
        [0.552, 0.678]
    """
    strengths = _check_strengths(look_strengths)
    return [
        argmax_accuracy(num_choices, math.sqrt(sum(mu * mu for mu in strengths[: t + 1])))
        for t in range(len(strengths))
    ]


class MultipleChoiceView(
    gym.Wrapper[np.ndarray, np.int64, str, str], gym.utils.RecordConstructorArgs
):
    """Play a self-correction env by choosing one of ``K`` candidate answers per attempt.

    ## Description
    At reset the wrapped env poses a task; the view builds ``K`` candidates: the reference answer,
    ``K - 1`` of the task's distractors (``task.metadata["distractors"]``: the named mistakes of a
    procedural math family, or the buggy programs of a code family), drawn at random, padded with
    an always-wrong abstention when a task has too few, then shuffled. Action ``i`` sends
    candidate ``i`` to the wrapped env as the attempt (:func:`render_candidate`); the wrapped env
    grades it with its own verifier or sandbox and its reward and ``info`` come back unchanged.

    ## The MDP
    The agent cannot read the task, so each turn it gets a *look*: a score per candidate, the
    correct one's ``μ_t + N(0, 1)``, every other ``N(0, 1)``, independent across candidates and
    turns (``μ_t`` = ``look_strengths[t]``). Looks accumulate: attempt ``t`` sees the looks of turns
    ``1..t`` and the candidate chosen last. Think of the looks as the model's reading of the
    problem before the first attempt and its review before the second. The review carries new
    evidence, so a policy that combines both looks answers better at attempt 2 than at attempt 1:
    Δ > 0 is reachable without any feedback about attempt 1, which is the paper's intrinsic
    self-correction. A policy that repeats its first answer gets Δ = 0 (the paper's collapse).

    ## Scoring (K = 4, look strengths (1, 1), the defaults)
    - Random play: ``1/K`` = 25% per attempt (the reference's position is uniform).
    - Best achievable: Acc@t1 55.2%, Acc@t2 67.8% (Δ = +12.6), from :func:`optimal_accuracy`:
      pick the highest score sum; no policy does better in expectation.
    - Repeating the best first answer: 55.2% at both attempts (Δ = 0).
    - Under :class:`~score_envs.wrappers.CorrectionBonus` with weight ``alpha`` and the
      episode return as objective, ``r1 + r2 + alpha (r2 - r1) = (1 - alpha) r1 + (1 + alpha) r2``:
      for ``alpha > 1`` the optimum picks the *lowest* first-look score on purpose (right only
      ``argmax_accuracy(K, μ_1, pick="worst")`` = 6.8% of the time), for ``alpha = 1`` attempt 1
      is worth nothing, and attempt 2 still scores 67.8%.

    ## Action Space
    ``Discrete(K)``: the index of the candidate to answer with.

    ## Observation Space
    ``Box(-8, 8, (T + T*K + K,), float32)`` for ``T`` turns: the one-hot of the attempt about to
    be made (all zero after the last), then the ``T`` looks (``K`` scores each; zeros for looks
    not yet taken), then the one-hot of the candidate chosen at the previous attempt (zeros at
    the first).

    ## Starting State
    ``reset(seed=s)`` seeds the wrapped env (the task) and the view (candidate draw, order and
    looks) from ``s``; options go to the wrapped env (``task``, ``task_id``).

    ## Reward, Episode End
    The wrapped env's, unchanged: 1.0 for a correct attempt, 0.0 otherwise; terminated after
    the last attempt. Put :class:`~score_envs.wrappers.CorrectionBonus` inside or outside the
    view: it only reads the reward, so both orders give the same shaped rewards.

    ## Information
    The wrapped env's (``correct``, ``reason``, ``correct_per_turn``, ...) plus ``candidates``
    (the ``K`` candidate texts, at reset), ``choice`` (the action) and ``choice_kind``
    (``"reference"``, ``"distractor"`` or ``"abstain"``) after a step.

    ## Arguments
    - ``env``: a self-correction env (``ScoreMath-v0``, ``ScoreCode-v0``, with or without
      wrappers).
    - ``num_choices``: ``K`` >= 2 (default 4; code tasks have at least 2 buggy programs, so
      ``K = 3`` avoids abstention fillers there).
    - ``look_strengths``: one ``μ_t >= 0`` per attempt (default ``(1.0, 1.0)`` for two attempts).

    ## Registered IDs
    ``ScoreMathChoice-v0`` (:func:`make_math_choice_env`) and ``ScoreCodeChoice-v0``
    (:func:`make_code_choice_env`); their keyword arguments go to the view and the wrapped env.

    ## Version History
    - v0: initial release.

    Example:
        >>> import gymnasium as gym, score_envs
        >>> env = MultipleChoiceView(gym.make("ScoreMath-v0", families=["arithmetic"]))
        >>> obs, info = env.reset(seed=0)
        >>> obs.shape, len(info["candidates"]), env.action_space
        ((14,), 4, Discrete(4))
        >>> right = info["candidates"].index(env.unwrapped.task.answer)
        >>> obs, reward, terminated, truncated, info = env.step(right)
        >>> reward, terminated, info["reason"], info["choice_kind"]
        (1.0, False, 'equivalent', 'reference')
        >>> _, reward, terminated, _, info = env.step((right + 1) % 4)
        >>> reward, terminated, info["correct_per_turn"]
        (0.0, True, [True, False])
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        num_choices: int = DEFAULT_NUM_CHOICES,
        look_strengths: Sequence[float] | None = None,
    ) -> None:
        if isinstance(num_choices, bool) or not isinstance(num_choices, int) or num_choices < 2:
            raise ValueError(f"num_choices must be an int >= 2, got {num_choices!r}")
        turns = getattr(env.unwrapped, "max_turns", None)
        if not isinstance(turns, int):
            raise ValueError(
                "env must be a self-correction env (its unwrapped env has an int max_turns), "
                f"got {type(env.unwrapped).__name__}"
            )
        if look_strengths is None:
            if turns != len(DEFAULT_LOOK_STRENGTHS):
                raise ValueError(
                    f"the env has max_turns={turns}; pass look_strengths with one strength per "
                    f"turn (the default {DEFAULT_LOOK_STRENGTHS} is for 2 turns)"
                )
            look_strengths = DEFAULT_LOOK_STRENGTHS
        strengths = _check_strengths(look_strengths)
        if len(strengths) != turns:
            raise ValueError(
                f"look_strengths must have one entry per turn ({turns}), got {len(strengths)}"
            )
        gym.utils.RecordConstructorArgs.__init__(
            self, num_choices=num_choices, look_strengths=strengths
        )
        gym.Wrapper.__init__(self, env)
        self.num_choices = num_choices
        self.look_strengths = strengths
        self.max_turns = turns
        self.action_space = spaces.Discrete(num_choices)
        size = turns + turns * num_choices + num_choices
        self.observation_space = spaces.Box(-SCORE_BOUND, SCORE_BOUND, (size,), np.float32)
        self._rng: np.random.Generator | None = None
        self._candidates: list[str] = []
        self._kinds: list[str] = []
        self._looks = np.zeros((turns, num_choices), dtype=np.float32)
        self._turn = 0
        self._previous_choice: int | None = None

    @property
    def candidates(self) -> list[str]:
        """The current episode's candidate answers, in action order."""
        return list(self._candidates)

    @property
    def reference_choice(self) -> int:
        """The action that answers with the reference (for tests and analysis, not for agents)."""
        if not self._kinds:
            raise ResetNeeded("Cannot read the candidates before reset().")
        return self._kinds.index("reference")

    def optimal_accuracy(self) -> list[float]:
        """Best achievable accuracy per attempt for this view (:func:`optimal_accuracy`)."""
        return optimal_accuracy(self.num_choices, self.look_strengths)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset the wrapped env, build and shuffle the candidates, take the first look."""
        _, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self._rng = np.random.default_rng([seed, _STREAM])
        elif self._rng is None:
            self._rng = np.random.default_rng()
        task = self.env.unwrapped.task
        self._candidates, self._kinds = self._draw_candidates(task, self._rng)
        correct = np.array([kind == "reference" for kind in self._kinds])
        noise = self._rng.standard_normal((self.max_turns, self.num_choices))
        looks = np.asarray(self.look_strengths)[:, None] * correct[None, :] + noise
        self._looks = np.clip(looks, -SCORE_BOUND, SCORE_BOUND).astype(np.float32)
        self._turn = 0
        self._previous_choice = None
        info = dict(info)
        info["candidates"] = list(self._candidates)
        return self._observation(), info

    def step(self, action: int) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Answer with candidate ``action``; the wrapped env grades it."""
        if not self._candidates:
            raise ResetNeeded("Cannot call step() before reset().")
        if (
            isinstance(action, (bool, np.bool_))
            or not isinstance(action, (int, np.integer))
            or not 0 <= int(action) < self.num_choices
        ):
            raise ValueError(f"action must be an int in 0..{self.num_choices - 1}, got {action!r}")
        choice = int(action)
        task = self.env.unwrapped.task
        _, reward, terminated, truncated, info = self.env.step(
            render_candidate(task, self._candidates[choice])
        )
        self._turn += 1
        self._previous_choice = choice
        info = dict(info)
        info["choice"] = choice
        info["choice_kind"] = self._kinds[choice]
        return self._observation(), reward, terminated, truncated, info

    def _draw_candidates(self, task: Task, rng: np.random.Generator) -> tuple[list[str], list[str]]:
        distractors = [d for d in task.metadata.get("distractors", ()) if d != task.answer]
        picked = rng.permutation(len(distractors))[: self.num_choices - 1]
        abstain = ABSTAIN_CODE if task.family.startswith(CODE_FAMILY_PREFIX) else ABSTAIN_MATH
        filler = self.num_choices - 1 - len(picked)
        texts = [task.answer] + [distractors[i] for i in picked] + [abstain] * filler
        kinds = ["reference"] + ["distractor"] * len(picked) + ["abstain"] * filler
        order = rng.permutation(self.num_choices)
        return [texts[i] for i in order], [kinds[i] for i in order]

    def _observation(self) -> np.ndarray:
        turns, k = self.max_turns, self.num_choices
        obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        if self._turn < turns:
            obs[self._turn] = 1.0
        seen = min(self._turn + 1, turns)
        obs[turns : turns + seen * k] = self._looks[:seen].ravel()
        if self._previous_choice is not None:
            obs[turns + turns * k + self._previous_choice] = 1.0
        return obs


def _check_strengths(look_strengths: Sequence[float]) -> tuple[float, ...]:
    if isinstance(look_strengths, (str, bytes)) or not isinstance(look_strengths, Sequence):
        raise ValueError(f"look_strengths must be a sequence of numbers, got {look_strengths!r}")
    if len(look_strengths) == 0:
        raise ValueError("look_strengths must not be empty")
    values = []
    for value in look_strengths:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not 0 <= value <= SCORE_BOUND / 2
        ):
            raise ValueError(
                f"look_strengths must hold numbers in [0, {SCORE_BOUND / 2}], got {value!r}"
            )
        values.append(float(value))
    return tuple(values)


def make_math_choice_env(
    *,
    num_choices: int = DEFAULT_NUM_CHOICES,
    look_strengths: Sequence[float] | None = None,
    **math_kwargs: Any,
) -> MultipleChoiceView:
    """``ScoreMath-v0`` seen through :class:`MultipleChoiceView` (entry point of
    ``ScoreMathChoice-v0``); ``math_kwargs`` go to :class:`~score_envs.math.env.ScoreMathEnv`.

    Example:
        >>> make_math_choice_env(families=["fractions"]).action_space
        Discrete(4)
    """
    from score_envs.math.env import ScoreMathEnv  # wrappers must not import every env eagerly

    return MultipleChoiceView(ScoreMathEnv(**math_kwargs), num_choices, look_strengths)


def make_code_choice_env(
    *,
    num_choices: int = 3,
    look_strengths: Sequence[float] | None = None,
    **code_kwargs: Any,
) -> MultipleChoiceView:
    """``ScoreCode-v0`` seen through :class:`MultipleChoiceView` (entry point of
    ``ScoreCodeChoice-v0``): ``K = 3`` by default, since every procedural code task has at least
    two buggy programs; ``code_kwargs`` go to :class:`~score_envs.code.env.ScoreCodeEnv`.

    Example:
        >>> make_code_choice_env(families=["gcd_lcm"]).observation_space.shape
        (11,)
    """
    from score_envs.code.env import ScoreCodeEnv  # the sandbox is only loaded when asked for

    return MultipleChoiceView(ScoreCodeEnv(**code_kwargs), num_choices, look_strengths)
