"""``--backend ray`` on a real local Ray cluster (``ray.init(num_cpus=2)``); skipped without Ray."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'score-envs[ray]')")

from score_envs.cli import main  # noqa: E402
from score_envs.eval.backends import play_indices  # noqa: E402
from score_envs.eval.config import RunConfig  # noqa: E402
from score_envs.eval.results import read_results  # noqa: E402
from score_envs.policies.errors import ModelEndpointError  # noqa: E402

SEED = 17
SPEC = "noisy:p1=0.5,i2c=0.3,c2i=0.1"


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def without_timings(records):
    return {
        r.index: {k: v for k, v in r.as_dict().items() if k not in ("seconds", "policy_seconds")}
        for r in records
    }


def test_ray_plays_the_same_episodes_as_the_local_loop(cluster):
    config = RunConfig("ScoreMath-v0", {}, SPEC, seed=SEED)
    local, remote = [], []
    play_indices(config, range(30), on_records=local.extend)
    play_indices(config, range(30), on_records=remote.extend, backend="ray", chunk_size=4)
    assert without_timings(remote) == without_timings(local)


def test_cli_ray_backend_writes_the_same_file_as_the_local_backend(cluster, tmp_path, capsys):
    common = ["eval", "--policy", SPEC, "--episodes", "20", "--seed", str(SEED)]
    assert main([*common, "--out", str(tmp_path / "local.jsonl")]) == 0
    assert main([*common, "--out", str(tmp_path / "ray.jsonl"), "--backend", "ray"]) == 0
    local = read_results(tmp_path / "local.jsonl")
    remote = read_results(tmp_path / "ray.jsonl")
    assert remote.config == local.config
    assert without_timings(remote.records.values()) == without_timings(local.records.values())


def test_a_task_error_on_ray_surfaces_as_the_original_exception(cluster):
    # An endpoint nobody listens on: the adapter raises ModelEndpointError inside the Ray task.
    config = RunConfig(
        "ScoreMath-v0", {}, "openai:model=m,base_url=http://127.0.0.1:9/v1,max_retries=0", SEED
    )
    with pytest.raises(ModelEndpointError, match="connection refused"):
        play_indices(config, range(4), on_records=list, backend="ray")
