"""``robot_walk``: simulate a robot on a bounded grid (simulation)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


class RobotWalk(CodeFamily):
    """A walk with walls; the traps are the axes, the walls, ignored characters, the result type."""

    name = "robot_walk"
    category = "simulation"
    function_name = "robot_walk"
    signature = "def robot_walk(moves: str, limit: int) -> tuple[int, int]:"
    specification = """
    Simulate a robot that starts at (0, 0) on a grid whose coordinates x and y both stay
    between -limit and limit inclusive (`limit` >= 0), and return its final position as a
    tuple (x, y).

    Each character of `moves` is one step: 'U' is y + 1, 'D' is y - 1, 'R' is x + 1 and
    'L' is x - 1. A step that would leave the grid is skipped (the robot stays where it is).
    Every other character, including lowercase letters, is ignored.
"""
    reference = """
def robot_walk(moves, limit):
    steps = {"U": (0, 1), "D": (0, -1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves:
        if move in steps:
            dx, dy = steps[move]
            if abs(x + dx) <= limit and abs(y + dy) <= limit:
                x, y = x + dx, y + dy
    return (x, y)
"""
    bugs = (
        # Returns a list.
        """
def robot_walk(moves, limit):
    steps = {"U": (0, 1), "D": (0, -1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves:
        if move in steps:
            dx, dy = steps[move]
            if abs(x + dx) <= limit and abs(y + dy) <= limit:
                x, y = x + dx, y + dy
    return [x, y]
""",
        # 'U' goes down (screen coordinates).
        """
def robot_walk(moves, limit):
    steps = {"U": (0, -1), "D": (0, 1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves:
        if move in steps:
            dx, dy = steps[move]
            if abs(x + dx) <= limit and abs(y + dy) <= limit:
                x, y = x + dx, y + dy
    return (x, y)
""",
        # Ignores the walls.
        """
def robot_walk(moves, limit):
    steps = {"U": (0, 1), "D": (0, -1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves:
        if move in steps:
            dx, dy = steps[move]
            x, y = x + dx, y + dy
    return (x, y)
""",
        # Accepts lowercase moves too.
        """
def robot_walk(moves, limit):
    steps = {"U": (0, 1), "D": (0, -1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves.upper():
        if move in steps:
            dx, dy = steps[move]
            if abs(x + dx) <= limit and abs(y + dy) <= limit:
                x, y = x + dx, y + dy
    return (x, y)
""",
        # Walls at 0 and limit instead of -limit and limit.
        """
def robot_walk(moves, limit):
    steps = {"U": (0, 1), "D": (0, -1), "R": (1, 0), "L": (-1, 0)}
    x = y = 0
    for move in moves:
        if move in steps:
            dx, dy = steps[move]
            if 0 <= x + dx <= limit and 0 <= y + dy <= limit:
                x, y = x + dx, y + dy
    return (x, y)
""",
    )
    size_unit = "moves"
    size_limits = (6, 10, 20, 40, 80)
    example_size = 6

    def input_size(self, args: tuple[Any, ...]) -> int:
        """Number of moves (characters)."""
        return len(args[0])

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """3..``size`` moves from U/D/L/R with a vertical imbalance, and a limit of 2..6."""
        moves = [rng.choice("UDLR") for _ in range(rng.randint(min(3, size), size))]
        moves[rng.randrange(len(moves))] = rng.choice("UD")
        if moves.count("U") == moves.count("D"):
            position = next(i for i, move in enumerate(moves) if move in "UD")
            moves[position] = rng.choice("LR")
        return ("".join(moves), rng.randint(2, 6))

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """No moves, pushing against walls, ignored characters, a grid of one cell."""
        return (
            EdgeCase("no moves", 2, ("", rng.randint(1, 5))),
            EdgeCase("pushing against a wall", 3, ("R" * 5 + "U" + "L" * 9, 2)),
            EdgeCase("pushing against a wall", 3, ("DDDDDDU", rng.randint(2, 4))),
            EdgeCase("other characters ignored", 4, ("Uu xR-dD!L?r", 3)),
            EdgeCase("grid of one cell", 5, ("UDLRUUR", 0)),
        )
