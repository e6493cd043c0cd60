"""Parent side of the fork server: start it, ask it to fork runs, restart it when it is gone.

Thread-safe: one lock guards the short request/acknowledge exchange; the runs themselves proceed
in parallel. Fork-safe: a process forked from the parent (multiprocessing, Ray) notices that the
server belongs to its parent and starts its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import weakref
from pathlib import Path

BOOTSTRAP = """\
import json, sys, traceback, types
sys.path[:] = [p for p in sys.path if p]
root = sys.argv.pop(1)
for name in ("score_envs", "score_envs.code"):
    stub = types.ModuleType(name)
    stub.__path__ = [root + "/" + name.replace(".", "/")]
    sys.modules[name] = stub
try:
    from score_envs.code.sandbox.zygote import main
    main()
except BaseException:
    traceback.print_exc()
    import socket
    control = socket.socket(fileno=int(sys.argv[1]))
    control.sendall(json.dumps({"error": traceback.format_exc()[-2000:]}).encode())
"""
"""Runs the server without executing ``score_envs/__init__.py`` (no gymnasium/numpy/sympy)."""

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
START_TIMEOUT_S = 60.0
USE_PIDFDS = True
"""The server watches its workers through pidfds where the kernel has them (Linux 5.3+); False
makes servers started afterwards use their SIGCHLD fallback instead (to test that path)."""
_INSTANCES: weakref.WeakSet[ForkServer] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for server in list(_INSTANCES):
        server._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class SandboxError(RuntimeError):
    """The sandbox itself failed (could not start, or its server stopped answering)."""


def _hidden_dirs() -> list[str]:
    """The parent's site-packages: hidden from programs even if a bind would expose them."""
    try:
        import site

        dirs = list(site.getsitepackages())
        user = site.getusersitepackages()
        if isinstance(user, str):
            dirs.append(user)
        return dirs
    except (ImportError, AttributeError):
        return []


def start_all(servers: list[ForkServer]) -> None:
    """Start every server of ``servers`` that is not running, side by side: a start is mostly a
    new interpreter importing and warming up, so two take about as long as one on two CPUs."""
    idle = [server for server in servers if server._control is None]
    if len(idle) <= 1:
        for server in idle:
            server.start()
        return
    errors: list[BaseException] = []

    def start(server: ForkServer) -> None:
        try:
            server.start()
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(server,), daemon=True) for server in idle[1:]]
    for thread in threads:
        thread.start()
    start(idle[0])
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class ForkServer:
    """A lazily started fork server process.

    Args:
        isolation: ``auto`` (namespaces when possible), ``namespaces`` (required; the start fails
            without them) or ``basic``.
    """

    def __init__(self, isolation: str = "auto") -> None:
        if isolation not in ("auto", "namespaces", "basic"):
            raise ValueError(f"isolation must be auto, namespaces or basic, got {isolation!r}")
        self.isolation = isolation
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self.generation = 0
        self.mode = ""
        self.reason = ""
        self.python = ""
        self.syscall_filter = ""
        _INSTANCES.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked copy of the parent: drop (without stopping) the parent's server."""
        self._lock = threading.Lock()  # it may have been held by another thread at fork time
        if self._control is not None:
            self._control.close()  # our copy only; the parent's stays open
        self._control = None
        self._process = None

    def _ensure_started(self) -> None:
        if self._control is None:
            self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [
            sys.executable,
            "-S",
            "-s",
            "-B",
            "-X",
            "utf8",
            "-c",
            BOOTSTRAP,
            PACKAGE_ROOT,
            str(theirs.fileno()),
            self.isolation,
            json.dumps(_hidden_dirs()),
            "pidfds" if USE_PIDFDS else "signals",
        ]
        try:
            process = subprocess.Popen(
                command,
                pass_fds=[theirs.fileno()],
                env={"PYTHONHASHSEED": "0", "LD_BIND_NOW": "1"},
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            theirs.close()
        ours.settimeout(START_TIMEOUT_S)
        try:
            hello = json.loads(ours.recv(1 << 16) or b"{}")
        except (OSError, ValueError):
            hello = {}
        ours.settimeout(None)
        if "mode" not in hello:
            ours.close()
            process.kill()
            process.wait()
            raise SandboxError(f"the sandbox server did not start: {hello.get('error', '')}")
        if self.isolation == "namespaces" and hello["mode"] != "namespaces":
            ours.close()
            process.kill()
            process.wait()
            raise SandboxError(f"namespaces were required but are unavailable: {hello['reason']}")
        self._process = process
        self._control = ours
        self.generation += 1
        self.mode = hello["mode"]
        self.reason = hello["reason"]
        self.python = hello["python"]
        self.syscall_filter = hello.get("syscall_filter", "")

    @property
    def running_generation(self) -> int:
        """The generation of the server in use, or -1 once it is stopped (its workers are gone)."""
        return self.generation if self._control is not None else -1

    def start(self) -> None:
        """Start the server now (it otherwise starts with the first run)."""
        with self._lock:
            self._ensure_started()

    def fork_run(self, request: dict, fds: list[int]) -> int:
        """Ask the server to start one run, handing it ``fds``; returns the server's generation.

        There is no acknowledgement: the server reports on the run's status pipe, failures
        included, and a dead server shows as a status pipe closed without a report.
        """
        message = json.dumps(request).encode()
        with self._lock:
            for attempt in range(2):
                self._ensure_started()
                control = self._control
                if control is None:
                    raise SandboxError("the sandbox server is not running")
                try:
                    socket.send_fds(control, [message], fds)
                    return self.generation
                except OSError as exc:
                    if attempt:
                        raise SandboxError(f"the sandbox server is unreachable: {exc}") from exc
                    self._stop()  # the server is gone: start a fresh one and try once more
        raise AssertionError("unreachable")  # pragma: no cover

    def restart(self, generation: int | None = None) -> None:
        """Stop the server (killing its runs); the next run starts a new one.

        With ``generation``, only if the server is still that one: when several threads lose
        their runs to the same dead server, only the first restarts it.
        """
        with self._lock:
            if generation is None or generation == self.generation:
                self._stop()

    def _stop(self) -> None:
        control, process = self._control, self._process
        self._control = None
        self._process = None
        if control is not None:
            control.close()
        if process is not None:
            try:
                process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, 9)
                except OSError:
                    process.kill()
                process.wait()

    def close(self) -> None:
        """Stop the server; runs in progress are killed."""
        with self._lock:
            self._stop()
