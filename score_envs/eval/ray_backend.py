"""``--backend ray``: spread a run's episodes over a Ray cluster (the ``ray`` optional extra).

Chunks of episode indices become Ray tasks that run :func:`score_envs.eval.backends.play_chunk`:
each worker rebuilds the env and policy from the run's JSON config, so the results are the same
episodes the local backend plays. Results come back to the driver, which alone writes the results
file, so resuming and SIGKILL safety work exactly as locally.

Cluster choice follows ``ray.init``: with Ray already initialised in this process it is used as it
is; ``address=None`` starts a local cluster for the run; ``address="auto"`` joins the cluster
running on this machine (``ray start --head``); ``address="ray://HEAD:10001"`` connects a client
to a remote head node. Every node needs ``score-envs`` (and the policy's extras) installed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from score_envs.eval.backends import default_chunk_size, play_chunk, split_into_chunks
from score_envs.eval.config import RunConfig
from score_envs.eval.runner import EpisodeRecord

INSTALL_HINT = "pip install 'score-envs[ray]'"


def play_on_ray(
    config: RunConfig,
    indices: Sequence[int],
    *,
    on_records: Callable[[list[EpisodeRecord]], None],
    address: str | None = None,
    concurrency: int | None = None,
    chunk_size: int | None = None,
) -> None:
    """Play ``indices`` of the run as Ray tasks; deliver each finished chunk to ``on_records``.

    ``concurrency`` caps the tasks in flight (default: the cluster's CPU count). On the first
    task error, pending tasks are cancelled, finished ones delivered, and the error raised.
    """
    try:
        import ray
    except ImportError:
        raise ValueError(f"--backend ray needs Ray: {INSTALL_HINT}") from None
    started_here = False
    if not ray.is_initialized():
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
                configure_logging=True,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a new local cluster"
            raise ValueError(f"cannot start or join the Ray cluster at {where}: {exc}") from None
        started_here = True
    try:
        workers = concurrency or max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = chunk_size or default_chunk_size(len(indices), workers)
        remote_chunk = ray.remote(num_cpus=1, max_retries=0)(play_chunk)
        config_data = config.as_dict()
        queue = iter(split_into_chunks(indices, size))
        pending = [
            remote_chunk.remote(config_data, chunk)
            for chunk in itertools.islice(queue, 2 * workers)
        ]
        error: BaseException | None = None
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                records = ray.get(done[0])
            except ray.exceptions.RayTaskError as exc:
                if error is None:
                    error = _original_error(exc)
                    for ref in pending:
                        ray.cancel(ref)
                continue
            except ray.exceptions.TaskCancelledError:
                continue
            on_records(records)
            if error is None:
                for chunk in queue:
                    pending.append(remote_chunk.remote(config_data, chunk))
                    break
        if error is not None:
            raise error
    finally:
        if started_here:
            ray.shutdown()


def _original_error(exc: BaseException) -> BaseException:
    """The exception the task raised (Ray wraps it), so callers see e.g. ModelEndpointError."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
