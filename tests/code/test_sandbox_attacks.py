"""Programs that try to cheat or escape must fail (or be killed), never pass, and leave nothing.

Every attack program below would return the hidden expected value if its trick worked, so "the
run did not pass" is exactly "the trick did not work". After each run the fork server must have
no process left (no survivor of the run) but the workers forked ahead of demand, still root and
waiting for their first job, and the caller must be unharmed.
"""

from __future__ import annotations

import os
import secrets
import socket
import textwrap
import time
from pathlib import Path

import pytest

from score_envs.code import Sandbox
from score_envs.code.sandbox.api import _SLOTS, MAX_READY_WORKERS, UID_BASE

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the attack suite checks namespaces isolation, which needs root"
)

EXPECTED = 987654321
TESTS = [f"assert answer(3) == {EXPECTED}"]
REPO = Path(__file__).resolve().parents[2]
SHORT = 0.25  # CPU limit 1 s, wall-clock cap 3 s


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(isolation="namespaces") as box:
        yield box


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _is_ready_worker(pid: int, server: int, ready_uids: set[str]) -> bool:
    """A program worker forked ahead of demand: a child of the server under the uid of a slot
    that a ready worker holds (a slot serves one run at a time, so no run's process has it), or
    still root while it sets itself up (a run's processes are all dead once it is reported on,
    and none of them can become root again)."""
    status = _status(pid)
    uid = status.get("Uid", "").split()[:1]
    return status.get("PPid") == str(server) and uid in [[u] for u in ready_uids | {"0"}]


def run_attack(sandbox, program, tests=TESTS, **kwargs):
    """Run ``program`` and check the aftermath: no process of the run left, parent unharmed."""
    report = sandbox.run_tests(textwrap.dedent(program), tests, **kwargs)
    # A run judged as soon as its pipes closed is killed at once, and reported on by the server
    # once every process of it is dead; wait for that report (bounded), then look.
    assert _SLOTS.settle(5.0), "the server did not report on a run judged early"
    bootstrap = sandbox._server._process.pid
    everything = _descendants(bootstrap)
    servers = {pid for pid in everything if _status(pid).get("PPid") == str(bootstrap)}
    assert len(servers) == 1, "only the fork server itself may remain"
    server = next(iter(servers))
    left = _descendants(server)
    ready_uids = {str(UID_BASE - 2 * worker.slot) for worker in sandbox._lanes[0].ready}
    ready = {pid for pid in left if _is_ready_worker(pid, server, ready_uids)}
    assert left - ready == set(), "a process of the run survived"
    assert len(ready) <= MAX_READY_WORKERS
    return report


def assert_not_passed(report, *statuses):
    assert not report.passed
    assert report.status != "passed"
    if statuses:
        assert report.status in statuses, report.detail


# --- early exits and fake output ------------------------------------------------------------


def test_sys_exit_at_import_fails(sandbox):
    report = run_attack(sandbox, "import sys\nsys.exit(0)\n")
    assert_not_passed(report, "error")


def test_os_exit_during_a_test_fails(sandbox):
    report = run_attack(sandbox, "import os\ndef answer(x):\n    os._exit(0)\n")
    assert_not_passed(report, "error")
    assert "exited before the tests finished" in report.detail


@pytest.mark.parametrize("exception", ["SystemExit(0)", "KeyboardInterrupt", "GeneratorExit"])
def test_base_exceptions_from_a_call_fail(sandbox, exception):
    report = run_attack(sandbox, f"def answer(x):\n    raise {exception}\n")
    assert_not_passed(report, "error")


def test_printing_a_fake_success_fails(sandbox):
    program = """
        import json, sys
        forged = json.dumps({"load": {"ok": True}, "results": [["ok", ["i", "3ade68b1"]]]})
        print("All tests passed! 1/1")
        print(forged)
        sys.stderr.write(forged)
        def answer(x):
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


def test_forging_a_results_message_on_every_fd_fails(sandbox):
    program = """
        import json, os
        def answer(x):
            message = json.dumps({"load": {"ok": True}, "results": [["ok", ["b", True]]]})
            frame = len(message).to_bytes(4, "big") + message.encode()
            for fd in range(3, 64):
                try:
                    os.write(fd, frame)
                except OSError:
                    pass
            os._exit(0)
    """
    assert_not_passed(run_attack(sandbox, program))


def test_forged_results_then_hanging_up_and_sleeping_is_judged_and_killed(sandbox):
    # Results and output pipes closed with one well-formed message in: the run is judged at once
    # (not at the wall-clock cap), on the forged values, and the sleeper is killed.
    program = """
        import json, os, time
        message = json.dumps({"load": {"ok": True}, "results": [["ok", ["i", "0"]]]})
        os.write(4, len(message).to_bytes(4, "big") + message.encode())
        for fd in (1, 2, 4):
            os.close(fd)
        time.sleep(60)
    """
    report = run_attack(sandbox, program, timeout_s=SHORT)
    assert_not_passed(report, "failed")
    assert report.duration_s < report.limits.wall_time_s


def test_a_run_that_hangs_up_and_goes_on_is_killed_while_the_caller_stays_idle(sandbox):
    # Judged early on its (right) results, the program keeps running as PID 1 of its namespace,
    # forking CPU-bound children that each die at the CPU limit; the caller makes no further
    # sandbox call, so nothing but the end of its last run may end this one.
    program = """
        import os, sys
        def answer(x):
            return 987654321
        def go_on():
            for fd in (4, 1, 2):
                os.close(fd)
            while True:
                if os.fork() == 0:
                    while True:
                        pass
                os.wait()
        sys.modules["score_envs.code.sandbox.worker"]._hang_up = go_on
    """
    honest = "def answer(x):\n    return 987654321\n"
    assert sandbox.run_tests(honest, TESTS, timeout_s=SHORT).passed  # a ready worker for SHORT
    report = sandbox.run_tests(textwrap.dedent(program), TESTS, timeout_s=SHORT)
    assert report.passed  # judged on its results, as any run
    bootstrap = sandbox._server._process.pid
    server = next(p for p in _descendants(bootstrap) if _status(p).get("PPid") == str(bootstrap))
    deadline = time.monotonic() + 3.0
    while True:  # no sandbox call in this loop: the caller is idle
        ready_uids = {str(UID_BASE - 2 * worker.slot) for worker in sandbox._lanes[0].ready}
        left = {
            pid for pid in _descendants(server) if not _is_ready_worker(pid, server, ready_uids)
        }
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == set(), "a process of the run outlived it while the caller was idle"


def test_garbage_on_the_results_pipe_fails(sandbox):
    program = """
        import os
        def answer(x):
            for fd in range(3, 64):
                try:
                    os.write(fd, b"\\xff" * 100)
                except OSError:
                    pass
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "error")


# --- rigging the comparison -----------------------------------------------------------------


def test_object_whose_eq_is_always_true_fails(sandbox):
    program = """
        class Anything:
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
            def __bool__(self):
                return True
        def answer(x):
            return Anything()
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


@pytest.mark.parametrize(
    "base, value", [("int", "5"), ("str", "'5'"), ("float", "5.0"), ("tuple", "(5,)")]
)
def test_builtin_subclass_with_rigged_eq_fails(sandbox, base, value):
    program = f"""
        class Rigged({base}):
            def __eq__(self, other):
                return True
            __hash__ = {base}.__hash__
        def answer(x):
            return Rigged({value})
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


@pytest.mark.parametrize(
    "test", ["assert answer(3).startswith('98765')", "assert answer(3).real == 987654321"]
)
def test_result_with_rigged_methods_fails(sandbox, test):
    program = """
        class Rigged:
            def startswith(self, prefix):
                return True
            real = 987654321
        def answer(x):
            return Rigged()
    """
    assert_not_passed(run_attack(sandbox, program, [test]))


def test_list_subclass_with_rigged_iteration_fails(sandbox):
    program = f"""
        class Rigged(list):
            def __iter__(self):
                return iter([{EXPECTED - 1} + 1])
            def __eq__(self, other):
                return True
        def answer(x):
            return Rigged([0])
    """
    tests = [f"assert list(answer(3)) == [{EXPECTED}]"]
    assert_not_passed(run_attack(sandbox, program, tests), "failed")


def test_patched_builtins_do_not_reach_the_parent_checks(sandbox):
    program = """
        import builtins
        builtins.abs = lambda value: 0
        builtins.sorted = lambda value: [0]
        builtins.AssertionError = type("Nothing", (Exception,), {})
        def answer(x):
            return 1
    """
    tests = [f"assert abs(answer(3) - {EXPECTED}) < 1", "assert sorted([answer(3)]) == [0]"]
    assert_not_passed(run_attack(sandbox, program, tests), "failed")


def test_patched_harness_and_json_fail(sandbox):
    program = """
        import json, sys
        for name, module in list(sys.modules.items()):
            if name.startswith("score_envs"):
                for attribute in ("encode", "write_message", "dumps", "run_probes"):
                    if hasattr(module, attribute):
                        setattr(module, attribute, lambda *a, **k: None)
                if hasattr(module, "Encoder"):
                    module.Encoder.encode = lambda self, value, depth=0: ["b", True]
        json.dumps = lambda *a, **k: '{"load": {"ok": true}, "results": [["ok", ["b", true]]]}'
        def answer(x):
            return 0
    """
    assert_not_passed(run_attack(sandbox, program))


def test_replacing_stdout_print_and_os_write_fails(sandbox):
    program = """
        import builtins, os, sys
        sys.stdout = sys.stderr = None
        builtins.print = lambda *a, **k: None
        os.write = lambda fd, data: len(data)
        def answer(x):
            return 0
    """
    assert_not_passed(run_attack(sandbox, program))


# --- looking for the expected value ----------------------------------------------------------

# The searching programs build the number they look for at run time inside their function (so
# that it is not a constant of their code) and skip their own frame and key.


def test_frame_walking_finds_no_expected_value(sandbox):
    program = f"""
        import sys
        def answer(x):
            key = int("{str(EXPECTED)[:-1]}" + str({str(EXPECTED)[-1]}))  # no constant folding
            frame = sys._getframe().f_back
            while frame is not None:
                for scope in (frame.f_locals, frame.f_globals):
                    for value in list(scope.values()):
                        if value == key or str(key) in repr(value)[:100000]:
                            return key
                frame = frame.f_back
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


def test_memory_scan_finds_no_expected_value(sandbox):
    program = f"""
        import gc
        def answer(x):
            key = int("{str(EXPECTED)[:-1]}" + str({str(EXPECTED)[-1]}))  # no constant folding
            text = str(key)
            for obj in gc.get_objects():
                if obj is locals():
                    continue
                try:
                    items = list(obj.values()) if isinstance(obj, dict) else list(obj)
                except Exception:
                    continue
                for item in items:
                    if item is key or item is text:
                        continue
                    if type(item) is int and item == key:
                        return key
                    if type(item) is str and text in item:
                        return key
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


def test_reading_the_parents_files_fails(sandbox):
    program = f"""
        import os
        def answer(x):
            for path in ({__file__!r}, "/proc/1/cmdline", f"/proc/{{os.getppid()}}/environ",
                         "/root/.bash_history", "/etc/passwd", {str(REPO / "pyproject.toml")!r}):
                try:
                    with open(path) as handle:
                        text = handle.read()
                except OSError:
                    continue
                return int(text.split("EXPECTED = ")[1].split()[0]) if "EXPECTED" in text else 1
            return 0
    """
    report = run_attack(sandbox, program)
    assert_not_passed(report, "failed")
    assert "returned 0" in report.detail, "no file of the host could be read"


def test_reading_the_dataset_in_site_packages_fails(sandbox):
    program = """
        import glob, sys
        def answer(x):
            found = []
            for directory in sys.path + ["/root", "/usr/local/lib", "/usr/lib/python3"]:
                found += glob.glob(directory + "/**/HumanEval.jsonl.gz", recursive=True)
                for name in ("site-packages", "dist-packages"):
                    found += glob.glob(f"{directory}/{name}/*")
                    found += glob.glob(f"{directory}/*/{name}/*")
            return len(found)
    """
    report = run_attack(sandbox, program)
    assert "returned 0" in report.detail


# --- resources -------------------------------------------------------------------------------


def test_fork_bomb_is_contained(sandbox):
    program = """
        import os
        def answer(x):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """
    assert_not_passed(run_attack(sandbox, program, timeout_s=SHORT), "timeout")


def test_setsid_grandchild_does_not_survive(sandbox):
    program = """
        import os, time
        def answer(x):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(60)
                os._exit(0)
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


def test_sleeping_forever_times_out(sandbox):
    program = "import time\ndef answer(x):\n    time.sleep(600)\n"
    report = run_attack(sandbox, program, timeout_s=SHORT)
    assert_not_passed(report, "timeout")


def test_busy_loop_times_out(sandbox):
    report = run_attack(sandbox, "def answer(x):\n    while True:\n        pass\n", timeout_s=SHORT)
    assert_not_passed(report, "timeout")


def test_raising_own_limits_fails(sandbox):
    program = """
        import resource
        def answer(x):
            for limit in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_NPROC):
                try:
                    resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                    return 0
                except (ValueError, OSError):
                    pass
            while True:
                pass
    """
    assert_not_passed(run_attack(sandbox, program, timeout_s=SHORT), "timeout")


def test_unbounded_allocation_is_memory(sandbox):
    program = (
        "def answer(x):\n    hoard = []\n    while True:\n        hoard.append(bytes(10**7))\n"
    )
    assert_not_passed(run_attack(sandbox, program, memory_mb=128), "memory")


def test_stdout_flood_is_output_limit(sandbox):
    program = "import os\ndef answer(x):\n    while True:\n        os.write(1, b'x' * 65536)\n"
    assert_not_passed(run_attack(sandbox, program), "output_limit")


def test_huge_result_fails(sandbox):
    assert_not_passed(run_attack(sandbox, "def answer(x):\n    return list(range(10**6))\n"))


# --- the host --------------------------------------------------------------------------------


def test_writes_outside_the_working_directory_fail(sandbox):
    token = secrets.token_hex(8)
    targets = [f"/tmp/../pwned-{token}", str(REPO / f"pwned-{token}"), f"/usr/pwned-{token}"]
    program = f"""
        def answer(x):
            for path in {targets!r}:
                try:
                    with open(path, "w") as handle:
                        handle.write("pwned")
                    return {EXPECTED}
                except OSError:
                    pass
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")
    leftovers = [Path(f"/tmp/pwned-{token}"), REPO / f"pwned-{token}", Path(f"/pwned-{token}")]
    assert not any(path.exists() for path in leftovers)


def test_files_written_in_the_working_directory_vanish(sandbox):
    token = secrets.token_hex(8)
    program = f"""
        import os
        def answer(x):
            with open("note-{token}", "w") as handle:
                handle.write("x")
            return os.getcwd()
    """
    report = run_attack(sandbox, program)
    assert_not_passed(report, "failed")
    # os.walk skips what vanishes under it: other processes may be using /tmp meanwhile
    # (Path.glob raised on such a race once).
    assert not [root for root, _, files in os.walk("/tmp") if f"note-{token}" in files]


_DIRTY_THE_SCRATCH = """
    import os, socket
    def answer(x):
        for _ in range(100):  # files without a name: only the inode counter moves
            os.close(os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600))
        os.listdir(".")  # would set the directory's access time (relatime)
        os.makedirs("sub/deeper", exist_ok=True)
        with open("sub/deeper/left-behind", "w") as handle:
            handle.write("x" * 5000)
        os.mkfifo("a-fifo")
        socket.socket(socket.AF_UNIX).bind("a-socket")
        os.setxattr(".", "user.note", b"left behind")
        os.chmod(".", 0o500)
        raise RuntimeError(f"uid={os.getuid()}")
"""

_LOOK_AT_THE_SCRATCH = """
    import os
    def answer(x):
        before = os.stat(".")
        entries = sorted(os.listdir("."))
        after = os.stat(".")  # noatime: listing changed nothing; fresh: times as made
        untouched = after.st_atime_ns == before.st_atime_ns == before.st_mtime_ns
        try:
            with open("probe", "w") as handle:
                handle.write("x")
            os.unlink("probe")
            writable = True
        except OSError:
            writable = False
        probe = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600)
        inode = os.fstat(probe).st_ino  # the same in a fresh tmpfs, whatever came before
        os.close(probe)
        state = [entries, oct(after.st_mode), os.listxattr("."), writable, inode, untouched]
        raise RuntimeError(f"uid={os.getuid()} state={state}")
"""


def _raised(report) -> str:
    """What the program's ``RuntimeError`` said (the programs above report through it)."""
    assert "raised RuntimeError: " in report.detail, report.detail
    return report.detail.split("raised RuntimeError: ", 1)[1].split(" (line ", 1)[0]


def test_nothing_a_run_leaves_in_its_working_directory_reaches_a_later_run(sandbox):
    # Every run gets a scratch tmpfs of its own, even on a slot whose root is kept from run to
    # run: files, directories, a fifo, a socket, an extended attribute, a changed mode, the
    # inode counter (files with no name), the access time -- later runs, the same slot's next
    # one among them, each find the same empty, writable, fresh one. (A review found the inode
    # counter and the access time carrying a stage-2 argument to a later run when the scratch
    # was kept across runs that looked clean.)
    seen = [_raised(run_attack(sandbox, _LOOK_AT_THE_SCRATCH, ["assert answer(0) == 1"]))]
    fresh = seen[0].split(" ", 1)[1]
    assert fresh.startswith("state=[[], '0o40700', [], True, ") and fresh.endswith(", True]")
    dirty = run_attack(sandbox, _DIRTY_THE_SCRATCH, ["assert answer(0) == 1"])
    dirty_uid = _raised(dirty)
    assert dirty_uid.startswith("uid=")
    for _ in range(3 * MAX_READY_WORKERS):
        seen.append(_raised(run_attack(sandbox, _LOOK_AT_THE_SCRATCH, ["assert answer(0) == 1"])))
    assert all(line.endswith(fresh) for line in seen), seen
    assert f"{dirty_uid} {fresh}" in seen, "the dirtied slot never served another run"


def test_no_slot_scratch_keeps_anything_after_its_run(sandbox):
    # White box, as root on the host: the fork server's slot roots, through its /proc root.
    # A run that left something in its scratch has its slot root detached when it is over
    # (every scratch in it freed); an empty one is sealed read-only under the next run's; a
    # slot held by a worker forked ahead has a fresh one mounted for its next run.
    dirty = run_attack(sandbox, _DIRTY_THE_SCRATCH, ["assert answer(0) == 1"])
    dirty_uid = _raised(dirty).removeprefix("uid=")
    bootstrap = sandbox._server._process.pid
    server = next(
        pid for pid in _descendants(bootstrap) if _status(pid).get("PPid") == str(bootstrap)
    )
    slots = Path(f"/proc/{server}/root/tmp/score-sandbox-slots")
    mounted = [path / "sandbox" for path in slots.iterdir() if (path / "sandbox").exists()]
    assert mounted
    for scratch in mounted:
        assert list(scratch.iterdir()) == [], scratch
        assert os.listxattr(scratch) == []
    ready_uids = {str(UID_BASE - 2 * worker.slot) for worker in sandbox._lanes[0].ready}
    if dirty_uid not in ready_uids:  # (else a fresh scratch is already there for its next run)
        assert not (slots / dirty_uid / "sandbox").exists(), "the dirty slot was not detached"


def test_killing_the_parent_fails_and_the_parent_survives(sandbox):
    program = """
        import os, signal
        def answer(x):
            for pid in (os.getppid(), 1, -1, 0):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")
    assert sandbox.run_tests(f"def answer(x):\n    return {EXPECTED}\n", TESTS).passed


def test_network_connection_to_loopback_is_refused(sandbox):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        program = f"""
            import socket
            def answer(x):
                try:
                    socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
                    return {EXPECTED}
                except OSError:
                    return 0
        """
        assert_not_passed(run_attack(sandbox, program), "failed")
        with pytest.raises(socket.timeout):
            listener.accept()


def test_privilege_escalation_attempts_fail(sandbox):
    program = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def answer(x):
            attempts = [
                lambda: os.setuid(0),
                lambda: os.chroot("/usr"),
                lambda: libc.unshare(0x10000000) == 0 or 1 / 0,  # a new user namespace
                lambda: libc.mount(b"none", b"/sandbox", b"tmpfs", 0, None) == 0 or 1 / 0,
            ]
            for attempt in attempts:
                try:
                    attempt()
                    return {EXPECTED}
                except Exception:
                    pass
            return 0
    """
    assert_not_passed(run_attack(sandbox, program), "failed")


def test_ctypes_memory_poking_cannot_pass(sandbox):
    program = """
        import ctypes
        def answer(x):
            ctypes.memset(id(0), 0, 64)  # wreck the interpreter's small ints
            return ctypes.string_at(1, 1)  # and read address 1: a crash
    """
    assert_not_passed(run_attack(sandbox, program))


# --- tests run by the checker process ---------------------------------------------------------

LOOP_TESTS = (  # a value from the program in a variable: only the checker runs this
    "def check(candidate):\n"
    "    for i in range(3):\n"
    f"        expected = {EXPECTED} + i\n"
    "        result = candidate(i)\n"
    "        assert result == expected\n"
)


def test_replaying_the_checkers_random_draws_fails(sandbox):
    # HumanEval/50's shape: random strings x, then candidate(encode(x)) == x. A program that
    # ignores its input and replays the checker's draws would pass if both processes started
    # from the same random state.
    tests = (
        "def encode_shift(s):\n"
        "    return ''.join(chr((ord(c) + 5 - 97) % 26 + 97) for c in s)\n"
        "def check(candidate):\n"
        "    from random import randint, choice\n"
        "    import string\n"
        "    for _ in range(20):\n"
        "        text = ''.join(choice(string.ascii_lowercase) for i in range(randint(10, 20)))\n"
        "        assert candidate(encode_shift(text)) == text\n"
    )
    program = """
        import string
        from random import randint, choice
        def decode_shift(s):
            return ''.join(choice(string.ascii_lowercase) for i in range(randint(10, 20)))
    """
    for _ in range(3):
        report = run_attack(sandbox, program, tests, entry_point="decode_shift")
        assert_not_passed(report, "failed")


def test_checker_frames_are_out_of_reach(sandbox):
    program = """
        import sys
        def answer(i):
            frame = sys._getframe()
            while frame is not None:
                if "expected" in frame.f_locals:
                    return frame.f_locals["expected"]
                frame = frame.f_back
            return 0
    """
    report = run_attack(sandbox, program, LOOP_TESTS, entry_point="answer")
    assert_not_passed(report, "failed")


def test_checker_cannot_be_made_to_swallow_an_exit(sandbox):
    tests = (
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(1)\n"
        "    except Exception:\n"
        "        pass\n"
        "    assert True is not False\n"
    )
    report = run_attack(
        sandbox, "def answer(i):\n    raise SystemExit(0)\n", tests, entry_point="answer"
    )
    assert_not_passed(report, "error")


def test_checker_program_process_exit_fails(sandbox):
    report = run_attack(
        sandbox, "import os\ndef answer(i):\n    os._exit(0)\n", LOOP_TESTS, entry_point="answer"
    )
    assert_not_passed(report, "error")


def test_checker_always_equal_object_fails(sandbox):
    program = "class A:\n    __eq__ = lambda self, other: True\n\ndef answer(i):\n    return A()\n"
    report = run_attack(sandbox, program, LOOP_TESTS, entry_point="answer")
    assert_not_passed(report, "failed")


def test_trusted_helpers_stop_a_program_helper_from_seeing_the_answer(sandbox):
    helpers = "def encode(s):\n    return s[::-1]\n\ndef decode(s):\n    pass\n"
    tests = (
        "def check(candidate):\n"
        "    import random\n"
        "    for _ in range(5):\n"
        "        word = ''.join(random.choice('abcdef') for _ in range(12))\n"
        "        assert candidate(encode(word)) == word\n"
    )
    stash = (
        "SEEN = []\n"
        "def encode(s):\n    SEEN.append(s)\n    return s[::-1]\n"
        "def decode(s):\n    return SEEN[-1] if SEEN else ''\n"
    )
    report = run_attack(sandbox, stash, tests, entry_point="decode", helpers=helpers)
    assert_not_passed(report)
    honest = "def decode(s):\n    return s[::-1]\n"
    assert sandbox.run_tests(honest, tests, entry_point="decode", helpers=helpers).passed


# --- reading the calls still to come ---------------------------------------------------------

# Round-trip tests: the expected value of encode(plain) is the argument of a later decode().
ROUND_TRIP_CHECK = (
    "def check(candidate):\n"
    "    for plain, cipher in [('attack', 'dwwdfn'), ('zebra', 'cheud')]:\n"
    "        assert candidate(plain) == cipher\n"
    "        assert decode(cipher) == plain\n"
)
ROUND_TRIP_ITEMS = [
    "assert encode('attack') == 'dwwdfn'",
    "assert decode('dwwdfn') == 'attack'",
    "assert encode('zebra') == 'cheud'",
    "assert decode('cheud') == 'zebra'",
]
PEEK_AT_LATER_CALLS = """
import ast, sys

def _arguments_of_all_calls():
    # The harness's frame holds the job: every call the tests make, sent at once.
    frame = sys._getframe()
    while frame is not None:
        job = frame.f_locals.get("job")
        if isinstance(job, dict) and "probes" in job:
            return [ast.literal_eval(call[call.index("(") + 1 : -1]) for call in job["probes"]]
        frame = frame.f_back
    return []

_encoded = 0
_decoded = 0

def encode(plain):
    global _encoded
    arguments = _arguments_of_all_calls()
    _encoded += 1
    return arguments[4 * _encoded - 3]  # the cipher the next decode() is called with

def decode(cipher):
    global _decoded
    arguments = _arguments_of_all_calls()
    _decoded += 1
    return arguments[4 * _decoded - 4]  # the plain text encode() was called with
"""
HONEST_CAESAR = """
def encode(text):
    return "".join(chr((ord(c) - 97 + 3) % 26 + 97) for c in text)

def decode(text):
    return "".join(chr((ord(c) - 97 - 3) % 26 + 97) for c in text)
"""


@pytest.mark.parametrize("tests", [ROUND_TRIP_CHECK, ROUND_TRIP_ITEMS])
def test_program_reading_later_calls_cannot_answer_with_their_arguments(sandbox, tests):
    report = run_attack(sandbox, PEEK_AT_LATER_CALLS, tests, entry_point="encode")
    assert_not_passed(report)
    assert sandbox.run_tests(HONEST_CAESAR, tests, entry_point="encode").passed


def test_a_run_with_another_file_size_limit_gets_a_scratch_of_that_size(sandbox):
    # The scratch tmpfs is as large as the run's file-size limit; a slot's scratch made for one
    # size is made again for a run with another (limits other than the defaults come only from
    # inside the package, hence the internal call).
    import dataclasses

    from score_envs.code.sandbox import testplan, verdict
    from score_envs.code.sandbox.limits import Limits

    program = (
        "import os\ndef answer(x):\n    v = os.statvfs('.')\n    return v.f_blocks * v.f_frsize\n"
    )
    sizes = []
    for max_file_mb in (2, 16, 3):
        limits = dataclasses.replace(Limits.from_budget(5.0, 512), max_file_mb=max_file_mb)
        plan = testplan.make_plan([f"assert answer(0) == {max_file_mb << 20}"], None)
        for _ in range(MAX_READY_WORKERS + 1):  # past the workers forked for the last limits
            output, *_ = sandbox._run(program, None, plan, limits)
            sizes.append((max_file_mb, verdict.judge(plan, limits, output).status))
        assert _SLOTS.settle(5.0)
    assert all(status == "passed" for _, status in sizes), sizes


def test_kernel_keyrings_are_refused_to_every_run(sandbox):
    # The kernel keeps a keyring per uid that outlives every process: a run could leave data
    # there for the next run of its uid slot (a review carried a stage-2 argument that way).
    from score_envs.code.sandbox import isolation

    machine = os.uname().machine
    if machine not in isolation.SYSCALLS:
        pytest.skip(f"no syscall filter for {machine}")
    add_key, request_key, keyctl = isolation.SYSCALLS[machine].keyrings
    program = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def answer(x):
            outcomes = []
            for call in (
                lambda: libc.syscall({add_key}, b"user", b"note", b"left", 4, -4),
                lambda: libc.syscall({request_key}, b"user", b"note", None, -4),
                lambda: libc.syscall({keyctl}, 0, -4, 0),
            ):
                ctypes.set_errno(0)
                outcomes.append((call(), ctypes.get_errno()))
            raise RuntimeError(f"outcomes={{outcomes}}")
    """
    report = run_attack(sandbox, program, ["assert answer(0) == 1"])
    assert _raised(report) == "outcomes=[(-1, 1), (-1, 1), (-1, 1)]"  # EPERM, each
    assert sandbox.info()["syscall_filter"].endswith("refused (seccomp)")


def test_only_local_and_ip_sockets_can_be_made(sandbox):
    # An AF_VSOCK socket is not confined by the network namespace: it reaches the hypervisor and
    # holds ports of the whole machine (a review bound one the host then could not).
    from score_envs.code.sandbox import isolation

    if os.uname().machine not in isolation.SYSCALLS:
        pytest.skip(f"no syscall filter for {os.uname().machine}")
    program = """
        import socket
        def answer(x):
            outcomes = []
            for family in (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, 40, 38):
                try:
                    socket.socket(family, socket.SOCK_STREAM if family != 38 else 5).close()
                    outcomes.append("ok")
                except OSError as exc:
                    outcomes.append(exc.strerror)
            a, b = socket.socketpair()
            outcomes.append("pair")
            raise RuntimeError(f"outcomes={outcomes}")
    """
    report = run_attack(sandbox, program, ["assert answer(0) == 1"])
    unsupported = "Address family not supported by protocol"
    assert _raised(report) == f"outcomes={['ok', 'ok', 'ok', unsupported, unsupported, 'pair']}"


def test_devices_work_but_their_times_cannot_be_set(sandbox):
    # The devices are read-only binds: writing to them works, changing their inode does not (a
    # review carried a byte from run to run, and to the host, in the times of /dev/zero).
    program = """
        import os
        def answer(x):
            with open("/dev/null", "w") as sink:
                sink.write("discarded")
            with open("/dev/zero", "rb") as source:
                zeros = source.read(4)
            try:
                os.utime("/dev/zero")
                touched = "set"
            except OSError as exc:
                touched = exc.strerror
            raise RuntimeError(f"zeros={zeros!r} touched={touched}")
    """
    report = run_attack(sandbox, program, ["assert answer(0) == 1"])
    assert _raised(report) == r"zeros=b'\x00\x00\x00\x00' touched=Read-only file system"


def test_directory_fds_from_another_run_lead_nowhere_and_change_nothing(sandbox):
    # Concurrent runs of one server share its network namespace, so one can pass another fds to
    # its root and working directory over an abstract Unix socket. Walking ".." from the root
    # must not reach the host: the slot roots sit in a directory only root may enter. (With a
    # mount namespace per run, which the slot roots replaced, a review walked from such an fd
    # to the host's root.) And once the giver's run is over, its scratch is sealed or gone: the
    # taker can write nothing there for a later run to find.
    program = f"""
        import os, socket, time
        NAME = b"\\0score-envs-test-{secrets.token_hex(6)}"
        def walk(fd):
            seen = []
            for _ in range(6):
                try:
                    fd = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                    seen.append(sorted(os.listdir(fd)))
                except OSError as exc:
                    seen.append(exc.strerror)
                    break
            return seen
        def answer(x):
            server = socket.socket(socket.AF_UNIX)
            try:
                server.bind(NAME)
            except OSError:  # the other run has it: take its fds
                client = socket.socket(socket.AF_UNIX)
                client.connect(NAME)
                _, (root, scratch), _, _ = socket.recv_fds(client, 1, 2)
                time.sleep(0.5)  # the giver's run is over by now
                try:
                    os.close(os.open("left", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=scratch))
                    wrote = "yes"
                except OSError as exc:
                    wrote = exc.strerror
                raise RuntimeError(f"taker saw={{walk(root)}} wrote={{wrote}}")
            server.listen(1)
            server.settimeout(5)
            connection, _ = server.accept()
            os.chmod(".", 0o777)  # the taker, under another uid, may write in it now
            fds = [os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in ("/", ".")]
            socket.send_fds(connection, [b"x"], fds)
            raise RuntimeError("giver")
    """
    jobs = [{"program": textwrap.dedent(program), "tests": ["assert answer(0) == 1"]}] * 2
    with Sandbox(isolation="namespaces", servers=1) as one_server:  # one network namespace
        reports = one_server.run_many(jobs, workers=2)
    said = sorted(_raised(report) for report in reports)
    assert said == ["giver", "taker saw=['Permission denied'] wrote=Read-only file system"]
