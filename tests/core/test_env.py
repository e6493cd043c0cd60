"""The turn loop on a tiny real task source and grader, independent of the math verifier."""

from __future__ import annotations

import warnings

import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

from score_envs.core.env import SelfCorrectionEnv
from score_envs.core.feedback import BINARY_CORRECT, BINARY_INCORRECT
from score_envs.core.grading import Grade
from score_envs.core.prompts import MATH_CORRECTION_INSTRUCTION, MATH_TEMPLATES, PromptTemplates
from score_envs.core.task import Task

SEED = 1234


class SumSource:
    """Adds two numbers derived from the seed; ids are 'sum/<seed>'."""

    def task_from_seed(self, seed: int) -> Task:
        a, b = seed % 97, (seed // 97) % 89
        return Task(f"sum/{seed}", f"What is {a} + {b}?", str(a + b), "sum", 1, {"seed": seed})

    def task_from_id(self, task_id: str) -> Task:
        return self.task_from_seed(int(task_id.split("/")[1]))


def exact_grader(task: Task, attempt: str) -> Grade:
    answer = attempt.strip()
    if not answer:
        return Grade(False, "no_answer_found", None)
    return Grade(
        answer == task.answer, "equivalent" if answer == task.answer else "not_equivalent", answer
    )


def make_env(**kwargs) -> SelfCorrectionEnv:
    kwargs.setdefault("templates", MATH_TEMPLATES)
    return SelfCorrectionEnv(SumSource(), exact_grader, **kwargs)


def test_reset_returns_first_turn_prompt_with_the_papers_instruction():
    env = make_env()
    obs, info = env.reset(seed=SEED)
    assert env.task.prompt in obs
    assert obs.startswith("USER:\nYou are a math expert.")
    assert info["turn"] == 0 and info["max_turns"] == 2
    assert info["messages"] == [{"role": "user", "content": obs.removeprefix("USER:\n")}]
    assert info["task_id"] == env.task.task_id


def test_two_turn_episode_grades_each_attempt_and_terminates_after_the_last():
    env = make_env()
    env.reset(seed=SEED)
    answer = env.task.answer
    _, reward, terminated, truncated, info = env.step("nope")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert truncated is False
    assert info["correct"] is False and info["reason"] == "not_equivalent"
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user"]
    assert info["messages"][2]["content"] == MATH_CORRECTION_INSTRUCTION
    _, reward, terminated, truncated, info = env.step(answer)
    assert (reward, terminated) == (1.0, True)
    assert info["correct_per_turn"] == [False, True]
    assert info["reasons_per_turn"] == ["not_equivalent", "equivalent"]
    assert info["extracted_answer"] == answer


def test_stepping_a_finished_episode_raises_reset_needed():
    env = make_env(max_turns=1)
    env.reset(seed=SEED)
    env.step("1")
    with pytest.raises(ResetNeeded):
        env.step("1")


def test_step_before_reset_raises_reset_needed():
    with pytest.raises(ResetNeeded):
        make_env().step("1")


@pytest.mark.parametrize("turns", [1, 3, 5])
def test_n_turn_episodes_have_n_attempts(turns):
    env = make_env(max_turns=turns)
    env.reset(seed=SEED)
    steps = 0
    terminated = False
    while not terminated:
        _, _, terminated, _, info = env.step("0")
        steps += 1
    assert steps == turns and len(info["correct_per_turn"]) == turns


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2"])
def test_bad_max_turns_raises_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="max_turns"):
        make_env(max_turns=bad)


def test_unknown_feedback_mode_raises_value_error_listing_valid_modes():
    with pytest.raises(ValueError, match=r"feedback must be one of \['binary', 'none'\]"):
        make_env(feedback="oracle")


def test_binary_feedback_tells_right_or_wrong_before_the_instruction():
    env = make_env(feedback="binary", max_turns=3)
    env.reset(seed=SEED)
    _, _, _, _, info = env.step("wrong")
    assert info["messages"][-1]["content"].startswith(BINARY_INCORRECT + "\n\n")
    _, _, _, _, info = env.step(env.task.answer)
    assert info["messages"][-1]["content"].startswith(BINARY_CORRECT)


def test_no_feedback_never_reveals_correctness():
    env = make_env()
    env.reset(seed=SEED)
    _, _, _, _, info = env.step(env.task.answer)
    assert info["messages"][-1]["content"] == MATH_CORRECTION_INSTRUCTION
    assert info["feedback"] is None


def test_custom_feedback_callable_and_templates_are_used():
    templates = PromptTemplates(first_turn="Q: {problem}", correction="Check {problem} again.")
    env = make_env(templates=templates, feedback=lambda task, grade: f"hint for {task.answer}")
    obs, _ = env.reset(seed=SEED)
    assert obs == f"USER:\nQ: {env.task.prompt}"
    _, _, _, _, info = env.step("x")
    assert info["messages"][-1]["content"] == (
        f"hint for {env.task.answer}\n\nCheck {env.task.prompt} again."
    )


def test_template_without_problem_placeholder_is_rejected():
    with pytest.raises(ValueError, match="first_turn"):
        PromptTemplates(first_turn="no placeholder", correction="again")


def test_same_seed_gives_same_task_and_different_seeds_differ():
    env_a, env_b = make_env(), make_env()
    ids_a = [env_a.reset(seed=s)[1]["task_id"] for s in range(20)]
    ids_b = [env_b.reset(seed=s)[1]["task_id"] for s in range(20)]
    assert ids_a == ids_b
    assert len(set(ids_a)) == 20


def test_unseeded_resets_continue_the_seeded_stream_deterministically():
    env_a, env_b = make_env(), make_env()
    env_a.reset(seed=SEED)
    env_b.reset(seed=SEED)
    assert [env_a.reset()[1]["task_id"] for _ in range(5)] == [
        env_b.reset()[1]["task_id"] for _ in range(5)
    ]


def test_reset_with_task_id_option_replays_that_task():
    env = make_env()
    env.reset(seed=SEED)
    task = env.task
    env.reset(seed=SEED + 1)
    env.reset(options={"task_id": task.task_id})
    assert env.task == task


def test_unknown_reset_option_raises():
    with pytest.raises(ValueError, match="unknown reset options"):
        make_env().reset(options={"difficulty": 3})


def test_over_long_attempt_is_graded_truncated_and_stored_cut():
    env = make_env(max_attempt_chars=50)
    env.reset(seed=SEED)
    _, reward, _, _, info = env.step(env.task.answer + " " * 100)
    assert reward == 0.0 and info["reason"] == "truncated"
    assert len(info["messages"][1]["content"]) == 50


def test_non_string_action_raises_type_error():
    env = make_env()
    env.reset(seed=SEED)
    with pytest.raises(TypeError, match="action must be a str"):
        env.step(42)


def test_info_is_a_fresh_dict_and_messages_are_copies():
    env = make_env()
    _, info1 = env.reset(seed=SEED)
    info1["messages"][0]["content"] = "tampered"
    _, _, _, _, info2 = env.step("1")
    assert info2["messages"][0]["content"] != "tampered"
    assert info1 is not info2


def test_step_reward_equals_pure_reward_for():
    env = make_env()
    for seed in range(30):
        env.reset(seed=seed)
        attempt = env.task.answer if seed % 2 else "0"
        expected = env.reward_for(env.task, attempt)
        _, reward, _, _, _ = env.step(attempt)
        assert reward == expected


def test_grader_exception_is_graded_wrong_with_a_warning():
    def broken(task, attempt):
        raise RuntimeError("boom")

    env = SelfCorrectionEnv(SumSource(), broken, templates=MATH_TEMPLATES)
    env.reset(seed=SEED)
    with pytest.warns(RuntimeWarning, match="grader raised"):
        _, reward, _, _, info = env.step("1")
    assert reward == 0.0 and info["reason"] == "grader_error"


def test_ansi_render_shows_the_conversation():
    env = make_env(render_mode="ansi")
    env.reset(seed=SEED)
    env.step("17")
    assert "ASSISTANT:\n17" in env.render()


def test_check_env_passes_on_the_bare_turn_loop_without_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(make_env(), skip_render_check=True)
    assert [str(w.message) for w in caught] == []
