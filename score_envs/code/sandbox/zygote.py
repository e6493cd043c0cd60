"""The fork server ("zygote"): forks the workers of every run and supervises them.

Started once per parent process by :mod:`score_envs.code.sandbox.forkserver` as
``python -S -s -B -c BOOTSTRAP`` with an empty environment (apart from ``PYTHONHASHSEED=0``, so
that set and dict order is the same in every run and on every machine), no site-packages, and
without importing ``score_envs/__init__.py`` (no gymnasium, numpy or sympy). It imports the
standard-library modules programs commonly use, so that a forked worker starts warm.

It never receives tests, programs or expected values: a request only says which kind of run to
start, with which limits and uids, and carries the run's pipes; the parent writes each job straight
into its worker's pipe. A worker scanning its own memory therefore finds nothing of any run.

Process layout (``namespaces`` mode, as root)::

    bootstrap (waits)                      host namespaces
     └─ server (PID 1 of its own PID namespace; own mount, network, IPC and UTS namespaces,
        │        shared by all its runs; seccomp filter, inherited by all of them)
        ├─ program worker   PID 1 of a new PID namespace, chrooted in its slot's root over a
        │                   scratch tmpfs mounted for its run alone
        └─ checker worker   PID 1 of another PID namespace (only for checker plans)

The server is the supervisor of every run: single-threaded, it waits for requests, for its
workers' exits (pidfds; SIGCHLD where there are none), for the parent's kill requests and for
the runs' wall-clock deadlines. When a run's workers are all gone -- and with each of them its
whole PID namespace -- it writes the run's report (exit statuses, CPU time, timed out or killed)
on the run's status pipe, which only it holds. If the server dies, the kernel kills everything in
its PID namespace: every run.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import time

from score_envs.code.sandbox import harness, isolation, protocol, worker

PRELOADED_MODULES = (
    "array",
    "ast",
    "bisect",
    "collections",
    "copy",
    "functools",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "string",
    "typing",
)
"""Imported once by the server, so that programs' imports of them cost nothing. Every module here
makes each fork dearer (its pages are copied on write), so only the ones HumanEval/MBPP-style
programs commonly import are listed, plus ``ast``, which every checker process needs (importing it
there took about 2 ms of a checker run; preloaded, it adds no measurable cost to other runs);
others (``hashlib``, ``statistics``, ``decimal`` ...) import normally from the read-only standard
library."""

ROOT_DIR = "/tmp/score-sandbox-root"
SLOTS_DIR = "/tmp/score-sandbox-slots"
"""Where each run slot's view of ``ROOT_DIR`` is, with its scratch tmpfs (``Server._slot_root``)."""
FD_NAMES = ("status", "kill", "program_job", "output", "result", "checker_job")
READY_FD_NAMES = FD_NAMES[:5]
MAX_READY_BATCH = 16
"""Most workers one request may ask to have forked ahead (each brings its own five pipes)."""
NOBODY = 65534


def _setup(requested: str, hidden_dirs: list[str]) -> tuple[str, str, int]:
    """Prepare namespaces if possible: ``(mode, reason for a fallback, own PID namespace fd)``."""
    if requested == "basic":
        return "basic", "basic isolation was requested", -1
    if os.geteuid() != 0:
        return "basic", "not running as root: no namespaces", -1
    try:
        isolation.enter_private_mounts()
        isolation.unshare(isolation.SERVER_NAMESPACES)
        isolation.disable_ipc()
        socket.sethostname("sandbox")
        flags = isolation.MS_NOSUID | isolation.MS_NODEV
        isolation.mount("tmpfs", "/tmp", "tmpfs", flags, "size=1m")
        os.mkdir(ROOT_DIR, 0o755)
        python_dirs = [path for path in sys.path if path and os.path.isdir(path)]
        isolation.build_root(ROOT_DIR, python_dirs, hidden_dirs)
        os.mkdir(SLOTS_DIR, 0o700)
        own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY)
        _try_run_namespaces(own_pid_namespace)
    except OSError as exc:
        return "basic", f"namespaces unavailable: {exc}", -1
    return "namespaces", "", own_pid_namespace


def _try_run_namespaces(own_pid_namespace: int) -> None:
    """Start a throw-away worker skeleton once, the way every worker starts (PID 1 of a new PID
    namespace, chrooted in a slot's root over a scratch tmpfs), to fail early (and fall back) if
    anything fails."""
    slot_root = SLOTS_DIR + "/check"
    isolation.make_slot_root(ROOT_DIR, slot_root)
    isolation.mount_scratch(slot_root, NOBODY, 1)
    pid = isolation.fork_in_new_pid_namespace(own_pid_namespace)
    if pid == 0:
        code = 1
        try:
            os.chroot(slot_root)
            code = 0 if os.getpid() == 1 and os.path.ismount(isolation.SANDBOX_DIR) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise OSError(0, "a test run in new namespaces failed")


def _preload() -> None:
    """Import :data:`PRELOADED_MODULES`; ``random`` without its fork hook (see :func:`_seed`)."""
    register_at_fork = os.register_at_fork
    # random re-seeds itself from the OS in every forked child (its after-fork hook): about 40
    # page copies and 45 us per worker, only for the worker to seed it again with 0. Without the
    # hook, every worker inherits the state _seed() gives the server once.
    os.register_at_fork = _no_fork_hook
    try:
        for name in PRELOADED_MODULES:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    finally:
        os.register_at_fork = register_at_fork


def _no_fork_hook(**_: object) -> None:
    """Stands in for ``os.register_at_fork`` while the preloaded modules are imported."""


def _set_inherited(use_pidfds: bool) -> str:
    """Do once, for every worker, what a forked process inherits (``worker.INHERITED``): stdin
    from ``/dev/null``; ``no_new_privs`` (no set-uid binary or file capability can ever raise
    the privileges of this process or of any process it forks; the server never executes a
    program, so it loses nothing); default signal handling (the server watches its workers
    through pidfds, so it installs no SIGCHLD handler and wake-up fd that each worker would
    have to reset: about 24 page copies per worker); a seccomp filter refusing the kernel's
    keyrings and exotic socket families (``isolation.install_syscall_filter``). A worker does
    whatever failed here itself but the filter (which would fail there too). Returns what
    became of the filter, for ``Sandbox.info()``."""
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        worker.INHERITED["stdin_is_null"] = True
    except OSError:
        pass
    try:
        isolation.forbid_new_privileges()
        worker.INHERITED["no_new_privs"] = True
    except OSError:
        pass
    try:  # the server then learns of its workers' exits from pidfds, without a SIGCHLD handler
        if use_pidfds:
            os.close(os.pidfd_open(os.getpid()))
            worker.INHERITED["default_signals"] = True
    except (AttributeError, OSError):
        pass
    try:  # once, for every worker: no kernel keyring (a store that outlives runs), no vsock
        isolation.install_syscall_filter()
        return "keyrings and socket families other than unix/inet/inet6/netlink refused (seccomp)"
    except OSError as exc:
        return f"no seccomp filter: {exc}"


def _seed() -> None:
    """Seed ``random`` with 0 once, last: a program's unseeded random then gives the same numbers
    in every run and on every machine, and no worker pays for seeding it."""
    if "random" in sys.modules:
        sys.modules["random"].seed(0)


WARM_UP_ROUNDS = 40
"""Times the server runs a made-up probe job through the workers' own code before serving."""


def _warm_up() -> None:
    """Run the workers' job path (framing, JSON, compile, the harness, the wire encoder) on a
    made-up job, so that its code is already quickened and specialised (3.11+), the type
    attribute cache holds its look-ups and lazily built objects exist: a worker then writes --
    and copies -- fewer of the server's pages. The job is synthetic: no test ever enters here."""
    job = {
        "program": "def f(x, y=2):\n    return [x, str(x), x / y, (x, None), {x: True}, b'x']\n",
        "entry_point": "f",
        "candidate_name": "candidate",
        "prelude": harness.compile_calls(["import math"], "exec"),
        "probes": [
            *harness.compile_calls(
                ["candidate(1)", "candidate(2.5, y=1)", "candidate('a', 3)"], "eval"
            ),
            ("candidate", ([1, -2], "b"), None),  # literal calls (testplan.ProbePlan)
            ("candidate", (0.5,), {"y": 4}),
        ],
        "limits": {"max_file_mb": 16, "cpu_time_s": 3, "memory_mb": 512},
    }
    read_end, write_end = os.pipe()
    try:
        for _ in range(WARM_UP_ROUNDS):
            os.write(write_end, protocol.dumps_job(job))
            received = protocol.read_job(read_end, worker.MAX_JOB_BYTES)
            harness.run_probes(received, write_end)
            protocol.read_message(read_end, worker.MAX_JOB_BYTES)
    finally:
        os.close(read_end)
        os.close(write_end)


_FILLERS: list = []


def _fill_pools() -> None:
    """Fill the free blocks of pymalloc's partly used pools, so that what a worker allocates goes
    to fresh pools, densely, instead of to holes scattered over the server's pages (each first
    write to one of those is a page copy)."""
    import re

    # A memory file, not a pipe: the statistics could outgrow a pipe's buffer and block us.
    stats = os.memfd_create("mallocstats")
    saved = os.dup(2)
    try:
        os.dup2(stats, 2)
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    chunks = []
    offset = 0
    while chunk := os.pread(stats, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    os.close(stats)
    text = b"".join(chunks).decode("ascii", "replace")
    for match in re.finditer(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M):
        size, avail = int(match.group(2)), int(match.group(5))
        if size == 32:
            _FILLERS.extend(1_000_000 + i for i in range(avail))
        elif size >= 48:
            _FILLERS.extend(bytes(size - 33) for _ in range(avail))


MAX_STACKED_SCRATCHES = 64
"""Sealed (read-only, empty) scratches a slot root keeps under its current one before it is
detached and made again: one RCU grace period per this many runs instead of one per run."""


class _Scratch:
    """A run slot's root (a view of ``ROOT_DIR``) and the scratches mounted in it, one per run,
    each over the last: the top one is the current (or last) run's."""

    __slots__ = ("depth", "in_use", "root", "serial")

    def __init__(self, root: str) -> None:
        self.root = root
        self.depth = -1  # scratches mounted in the slot root; -1: no slot root (to be made)
        self.in_use = False  # the top scratch belongs to a run not over yet
        self.serial = 0  # scratches mounted so far: which run the top one belongs to


class _Run:
    """One run's bookkeeping in the server."""

    def __init__(self, status_fd: int, kill_fd: int, wall_time_s: float, workdir: str) -> None:
        self.status_fd = status_fd
        self.kill_fd = kill_fd
        self.deadline = time.monotonic() + wall_time_s
        self.workdir = workdir
        self.pending: dict[int, str] = {}
        self.signalled: set[int] = set()  # pids this server sent SIGKILL to
        self.ended: dict[str, dict] = {}
        self.timed_out = False
        self.killed = False
        self.watching_kill = False  # its kill fd is registered with the poller
        self.scratch: tuple[int, int] | None = None  # (uid, serial): retired when it is over


class Server:
    """The supervising loop (see the module docstring)."""

    def __init__(self, control: socket.socket, mode: str, own_pid_namespace: int) -> None:
        self.control = control
        self.mode = mode
        self.own_pid_namespace = own_pid_namespace
        self.scratches: dict[int, _Scratch] = {}  # program uid -> its slot's root and scratch
        self.by_pid: dict[int, _Run] = {}
        self.by_kill_fd: dict[int, _Run] = {}
        self.poller = select.poll()
        self.wake_read = self.wake_write = -1
        self.pidfd_of: dict[int, int] = {}  # pid -> its pidfd, in the poller until reaped
        self.timed: set[_Run] = set()  # the runs with a wall-clock deadline still to watch
        self.cpus = sorted(os.sched_getaffinity(0))
        self.kept_to: list[int] | None = None  # the CPUs this server keeps to, if not all

    def serve(self) -> None:
        """Run until the parent closes the control socket, then kill every run."""
        if not worker.INHERITED["default_signals"]:
            # No pidfds (Linux < 5.3): a SIGCHLD handler writes to a wake-up pipe instead.
            self.wake_read, self.wake_write = os.pipe()
            os.set_blocking(self.wake_read, False)
            os.set_blocking(self.wake_write, False)
            signal.set_wakeup_fd(self.wake_write, warn_on_full_buffer=False)
            signal.signal(signal.SIGCHLD, _wake_up)
            self.poller.register(self.wake_read, select.POLLIN)
        self.poller.register(self.control, select.POLLIN)
        try:
            while self._step():
                pass
        finally:
            for run in list(self.by_kill_fd.values()):
                self._kill(run)

    def _step(self) -> bool:
        timeout = None
        if self.timed:  # (ready workers' runs have no deadline here: their caller keeps it)
            deadline = min(run.deadline for run in self.timed)
            timeout = max(0.0, deadline - time.monotonic()) * 1000 + 1
        for fd, _ in self.poller.poll(timeout):
            if fd == self.control.fileno():
                if not self._accept():
                    return False
            elif fd == self.wake_read:
                try:
                    while os.read(self.wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
            elif fd in self.by_kill_fd:
                run = self.by_kill_fd[fd]
                try:
                    reason = os.read(fd, 1)
                except OSError:
                    reason = b""
                if reason == b"t":  # the caller keeps the wall clock of a ready worker's run
                    run.timed_out = True
                else:  # a kill request, or the caller is gone
                    run.killed = True
                self._kill(run)
                self.poller.unregister(fd)
                run.watching_kill = False
        if self.timed:
            now = time.monotonic()
            for run in [run for run in self.timed if now >= run.deadline]:
                run.timed_out = True
                self._kill(run)
        self._reap()
        return True

    def _accept(self) -> bool:
        """Start the run(s) a request asks for; a failure is reported on each run's status pipe."""
        try:
            message, fds, _, _ = socket.recv_fds(
                self.control, 1 << 16, len(READY_FD_NAMES) * MAX_READY_BATCH
            )
        except OSError:
            return False
        if not message:
            return False
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        if isinstance(request, dict):
            self._keep_to(request.get("lane"))
        if isinstance(request, dict) and "program_uids" in request:
            uids = request.pop("program_uids")
            size = len(READY_FD_NAMES)
            batch = [fds[i : i + size] for i in range(0, len(fds), size)]
            if not isinstance(uids, list) or len(uids) != len(batch):
                uids = [None] * len(batch)
            runs = [
                (dict(request, program_uid=uid), dict(zip(READY_FD_NAMES, group, strict=False)))
                for uid, group in zip(uids, batch, strict=True)
            ]
            if (
                self.mode == "namespaces"
                and request.get("mode") == "ready"
                and all(isinstance(uid, int) for uid in uids)
                and all(len(group) == size for group in batch)
            ):
                self._start_ready_batch(runs)
            else:  # each is refused (and reported) by _start
                for one, named in runs:
                    self._start_reporting(one, named)
        else:
            self._start_reporting(request, dict(zip(FD_NAMES, fds, strict=False)))
        return True

    def _start_ready_batch(self, runs: list[tuple[dict, dict[str, int]]]) -> None:
        """Fork a batch of ready workers back to back, with every other step before the first
        fork or after the last.

        A ready worker is forked ahead of its run (see ``worker.run_ready_program``) into its own
        PID namespace, to be chrooted in its slot's root. Its run has no wall clock
        here: it starts when the caller writes the job, and the caller asks for the kill
        (``b"t"``) once the wall-clock cap has passed since then.

        After each fork every page the server writes is a fault (a copy while a child still
        shares it): the bookkeeping of a run done between two forks would pay its pages once per
        fork; here the loop between the forks is the fork itself (measured: about 129 -> 91 page
        faults of the server's own per run). A fork that fails ends the batch: it and the runs
        after it are reported as failed.
        """
        prepared = []
        failure: BaseException | None = None
        for request, named in runs:
            run = _Run(named["status"], named["kill"], _NEVER, "")
            program_fds = {name: named[name] for name in ("program_job", "output", "result")}
            slot_root = None
            if failure is None:
                try:
                    slot_root, run.scratch = self._slot_root(request)
                except (OSError, KeyError, TypeError, ValueError) as exc:
                    failure = exc
            prepared.append((run, request, program_fds, slot_root))
        pids: list[int] = []
        pid_namespace = self.own_pid_namespace
        for _run, request, program_fds, slot_root in prepared:
            if slot_root is None:
                break
            try:
                pid = isolation.fork_in_new_pid_namespace(pid_namespace)
            except OSError as exc:
                failure = exc
                break
            if pid == 0:
                worker.start_worker(worker.run_ready_program, request, program_fds, slot_root)
            pids.append(pid)
        for index, (run, _request, program_fds, _slot_root) in enumerate(prepared):
            for fd in program_fds.values():
                os.close(fd)
            if index < len(pids):
                run.pending[pids[index]] = "program"
                self._supervise(run)
                continue
            report = {"who": "supervisor", "error": f"{type(failure).__name__}: {failure}"}
            try:
                protocol.write_message(run.status_fd, report)
            except OSError:
                pass
            os.close(run.status_fd)
            os.close(run.kill_fd)

    def _start_reporting(self, request: object, named: dict[str, int]) -> None:
        """Start one run; a failure is reported on the run's status pipe (and its fds closed)."""
        try:
            self._start(request, named)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            report = {"who": "supervisor", "error": f"{type(exc).__name__}: {exc}"}
            if "status" in named:
                try:
                    protocol.write_message(named["status"], report)
                except OSError:
                    pass
            for name in ("status", "kill"):
                if name in named:
                    os.close(named[name])

    def _fork(self, body, *args: object) -> int:
        if self.mode == "namespaces":
            pid = isolation.fork_in_new_pid_namespace(self.own_pid_namespace)
        else:
            pid = os.fork()
        if pid == 0:
            worker.start_worker(body, *args)
        return pid

    def _start(self, request: object, fds: dict[str, int]) -> None:
        """Fork the workers of one run. Closes every fd but ``status`` and ``kill`` in all cases;
        on failure, kills what it already started (unsupervised workers must not live on)."""
        passed = [fd for name, fd in fds.items() if name not in ("status", "kill")]
        run = None
        started = False
        try:
            if not isinstance(request, dict):
                raise ValueError("the request is not a JSON object")
            if request["mode"] == "ready":
                # Only _start_ready_batch forks them: into the namespaces and scratch tmpfs that
                # it makes for them (a ready worker makes none itself).
                raise ValueError("ready workers need namespaces and come in batches")
            limits = request["limits"]
            workdir = ""
            if self.mode != "namespaces":
                # Without a private root, a uid other than nobody's could own files on the host.
                request["program_uid"] = request["checker_uid"] = NOBODY
                import tempfile  # basic mode only: the namespaces server keeps its memory small

                workdir = tempfile.mkdtemp(prefix="score-sandbox-")
                if os.geteuid() == 0:
                    os.chown(workdir, NOBODY, NOBODY)
            run = _Run(fds["status"], fds["kill"], float(limits["wall_time_s"]), workdir)
            if request["mode"] == "probes":
                program_fds = {name: fds[name] for name in ("program_job", "output", "result")}
            else:
                requests_read, requests_write = os.pipe()
                replies_read, replies_write = os.pipe()
                passed += [requests_read, requests_write, replies_read, replies_write]
                program_fds = {
                    "program_job": fds["program_job"],
                    "output": fds["output"],
                    "requests": requests_read,
                    "replies": replies_write,
                }
                checker_fds = {
                    "checker_job": fds["checker_job"],
                    "result": fds["result"],
                    "requests": requests_write,
                    "replies": replies_read,
                }
            if request["mode"] != "probes":
                request["cpu"] = self._pair_cpu(request)
            root = ROOT_DIR
            if self.mode == "namespaces":
                root, run.scratch = self._slot_root(request)
            pid = self._fork(worker.run_program, request, program_fds, self.mode, root, workdir)
            run.pending[pid] = "program"
            if request["mode"] != "probes":
                pid = self._fork(worker.run_checker, request, checker_fds, self.mode, ROOT_DIR)
                run.pending[pid] = "checker"
            started = True
        except BaseException:
            if run is not None:
                self._kill(run)  # reaped later as unknown children
                if run.workdir:
                    import shutil

                    shutil.rmtree(run.workdir, ignore_errors=True)
            raise
        finally:
            for fd in passed:
                os.close(fd)
            if started:
                self._supervise(run)

    def _pair_cpu(self, request: dict) -> int:
        """The one CPU that a checker run's two processes share (see ``worker.share_cpu``).

        Chosen by the run's slot among the CPUs the server keeps to (:meth:`_keep_to`), or
        among all of them, so that concurrent checker runs spread over the CPUs.
        """
        cpus = self.kept_to or self.cpus
        slot = max(0, int(request.get("slot", 0)))
        return cpus[slot % len(cpus)]

    def _keep_to(self, lane: object) -> None:
        """Keep this server, and the workers it forks from now on, to its lane's share of the
        CPUs it started with (:func:`cpu_share` of ``lane``, ``[index, lanes]``), or to all of
        them (``None``, or no even share), as the caller asks with each request (see
        ``Sandbox._lane_share``); a system call only when that changes. Speed only: a failure
        leaves the affinity as it was. Workers forked before a change keep the CPUs they had
        (at most a batch of ready workers)."""
        wanted = None
        if type(lane) is list and len(lane) == 2 and all(type(n) is int for n in lane):
            wanted = cpu_share(self.cpus, lane[0], lane[1])
        if wanted == self.kept_to:
            return
        try:
            os.sched_setaffinity(0, self.cpus if wanted is None else wanted)
        except OSError:
            return
        self.kept_to = wanted

    def _slot_root(self, request: dict) -> tuple[str, tuple[int, int]]:
        """The root of the run slot of ``request``'s program uid, with a scratch tmpfs of the
        run's size freshly mounted in it for this run; and which scratch that is (the slot's uid
        and the mount's serial), so that only that run's end retires it: a slot the caller gave
        back early (an exception on its side) may already hold another run's when the first run
        is reported over.

        A slot serves one run at a time (the parent gives a uid to one run in progress), and
        each run gets a tmpfs of its own, mounted over the last run's: nothing of a run -- a
        file, a time, an inode number, an extended attribute -- reaches the slot's later runs,
        and an fd to it that a run handed to another sees nothing of them. This replaces a
        mount namespace per run. When a run is over its scratch is sealed, or the whole slot
        root detached (:meth:`_retire_scratch`). Raises ``OSError`` if no fresh scratch can be
        mounted: the run is then not started.
        """
        uid = int(request["program_uid"])
        size_mb = int(request["limits"]["max_file_mb"])
        scratch = self.scratches.get(uid)
        if scratch is None:
            scratch = self.scratches[uid] = _Scratch(f"{SLOTS_DIR}/{uid}")
        if scratch.in_use or scratch.depth >= MAX_STACKED_SCRATCHES:
            # (in use: a run that never reached _finish, a failed start; the stack is full)
            self._detach(scratch)
        if scratch.depth < 0:
            isolation.make_slot_root(ROOT_DIR, scratch.root)
            scratch.depth = 0
        isolation.mount_scratch(scratch.root, uid, size_mb)
        scratch.depth += 1
        scratch.serial += 1
        scratch.in_use = True
        return scratch.root, (uid, scratch.serial)

    def _retire_scratch(self, token: tuple[int, int]) -> None:
        """When a run is over (every process of it gone), before it is reported over and its
        slot given to another run: seal its scratch if it left it empty -- the next run's is
        mounted over it -- else detach the slot root with every scratch in it, which frees
        their memory."""
        uid, serial = token
        scratch = self.scratches.get(uid)
        if scratch is None or not scratch.in_use or scratch.serial != serial:
            return
        scratch.in_use = False
        try:
            if not isolation.scratch_holds_anything(scratch.root):
                isolation.seal_scratch(scratch.root)
                return
        except OSError:
            pass  # (EBUSY: a file of it open for writing, through an fd another run holds)
        self._detach(scratch)

    @staticmethod
    def _detach(scratch: _Scratch) -> None:
        scratch.depth = -1  # made again at the slot's next run
        scratch.in_use = False
        try:
            isolation.detach_slot_root(scratch.root)
        except OSError:
            pass  # the next run's slot root is bound over it: that run still gets a fresh one

    def _supervise(self, run: _Run) -> None:
        if run.deadline < _NEVER:
            self.timed.add(run)
        for pid in run.pending:
            self.by_pid[pid] = run
            if worker.INHERITED["default_signals"]:
                # Readable once the process has ended (a zombie still has its pidfd); the
                # reaping below every poll then finds it. Closed when it is reaped.
                pidfd = os.pidfd_open(pid)
                self.pidfd_of[pid] = pidfd
                self.poller.register(pidfd, select.POLLIN)
        self.by_kill_fd[run.kill_fd] = run
        self.poller.register(run.kill_fd, select.POLLIN | select.POLLHUP)
        run.watching_kill = True

    def _kill(self, run: _Run) -> None:
        run.deadline = _NEVER  # nothing more to wait for but the reaping
        self.timed.discard(run)
        for pid in run.pending:  # not reaped yet, so the pid cannot have been reused
            run.signalled.add(pid)
            if self.mode != "namespaces":
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.kill(pid, signal.SIGKILL)  # PID 1 of its namespace: the whole namespace dies
            except OSError:
                pass

    def _reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            pidfd = self.pidfd_of.pop(pid, None)
            if pidfd is not None:
                self.poller.unregister(pidfd)
                os.close(pidfd)
            run = self.by_pid.pop(pid, None)
            if run is None:
                continue
            role = run.pending.pop(pid)
            run.ended[role] = {
                "status": status,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                # False: a SIGKILL came from the kernel (the CPU-time limit), not from us
                "killed_by_supervisor": pid in run.signalled,
            }
            if role == "checker" and run.pending:
                self._kill(run)  # the checker has its verdict: the program is not needed
            if not run.pending:
                self._finish(run)

    def _finish(self, run: _Run) -> None:
        if run.scratch is not None:
            self._retire_scratch(run.scratch)
        if run.workdir:
            import shutil  # basic mode only

            shutil.rmtree(run.workdir, onerror=_force_remove)
        report = {
            "who": "supervisor",
            "timed_out": run.timed_out,
            "killed": run.killed,
            **run.ended,
        }
        try:
            protocol.write_message(run.status_fd, report)
        except OSError:
            pass  # the parent is gone
        self.timed.discard(run)
        if run.kill_fd in self.by_kill_fd:
            del self.by_kill_fd[run.kill_fd]
        if run.watching_kill:
            # (a kill request already unregistered it: unregistering twice raised KeyError and
            # ended the server after every wall-clock kill of a ready worker's run)
            self.poller.unregister(run.kill_fd)
            run.watching_kill = False
        os.close(run.status_fd)
        os.close(run.kill_fd)


_NEVER = float("inf")


def cpu_share(cpus: list[int], index: int, lanes: int) -> list[int] | None:
    """The CPUs lane ``index`` of ``lanes`` keeps to while runs overlap: an equal share of
    ``cpus`` (every ``lanes``-th one), or one CPU for every ``lanes / len(cpus)`` lanes;
    ``None`` (all of them) when the lanes cannot share the CPUs out evenly, as an uneven share
    would leave some runs fewer CPUs than before.

    Example:
        >>> cpu_share([0, 1], 1, 2), cpu_share([0, 1, 2, 3], 1, 2), cpu_share([0, 1], 3, 4)
        ([1], [1, 3], [1])
        >>> cpu_share([0, 1, 2, 3, 4, 5], 0, 4) is None, cpu_share([0], 0, 2) is None
        (True, True)
    """
    count = len(cpus)
    if count < 2 or lanes < 2 or not 0 <= index < lanes:
        return None
    if count % lanes == 0:
        return cpus[index::lanes]
    if lanes % count == 0:
        return [cpus[index % count]]
    return None


def _wake_up(*_: object) -> None:
    """SIGCHLD handler (the wake-up fd does the work); a module function, not a lambda, so that a
    worker resetting the handler does not free it (freeing writes to shared pages)."""


def _force_remove(function: object, path: str, _excinfo: object) -> None:
    """rmtree error hook: a program may leave read-only directories; make them writable."""
    import shutil

    try:
        os.chmod(os.path.dirname(path), 0o700)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=_force_remove)
        else:
            os.unlink(path)
    except OSError:
        pass


def _become_namespace_init(control_fd: int) -> None:
    """As root: continue as PID 1 of a new PID namespace, so that our death ends every run.

    The process started by the parent forks the real server into the new namespace and waits
    for it; the server dies with that process (``PR_SET_PDEATHSIG``).
    """
    try:
        isolation.unshare(isolation.CLONE_NEWPID)
        pid = os.fork()
    except OSError:
        return  # no PID namespaces: the setup below falls back to basic mode
    if pid:
        os.close(control_fd)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
        os._exit(0)
    isolation.die_with_parent(signal.SIGKILL)


def main() -> None:
    """Entry point: ``argv = [-c, control fd, isolation, hidden dirs as JSON, pidfds|signals]``."""
    control_fd = int(sys.argv[1])
    requested = sys.argv[2]
    hidden_dirs = json.loads(sys.argv[3])
    use_pidfds = sys.argv[4:5] != ["signals"]
    if requested != "basic" and os.geteuid() == 0:
        _become_namespace_init(control_fd)
    control = socket.socket(fileno=control_fd)
    os.environ.clear()  # PYTHONHASHSEED was read at start-up; workers inherit an empty environment
    _preload()
    mode, reason, own_pid_namespace = _setup(requested, hidden_dirs)
    for speed_up in (_warm_up, gc.collect, _fill_pools):
        try:  # optional: the server serves correctly without them (only each fork costs more)
            speed_up()
        except Exception:  # e.g. a CPython whose private malloc statistics differ
            continue
    _seed()
    syscall_filter = _set_inherited(use_pidfds)
    # Said once everything is ready: the parent's start then includes the warm-up.
    hello = {
        "mode": mode,
        "reason": reason,
        "python": sys.version.split()[0],
        "syscall_filter": syscall_filter,
    }
    control.sendall(json.dumps(hello).encode())
    sys.argv[:] = [""]  # what a program finds there; the workers need not set it each time
    gc.freeze()  # a worker's garbage collections then never touch (and copy) the server's pages
    Server(control, mode, own_pid_namespace).serve()
