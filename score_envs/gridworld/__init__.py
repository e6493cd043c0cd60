"""Grid worlds: the project's original 4x4 task and its goal-conditioned variant for HER.

``ScoreGridWorld-v0`` (:class:`GridWorldEnv`) and ``ScoreGridWorldGoal-v0``
(:class:`GoalGridWorldEnv`) are small, exact MDPs on which the reference agents in ``agents/`` are
checked before they meet the self-correction environments.
"""

from score_envs.gridworld.env import ACTION_NAMES, GridWorldEnv
from score_envs.gridworld.goal_env import GoalGridWorldEnv, goal_reached

__all__ = ["ACTION_NAMES", "GoalGridWorldEnv", "GridWorldEnv", "goal_reached"]
