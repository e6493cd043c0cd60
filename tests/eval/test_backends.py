"""Every backend plays the same episodes as the plain loop; errors keep finished episodes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from score_envs.eval.backends import (
    default_chunk_size,
    play_chunk,
    play_indices,
    split_into_chunks,
)
from score_envs.eval.config import RunConfig
from score_envs.policies.errors import ModelEndpointError
from score_envs.policies.registry import register_policy_prefix
from score_envs.policies.scripted import OraclePolicy

SEED = 21
CONFIG = RunConfig("ScoreMath-v0", {}, "noisy:p1=0.5,i2c=0.3,c2i=0.1", seed=SEED)


def without_timings(records):
    out = {}
    for record in records:
        data = record.as_dict()
        del data["seconds"], data["policy_seconds"]
        out[record.index] = data
    return out


def collect(config, indices, **options):
    records = []
    play_indices(config, indices, on_records=records.extend, **options)
    return records


@pytest.fixture(scope="module")
def reference():
    return without_timings(collect(CONFIG, range(24)))


def test_threads_play_the_same_episodes_as_the_plain_loop(reference):
    assert without_timings(collect(CONFIG, range(24), concurrency=4)) == reference


def test_processes_play_the_same_episodes_as_the_plain_loop(reference):
    records = collect(CONFIG, range(24), backend="process", concurrency=2, chunk_size=5)
    assert without_timings(records) == reference


def test_a_chunk_reproduces_its_episodes_whatever_their_order(reference):
    records = play_chunk(CONFIG.as_dict(), [17, 3])
    assert without_timings(records) == {i: reference[i] for i in (17, 3)}


class FailingPolicy(OraclePolicy):
    """Fails on the task of one episode, like an endpoint going down mid-run."""

    def __init__(self, failing_task_ids):
        super().__init__()
        self.failing_task_ids = failing_task_ids

    def next_attempt(self, messages):
        if self._task.task_id in self.failing_task_ids:
            raise ModelEndpointError("scripted outage")
        return super().next_attempt(messages)


def test_a_worker_error_is_raised_after_delivering_finished_episodes():
    config = RunConfig("ScoreMath-v0", {}, "oracle", seed=SEED)
    failing_task = collect(config, [6])[0].task_id
    register_policy_prefix("fails-on", lambda rest: FailingPolicy({failing_task}))
    failing = RunConfig("ScoreMath-v0", {}, "fails-on:6", seed=SEED)
    delivered = []
    with pytest.raises(ModelEndpointError, match="scripted outage"):
        play_indices(failing, range(12), on_records=delivered.extend, concurrency=2)
    indices = {record.index for record in delivered}
    assert 6 not in indices
    assert set(range(6)) <= indices  # everything before the failure was delivered


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of"):
        play_indices(CONFIG, [0], on_records=print, backend="gpu")


def test_address_without_ray_backend_is_refused():
    with pytest.raises(ValueError, match="ray backend"):
        play_indices(CONFIG, [0], on_records=print, address="auto")


def test_chunks_cover_every_index_once_in_order():
    assert split_into_chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_default_chunk_size_stays_between_1_and_32():
    assert default_chunk_size(1, 8) == 1 and default_chunk_size(10**6, 2) == 32


def child_pids(parent: int) -> set[int]:
    children = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                children.add(int(stat_file.parent.name))
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_process_workers_die_when_the_run_is_killed(tmp_path):
    out = tmp_path / "run.jsonl"
    argv = ["eval", "--policy", "noisy", "--episodes", "1000000", "--out", str(out)]
    argv += ["--backend", "process", "--concurrency", "2", "--chunk-size", "50"]
    run = subprocess.Popen(
        [sys.executable, "-m", "score_envs.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 5000):
            time.sleep(0.05)
        workers = child_pids(run.pid)
        assert run.poll() is None and len(workers) >= 2
    finally:
        run.kill()
        run.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]
