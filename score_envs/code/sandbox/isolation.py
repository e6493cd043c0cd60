"""Operating-system isolation of a run: namespaces, a read-only root, limits, an unprivileged uid.

Used only by the fork server and the processes it forks (Linux). Two levels:

- ``namespaces`` (root): each run gets a new PID namespace, of which its program is PID 1; all
  runs share the fork server's network namespace (no interface up), IPC namespace (System V IPC
  and message queues disabled), UTS namespace and mount namespace. Its processes are chrooted in
  their run slot's view of a root built once by the fork server (read-only binds of ``/usr``, the
  library directories and the Python standard library, with every ``site-packages`` /
  ``dist-packages`` hidden; no ``/proc``), with a scratch ``tmpfs`` mounted for the run alone
  as working directory (one run at a time per slot). They drop to their slot's unprivileged
  uid/gid after setting their limits. When the run's first process (PID 1 of its namespace)
  ends, the kernel kills every process left in it.
- ``basic`` (not root, or namespaces unavailable): rlimits, a new session, a temporary working
  directory, no fork at all (``RLIMIT_NPROC`` of 1), and an unprivileged uid when running as root.
  No network or file-system isolation; see ``docs/sandbox.md``.

``ctypes`` reaches ``mount``/``prctl`` (and ``unshare``/``setns`` before Python 3.12, which added
``os.unshare``/``os.setns``), as this package supports Python 3.10.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import stat
from typing import NamedTuple

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SERVER_NAMESPACES = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
"""Unshared once by the fork server: no network interface (not even loopback is up), System V
IPC and POSIX message queues disabled (see :func:`disable_ipc`), a neutral host name."""

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_NOATIME = 0x400
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

SANDBOX_DIR = "/sandbox"
"""The working directory of a program, inside its slot's root: a scratch tmpfs mounted for its
run alone (see :func:`mount_scratch`)."""

_DEVICES = ("null", "zero", "full", "random", "urandom")
_SYSTEM_TREES = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
_SITE_PATTERNS = (
    "site-packages",
    "dist-packages",
    "lib/python3*/site-packages",
    "lib/python3*/dist-packages",
    "lib/python3/dist-packages",
    "lib64/python3*/site-packages",
    "local/lib/python3*/site-packages",
    "local/lib/python3*/dist-packages",
)

_libc = None


class IsolationError(OSError):
    """A namespace, mount or privilege operation failed."""


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mount.argtypes = (
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        )
        lib.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
        lib.unshare.argtypes = (ctypes.c_int,)
        lib.setns.argtypes = (ctypes.c_int, ctypes.c_int)
        lib.prctl.argtypes = (ctypes.c_int, *(ctypes.c_ulong,) * 4)
        _libc = lib
    return _libc


_fast_libc = None


def _fast() -> ctypes.CDLL:
    """libc without ``errno`` capture or argument types, for the fork server's per-run calls.

    Right after a fork every page the server writes is a copy while the child shares it, and
    the full ``ctypes`` path (type conversions, the saved ``errno``) touches about 10 more pages
    per call than this one (measured after a fork: 45 -> 21 us per ``setns``). Arguments must be
    ``int`` (below 2**31), ``bytes`` or ``None``. On failure the call is made again through
    :func:`_lib`, only to learn ``errno`` for the message.
    """
    global _fast_libc
    if _fast_libc is None:
        _fast_libc = ctypes.CDLL(None, use_errno=False)
    return _fast_libc


def _call(name: str, *args: int | bytes | None, what: str = "") -> None:
    """``name(*args)`` in libc through :func:`_fast`; ``IsolationError`` (``what`` failed) on
    failure."""
    if getattr(_fast(), name)(*args) != 0:
        _check(getattr(_lib(), name)(*args), what or name)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what}: {os.strerror(errno)}")


_OS_UNSHARE = getattr(os, "unshare", None)
_OS_SETNS = getattr(os, "setns", None)
"""Python 3.12+: no ctypes on the per-run path. Looked up once: ``hasattr`` on a module that
lacks the name raises and catches an AttributeError, measured as 8 page copies per fork."""


def unshare(flags: int) -> None:
    """``unshare(2)``: move the caller (and, for PID, its future children) to new namespaces."""
    if _OS_UNSHARE is not None:
        _OS_UNSHARE(flags)
        return
    _call("unshare", flags)


def setns(fd: int, nstype: int) -> None:
    """``setns(2)``: join the namespace ``fd`` refers to (for PID: the caller's future children)."""
    if _OS_SETNS is not None:
        _OS_SETNS(fd, nstype)
        return
    _call("setns", fd, nstype)


def fork_in_new_pid_namespace(own_pid_namespace_fd: int) -> int:
    """``fork()`` a child that is PID 1 of a new PID namespace; the caller's later children are not.

    ``unshare(CLONE_NEWPID)`` only affects children created afterwards, and only once; joining
    the caller's own namespace again with ``setns`` resets that, so a long-lived server can do
    this for every run without an extra process in between.
    """
    fast_unshare, fast_setns = _PID_NAMESPACE_CALLS or _bind_pid_namespace_calls()
    if fast_unshare(CLONE_NEWPID):  # 0 (libc) or None (os) on success
        unshare(CLONE_NEWPID)  # again through the checked path: raises with the reason
    try:
        pid = os.fork()
    except BaseException:
        setns(own_pid_namespace_fd, CLONE_NEWPID)
        raise
    if pid and fast_setns(own_pid_namespace_fd, CLONE_NEWPID):
        setns(own_pid_namespace_fd, CLONE_NEWPID)
    return pid


_PID_NAMESPACE_CALLS: tuple | None = None


def _bind_pid_namespace_calls() -> tuple:
    """``(unshare, setns)`` as :func:`fork_in_new_pid_namespace` calls them around every fork:
    looked up once. Right after a fork each page the server writes is a copy while the child
    shares it, and going through :func:`unshare`/:func:`setns` (two more frames, a look-up of
    the libc function by name, an argument tuple) copied about 11 more pages per fork (measured
    with ``getrusage``: 53 -> 42 page faults around a fork in a test process)."""
    global _PID_NAMESPACE_CALLS
    if _OS_UNSHARE is not None and _OS_SETNS is not None:
        _PID_NAMESPACE_CALLS = (_OS_UNSHARE, _OS_SETNS)
    else:
        libc = _fast()
        _PID_NAMESPACE_CALLS = (libc.unshare, libc.setns)
    return _PID_NAMESPACE_CALLS


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    """``mount(2)``."""
    _call(
        "mount",
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
        what=f"mount {target}",
    )


def prctl(option: int, value: int) -> None:
    """``prctl(2)`` with one argument."""
    _check(_lib().prctl(option, value, 0, 0, 0), f"prctl {option}")


def die_with_parent(signal_number: int) -> None:
    """Ask the kernel to send ``signal_number`` when the parent process exits."""
    prctl(PR_SET_PDEATHSIG, signal_number)


# --- the read-only root, built once by the fork server -------------------------------------------


def _mkdirs(root: str, path: str) -> str:
    """Create ``root + path`` one component at a time, refusing to follow a symlink."""
    current = root
    for part in path.strip("/").split("/"):
        current = os.path.join(current, part)
        if os.path.islink(current):
            raise IsolationError(0, f"{current} is a symlink")
        if not os.path.isdir(current):
            os.mkdir(current, 0o755)
    return current


def _bind_read_only(host_path: str, target: str) -> None:
    mount(host_path, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _covered(path: str, trees: list[str]) -> bool:
    return any(path == tree or path.startswith(tree.rstrip("/") + "/") for tree in trees)


def build_root(root: str, python_dirs: list[str], hidden_dirs: list[str]) -> None:
    """Build the programs' root file system at ``root`` (in the fork server's mount namespace).

    Args:
        root: An empty directory; a small tmpfs is mounted on it and made read-only at the end.
        python_dirs: Standard-library directories (``sys.path`` of the import-light server).
        hidden_dirs: Extra directories to hide if they are visible through a bind (the parent
            interpreter's ``site-packages``).
    """
    import glob  # only needed here, once

    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m,nr_inodes=4096")
    bound: list[str] = []  # real host paths visible inside the root
    for tree in _SYSTEM_TREES:
        if os.path.islink(tree):
            os.symlink(os.readlink(tree), root + tree)
        elif os.path.isdir(tree):
            _bind_read_only(tree, _mkdirs(root, tree))
            bound.append(os.path.realpath(tree))
    for directory in python_dirs:
        real = os.path.realpath(directory)
        if not os.path.isdir(real) or _covered(real, bound):
            continue
        _bind_read_only(real, _mkdirs(root, directory))
        bound.append(real)
    to_hide = set(hidden_dirs)
    for tree in bound:
        for pattern in _SITE_PATTERNS:
            to_hide.update(glob.glob(os.path.join(tree, pattern)))
    for directory in sorted(to_hide):
        real = os.path.realpath(directory)
        if os.path.isdir(real) and _covered(real, bound):
            mount("tmpfs", root + real, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
    dev = _mkdirs(root, "/dev")
    for name in _DEVICES:
        host = f"/dev/{name}"
        if os.path.exists(host) and stat.S_ISCHR(os.stat(host).st_mode):
            target = os.path.join(dev, name)
            open(target, "w").close()
            mount(host, target, None, MS_BIND)
            # Read-only: writing to the device still works (a mount's read-only flag does not
            # apply to devices), but its times cannot be set -- they would be seen by every
            # later run and by the host (a review found a byte carried that way).
            flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC
            mount(None, target, None, flags)
    if os.path.isfile("/etc/ld.so.cache"):
        target = os.path.join(_mkdirs(root, "/etc"), "ld.so.cache")
        open(target, "w").close()
        _bind_read_only("/etc/ld.so.cache", target)
    _mkdirs(root, SANDBOX_DIR)
    os.symlink(SANDBOX_DIR.lstrip("/"), os.path.join(root, "tmp"))
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def make_slot_root(root: str, slot_root: str) -> None:
    """Give a run slot its own view of the programs' root: a recursive bind of ``root`` at
    ``slot_root`` (read-only like it), on whose ``SANDBOX_DIR`` the slot's scratch ``tmpfs`` is
    then mounted (see :func:`mount_scratch`). Made once per slot by the fork server, in its own
    mount namespace: a run then needs no mount namespace of its own (making one and tearing it
    down cost about 0.13 ms of CPU per run, and an RCU grace period at each run's exit)."""
    os.makedirs(slot_root, 0o755, exist_ok=True)  # (left by a bind that failed: tried again)
    mount(root, slot_root, None, MS_BIND | MS_REC)


def mount_scratch(slot_root: str, uid: int, scratch_mb: int) -> None:
    """Mount a fresh scratch ``tmpfs`` (the working directory, ``/tmp`` points to it) in a slot's
    root for one run, owned by the slot's program ``uid``; ``noatime``, so that reading it
    changes nothing of it."""
    mount(
        "tmpfs",
        slot_root + SANDBOX_DIR,
        "tmpfs",
        MS_NOSUID | MS_NODEV | MS_NOATIME,
        f"size={scratch_mb}m,nr_inodes=4096,mode=700,uid={uid},gid={uid}",
    )


def scratch_holds_anything(slot_root: str) -> bool:
    """Whether the top scratch ``tmpfs`` of a slot holds anything but its empty root directory
    (inodes or blocks in use)."""
    usage = os.statvfs(slot_root + SANDBOX_DIR)
    return usage.f_files - usage.f_ffree > 1 or usage.f_bfree != usage.f_blocks


def seal_scratch(slot_root: str) -> None:
    """Make a slot's top scratch read-only (its mount, not the file system: instant, no RCU
    grace period), so that an fd to it kept anywhere can change it no more. Fails (``EBUSY``)
    while a file of it is open for writing."""
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOATIME
    mount(None, slot_root + SANDBOX_DIR, None, flags)


def detach_slot_root(slot_root: str) -> None:
    """Detach a slot's root with every scratch mounted in it (lazily: the kernel frees them once
    nothing uses them). One RCU grace period (~60 us here) for all of them."""
    _call("umount2", slot_root.encode(), MNT_DETACH, what=f"umount {slot_root}")


def disable_ipc() -> None:
    """In the server's own IPC namespace: allow no System V IPC object and no POSIX message queue.

    Such objects outlive the process that made them; with none possible, nothing of a run can be
    left behind in, or shared through, the IPC namespace all runs inherit.
    """
    for path, value in (
        ("/proc/sys/kernel/shmmni", "0"),
        ("/proc/sys/kernel/msgmni", "0"),
        ("/proc/sys/kernel/sem", "0 0 0 0"),
        ("/proc/sys/fs/mqueue/queues_max", "0"),
    ):
        with open(path, "w") as handle:
            handle.write(value)


def enter_private_mounts() -> None:
    """Give the fork server its own mount namespace whose mounts never propagate to the host."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)


# --- limits and privileges, applied by every process that runs foreign code ----------------------


def apply_limits(
    *,
    cpu_s: int,
    memory_bytes: int,
    max_processes: int,
    max_open_files: int,
    max_file_bytes: int,
) -> None:
    """Set soft = hard rlimits (hard, so the program cannot raise them back)."""
    for which, value in (
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_NPROC, max_processes),
        (resource.RLIMIT_NOFILE, max_open_files),
        (resource.RLIMIT_FSIZE, max_file_bytes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_MSGQUEUE, 0),
    ):
        resource.setrlimit(which, (value, value))


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved ids; no supplementary groups)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
        raise IsolationError(0, "could not drop privileges")


def forbid_new_privileges() -> None:
    """``PR_SET_NO_NEW_PRIVS``: no set-uid binary or file capability can ever raise privileges."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# --- a seccomp filter: no kernel keyrings, only local and IP sockets ------------------------------


class SyscallNumbers(NamedTuple):
    """What the filter needs to know of a machine's system call ABI."""

    audit_arch: int
    keyrings: tuple[int, ...]  # add_key, request_key, keyctl
    sockets: tuple[int, ...]  # socket, socketpair
    seccomp: int


SYSCALLS = {
    "x86_64": SyscallNumbers(0xC000003E, (248, 249, 250), (41, 53), 317),
    "aarch64": SyscallNumbers(0xC00000B7, (217, 218, 219), (198, 199), 277),
}
SOCKET_FAMILIES = (1, 2, 10, 16)
"""AF_UNIX, AF_INET, AF_INET6 (no interface is up) and AF_NETLINK (glibc asks it about
interfaces); every other family (AF_VSOCK to the hypervisor, AF_ALG, ...) fails."""
_EPERM, _EAFNOSUPPORT = 1, 97
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_X32_SYSCALL_BIT = 0x40000000
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def _assemble(program: list[tuple]) -> bytes:
    """Classic BPF from ``(code, k)`` / ``(code, k, "label-if-true")`` / ``("label",)`` entries
    (jumps only forward to labels, the false branch always to the next instruction)."""
    import struct

    labels: dict[str, int] = {}
    instructions = []
    for entry in program:
        if len(entry) == 1:
            labels[entry[0]] = len(instructions)
        else:
            instructions.append(entry)
    code = b""
    for index, (op, k, *target) in enumerate(instructions):
        jump = labels[target[0]] - index - 1 if target else 0
        code += struct.pack("HBBI", op, jump, 0, k)
    return code


def install_syscall_filter() -> None:
    """Install a seccomp filter for this process and every process it forks (it can never be
    removed): ``add_key``, ``request_key`` and ``keyctl`` fail with ``EPERM``; ``socket`` and
    ``socketpair`` of a family not in :data:`SOCKET_FAMILIES` fail with ``EAFNOSUPPORT``.

    The kernel keeps a keyring per uid that outlives every process of it: through it a run
    could leave data for the next run of its uid slot (a review carried a stage-2 argument
    that way), and the caller's session keyring would be shared by every run. An ``AF_VSOCK``
    socket is not confined by the network namespace: it reaches the hypervisor and holds ports
    of the whole machine (a review bound one that the host then could not). No program needs
    either. Also refused: every system call made through another ABI (32-bit ``int 0x80`` or
    x32 on x86_64), whose numbers differ. Installed with ``SECCOMP_FILTER_FLAG_SPEC_ALLOW``: a
    kernel that would otherwise turn on its speculative-store-bypass mitigation for filtered
    processes (slowing the programs down, and the verdicts of slow ones) leaves it as it was
    before the filter; a program has no secret of ours to steal. Raises ``OSError`` on a machine
    without seccomp or not listed in :data:`SYSCALLS`.
    """
    machine = os.uname().machine
    if machine not in SYSCALLS:
        raise IsolationError(0, f"no syscall filter for {machine}")
    numbers = SYSCALLS[machine]
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    program: list[tuple] = [
        (load, 4),  # seccomp_data.arch
        (jeq, numbers.audit_arch, "native"),
        (ret, _SECCOMP_RET_ERRNO | _EPERM),
        ("native",),
        (load, 0),  # seccomp_data.nr
        (jge, _X32_SYSCALL_BIT, "deny"),
        *((jeq, number, "deny") for number in numbers.keyrings),
        *((jeq, number, "socket") for number in numbers.sockets),
        (ret, _SECCOMP_RET_ALLOW),
        ("deny",),
        (ret, _SECCOMP_RET_ERRNO | _EPERM),
        ("socket",),
        (load, 16),  # the low half of seccomp_data.args[0] (little-endian): the family
        *((jeq, family, "allow") for family in SOCKET_FAMILIES),
        (ret, _SECCOMP_RET_ERRNO | _EAFNOSUPPORT),
        ("allow",),
        (ret, _SECCOMP_RET_ALLOW),
    ]
    code = _assemble(program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    result = _lib().syscall(
        ctypes.c_long(numbers.seccomp),
        ctypes.c_uint(_SECCOMP_SET_MODE_FILTER),
        ctypes.c_uint(_SECCOMP_FILTER_FLAG_SPEC_ALLOW),
        ctypes.c_void_p(ctypes.addressof(fprog)),
    )
    if result != 0:  # a kernel before 4.17 (no such flag) or without the seccomp call
        result = _lib().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0)
    _check(result, "seccomp filter")


_FD_CEILING = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
"""Where closing every other fd may stop (the fork server's soft limit, which its workers inherit
unchanged until they set their own)."""


def keep_only_fds(mapping: dict[int, int]) -> None:
    """Put each ``source -> target`` fd in place and close every other fd above 2.

    Targets must be distinct and at least 3; sources may collide with targets.
    """
    count = len(mapping)
    if set(mapping.values()) == set(range(3, 3 + count)) and min(mapping) >= 3 + count:
        # The usual case (targets 3, 4, ... and every source above them): one dup2 each.
        for source, target in mapping.items():
            # inheritable=False passed by position: the first call with the keyword in a
            # process builds the argument parser's keyword table, ~15 page copies in a worker
            os.dup2(source, target, False)
        os.closerange(3 + count, max(_FD_CEILING, 3 + count))
        return
    high = 256
    moved = {
        target: fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, high)
        for source, target in mapping.items()
    }
    os.closerange(3, high)
    for target, fd in moved.items():
        os.dup2(fd, target, False)  # (by position: see above)
    os.closerange(high, max(resource.getrlimit(resource.RLIMIT_NOFILE)[0], high + len(moved)))
