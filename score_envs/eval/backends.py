"""Where episodes run: in this process (optionally on threads), on worker processes, or on Ray.

Every backend plays episode ``i`` exactly as :func:`~score_envs.eval.runner.play_episode` does
(reset seed ``seed + i``, policy RNG from ``(seed, i)``), with an env and a policy rebuilt from the
:class:`~score_envs.eval.config.RunConfig` in each thread, process or Ray worker. So the same
config and indices give the same episodes on every backend; only the order in which they finish
differs, and results files key episodes by index.

Finished episodes are handed to ``on_records`` in the calling thread as soon as they arrive, so
the caller can append them to the results file before anything else can go wrong. When a worker
raises (a model endpoint that is down), no new work starts, the episodes already running are
allowed to finish and are delivered, and then the first error is raised.

- ``local`` with ``concurrency=1``: a plain loop (the reference).
- ``local`` with ``concurrency=N``: N threads, each with its own env and policy; for remote model
  endpoints, where a thread spends its time waiting for the network.
- ``process``: N worker processes fed chunks of indices; for CPU-bound policies and verifiers.
- ``ray``: chunks of indices as Ray tasks on a cluster (:mod:`score_envs.eval.ray_backend`).
"""

from __future__ import annotations

import concurrent.futures as futures
import ctypes
import math
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from score_envs.eval.config import RunConfig
from score_envs.eval.runner import EpisodeRecord, play_episode

BACKENDS = ("local", "process", "ray")
"""Values of ``score-envs eval --backend``."""

RecordsCallback = Callable[[list[EpisodeRecord]], None]


def play_indices(
    config: RunConfig,
    indices: Sequence[int],
    *,
    on_records: RecordsCallback,
    backend: str = "local",
    concurrency: int | None = None,
    address: str | None = None,
    chunk_size: int | None = None,
) -> None:
    """Play the episodes ``indices`` of the run ``config`` and deliver them to ``on_records``.

    ``concurrency`` is the number of threads (``local``), processes (``process``) or tasks in
    flight (``ray``; default: the cluster's CPUs). ``address`` picks a Ray cluster
    (``ray.init(address=...)``); ``chunk_size`` is the number of episodes per process or Ray task
    (default: small enough to keep every worker busy and lose little when stopped).

    Example:
        >>> config = RunConfig("ScoreMath-v0", {"families": ["arithmetic"]}, "oracle", seed=1)
        >>> got = []
        >>> play_indices(config, [0, 1, 2], on_records=got.extend, concurrency=2)
        >>> sorted(r.index for r in got), all(all(r.correct_per_turn) for r in got)
        ([0, 1, 2], True)
    """
    check_backend_options(backend, concurrency, address, chunk_size)
    indices = list(indices)
    if not indices:
        return
    if backend == "ray":
        from score_envs.eval.ray_backend import play_on_ray

        play_on_ray(
            config,
            indices,
            on_records=on_records,
            address=address,
            concurrency=concurrency,
            chunk_size=chunk_size,
        )
    elif backend == "process":
        workers = concurrency or 1
        chunks = split_into_chunks(indices, chunk_size or default_chunk_size(len(indices), workers))
        context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            _drain(
                pool,
                lambda chunk: pool.submit(play_chunk, config.as_dict(), chunk),
                chunks,
                workers,
                on_records,
            )
    elif (concurrency or 1) == 1:
        env, policy = config.make_env(), config.make_policy()
        for index in indices:
            on_records([play_episode(env, policy, index=index, seed=config.seed)])
    else:
        _play_on_threads(config, indices, concurrency or 1, on_records)


def die_with_parent(parent_pid: int) -> None:
    """Worker initialiser: end this process when the run that started it dies (even by SIGKILL).

    Linux's ``PR_SET_PDEATHSIG`` sends SIGTERM when the parent goes; elsewhere the worker keeps
    Python's default behaviour. Checking the parent afterwards closes the race where it died
    before the request was made.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def check_backend_options(
    backend: str,
    concurrency: int | None = None,
    address: str | None = None,
    chunk_size: int | None = None,
) -> None:
    """Raise ``ValueError`` for backend options that do not fit together.

    Example:
        >>> check_backend_options("local", address="auto")
        Traceback (most recent call last):
        ...
        ValueError: --address is for the ray backend, got backend 'local'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if concurrency is not None and (isinstance(concurrency, bool) or concurrency < 1):
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk size must be an int >= 1, got {chunk_size!r}")
    if address is not None and backend != "ray":
        raise ValueError(f"--address is for the ray backend, got backend {backend!r}")
    if backend == "ray":
        try:
            import ray  # noqa: F401 - only checks that the extra is installed
        except ImportError:
            raise ValueError("--backend ray needs Ray: pip install 'score-envs[ray]'") from None
        if address is not None:
            check_ray_address(address)


RAY_CONNECT_TIMEOUT_S = 5.0
"""How long :func:`check_ray_address` waits for a ``HOST:PORT`` cluster to accept a connection."""


def check_ray_address(address: str) -> None:
    """Fail fast on a ``HOST:PORT`` Ray address where nothing listens.

    ``ray.init`` retries an unreachable GCS for minutes while printing log lines; a user who
    mistyped the address wants one line now. ``auto`` and ``ray://`` addresses are left to Ray.

    Example:
        >>> check_ray_address("ray://127.0.0.1:10001")  # Ray client addresses are Ray's to check
    """
    if address == "auto" or address.startswith("ray://"):
        return
    host, separator, port = address.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--address must be auto, ray://HOST:PORT or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), RAY_CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValueError(f"no Ray cluster answers at {address}: {reason}") from None


def play_chunk(config_data: dict[str, Any], indices: Sequence[int]) -> list[EpisodeRecord]:
    """Play some episodes of a run in this process (the unit of work of processes and Ray).

    The env and policy are cached per process and configuration, so a worker builds them once.

    Example:
        >>> config = RunConfig("ScoreMath-v0", {}, "oracle", seed=4).as_dict()
        >>> [r.index for r in play_chunk(config, [5, 2])]
        [5, 2]
    """
    config = RunConfig.from_dict(config_data)
    env, policy = _worker_cache(config)
    return [play_episode(env, policy, index=index, seed=config.seed) for index in indices]


def default_chunk_size(episodes: int, workers: int) -> int:
    """About eight chunks per worker, each of 1..32 episodes.

    Example:
        >>> default_chunk_size(1000, 2), default_chunk_size(5, 4)
        (32, 1)
    """
    return max(1, min(32, math.ceil(episodes / (8 * max(1, workers)))))


def split_into_chunks(indices: Sequence[int], size: int) -> list[list[int]]:
    """Consecutive chunks of at most ``size`` indices.

    Example:
        >>> split_into_chunks([0, 1, 2, 3, 4], 2)
        [[0, 1], [2, 3], [4]]
    """
    return [list(indices[start : start + size]) for start in range(0, len(indices), size)]


_CACHE: dict[str, tuple[Any, Any]] = {}
_CACHE_LOCK = threading.Lock()


def _worker_cache(config: RunConfig) -> tuple[Any, Any]:
    key = repr(sorted(config.as_dict().items()))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE.clear()  # a worker serves one run at a time
            _CACHE[key] = (config.make_env(), config.make_policy())
        return _CACHE[key]


def _play_on_threads(
    config: RunConfig, indices: list[int], threads: int, on_records: RecordsCallback
) -> None:
    local = threading.local()
    built: list[Any] = []
    built_lock = threading.Lock()

    def play_one(index: int) -> list[EpisodeRecord]:
        if not hasattr(local, "env"):
            local.env, local.policy = config.make_env(), config.make_policy()
            with built_lock:
                built.append(local.policy)
        return [play_episode(local.env, local.policy, index=index, seed=config.seed)]

    try:
        with futures.ThreadPoolExecutor(max_workers=threads) as pool:
            _drain(pool, lambda index: pool.submit(play_one, index), indices, threads, on_records)
    finally:
        for policy in built:
            close = getattr(policy, "close", None)
            if callable(close):
                close()


def _drain(
    pool: futures.Executor,
    submit: Callable[[Any], futures.Future],
    work: Sequence[Any],
    workers: int,
    on_records: RecordsCallback,
) -> None:
    """Keep about two items per worker in flight; deliver results as they finish.

    On the first error, submit nothing more, cancel what has not started, deliver what the
    running items still finish, then raise that error.
    """
    pending: set[futures.Future] = set()
    queue: Iterator[Any] = iter(work)
    error: BaseException | None = None
    try:
        for item in queue:
            pending.add(submit(item))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
            for future in done:
                if future.cancelled():
                    continue
                exc = future.exception()
                if exc is not None:
                    if error is None:
                        error = exc
                        for other in pending:
                            other.cancel()
                    continue
                on_records(future.result())
                if error is None:
                    for item in queue:
                        pending.add(submit(item))
                        break
    except BaseException:
        # Interrupted (Ctrl-C) or on_records failed: stop queued work; running work is abandoned.
        for future in pending:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    if error is not None:
        raise error
