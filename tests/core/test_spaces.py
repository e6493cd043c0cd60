"""score_envs/core/spaces.py: AnyText admits any string and works in shared memory."""

from __future__ import annotations

import copy

import gymnasium as gym
import pytest
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

import score_envs  # noqa: F401  (registers the env ids)
from score_envs.core.spaces import AnyText

SEED = 11
TEXTS = ("", "plain", "ünïcødé ∑ 😀 \\boxed{2}\n\x00end")


def test_contains_any_string_up_to_max_length_and_nothing_else():
    space = AnyText(max_length=8)
    assert all(space.contains(text) for text in ("", "∑😀\x00", "12345678"))
    assert not space.contains("123456789") and not space.contains(b"bytes")


def test_shared_memory_round_trips_every_kind_of_string():
    space = AnyText(max_length=40)
    memory = create_shared_memory(space, n=len(TEXTS))
    for index, text in enumerate(TEXTS):
        write_to_shared_memory(space, index, text, memory)
    assert tuple(read_from_shared_memory(space, memory, n=len(TEXTS))) == TEXTS


def test_shared_view_sees_later_writes_and_deepcopy_is_a_snapshot():
    space = AnyText(max_length=10)
    memory = create_shared_memory(space, n=2)
    view = read_from_shared_memory(space, memory, n=2)
    write_to_shared_memory(space, 1, "first", memory)
    snapshot = copy.deepcopy(view)
    write_to_shared_memory(space, 1, "second", memory)
    assert (snapshot, view[1], view[-1]) == (("", "first"), "second", "second")


def test_writing_an_overlong_string_is_refused():
    space = AnyText(max_length=3)
    memory = create_shared_memory(space, n=1)
    with pytest.raises(ValueError, match="at most 3"):
        write_to_shared_memory(space, 0, "four", memory)


def test_async_make_vec_with_default_options_equals_single_envs():
    envs = gym.make_vec("ScoreMath-v0", num_envs=2, vectorization_mode="async")
    singles = [gym.make("ScoreMath-v0") for _ in range(2)]
    try:
        observations, _ = envs.reset(seed=SEED)
        expected = [env.reset(seed=SEED + i)[0] for i, env in enumerate(singles)]
        assert list(observations) == expected
        actions = ["\\boxed{1}", "ünïcødé 😀 \\boxed{2}"]
        observations, *_ = envs.step(actions)
        stepped = [env.step(action)[0] for env, action in zip(singles, actions, strict=True)]
        assert list(observations) == stepped
    finally:
        envs.close()
