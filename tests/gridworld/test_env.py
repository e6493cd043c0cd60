"""ScoreGridWorld-v0: dynamics, step limit, options, validation and rendering."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

from score_envs.gridworld.env import ACTION_NAMES, CELL_PIXELS, GridWorldEnv

SEED = 7
UP, DOWN, LEFT, RIGHT = (ACTION_NAMES.index(name) for name in ("up", "down", "left", "right"))


def run(env: GridWorldEnv, actions: list[int]) -> list[tuple]:
    return [env.step(action) for action in actions]


def test_reset_puts_agent_on_start_and_goal_in_far_corner_by_default():
    env = GridWorldEnv()
    obs, info = env.reset(seed=SEED)
    assert (obs, info["position"], info["goal"], info["steps"]) == (0, (0, 0), (3, 3), 0)


def test_observation_is_row_major_cell_index():
    env = GridWorldEnv(size=5)
    env.reset(seed=SEED)
    obs, *_ = run(env, [DOWN, DOWN, RIGHT])[-1]
    assert obs == 2 * 5 + 1


def test_shortest_path_reaches_goal_with_reward_one_and_zero_before():
    env = GridWorldEnv()
    env.reset(seed=SEED)
    results = run(env, [RIGHT, RIGHT, RIGHT, DOWN, DOWN, DOWN])
    assert [r[1] for r in results] == [0.0] * 5 + [1.0]
    assert [r[2] for r in results] == [False] * 5 + [True]
    assert results[-1][4]["is_success"] is True


def test_move_into_border_leaves_agent_in_place():
    env = GridWorldEnv()
    env.reset(seed=SEED)
    _, _, _, _, info = env.step(UP)
    assert info["position"] == (0, 0)
    _, _, _, _, info = env.step(LEFT)
    assert info["position"] == (0, 0)


def test_episode_is_truncated_after_max_steps_even_when_agent_loops():
    env = GridWorldEnv(max_steps=5)
    env.reset(seed=SEED)
    results = run(env, [UP] * 5)
    assert [r[3] for r in results] == [False] * 4 + [True]
    assert not any(r[2] for r in results)
    assert all(r[3] is False or r[3] is True for r in results)  # plain bools, not numpy


def test_default_step_limit_is_four_times_the_side():
    assert GridWorldEnv(size=6).max_steps == 24


def test_reaching_goal_on_last_allowed_step_terminates_without_truncation():
    env = GridWorldEnv(size=2, max_steps=2)
    env.reset(seed=SEED)
    _, reward, terminated, truncated, _ = run(env, [RIGHT, DOWN])[-1]
    assert (reward, terminated, truncated) == (1.0, True, False)


def test_step_after_episode_end_raises_reset_needed():
    env = GridWorldEnv(max_steps=1)
    env.reset(seed=SEED)
    env.step(UP)
    with pytest.raises(ResetNeeded):
        env.step(UP)


def test_step_before_reset_raises_reset_needed():
    with pytest.raises(ResetNeeded):
        GridWorldEnv().step(UP)


@pytest.mark.parametrize("action", [4, -1, True, 1.0, "up"])
def test_invalid_action_is_rejected_with_its_value(action):
    env = GridWorldEnv()
    env.reset(seed=SEED)
    with pytest.raises(ValueError, match=r"action must be an int in 0\.\.3"):
        env.step(action)


def test_numpy_integer_action_is_accepted():
    env = GridWorldEnv()
    env.reset(seed=SEED)
    assert env.step(np.int64(RIGHT))[4]["position"] == (0, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 1}, "size must be an int in"),
        ({"size": 1000}, "size must be an int in"),
        ({"size": 4.0}, "size must be an int in"),
        ({"start": (4, 0)}, "start must lie in the 4x4 grid"),
        ({"start": None}, "start must be a"),
        ({"goal": (1,)}, "goal must be a"),
        ({"goal": (0, 0)}, "start and goal must differ"),
        ({"max_steps": 0}, "max_steps must be an int >= 1"),
        ({"render_mode": "human"}, "render_mode must be one of"),
    ],
)
def test_constructor_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GridWorldEnv(**kwargs)


def test_reset_options_override_start_and_goal_for_one_episode_only():
    env = GridWorldEnv()
    _, info = env.reset(seed=SEED, options={"start": (2, 2), "goal": (0, 1)})
    assert (info["position"], info["goal"]) == ((2, 2), (0, 1))
    _, info = env.reset()
    assert (info["position"], info["goal"]) == ((0, 0), (3, 3))


def test_unknown_reset_option_is_rejected():
    with pytest.raises(ValueError, match="unknown reset options"):
        GridWorldEnv().reset(options={"walls": []})


def test_ansi_render_marks_agent_and_goal():
    env = GridWorldEnv(size=3, render_mode="ansi")
    env.reset(seed=SEED)
    env.step(DOWN)
    assert env.render() == ". . .\nA . .\n. . G"


def test_ansi_render_marks_agent_standing_on_goal_with_star():
    env = GridWorldEnv(size=2, render_mode="ansi")
    env.reset(seed=SEED)
    run(env, [RIGHT, DOWN])
    assert env.render() == ". .\n. *"


def test_rgb_render_has_one_block_per_cell_with_distinct_agent_and_goal_colours():
    env = GridWorldEnv(size=3, render_mode="rgb_array")
    env.reset(seed=SEED)
    image = env.render()
    assert image.shape == (3 * CELL_PIXELS, 3 * CELL_PIXELS, 3) and image.dtype == np.uint8
    middle = CELL_PIXELS // 2
    agent = image[middle, middle]
    goal = image[2 * CELL_PIXELS + middle, 2 * CELL_PIXELS + middle]
    floor = image[middle, CELL_PIXELS + middle]
    assert len({tuple(agent), tuple(goal), tuple(floor)}) == 3


def test_render_without_render_mode_returns_none():
    env = GridWorldEnv()
    env.reset(seed=SEED)
    assert env.render() is None


@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_gymnasium_checker_passes_with_rendering_and_without_warnings(render_mode):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Made through a spec (the registered entry point) so the checker also tests reset
        # determinism and every render mode.
        spec = EnvSpec("ScoreGridWorldSpecTest-v0", "score_envs.gridworld.env:GridWorldEnv")
        check_env(gym.make(spec, render_mode=render_mode).unwrapped)
    assert [str(w.message) for w in caught] == []
