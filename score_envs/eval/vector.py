"""Play a run's episodes through Gymnasium vector envs, with the single-env runner's results.

``gymnasium.make_vec("ScoreMath-v0", num_envs=8, vectorization_mode="sync")`` works as for any
registered env, and so does ``"async"`` (one process per env): text observations travel through
shared memory as code points (:mod:`score_envs.core.spaces`), or through the pipes with
``vector_kwargs={"shared_memory": False}``. ``make_vec`` has no seed
argument: ``envs.reset(seed=[s0, s1, ...])`` seeds each sub-env (``reset(seed=s)`` gives env ``i``
the seed ``s + i``), and a sub-env reset with seed ``s`` poses the same task as ``gym.make`` reset
with ``s``.

Autoreset: with the default ``AutoresetMode.NEXT_STEP`` the step *after* an episode ends only
resets that sub-env, which costs an extra model call per episode if you keep stepping blindly.
Pass ``vector_kwargs={"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP}``: the step that
ends an episode then returns the next episode's first observation and info, and the finished
episode's last info under ``info["final_info"]`` (masked by ``info["_final_info"]``), its last
observation under ``info["final_obs"]``.

:func:`play_vector_episodes` plays episodes in waves of ``num_envs``: it resets every sub-env with
the seed the single-env runner uses for that episode (``seed + index``) and steps until all are
done, so it returns exactly the records of :func:`~score_envs.eval.runner.play_episode` (timings
aside). Task objects do not cross process boundaries: the policy's task is rebuilt from the
``task_id`` in ``info`` by the env's task source in this process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

from score_envs.eval.config import RunConfig
from score_envs.eval.runner import EpisodeRecord

VECTORIZATION_MODES = ("sync", "async")
"""Values of ``mode`` (Gymnasium's ``vectorization_mode``)."""


def make_vector_env(
    config: RunConfig, num_envs: int, mode: str = "sync", *, same_step: bool = True
) -> gym.vector.VectorEnv:
    """``gym.make_vec`` for a run config, with the options text envs need.

    Example:
        >>> envs = make_vector_env(RunConfig("ScoreMath-v0"), num_envs=2)
        >>> observations, info = envs.reset(seed=[3, 4])
        >>> len(observations), info["task_id"].shape
        (2, (2,))
        >>> envs.close()
    """
    if mode not in VECTORIZATION_MODES:
        raise ValueError(f"mode must be one of {', '.join(VECTORIZATION_MODES)}, got {mode!r}")
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
    import score_envs  # noqa: F401 - registers the project's envs

    vector_kwargs: dict[str, Any] = {
        "autoreset_mode": AutoresetMode.SAME_STEP if same_step else AutoresetMode.NEXT_STEP
    }
    return gym.make_vec(
        config.env_id,
        num_envs=num_envs,
        vectorization_mode=mode,
        vector_kwargs=vector_kwargs,
        **config.env_kwargs,
    )


def play_vector_episodes(
    config: RunConfig, indices: Sequence[int], *, num_envs: int = 8, mode: str = "sync"
) -> list[EpisodeRecord]:
    """Play episodes ``indices`` of ``config`` on a vector env of ``num_envs`` sub-envs.

    Returns the records in the order of ``indices``; they equal the single-env runner's records
    for the same config and indices, timings aside. ``seconds`` is the wave's wall time shared
    out over its episodes.

    Example:
        >>> config = RunConfig("ScoreMath-v0", {}, "oracle", seed=2)
        >>> [all(r.correct_per_turn) for r in play_vector_episodes(config, [0, 1, 2], num_envs=2)]
        [True, True, True]
    """
    indices = list(indices)
    envs = make_vector_env(config, num_envs, mode, same_step=True)
    lookup = config.make_env().unwrapped  # rebuilds tasks from ids; never stepped
    policies = [config.make_policy() for _ in range(num_envs)]
    records: list[EpisodeRecord] = []
    try:
        for start in range(0, len(indices), num_envs):
            wave = indices[start : start + num_envs]
            records += _play_wave(envs, lookup, policies, config.seed, wave, num_envs)
    finally:
        envs.close()
        for policy in policies:
            close = getattr(policy, "close", None)
            if callable(close):
                close()
    return records


def _play_wave(
    envs: gym.vector.VectorEnv,
    lookup: Any,
    policies: list[Any],
    seed: int,
    wave: list[int],
    num_envs: int,
) -> list[EpisodeRecord]:
    started = time.perf_counter()
    # Idle sub-envs of a short last wave get a harmless seed and empty actions; they are ignored.
    seeds = [seed + index for index in wave] + [0] * (num_envs - len(wave))
    _, info = envs.reset(seed=seeds)
    tasks = [lookup.task_source.task_from_id(str(info["task_id"][j])) for j in range(len(wave))]
    for j, index in enumerate(wave):
        policies[j].start_episode(tasks[j], np.random.default_rng([seed, index]))
    messages = [list(info["messages"][j]) for j in range(len(wave))]
    attempts: list[list[str]] = [[] for _ in wave]
    extracted: list[list[str | None]] = [[] for _ in wave]
    policy_seconds: list[list[float]] = [[] for _ in wave]
    final: list[dict[str, Any] | None] = [None] * len(wave)
    while any(item is None for item in final):
        actions = []
        for j in range(num_envs):
            if j < len(wave) and final[j] is None:
                asked = time.perf_counter()
                attempt = policies[j].next_attempt(messages[j])
                policy_seconds[j].append(time.perf_counter() - asked)
                attempts[j].append(attempt)
                actions.append(attempt)
            else:
                actions.append("")
        _, _, terminated, truncated, info = envs.step(tuple(actions))
        for j in range(len(wave)):
            if final[j] is not None:
                continue
            if terminated[j] or truncated[j]:
                last = _sub_info(info["final_info"], j)
                extracted[j].append(last.get("extracted_answer"))
                final[j] = last
            else:
                step_info = _sub_info(info, j)
                extracted[j].append(step_info.get("extracted_answer"))
                messages[j] = list(step_info["messages"])
    share = (time.perf_counter() - started) / len(wave)
    return [
        EpisodeRecord(
            index=index,
            seed=seed + index,
            task_id=tasks[j].task_id,
            family=tasks[j].family,
            difficulty=tasks[j].difficulty,
            attempts=tuple(attempts[j]),
            correct_per_turn=tuple(bool(c) for c in final[j]["correct_per_turn"]),
            reasons_per_turn=tuple(str(r) for r in final[j]["reasons_per_turn"]),
            extracted_per_turn=tuple(extracted[j]),
            seconds=share,
            policy_seconds=tuple(policy_seconds[j]),
        )
        for j, index in enumerate(wave)
    ]


def _sub_info(info: dict[str, Any], j: int) -> dict[str, Any]:
    """Sub-env ``j``'s entries of a vectorised info dict (keys whose mask is set for ``j``)."""
    return {
        key: _plain(value[j])
        for key, value in info.items()
        if not key.startswith("_") and info.get(f"_{key}", np.ones(j + 1, bool))[j]
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
