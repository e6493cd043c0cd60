"""``run_tests``: run an untrusted program against hidden tests in the sandbox.

The parent (this process) plans the tests (:mod:`~score_envs.code.sandbox.testplan`), asks the
fork server for a run, writes each process its job straight into its pipe, collects the results,
the output (only counted, capped) and the trusted status reports, and judges
(:mod:`~score_envs.code.sandbox.verdict`). Expected values never leave this process, except to a
checker process that never runs program code.
"""

from __future__ import annotations

import atexit
import keyword
import os
import select
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from score_envs.code.sandbox import limits as limits_module
from score_envs.code.sandbox import protocol, report, testplan, verdict
from score_envs.code.sandbox.forkserver import ForkServer, SandboxError, start_all
from score_envs.code.sandbox.limits import Limits
from score_envs.code.sandbox.report import TestReport

SUPERVISOR_GRACE_S = 10.0
"""How long past the wall-clock cap the parent waits for the fork server's report on a run."""

UID_BASE = 65534
"""Run slot ``i`` uses uid/gid ``65534 - 2*i`` for the program and one less for the checker."""

MAX_PARALLEL_RUNS = 128
"""Runs in flight at once per process (each holds a slot: its own pair of unprivileged uids)."""

READY_BATCH = 4
"""Program workers forked ahead of demand per request to the server (namespaces mode, probe runs),
and the most a sandbox keeps waiting; each holds a uid slot while it waits. A batch is asked for
only when none is left: forked back to back, its workers cost the server fewer page copies each
(the server's writes between two forks are copies while a child shares the page), and the runs
in between need no request at all."""

MAX_READY_WORKERS = READY_BATCH
"""Per fork server."""

MAX_SERVERS = 16
"""Most fork servers one sandbox may have (see ``Sandbox(servers=...)``)."""

DEFAULT_MAX_SERVERS = 4
"""Most fork servers of a sandbox by default (one per CPU up to this)."""

KILL_LINGER_S = 0.05
"""After an early verdict (see ``_collect``) the caller keeps a ready worker's kill pipe open
until the server reports the run over -- its worker exits right after hanging up -- and closes
it then; or, while other runs are in progress, at its first call into the slot pool after this
long; or as soon as no run of this process is in progress (the server then kills whatever is
left: a program that hung up and went on running, which must not outlive an idle caller).
Closing it at once made the server wake up, and signal an exiting process, once more per run
(measured: 2-4 % fewer runs per second with 2 threads)."""

TAIL_POLL_S = 0.002
"""How often a thread that finds no free slot looks again for runs judged early that are over."""


class _UidSlots:
    """Process-wide pool of run slots, so that concurrent runs never share a uid.

    A shared uid would share ``RLIMIT_NPROC`` (counted per uid), making one run's process limit
    depend on what another run does, and would let runs signal each other's processes.
    """

    def __init__(self, count: int) -> None:
        self._count = count
        self._free = list(range(count - 1, -1, -1))
        self._condition = threading.Condition()
        self._tails: dict[int, int] = {}  # status fd of a run judged early -> its slot
        self._kill_later: dict[int, tuple[int, float]] = {}  # status fd -> (kill fd, close by)
        self._runs = 0  # runs on ready workers in progress (see run_started)

    def reset(self) -> None:
        """In a forked child: no run of the parent's is ours, and a held lock must not stay held."""
        for fd in [*self._tails, *(kill_fd for kill_fd, _ in self._kill_later.values())]:
            try:
                os.close(fd)  # our copy; the parent still waits on its own
            except OSError:
                pass
        self._tails = {}
        self._kill_later = {}
        self._runs = 0
        self._free = list(range(self._count - 1, -1, -1))
        self._condition = threading.Condition()

    def take(self) -> int:
        with self._condition:
            self._reap_tails()
            while not self._free:
                if self._tails:
                    self._condition.wait(TAIL_POLL_S)
                    self._reap_tails()
                else:
                    self._condition.wait()
            return self._free.pop()

    def try_take(self) -> int | None:
        """A free slot, or ``None`` at once if there is none (see ``Sandbox._new_ready``)."""
        with self._condition:
            self._reap_tails()
            return self._free.pop() if self._free else None

    def give(self, slot: int) -> None:
        with self._condition:
            self._free.append(slot)
            self._condition.notify()

    def run_started(self) -> None:
        """A run on a ready worker begins (see :data:`KILL_LINGER_S`)."""
        with self._condition:
            self._runs += 1

    def run_ended(self) -> None:
        """A run on a ready worker is over: the last one closes every kill pipe still kept."""
        with self._condition:
            self._runs -= 1
            if self._runs == 0:
                self._close_kill_pipes(_INFINITY)
            self._reap_tails()

    def give_when_reported(self, slot: int, status_fd: int, kill_fd: int = -1) -> None:
        """Free ``slot`` once the server has reported on its run (``status_fd`` at EOF).

        A run judged before that report (see ``_collect``) may still have processes under the
        slot's uids for a moment; the uids must not serve another run until they are all gone
        (``RLIMIT_NPROC`` is counted per uid). Takes ownership of ``status_fd`` and of the run's
        ``kill_fd`` if given, closed with the report or after :data:`KILL_LINGER_S`.
        """
        with self._condition:
            self._tails[status_fd] = slot
            if kill_fd >= 0:
                self._kill_later[status_fd] = (kill_fd, time.monotonic() + KILL_LINGER_S)
            self._reap_tails()

    def _close_kill_pipes(self, now: float) -> None:
        """Close the kept kill pipes due by ``now`` (every one for infinity): the server then
        kills what is left of their runs. Called with the lock held."""
        for fd, (kill_fd, close_by) in list(self._kill_later.items()):
            if now >= close_by:
                del self._kill_later[fd]
                os.close(kill_fd)

    def settle(self, timeout_s: float) -> bool:
        """Wait until every run judged early has been reported on; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            self._reap_tails()
            while self._tails and time.monotonic() < deadline:
                self._condition.wait(TAIL_POLL_S)
                self._reap_tails()
            return not self._tails

    def _reap_tails(self) -> None:
        """Free the slots whose runs are over, and have what is left of the runs that outstay
        :data:`KILL_LINGER_S` killed (never blocks; called with the lock held)."""
        if self._kill_later:
            self._close_kill_pipes(time.monotonic())
        for fd in list(self._tails):
            while True:
                try:
                    data = os.read(fd, 4096)  # the report (ignored: the run was judged)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                if not data:
                    os.close(fd)
                    kill = self._kill_later.pop(fd, None)
                    if kill is not None:
                        os.close(kill[0])
                    self._free.append(self._tails.pop(fd))
                    self._condition.notify()
                    break


_SLOTS = _UidSlots(MAX_PARALLEL_RUNS)
os.register_at_fork(after_in_child=_SLOTS.reset)
_SANDBOXES: weakref.WeakSet[Sandbox] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for sandbox in list(_SANDBOXES):
        sandbox._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass(frozen=True)
class TestJob:
    """One program and its tests, for :func:`run_tests_many` (same meaning as :func:`run_tests`)."""

    __test__ = False  # pytest: not a test class

    program: str
    tests: Sequence[str] | str
    entry_point: str | None = None
    timeout_s: float = 5.0
    memory_mb: int = 512
    helpers: str | None = None


def _plain(text: str) -> str:
    """``text`` as an exact ``str``: a subclass (``numpy.str_``, a user's class) cannot travel
    in a job (marshal takes exact builtin types only) and could rig its own methods."""
    return text if type(text) is str else str.__str__(text)


def _validate(
    program: object, tests: object, entry_point: object, helpers: object
) -> tuple[str, str | tuple[str, ...], str | None, str | None]:
    """The caller's arguments checked, as exact ``str`` values: ``(program, tests, entry_point,
    helpers)``."""
    if not isinstance(program, str):
        raise TypeError(f"program must be a str, got {type(program).__name__}")
    if entry_point is not None and (
        not isinstance(entry_point, str)
        or not entry_point.isidentifier()
        or keyword.iskeyword(entry_point)
    ):
        raise ValueError(f"entry_point must be a Python identifier or None, got {entry_point!r}")
    if helpers is not None and not isinstance(helpers, str):
        raise TypeError(f"helpers must be a str or None, got {type(helpers).__name__}")
    plain_tests: str | tuple[str, ...]
    if isinstance(tests, str):
        if not tests.strip():
            raise ValueError("tests must not be empty")
        plain_tests = _plain(tests)
    else:
        if isinstance(tests, (bytes, bytearray)) or not isinstance(tests, Sequence):
            raise TypeError(
                f"tests must be a sequence of assert strings or a str, got {type(tests).__name__}"
            )
        if not tests:
            raise ValueError("tests must not be empty")
        for index, item in enumerate(tests):
            if not isinstance(item, str):
                raise TypeError(f"tests[{index}] must be a str, got {type(item).__name__}")
        plain_tests = tuple(_plain(item) for item in tests)
    return (
        _plain(program),
        plain_tests,
        None if entry_point is None else _plain(entry_point),
        None if helpers is None else _plain(helpers),
    )


class Sandbox:
    """Fork servers plus the bookkeeping of concurrent runs.

    Most callers use the module-level :func:`run_tests`, which shares one default sandbox.

    Args:
        isolation: ``auto`` (namespaces when running as root and available, else ``basic``),
            ``namespaces`` (fail if unavailable) or ``basic``. See ``docs/sandbox.md``.
        servers: The most fork servers to use (default: one per CPU, at most
            :data:`DEFAULT_MAX_SERVERS`). Each run goes to the server with the fewest runs in
            progress, so callers in one thread use only the first; a server starts with its
            first run, or with :meth:`start`. Each costs a Python process (about 13 MB) and its
            own workers forked ahead; two threads on two CPUs run about 6 % more programs per
            second with two servers than with one, and while runs overlap each server and its
            workers keep to an equal share of the CPUs, about 8 % more again
            (``docs/sandbox.md``, "Speed").

    Example:
        >>> with Sandbox() as sandbox:
        ...     sandbox.run_tests("def add(a, b):\\n    return a + b\\n",
        ...                       ["assert add(1, 2) == 3"]).status
        'passed'
    """

    def __init__(self, *, isolation: str = "auto", servers: int | None = None) -> None:
        if servers is None:
            servers = max(1, min(DEFAULT_MAX_SERVERS, os.cpu_count() or 1))
        if type(servers) is not int or not 1 <= servers <= MAX_SERVERS:
            raise ValueError(f"servers must be an int from 1 to {MAX_SERVERS}, got {servers!r}")
        self._lanes = [_Lane(ForkServer(isolation), index) for index in range(servers)]
        self._server = self._lanes[0].server  # the first: its mode and Python are the sandbox's
        self._ready_lock = threading.Lock()  # guards every lane's ready workers and counts
        _SANDBOXES.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked copy of the caller: drop (without using) the parent's ready workers.

        Our copies of their pipes are closed, so that the parent alone decides when they end;
        their uid slots belong to the parent's pool, not to ours.
        """
        self._ready_lock = threading.Lock()  # it may have been held by another thread
        for lane in self._lanes:
            lane.forking = 0
            lane.running = 0
            for worker in lane.ready:
                worker.discard()  # closes our copies; gives no slot back (not our worker)
            lane.ready = []

    # --- public API ---------------------------------------------------------------------------

    @property
    def isolation(self) -> str:
        """``namespaces`` or ``basic`` (starts the first server if needed)."""
        self._server.start()
        return self._server.mode

    def start(self) -> None:
        """Start every fork server now, side by side (each otherwise starts with its first run:
        about 50 ms, which a caller may not want to spend in the middle of its work)."""
        start_all([lane.server for lane in self._lanes])

    def info(self) -> dict[str, str]:
        """The isolation level in use, why (for ``basic``), the Python version of the servers,
        how many there may be, and the system calls refused to every run (starts the first
        server if needed)."""
        self._server.start()
        return {
            "isolation": self._server.mode,
            "reason": self._server.reason,
            "python": self._server.python,
            "servers": str(len(self._lanes)),
            "syscall_filter": self._server.syscall_filter,
        }

    def run_tests(
        self,
        program: str,
        tests: Sequence[str] | str,
        *,
        entry_point: str | None = None,
        timeout_s: float = 5.0,
        memory_mb: int = 512,
        helpers: str | None = None,
    ) -> TestReport:
        """See :func:`run_tests`."""
        started = time.monotonic()
        program, tests, entry_point, helpers = _validate(program, tests, entry_point, helpers)
        limits = Limits.from_budget(timeout_s, memory_mb)
        plan = testplan.make_plan(tests, entry_point, helpers)
        if len(program) > limits_module.MAX_PROGRAM_CHARS:
            judgement = verdict.Judgement(
                report.ERROR,
                0,
                plan.total,
                f"the program is longer than {limits_module.MAX_PROGRAM_CHARS} characters",
            )
            return self._report(judgement, limits, started)
        for attempt in range(2):
            run, lane, generation = self._run(program, entry_point, plan, limits)
            if run.server_error:
                if attempt:
                    raise SandboxError(f"the sandbox could not start the run: {run.server_error}")
                # (A batch of workers forked ahead that failed part-way fails every run given
                # one of its workers: try once more on a fresh one.)
                self._discard_ready([lane])
                continue
            if not run.supervisor_lost:
                return self._report(verdict.judge(plan, limits, run), limits, started)
            lane.server.restart(generation)  # a failure of the sandbox, not of the program
            if attempt:
                raise SandboxError("the sandbox server died during the run, twice")
        raise AssertionError("unreachable")  # pragma: no cover

    def run_many(self, jobs: Iterable[TestJob | Mapping], *, workers: int = 2) -> list[TestReport]:
        """Run several jobs, ``workers`` at a time; reports come back in the jobs' order."""
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive int, got {workers!r}")
        prepared = [job if isinstance(job, TestJob) else TestJob(**job) for job in jobs]

        def one(job: TestJob) -> TestReport:
            return self.run_tests(
                job.program,
                job.tests,
                entry_point=job.entry_point,
                timeout_s=job.timeout_s,
                memory_mb=job.memory_mb,
                helpers=job.helpers,
            )

        if workers == 1:
            return [one(job) for job in prepared]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, prepared))

    def close(self) -> None:
        """Stop the fork servers (runs in progress are killed)."""
        self._discard_ready(self._lanes)
        for lane in self._lanes:
            lane.server.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one run ------------------------------------------------------------------------------

    def _report(self, judgement: verdict.Judgement, limits: Limits, started: float) -> TestReport:
        return TestReport(
            passed=judgement.status == report.PASSED,
            status=judgement.status,
            passed_count=judgement.passed_count,
            total=judgement.total,
            detail=judgement.detail,
            duration_s=time.monotonic() - started,
            limits=limits,
            isolation=self._server.mode,
        )

    def _run(
        self, program: str, entry_point: str | None, plan: testplan.Plan, limits: Limits
    ) -> tuple[verdict.RunOutput, _Lane, int]:
        """One run on the least busy lane: its output, the lane, and its server's generation."""
        lane = self._enter_lane()
        try:
            output, generation = self._run_in(lane, program, entry_point, plan, limits)
        finally:
            with self._ready_lock:
                lane.running -= 1
        return output, lane, generation

    def _enter_lane(self) -> _Lane:
        """The lane with the fewest runs in progress (the first of them on a tie), counted in.

        With one thread every run goes to the first lane, so a sandbox never starts more fork
        servers than its callers keep busy at once.
        """
        with self._ready_lock:
            lane = min(self._lanes, key=_busy)
            lane.running += 1
        return lane

    def _run_in(
        self,
        lane: _Lane,
        program: str,
        entry_point: str | None,
        plan: testplan.Plan,
        limits: Limits,
    ) -> tuple[verdict.RunOutput, int]:
        staging = None
        if isinstance(plan, testplan.ProbePlan):
            staging = _Staging(plan) if plan.stages else None
            jobs = {
                "program_job": {
                    "program": program,
                    "entry_point": entry_point,
                    "candidate_name": plan.candidate_name,
                    "prelude": plan.prelude_calls,
                    "probes": plan.stage_calls(0),
                    "stages": len(plan.stages),
                }
            }
        else:
            jobs = {
                "program_job": {"program": program},
                "checker_job": {
                    "style": plan.style,
                    "tests": plan.tests if isinstance(plan.tests, str) else list(plan.tests),
                    "prelude": list(plan.prelude),
                    "check_name": plan.check_name,
                    "modules": list(plan.modules),
                    "program_names": list(plan.program_names),
                    "helpers": plan.helpers,
                    "entry_point": entry_point,
                    "compiled": plan.compiled,
                },
            }
        if isinstance(plan, testplan.ProbePlan) and self._server.mode == "namespaces":
            return self._run_on_ready_worker(lane, jobs["program_job"], limits, staging)
        slot = _SLOTS.take()
        status_fd = -1
        alone = self._alone()
        try:
            request = {
                "mode": "probes" if isinstance(plan, testplan.ProbePlan) else "checker",
                "limits": limits.to_dict(),
                "program_uid": UID_BASE - 2 * slot,
                "checker_uid": UID_BASE - 2 * slot - 1,
                "slot": slot,
                "lane": self._lane_share(lane, alone),
            }
            output, generation = self._drive(lane.server, request, jobs, limits, staging)
            status_fd = output.unreported_status_fd
            return output, generation
        finally:
            if status_fd >= 0:
                _SLOTS.give_when_reported(slot, status_fd)
            else:
                _SLOTS.give(slot)

    # --- ready workers ------------------------------------------------------------------------

    def _run_on_ready_worker(
        self, lane: _Lane, job: dict, limits: Limits, staging: _Staging | None = None
    ) -> tuple[verdict.RunOutput, int]:
        """Run a probe job on a worker forked ahead of time, and have the next one forked.

        A ready worker is forked for given limits, which it sets (and drops to its run's uid)
        before it waits: it serves only a run with exactly those limits (the last run's are the
        best guess for the next). The job goes straight into the worker's pipe: the fork server
        does not take part in starting the run. When this is the sandbox's only run in progress
        (sequential use), the next worker is forked at once, while this run goes on: the fork and
        the worker's set-up then overlap the run instead of delaying the next one (measured: 10-20 %
        more runs per second). With several runs in progress the machine's cores are busy anyway,
        and a worker waiting longer makes each page the server writes meanwhile a copy (measured:
        8 % fewer runs per second with 2 threads), so the next worker is forked after the run.
        """
        alone = self._alone()
        worker = self._take_ready(lane, limits, alone)
        output = None
        _SLOTS.run_started()
        try:
            job = dict(job, limits=limits.to_dict())
            unsent = {"program_job": _prefill(worker.fds["program_job"], protocol.dumps_job(job))}
            if alone:
                # forked while this run goes on, on the other core
                self._add_ready(lane, limits, alone)
            output = _collect(
                worker.fds,
                unsent,
                limits,
                wall_clock_by_caller=True,
                early=True,
                staging=staging,
            )
        finally:
            early = output is not None and output.unreported_status_fd >= 0
            worker.discard(keep_status=early, judged_early=early)
            _SLOTS.run_ended()
        if output.supervisor_lost:
            lane.server.restart(worker.generation)  # so that its other workers are not used
        elif not alone:
            self._add_ready(lane, limits, alone)
        return output, worker.generation

    def _discard_ready(self, lanes: list[_Lane]) -> None:
        """Throw away the workers forked ahead on ``lanes`` that no run has taken."""
        ready: list[_ReadyWorker] = []
        with self._ready_lock:
            for lane in lanes:
                ready += lane.ready
                lane.ready = []
        for worker in ready:
            worker.discard()

    def _take_ready(self, lane: _Lane, limits: Limits, alone: bool) -> _ReadyWorker:
        with self._ready_lock:
            while lane.ready:
                worker = lane.ready.pop(0)  # the oldest: the most likely to be ready already
                if worker.usable(lane.server.running_generation, limits):
                    return worker
                worker.discard()  # another server's, or forked for other limits
        first, *rest = self._new_ready(lane, limits, READY_BATCH, alone)
        self._keep_ready(lane, rest)
        return first

    def _add_ready(self, lane: _Lane, limits: Limits, alone: bool) -> None:
        """Have a batch of workers forked ahead of demand once none is left (or being forked).

        In sequential use this is asked while a run goes on, on the other core; with several runs
        in progress, after the run (see :meth:`_run_on_ready_worker`).
        """
        with self._ready_lock:
            if lane.ready or lane.forking:
                return
            lane.forking += READY_BATCH
        try:
            workers = self._new_ready(lane, limits, READY_BATCH, alone)
        except SandboxError:
            workers = []  # the next run starts a worker the usual way and reports the failure
        finally:
            with self._ready_lock:
                lane.forking -= READY_BATCH
        self._keep_ready(lane, workers)

    def _keep_ready(self, lane: _Lane, workers: list[_ReadyWorker]) -> None:
        with self._ready_lock:
            room = MAX_READY_WORKERS - len(lane.ready)
            kept, extra = workers[: max(0, room)], workers[max(0, room) :]
            lane.ready.extend(kept)
        for worker in extra:
            worker.discard()

    def _alone(self) -> bool:
        """Whether the run counted in by :meth:`_enter_lane` is the only one in progress."""
        with self._ready_lock:
            return sum(map(_busy, self._lanes)) == 1

    def _lane_share(self, lane: _Lane, alone: bool) -> list[int] | None:
        """``[lane index, lanes]``, asked with each request while several runs are in progress
        on a sandbox of several fork servers; ``None`` (any CPU) for a run alone.

        The server then keeps itself and the workers it forks to its lane's equal share of the
        CPUs it may use (``zygote.cpu_share``; one CPU each when there are as many lanes as
        CPUs): each caller's run is a pipeline on its own core(s) -- the fork, the job, the
        worker's answer and the caller's next request wake a process on the same CPU, not an
        idle one elsewhere (slow in a VM), and the copies of the server's pages a worker makes
        read them from that core's cache. Measured with 2 threads, two servers and all HumanEval
        problems on 2 CPUs: 416 -> 449 programs per second. A run alone keeps every CPU: its
        next worker is then forked on another core while it runs (see
        :meth:`_run_on_ready_worker`).
        """
        return None if alone or len(self._lanes) == 1 else [lane.index, len(self._lanes)]

    def _new_ready(
        self, lane: _Lane, limits: Limits, count: int, alone: bool
    ) -> list[_ReadyWorker]:
        """Have up to ``count`` workers forked ahead for ``limits``, in one request to the server.

        Only the first waits for a free uid slot; the others take one only if one is free at
        once. (Taking each in turn, waiting, deadlocked 96 threads of one sandbox: every slot
        of the pool was held by a batch still waiting for one more.)
        """
        names = ["status", "kill", "program_job", "output", "result"]
        workers: list[_ReadyWorker] = []
        theirs: list[int] = []
        try:
            for index in range(count):
                slot = _SLOTS.take() if index == 0 else _SLOTS.try_take()
                if slot is None:
                    break
                pipes = {name: os.pipe() for name in names}
                theirs += [pipes[name][1 if name in _RUN_WRITES else 0] for name in names]
                ours = {name: pipes[name][0 if name in _RUN_WRITES else 1] for name in names}
                workers.append(_ReadyWorker(ours, slot, limits))
            request = {
                "mode": "ready",
                "program_uids": [UID_BASE - 2 * worker.slot for worker in workers],
                "limits": limits.to_dict(),
                "lane": self._lane_share(lane, alone),
            }
            generation = lane.server.fork_run(request, theirs)
        except BaseException:
            for worker in workers:
                worker.discard()
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        for worker in workers:
            worker.generation = generation
        return workers

    def _drive(
        self,
        server: ForkServer,
        request: dict,
        jobs: dict[str, dict],
        limits: Limits,
        staging: _Staging | None = None,
    ) -> tuple[verdict.RunOutput, int]:
        names = ["status", "kill", "program_job", "output", "result"]
        if "checker_job" in jobs:
            names.append("checker_job")
        pipes = {name: os.pipe() for name in names}
        # The run gets: the write end of status/output/result, the read end of kill and the jobs.
        theirs = {
            name: pipes[name][1] if name in ("status", "output", "result") else pipes[name][0]
            for name in names
        }
        ours = {
            name: pipes[name][0] if name in ("status", "output", "result") else pipes[name][1]
            for name in names
        }
        try:
            # Write what fits of each job into its pipe BEFORE asking for the run, so that the
            # worker finds its job at once and never waits for this thread to be scheduled again
            # (the fork server may run first and take the CPU). The rest is fed by _collect.
            unsent = {
                name: _prefill(ours[name], protocol.dumps_job(job)) for name, job in jobs.items()
            }
            generation = server.fork_run(request, [theirs[name] for name in names])
        finally:
            for fd in theirs.values():
                os.close(fd)
        output = None
        try:
            output = _collect(ours, unsent, limits, early=True, staging=staging)
            return output, generation
        finally:
            kept = output.unreported_status_fd if output is not None else -1
            for fd in ours.values():
                if fd != kept:
                    os.close(fd)


_RUN_WRITES = ("status", "output", "result")
"""The pipes a run writes (it gets their write ends; the caller keeps the read ends)."""


class _Staging:
    """The later stages of a probe job (see ``ProbePlan.stages``), fed one at a time.

    The caller sends a stage's calls only once the results of every earlier one are in and
    recorded: a program can no longer revise them after it has seen the later calls. The
    results of all stages are put together into the one message the verdict reads.
    """

    def __init__(self, plan: testplan.ProbePlan) -> None:
        self.counts = [end - start for start, end in plan.stage_spans]
        self.messages = [  # the calls of stages 2, 3, ... (the job carries the first stage's)
            protocol.dumps_job({"probes": plan.stage_calls(stage)})
            for stage in range(1, len(self.counts))
        ]
        self.results: list = []
        self.stage = 0
        self.over = False

    def take(self, result: bytearray) -> bytes | None:
        """After more of the results pipe: the next stage's message once ``result`` holds this
        stage's complete, well-formed answer (then cleared; after the last stage it holds the
        results of all stages as one message). Anything malformed ends the staging and stays
        in ``result`` for the verdict to refuse."""
        if len(result) < 4:
            return None
        end = 4 + int.from_bytes(result[:4], "big")
        if len(result) < end:
            return None
        try:
            message = protocol.parse_single_message(bytes(result))
        except protocol.ProtocolError:
            self.over = True
            return None
        if not isinstance(message, dict):
            self.over = True
            return None
        answers = message.get("results")
        if (
            message.get("load") != {"ok": True}
            or not isinstance(answers, list)
            or len(answers) != self.counts[self.stage]
        ):
            self.over = True  # a load failure or a malformed answer: judged as it is
            return None
        self.results.extend(answers)
        self.stage += 1
        result.clear()
        if self.stage == len(self.counts):
            self.over = True
            result += protocol.dumps({"load": {"ok": True}, "results": self.results})
            return None
        return self.messages[self.stage - 1]


class _Lane:
    """One fork server of a sandbox, with the workers it forked ahead and its runs in progress."""

    def __init__(self, server: ForkServer, index: int) -> None:
        self.server = server
        self.index = index
        self.ready: list[_ReadyWorker] = []
        self.forking = 0  # being added by some thread (counted against the maximum)
        self.running = 0  # runs in progress on this lane


def _busy(lane: _Lane) -> int:
    return lane.running


class _ReadyWorker:
    """The caller's ends of a program worker forked ahead of its run (see ``_run_on_ready_worker``).

    Holds a uid slot until discarded. Belongs to one process and one fork-server generation: a
    worker of a dead server, or inherited through ``fork()`` by a child process, is never used.
    """

    def __init__(self, fds: dict[str, int], slot: int, limits: Limits) -> None:
        self.fds = fds
        self.slot = slot
        self.limits = limits
        self.generation = 0
        self.owner = os.getpid()

    def usable(self, generation: int, limits: Limits) -> bool:
        return self.owner == os.getpid() and self.generation == generation and self.limits == limits

    def discard(self, *, keep_status: bool = True, judged_early: bool = False) -> None:
        """Close the caller's ends (an unused worker then reads EOF and exits) and free the slot.

        With ``keep_status`` (the default: an unused worker already runs under the slot's uid;
        also a run judged before the server's report) the slot is freed only once the server has
        reported the worker dead (see :meth:`_UidSlots.give_when_reported`); without it (the
        report was read), at once. A run ``judged_early`` keeps its kill pipe open a little
        longer (see :data:`KILL_LINGER_S`).
        """
        status_fd = self.fds.get("status", -1) if keep_status else -1
        kill_fd = self.fds.get("kill", -1) if status_fd >= 0 and judged_early else -1
        for fd in self.fds.values():
            if fd not in (status_fd, kill_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.fds = {}
        if self.owner == os.getpid() and self.slot >= 0:
            # (a forked child has its own, fresh slot pool)
            if status_fd >= 0:
                _SLOTS.give_when_reported(self.slot, status_fd, kill_fd)
            else:
                _SLOTS.give(self.slot)
        else:
            for fd in (status_fd, kill_fd):
                if fd >= 0:
                    os.close(fd)
        self.slot = -1


def _prefill(fd: int, data: bytes) -> memoryview:
    """Write as much of ``data`` as the empty pipe ``fd`` takes without blocking; the rest.

    A reader that is gone (a ready worker whose server died) takes nothing more: the run then
    ends without a report and is retried on a fresh server.
    """
    os.set_blocking(fd, False)
    view = memoryview(data)
    try:
        written = os.write(fd, view)
    except BlockingIOError:
        written = 0
    except OSError:
        written = len(view)
    return view[written:]


def _collect(
    ours: dict[str, int],
    unsent: dict[str, memoryview],
    limits: Limits,
    *,
    wall_clock_by_caller: bool = False,
    early: bool = False,
    staging: _Staging | None = None,
) -> verdict.RunOutput:
    """Feed the rest of the jobs and read the pipes until the server has reported on the run (or
    is lost).

    With ``wall_clock_by_caller`` (ready workers, whose server does not know when the run
    started) the wall-clock cap counts from now and, once it has passed, the server is asked to
    kill the run as timed out (``b"t"`` on the kill pipe).

    The server writes its report once every process of the run is dead, then closes the status
    pipe: everything the run wrote is in the other pipes by then.

    With ``early``, a run need not be waited for that long (probe runs, whose results come from
    the program's process and are written only once every probe ran; checker runs, whose
    checker writes its verdict once the tests are over): once its results and
    output pipes are both at EOF
    (every process of the run has closed them: the program worker hangs up right after writing
    its results) and the results hold exactly one well-formed message, nothing the run does any
    more can reach the parent, so the run is judged at once, without the server's report (which
    adds only the exit statuses, needed to explain a run that sent no results). The server is then
    asked to kill whatever is left of the run (the kill pipe is closed), and the status pipe is
    returned in ``unreported_status_fd``: the run's uid slot stays taken until the report comes.
    """
    out = verdict.RunOutput()
    result = bytearray()
    status = bytearray()
    max_result = limits_module.MAX_RESULT_BYTES + 4
    poller = select.poll()
    pending_writes: dict[int, memoryview] = {}
    for name, rest in unsent.items():
        if rest:
            pending_writes[ours[name]] = rest
            poller.register(ours[name], select.POLLOUT)
    status_fd, output_fd, result_fd = ours["status"], ours["output"], ours["result"]
    for fd in (status_fd, output_fd, result_fd):
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLIN)
    kill_fd = ours["kill"]
    killed = False

    def kill(reason: bytes = b"k") -> None:
        nonlocal killed
        if not killed:
            killed = True
            try:
                os.write(kill_fd, reason)
            except OSError:
                pass

    wall_clock_at = time.monotonic() + limits.wall_time_s if wall_clock_by_caller else _INFINITY
    deadline = time.monotonic() + limits.wall_time_s + SUPERVISOR_GRACE_S
    status_open = True
    result_open = output_open = True
    while status_open:
        now = time.monotonic()
        if not killed and now >= wall_clock_at:
            kill(b"t")
            deadline = now + SUPERVISOR_GRACE_S
        if now >= deadline:
            if killed:
                break  # no report even after a kill request: the server is lost
            kill()
            deadline = now + SUPERVISOR_GRACE_S
            continue
        wake_at = deadline if killed else min(deadline, wall_clock_at)
        for fd, _ in poller.poll(max(0.0, wake_at - now) * 1000 + 1):
            if fd in pending_writes:
                try:
                    written = os.write(fd, pending_writes[fd][: 1 << 16])
                    pending_writes[fd] = pending_writes[fd][written:]
                    done = not pending_writes[fd]
                except BlockingIOError:
                    done = False
                except OSError:  # the reader is gone (the worker died): stop writing
                    done = True
                if done:  # the pipe stays open: the reader needs no EOF (the job is framed)
                    del pending_writes[fd]
                    poller.unregister(fd)
                continue
            chunk = _read(fd)
            if chunk is None:
                continue
            if not chunk:
                poller.unregister(fd)
                if fd == status_fd:
                    status_open = False
                elif fd == result_fd:
                    result_open = False
                elif fd == output_fd:
                    output_open = False
                if (
                    early
                    and status_open
                    and not (result_open or output_open or killed)
                    and not out.result_overflow
                    and not out.output_exceeded
                    and (message := _complete(result)) is not None
                ):
                    out.result = bytes(result)
                    out.parsed_result = message
                    # The caller closes the kill pipe: the server kills what is left, and reports.
                    out.unreported_status_fd = status_fd
                    return out
            elif fd == status_fd:
                status += chunk
            elif fd == output_fd:
                out.output_bytes += len(chunk)
                if out.output_bytes > limits.max_output_bytes:
                    out.output_exceeded = True
                    kill()
            elif len(result) + len(chunk) > max_result:
                out.result_overflow = True
                kill()
            else:
                result += chunk
                if staging is not None and not staging.over:
                    following = staging.take(result)
                    if following is not None:  # the next stage's calls, now that these answered
                        job_fd = ours["program_job"]
                        pending_writes[job_fd] = memoryview(following)
                        poller.register(job_fd, select.POLLOUT)
    # Everything the run's processes wrote before they died is in the pipe buffers now.
    while (chunk := _read(result_fd)) and not out.result_overflow:
        result += chunk
        out.result_overflow = len(result) > max_result
    while chunk := _read(output_fd):
        out.output_bytes += len(chunk)
    out.output_exceeded = out.output_exceeded or out.output_bytes > limits.max_output_bytes
    out.result = bytes(result)
    out.status = bytes(status)
    server_report = verdict.parse_statuses(out.status).get("supervisor")
    out.supervisor_lost = server_report is None
    if server_report is not None and "error" in server_report:
        out.server_error = str(server_report["error"])
    return out


def _complete(result: bytearray) -> dict | None:
    """``result`` as a message if it is exactly one well-formed message that the verdict can use
    alone, else None.

    A checker's verdict qualifies only if the program did not end during the tests
    (``aborted``): explaining that (CPU limit or crash) needs the server's report.
    """
    try:
        message = protocol.parse_single_message(bytes(result))
    except protocol.ProtocolError:
        return None
    if (
        isinstance(message, dict)
        and isinstance(message.get("load"), dict)
        and message.get("aborted") is None
    ):
        return message
    return None


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None


_INFINITY = float("inf")

_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The shared sandbox behind :func:`run_tests` (created on first use, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


def run_tests(
    program: str,
    tests: Sequence[str] | str,
    *,
    entry_point: str | None = None,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    helpers: str | None = None,
) -> TestReport:
    """Run ``program`` against hidden ``tests`` in the sandbox and say whether it passed.

    Args:
        program: Python source written by a model (untrusted; never run in this process).
        tests: MBPP-style assert strings (``"assert add(1, 2) == 3"``; import lines allowed), or a
            HumanEval-style source defining ``check(candidate)``.
        entry_point: The function under test; required for a ``check(candidate)`` source, and
            bound to the name ``candidate`` for assert strings.
        timeout_s: CPU-time budget of the program, in seconds (see :class:`Limits` for the
            CPU limit and the wall-clock cap derived from it).
        memory_mb: Address-space limit of the program's process, in MiB (at least 64).
        helpers: Trusted source the tests may call (e.g. the HumanEval prompt, whose
            ``encode_cyclic`` the tests use); only ever run in the checker process.

    Returns:
        A :class:`TestReport`. A program never raises: whatever it does is graded.

    Raises:
        TypeError, ValueError: Bad arguments (not a program's fault), naming the argument.
        SandboxError: The sandbox itself failed.

    Example:
        >>> run_tests("def add(a, b):\\n    return a - b\\n", ["assert add(1, 2) == 3"]).detail
        'failed: assert add(1, 2) == 3; add(1, 2) returned -1'
    """
    return default_sandbox().run_tests(
        program,
        tests,
        entry_point=entry_point,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        helpers=helpers,
    )


def run_tests_many(jobs: Iterable[TestJob | Mapping], *, workers: int = 2) -> list[TestReport]:
    """Run several :class:`TestJob` (or dicts of :func:`run_tests` arguments) in parallel.

    Example:
        >>> jobs = [TestJob("def f():\\n    return 1\\n", ["assert f() == 1"]),
        ...         TestJob("def f():\\n    return 2\\n", ["assert f() == 1"])]
        >>> [r.status for r in run_tests_many(jobs, workers=2)]
        ['passed', 'failed']
    """
    return default_sandbox().run_many(jobs, workers=workers)
