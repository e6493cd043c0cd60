"""agents/score_mini/prompting.py: the env's conversation in the model's compact form and back."""

from __future__ import annotations

import gymnasium as gym
import pytest

import score_envs  # noqa: F401
from agents.score_mini.prompting import attempt_action, model_input, output_of_action
from agents.score_mini.tasks import make_task


def _env_and_task():
    env = gym.make("ScoreMath-v0", families=["arithmetic"], difficulty=1)
    return env, make_task(11)


def test_first_turn_of_a_real_episode_renders_as_the_problem():
    env, task = _env_and_task()
    _, info = env.reset(seed=0, options={"task": task})
    a, b = task.metadata["operands"]
    assert model_input(info["messages"]) == f"{a}*{b}="


def test_second_turn_appends_the_attempt_and_the_correction_mark():
    env, task = _env_and_task()
    env.reset(seed=0, options={"task": task})
    _, _, _, _, info = env.step(attempt_action("0418"))
    a, b = task.metadata["operands"]
    assert model_input(info["messages"]) == f"{a}*{b}=0418|"


def test_the_env_grades_a_right_padded_answer_correct_and_a_wrong_one_wrong():
    env, task = _env_and_task()
    env.reset(seed=0, options={"task": task})
    right = attempt_action(task.answer.zfill(4))
    assert env.step(right)[1] == 1.0
    assert env.step(attempt_action("0001"))[1] == 0.0


def test_malformed_output_is_sent_unrepaired_and_graded_wrong():
    env, task = _env_and_task()
    env.reset(seed=0, options={"task": task})
    action = attempt_action("4*|1")
    _, reward, _, _, info = env.step(action)
    assert output_of_action(action) == "4*|1" and reward == 0.0
    assert info["reason"] != "equivalent"


def test_problems_the_model_cannot_read_are_refused():
    with pytest.raises(ValueError, match="2-digit x 2-digit"):
        model_input([{"role": "user", "content": "Compute $123 \\times 4$."}])


def test_foreign_assistant_messages_are_refused():
    messages = [
        {"role": "user", "content": "Compute $12 \\times 34$."},
        {"role": "assistant", "content": "It is 408."},
        {"role": "user", "content": "Check."},
    ]
    with pytest.raises(ValueError, match="attempt_action"):
        model_input(messages)
