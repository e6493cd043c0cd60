"""score_envs/core/task.py: tasks are read-only and survive a trip to another process."""

from __future__ import annotations

import pickle

import pytest

from score_envs.core.task import Task

TASK = Task(
    task_id="demo/d1/7",
    prompt="Compute $2 + 2$.",
    answer="4",
    family="demo",
    difficulty=1,
    metadata={"source": "test", "params": {"operands": [2, 2]}},
)


def test_metadata_is_read_only():
    with pytest.raises(TypeError):
        TASK.metadata["source"] = "changed"  # type: ignore[index]


def test_metadata_is_copied_so_the_callers_dict_cannot_change_the_task():
    metadata = {"source": "caller"}
    task = Task("t", "p", "a", "f", 1, metadata)
    metadata["source"] = "changed"
    assert task.metadata["source"] == "caller"


def test_pickle_round_trip_gives_an_equal_task_with_read_only_metadata():
    clone = pickle.loads(pickle.dumps(TASK))
    assert clone == TASK
    with pytest.raises(TypeError):
        clone.metadata["source"] = "changed"  # type: ignore[index]
