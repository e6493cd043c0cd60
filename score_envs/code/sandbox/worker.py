"""The first moments of a run's worker process: isolate it, lock it down, hand over to the harness.

A worker is forked by the fork server (:mod:`~score_envs.code.sandbox.zygote`) straight into a new
PID namespace, of which it is PID 1. While still root and before any foreign code runs, it:

1. ``chroot``\\ s into the read-only root the server prepared: the program worker into its run
   slot's view of it, whose ``/sandbox`` is a scratch tmpfs the server mounted for this run alone
   (and seals or detaches when the run is over), the checker into the root itself;
2. keeps only its own pipes (every other fd, the server's and other runs' included, is closed),
   points stdin at ``/dev/null`` and stdout/stderr at the capped output pipe;
3. sets its rlimits (CPU, address space, processes, open files, file size, no core dumps),
   drops to its run's unprivileged uid/gid for good, and sets ``no_new_privs``;
4. clears the environment, then reads its job from its pipe and runs it.

When the worker (PID 1) exits, the kernel kills every other process of its namespace.

In ``basic`` mode there are no namespaces: the worker starts a new session and process group in a
temporary directory the server made, and may not create any process (``RLIMIT_NPROC`` of 1,
counted over its whole uid), so none can escape the group kill.
"""

from __future__ import annotations

import _signal
import os
import signal
import sys

from score_envs.code.sandbox import checker, harness, isolation, protocol

MAX_JOB_BYTES = 64 * 1024 * 1024


def _read_job(fd: int, *, close: bool = True) -> dict:
    job = protocol.read_job(fd, MAX_JOB_BYTES)
    if close:
        os.close(fd)
    if not isinstance(job, dict):
        raise protocol.ProtocolError("the job is not a JSON object")
    return job


def run_program(request: dict, fds: dict[str, int], mode: str, root: str, workdir: str) -> None:
    r"""Body of the program worker of a run (does not return normally: the caller ``_exit``\ s)."""
    uid = request["program_uid"]
    limits = request["limits"]
    share_cpu(request)
    if mode == "namespaces":
        os.chroot(root)  # its slot's root, with a fresh scratch tmpfs (see zygote._slot_root)
        workdir = isolation.SANDBOX_DIR
    if request["mode"] == "probes":
        keep = {fds["program_job"]: 3, fds["result"]: 4}
    else:
        keep = {fds["program_job"]: 3, fds["requests"]: 4, fds["replies"]: 5}
    _lock_down(limits, keep, fds["output"], uid, workdir, mode)
    _reseed_forked_children()
    if request["mode"] == "probes":
        job = _read_job(3, close=False)  # a job in stages sends its later calls there
        harness.run_probes(job, 4, job_fd=3)
        _hang_up()
        return
    harness.serve_calls(_read_job(3), 4, 5)


def run_ready_program(request: dict, fds: dict[str, int], root: str) -> None:
    """Body of a *ready* program worker (namespaces mode): forked ahead of its run, for the
    limits the caller expects the run to have, it locks itself down and then waits for its job,
    which comes straight from the caller.

    Everything is done before the wait: ``chroot`` into its slot's root (the server forked it
    into its own PID namespace, with a fresh scratch ``tmpfs`` for this run, owned by the run's
    uid, mounted there: see ``zygote.Server._slot_root``), every inherited fd closed but the
    run's own pipes (other runs' pipes must not stay open here), the limits set and root dropped
    for good -- so the run's critical path is only reading the job and running it. The job must
    carry the same limits (the caller only gives a ready worker a run with its limits); nothing
    of the job is executed before that is checked, and the process can no longer raise its
    limits anyway.
    """
    uid = request["program_uid"]
    limits = request["limits"]
    os.chroot(root)  # then _restrict makes the scratch directory the working directory
    _own_fds({fds["program_job"]: 3, fds["result"]: 4}, fds["output"])
    _restrict(limits, uid, isolation.SANDBOX_DIR, "namespaces")
    _reseed_forked_children()
    job = _read_job(3, close=False)  # blocks until the caller has a run for this worker
    if job.get("limits") != limits:
        raise protocol.ProtocolError("a ready worker's job must carry the limits it was forked for")
    harness.run_probes(job, 4, job_fd=3)  # a job in stages sends its later calls on fd 3
    _hang_up()


def _reseed_forked_children() -> None:
    """Give back ``random`` its re-seed-at-fork hook, for the program's own children.

    The fork server imports ``random`` without that hook and seeds it once, so that every
    program starts from the same state (``zygote._seed``); a process the program forks must
    still draw other numbers than its parent, as in plain Python.
    """
    random = sys.modules.get("random")
    if random is not None:
        os.register_at_fork(after_in_child=random.seed)


def _hang_up() -> None:
    """Close the results and output pipes as soon as the results are written.

    The parent judges a run once both are at EOF (with one well-formed results message), so it
    need not wait for this process to unmap its memory, leave its namespaces and be reaped.
    Whatever the program's threads do from now on can no longer reach the parent.
    """
    for fd in (4, 1, 2):
        try:
            os.close(fd)
        except OSError:
            pass


def run_checker(request: dict, fds: dict[str, int], mode: str, root: str) -> None:
    """Body of the checker process (trusted test code; never the program's)."""
    import ast  # noqa: F401 - needed by the checker; imported while the files are still readable

    share_cpu(request)

    if mode == "namespaces":
        os.chroot(root)
    keep = {fds["checker_job"]: 3, fds["requests"]: 4, fds["replies"]: 5, fds["result"]: 6}
    null = os.open(os.devnull, os.O_WRONLY)
    _lock_down(request["limits"], keep, null, request["checker_uid"], "/", mode)
    import random

    # Not the seed-0 state every program process starts from (see zygote._seed): with it, a
    # program could replay the draws of tests that build random inputs and answer without
    # solving anything (decode(encode(x)) == x). Fresh from the OS, as in plain Python.
    random.seed()
    checker.run_checker(_read_job(3), 4, 5, 6)


def share_cpu(request: dict) -> None:
    """Run on the CPU the server chose for this run's pair of processes (checker runs).

    A checker run is a ping-pong of calls between the checker and the program process: one of
    them is always waiting for the other. On one CPU a call costs two local context switches; on
    two, each call wakes a CPU that went idle (an inter-processor interrupt, slow in a VM), which
    measured 3x slower (118 vs 36 us per call on our 2-core VM). Speed only: a program that
    changes its own affinity gains nothing but its own slowdown.
    """
    cpu = request.get("cpu")
    if isinstance(cpu, int):
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass


def _lock_down(
    limits: dict, keep: dict[int, int], output_fd: int, uid: int, directory: str, mode: str
) -> None:
    _own_fds(keep, output_fd)
    _restrict(limits, uid, directory, mode)


INHERITED = {"stdin_is_null": False, "no_new_privs": False, "default_signals": False}
"""What the fork server already did for all its workers (see ``zygote._set_inherited``), so that
each worker need not: stdin is ``/dev/null``; ``no_new_privs`` is set (it is inherited and can
never be cleared); no signal handler or wake-up fd of the server's to reset."""


def _own_fds(keep: dict[int, int], output_fd: int) -> None:
    """stdin from ``/dev/null``, stdout/stderr to the output pipe, ``keep`` in place, no other."""
    if not INHERITED["stdin_is_null"]:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    isolation.keep_only_fds(keep)


def _restrict(limits: dict, uid: int, directory: str, mode: str) -> None:
    """Limits, the run's uid for good, no new privileges, an empty environment."""
    os.chdir(directory)
    if mode != "namespaces":
        os.setsid()  # its own session and process group, which the server kills at the end
    isolation.apply_limits(
        cpu_s=int(limits["cpu_time_s"]),
        memory_bytes=int(limits["memory_mb"]) * 1024 * 1024,
        # Without a PID namespace a child could escape the group kill with setsid(): no children.
        max_processes=int(limits["max_processes"]) if mode == "namespaces" else 1,
        max_open_files=int(limits["max_open_files"]),
        max_file_bytes=int(limits["max_file_mb"]) * 1024 * 1024,
    )
    if os.geteuid() == 0:
        isolation.drop_privileges(uid, uid)
    if not INHERITED["no_new_privs"]:
        isolation.forbid_new_privileges()
    if mode != "namespaces":  # with namespaces, the server's death kills its whole PID namespace
        isolation.die_with_parent(signal.SIGKILL)
    if os.environ:  # the server cleared it; clear() of an empty one raises and catches KeyError
        os.environ.clear()


def start_worker(body, *args: object) -> int:
    """In a freshly forked child: reset the server's signal setup, run ``body``, never return."""
    code = 70
    try:
        # ``_signal``, not ``signal``: the latter's enum wrappers run enum.py code here, and each
        # write to one of its (shared) objects copies a page (measured: ~25 fewer faults).
        if not INHERITED["default_signals"]:
            _signal.set_wakeup_fd(-1)
            _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        code = 71
        body(*args)
        code = 0
    finally:
        os._exit(code)
