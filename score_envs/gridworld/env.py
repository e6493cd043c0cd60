"""``ScoreGridWorld-v0``: the grid world the project grew out of, made a proper Gymnasium env.

The original snippet had no step limit, so a greedy agent that bumped into a wall could loop for
ever; here every episode ends after ``max_steps`` moves (truncation), whatever the agent does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

ACTION_NAMES: tuple[str, ...] = ("up", "down", "left", "right")
"""Action ``i`` moves the agent in direction ``ACTION_NAMES[i]``."""

MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
"""Row and column change of each action (row 0 is the top row)."""

MAX_SIZE = 256
"""Largest grid side accepted: a bound on memory (renderings, one-hot encodings), not a limit of
the dynamics."""

CELL_PIXELS = 16
"""Side of one cell in ``rgb_array`` renderings."""

_COLOURS = {
    "floor": (235, 235, 235),
    "line": (180, 180, 180),
    "goal": (60, 170, 75),
    "agent": (40, 90, 200),
}

Position = tuple[int, int]


def check_size(size: object) -> int:
    """Validate a grid side: an int in ``[2, MAX_SIZE]``.

    Example:
        >>> check_size(4)
        4
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ValueError(f"size must be an int in [2, {MAX_SIZE}], got {size!r}")
    if not 2 <= int(size) <= MAX_SIZE:
        raise ValueError(f"size must be an int in [2, {MAX_SIZE}], got {size}")
    return int(size)


def check_position(name: str, position: object, size: int) -> Position:
    """Validate a ``(row, col)`` cell of a ``size`` x ``size`` grid and return it as ints.

    Example:
        >>> check_position("goal", (3, 3), 4)
        (3, 3)
    """
    if isinstance(position, (str, bytes)) or not isinstance(position, (Sequence, np.ndarray)):
        raise ValueError(f"{name} must be a (row, col) pair, got {position!r}")
    if len(position) != 2:
        raise ValueError(f"{name} must be a (row, col) pair, got {position!r}")
    cells = []
    for value in position:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must hold two ints, got {position!r}")
        if not 0 <= int(value) < size:
            raise ValueError(
                f"{name} must lie in the {size}x{size} grid (0..{size - 1}), got {position!r}"
            )
        cells.append(int(value))
    return cells[0], cells[1]


class GridWorldEnv(gym.Env[int, int]):
    """Walk from a start cell to a goal cell of a square grid.

    ## Description
    The grid world of the project's origin: a ``size`` x ``size`` grid (4 x 4 by default), the
    agent starts in the top-left corner and must reach the goal in the opposite corner. There
    are no walls inside the grid; a move into the border leaves the agent where it is. It is the
    smallest MDP on which a Q-learning bug shows: a greedy agent with no exploration and no step
    limit can bump into a wall for ever.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 down, 2 left, 3 right (:data:`ACTION_NAMES`).

    ## Observation Space
    ``Discrete(size * size)``: the agent's cell as ``row * size + col`` (the tabular convention
    of FrozenLake and CliffWalking; ``gymnasium.wrappers.FlattenObservation`` turns it into a
    one-hot vector for neural networks).

    ## Starting State
    The agent stands on ``start`` (default ``(0, 0)``). ``reset(options={"start": (r, c),
    "goal": (r, c)})`` overrides either for one episode. The default env draws nothing at random;
    the seed matters only to subclasses (the goal-conditioned variant) and to callers.

    ## Reward
    1.0 on the step that reaches the goal, 0.0 on every other step.

    ## Episode End
    Terminated when the agent reaches the goal; truncated after ``max_steps`` moves otherwise
    (default ``4 * size``, about twice the longest shortest path). Stepping a finished episode
    raises :class:`gymnasium.error.ResetNeeded`.

    ## Information
    ``position`` and ``goal`` (``(row, col)`` tuples), ``steps`` (moves so far) and
    ``is_success`` (the goal was reached; the key Stable-Baselines3 and HER code read).

    ## Arguments
    ``size`` (2..256, default 4), ``start`` (default ``(0, 0)``), ``goal`` (default the
    opposite corner ``(size - 1, size - 1)``), ``max_steps`` (default ``4 * size``),
    ``render_mode`` (``"ansi"``: the grid as text, ``"rgb_array"``: a picture with
    :data:`CELL_PIXELS` pixels per cell).

    ## Registered IDs
    ``ScoreGridWorld-v0``.

    ## Version History
    - v0: initial release.

    Example:
        >>> env = GridWorldEnv(render_mode="ansi")
        >>> obs, info = env.reset(seed=0)
        >>> obs, info["position"], info["goal"]
        (0, (0, 0), (3, 3))
        >>> for action in (1, 1, 1, 3, 3):
        ...     obs, reward, terminated, truncated, info = env.step(action)
        >>> obs, reward, terminated, truncated
        (14, 0.0, False, False)
        >>> print(env.render())
        . . . .
        . . . .
        . . . .
        . . A G
        >>> env.step(3)[1:4]
        (1.0, True, False)
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    draws_positions: ClassVar[bool] = False
    """Whether ``start=None`` / ``goal=None`` mean "draw one every episode" (goal-conditioned
    subclasses); here they are fixed for the env's lifetime."""

    def __init__(
        self,
        *,
        size: int = 4,
        start: Position | None = (0, 0),
        goal: Position | None = None,
        max_steps: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.size = check_size(size)
        if not self.draws_positions:
            if start is None:
                raise ValueError("start must be a (row, col) pair, got None")
            if goal is None:
                goal = (self.size - 1, self.size - 1)
        self.start = None if start is None else check_position("start", start, self.size)
        self.goal = None if goal is None else check_position("goal", goal, self.size)
        if self.start is not None and self.start == self.goal:
            raise ValueError(f"start and goal must differ, both are {self.start}")
        if max_steps is None:
            max_steps = 4 * self.size
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be an int >= 1, got {max_steps!r}")
        self.max_steps = max_steps
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(ACTION_NAMES))
        self.observation_space = self._make_observation_space()
        self._position: Position | None = None
        self._goal: Position | None = None
        self._steps = 0
        self._done = False

    # -- hooks for subclasses ------------------------------------------------------------------

    def _make_observation_space(self) -> spaces.Space[Any]:
        return spaces.Discrete(self.size * self.size)

    def _observation(self) -> Any:
        row, col = self.position
        return row * self.size + col

    def _draw_start_and_goal(self, options: dict[str, Any]) -> tuple[Position, Position]:
        # Both are set: the constructor refuses None when positions are not drawn.
        return options.get("start", self.start), options.get("goal", self.goal)

    # -- the episode ---------------------------------------------------------------------------

    @property
    def position(self) -> Position:
        """The agent's cell ``(row, col)``."""
        if self._position is None:
            raise ResetNeeded("Cannot read the position before reset().")
        return self._position

    @property
    def current_goal(self) -> Position:
        """The goal cell of the current episode."""
        if self._goal is None:
            raise ResetNeeded("Cannot read the goal before reset().")
        return self._goal

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Put the agent on its start cell; ``options`` may set ``start`` and ``goal``."""
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"start", "goal"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; expected 'start' or 'goal'")
        for name in ("start", "goal"):
            if options.get(name) is not None:
                options[name] = check_position(name, options[name], self.size)
            else:
                options.pop(name, None)
        start, goal = self._draw_start_and_goal(options)
        if start == goal:
            raise ValueError(f"start and goal must differ, both are {start}")
        self._position, self._goal = start, goal
        self._steps = 0
        self._done = False
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Move one cell (or bump into the border and stay); see the class docstring."""
        if self._position is None:
            raise ResetNeeded("Cannot call step() before reset().")
        if self._done:
            raise ResetNeeded("The episode has ended; call reset() before step() again.")
        if (
            isinstance(action, (bool, np.bool_))
            or not isinstance(action, (int, np.integer))
            or not 0 <= int(action) < len(ACTION_NAMES)
        ):
            raise ValueError(f"action must be an int in 0..{len(ACTION_NAMES) - 1}, got {action!r}")
        row, col = np.clip(np.asarray(self._position) + MOVES[int(action)], 0, self.size - 1)
        self._position = (int(row), int(col))
        self._steps += 1
        terminated = self._terminated()
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        return self._observation(), self._reward(), terminated, truncated, self._info()

    def _reward(self) -> float:
        return 1.0 if self.position == self.current_goal else 0.0

    def _terminated(self) -> bool:
        return self.position == self.current_goal

    def _info(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "goal": self.current_goal,
            "steps": self._steps,
            "is_success": self.position == self.current_goal,
        }

    # -- rendering -----------------------------------------------------------------------------

    def render(self) -> str | np.ndarray | None:
        """The grid as text (``"ansi"``) or as an RGB picture (``"rgb_array"``)."""
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        return None

    def _render_text(self) -> str:
        """``A`` agent, ``G`` goal, ``*`` agent on the goal, ``.`` floor; row 0 on top."""
        rows = []
        for row in range(self.size):
            cells = []
            for col in range(self.size):
                here = (row, col)
                if here == self.position:
                    cells.append("*" if here == self.current_goal else "A")
                elif here == self.current_goal:
                    cells.append("G")
                else:
                    cells.append(".")
            rows.append(" ".join(cells))
        return "\n".join(rows)

    def _render_rgb(self) -> np.ndarray:
        # Paint one pixel per cell, then scale up with np.repeat: cheap even for 256 x 256.
        image = np.empty((self.size, self.size, 3), dtype=np.uint8)
        image[:] = _COLOURS["floor"]
        image[self.current_goal] = _COLOURS["goal"]
        image[self.position] = _COLOURS["agent"]
        image = image.repeat(CELL_PIXELS, axis=0).repeat(CELL_PIXELS, axis=1)
        image[::CELL_PIXELS, :] = _COLOURS["line"]
        image[:, ::CELL_PIXELS] = _COLOURS["line"]
        return image
