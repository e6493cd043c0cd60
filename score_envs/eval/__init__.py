"""Evaluation: play episodes, write resumable results files, and build leaderboards from them."""

from score_envs.eval.config import RunConfig
from score_envs.eval.leaderboard import RunSummary, load_runs, sort_runs, to_csv, to_markdown
from score_envs.eval.results import open_results, read_results
from score_envs.eval.runner import EpisodeRecord, play_episode, run_episodes

__all__ = [
    "EpisodeRecord",
    "RunConfig",
    "RunSummary",
    "load_runs",
    "open_results",
    "play_episode",
    "read_results",
    "run_episodes",
    "sort_runs",
    "to_csv",
    "to_markdown",
]
