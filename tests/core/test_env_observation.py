"""The observation the env keeps up to date is the rendered conversation, at every turn."""

from __future__ import annotations

import gymnasium as gym

import score_envs  # noqa: F401
from score_envs.core.prompts import render_conversation


def test_observation_is_the_rendered_conversation_after_reset_and_every_step():
    env = gym.make("ScoreMath-v0", families=["arithmetic"], max_turns=3, feedback="binary")
    observation, info = env.reset(seed=3)
    assert observation == render_conversation(info["messages"])
    for attempt in ("\\boxed{1}", "I do not know", "\\boxed{2}"):
        observation, _, _, _, info = env.step(attempt)
        assert observation == render_conversation(info["messages"])
