"""``ScoreGridWorldGoal-v0``: the grid world with a random goal per episode, as a ``GoalEnv``.

It follows the Gymnasium-Robotics ``GoalEnv`` convention so that hindsight experience replay
(HER) works on it unchanged: a ``Dict`` observation with ``observation``, ``achieved_goal`` and
``desired_goal``, and the reward as a pure, vectorised function
``compute_reward(achieved_goal, desired_goal, info)`` that ``step`` provably returns. A learner can
then replay a failed episode as if the cell it reached had been the goal all along and score it
without stepping the env again.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from score_envs.gridworld.env import GridWorldEnv, Position


def goal_reached(achieved_goal: Any, desired_goal: Any) -> np.ndarray:
    """Element-wise "the achieved cell is the desired cell" over the last axis (``(row, col)``).

    Works on one pair of cells or on batches of any leading shape.

    Example:
        >>> goal_reached([[0, 1], [2, 2]], [[0, 1], [2, 3]])
        array([ True, False])
    """
    achieved = np.asarray(achieved_goal)
    desired = np.asarray(desired_goal)
    if achieved.shape[-1:] != (2,) or desired.shape[-1:] != (2,):
        raise ValueError(
            "achieved_goal and desired_goal must end in a (row, col) axis of length 2, "
            f"got shapes {achieved.shape} and {desired.shape}"
        )
    return np.all(achieved == desired, axis=-1)


class GoalGridWorldEnv(GridWorldEnv):
    """Reach a goal that changes every episode; the goal is part of the observation.

    ## Description
    The grid world of :class:`~score_envs.gridworld.env.GridWorldEnv` with a goal drawn uniformly
    among the cells other than the start at every reset, in the Gymnasium-Robotics ``GoalEnv``
    form. On a large grid (12 x 12) with a short step limit, an agent that explores at random
    rarely reaches a goal, so the sparse reward teaches plain DQN little; hindsight replay learns
    from every episode by relabelling it with the cells it did reach.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 down, 2 left, 3 right.

    ## Observation Space
    ``Dict`` with three ``Box(0, size - 1, (2,), int64)`` entries holding ``(row, col)`` cells:
    ``observation`` (the agent's cell), ``achieved_goal`` (the agent's cell: in a grid world the
    state and what it achieves coincide) and ``desired_goal`` (the episode's goal).

    ## Starting State
    The agent stands on ``start`` (default ``(0, 0)``; ``start=None`` draws a start every
    episode). The goal is drawn uniformly among the other cells with the env's ``np_random``,
    unless ``goal`` is fixed. ``reset(options={"start": ..., "goal": ...})`` sets either for
    one episode.

    ## Reward
    ``compute_reward(achieved_goal, desired_goal, info)``: 1.0 where the achieved cell equals the
    desired one, else 0.0 (the reward of ``ScoreGridWorld-v0``, not the robotics -1/0 convention).
    ``step`` returns exactly this value.

    ## Episode End
    Terminated when ``compute_terminated(achieved_goal, desired_goal, info)`` is true (the goal
    is reached); truncated after ``max_steps`` moves (default ``4 * size``). With
    ``terminate_on_success=False`` episodes never terminate and the reward is 1.0 on every step
    spent on the goal (the Gymnasium-Robotics convention, which Stable-Baselines3's
    ``HerReplayBuffer`` assumes: it copies ``done`` from the played episode into relabelled
    transitions instead of recomputing it).

    ## Information
    As ``ScoreGridWorld-v0``: ``position``, ``goal``, ``steps``, ``is_success``.

    ## Arguments
    ``size`` (default 4), ``start`` (default ``(0, 0)``, None for a random start), ``goal``
    (default None: a random goal per episode), ``max_steps`` (default ``4 * size``),
    ``terminate_on_success`` (default True), ``render_mode`` (``"ansi"`` or ``"rgb_array"``).

    ## Registered IDs
    ``ScoreGridWorldGoal-v0``.

    ## Version History
    - v0: initial release.

    Example:
        >>> env = GoalGridWorldEnv(size=5)
        >>> obs, info = env.reset(seed=0, options={"goal": (0, 2)})
        >>> obs["observation"].tolist(), obs["desired_goal"].tolist()
        ([0, 0], [0, 2])
        >>> _ = env.step(3)
        >>> obs, reward, terminated, truncated, info = env.step(3)
        >>> reward, terminated, info["is_success"]
        (1.0, True, True)
        >>> env.compute_reward(obs["achieved_goal"], obs["desired_goal"], info)
        1.0
        >>> env.compute_reward([[0, 1], [0, 2]], [[0, 2], [0, 2]], {})
        array([0., 1.])
    """

    draws_positions: ClassVar[bool] = True

    def __init__(
        self,
        *,
        size: int = 4,
        start: Position | None = (0, 0),
        goal: Position | None = None,
        max_steps: int | None = None,
        terminate_on_success: bool = True,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(terminate_on_success, bool):
            raise ValueError(f"terminate_on_success must be a bool, got {terminate_on_success!r}")
        self.terminate_on_success = terminate_on_success
        super().__init__(
            size=size, start=start, goal=goal, max_steps=max_steps, render_mode=render_mode
        )

    # -- the GoalEnv interface -----------------------------------------------------------------

    def compute_reward(self, achieved_goal: Any, desired_goal: Any, info: Any) -> Any:
        """1.0 where ``achieved_goal`` equals ``desired_goal``, else 0.0; vectorised.

        One pair of cells gives a Python float (what ``step`` returns); batches of shape
        ``(..., 2)`` give an array of shape ``(...)``. ``info`` is accepted for the ``GoalEnv``
        signature and not read: the reward depends on the goals alone.

        Example:
            >>> GoalGridWorldEnv().compute_reward((1, 2), (1, 2), None)
            1.0
        """
        reward = goal_reached(achieved_goal, desired_goal).astype(np.float64)
        return float(reward) if reward.ndim == 0 else reward

    def compute_terminated(self, achieved_goal: Any, desired_goal: Any, info: Any) -> Any:
        """True where the goal is reached (the episode ends there); vectorised like the reward.

        Always False with ``terminate_on_success=False`` (episodes then run to the step limit).

        Example:
            >>> GoalGridWorldEnv().compute_terminated([[1, 2], [0, 0]], [[1, 2], [1, 2]], None)
            array([ True, False])
        """
        reached = goal_reached(achieved_goal, desired_goal)
        if not self.terminate_on_success:
            reached = np.zeros_like(reached)
        return bool(reached) if reached.ndim == 0 else reached

    # -- hooks ---------------------------------------------------------------------------------

    def _make_observation_space(self) -> spaces.Dict:
        cell = spaces.Box(0, self.size - 1, shape=(2,), dtype=np.int64)
        return spaces.Dict({"observation": cell, "achieved_goal": cell, "desired_goal": cell})

    def _observation(self) -> dict[str, np.ndarray]:
        position = np.array(self.position, dtype=np.int64)
        return {
            "observation": position,
            "achieved_goal": position.copy(),
            "desired_goal": np.array(self.current_goal, dtype=np.int64),
        }

    def _draw_start_and_goal(self, options: dict[str, Any]) -> tuple[Position, Position]:
        start = options.get("start", self.start)
        if start is None:
            start = self._draw_cell(excluding=options.get("goal", self.goal))
        goal = options.get("goal", self.goal)
        if goal is None:
            goal = self._draw_cell(excluding=start)
        return start, goal

    def _draw_cell(self, excluding: Position | None) -> Position:
        cells = self.size * self.size
        if excluding is None:
            index = int(self.np_random.integers(cells))
        else:
            # Draw among the other cells, then skip over the excluded one: uniform, one draw.
            index = int(self.np_random.integers(cells - 1))
            if index >= excluding[0] * self.size + excluding[1]:
                index += 1
        return index // self.size, index % self.size

    # step's reward and termination ARE compute_reward / compute_terminated of the new cell, so
    # a transition relabelled with another goal is scored exactly as the env would have.
    def _reward(self) -> float:
        return self.compute_reward(self.position, self.current_goal, None)

    def _terminated(self) -> bool:
        return self.compute_terminated(self.position, self.current_goal, None)
