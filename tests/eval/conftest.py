"""Results files shared by the leaderboard, HTML and plot tests (written once per module)."""

from __future__ import annotations

import pytest

from score_envs.eval.backends import play_indices
from score_envs.eval.config import RunConfig
from score_envs.eval.results import open_results

RUN_SEED = 13
RUN_POLICIES = {
    "oracle": "oracle",
    "corrector": "noisy:p1=0.5,i2c=0.4,c2i=0.02",
    "damager": "noisy:p1=0.7,i2c=0.02,c2i=0.3",
    "hacker": "noisy:p1=0.05,i2c=0.95,c2i=0.0",
}
"""Run name -> policy spec; the hacker fails its first attempt on purpose."""


def write_run(path, policy, *, episodes=60, env_kwargs=None, seed=RUN_SEED):
    config = RunConfig("ScoreMath-v0", env_kwargs or {}, policy, seed)
    with open_results(path, config) as writer:
        play_indices(config, range(episodes), on_records=writer.append)
    return path


@pytest.fixture(scope="module")
def run_files(tmp_path_factory):
    """Four results files on ScoreMath-v0, one per behaviour, keyed by run name."""
    folder = tmp_path_factory.mktemp("runs")
    return {name: write_run(folder / f"{name}.jsonl", spec) for name, spec in RUN_POLICIES.items()}


@pytest.fixture
def make_run():
    """``make_run(path, policy, episodes=60, env_kwargs=None, seed=RUN_SEED)`` writes a run."""
    return write_run
