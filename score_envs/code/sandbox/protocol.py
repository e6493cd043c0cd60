"""Framing of the data-only messages between the processes of a run.

Every message is a 4-byte big-endian length and a body. Everything a sandboxed process *sends* is
JSON (never pickle or marshal: the receiver must survive any bytes), with values as tagged plain
data (:mod:`score_envs.code.sandbox.wire`). The parent accepts exactly one complete frame per
results pipe and nothing after it: a program that writes to that pipe itself can only make its run
fail, and whatever it forges are candidate *outputs*, which the parent still compares with expected
values it never sent.

*Jobs* -- what the caller sends down to a sandboxed process: the program, the calls to make, the
limits -- go the other way, from trusted code to the process that runs the program, and are
:mod:`marshal` data (:func:`dumps_job`, :func:`read_job`): one C call to decode in a process that
was just forked, where every Python object the JSON decoder's own code touches is a page copied
(measured: about half the page copies and time of ``json.loads``). Only plain builtin values can
be marshalled, and the receiving side is the sandbox itself, which trusts nothing it sends back.
The checker's calls into the program process go the same way when their arguments are plain data
(:func:`dumps_plain_call`); the program's answers are JSON like everything else it sends.
"""

from __future__ import annotations

import json
import marshal
import os
import struct

_HEADER = struct.Struct(">I")


class ProtocolError(ValueError):
    """A message is missing, truncated, oversized or not the JSON it should be."""


def _not_serializable(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ENCODE = (
    # Made once: json.dumps builds a JSONEncoder and a C encoder for every call, whose Python
    # code is about a tenth of a results message's cost in a just-forked process (each object
    # that code touches is a page copied). No cycle check (markers None): messages are trees.
    _C_ENCODER(
        None,
        _not_serializable,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
    if _C_ENCODER is not None
    else None
)


def dumps(message: object) -> bytes:
    """One framed message. ASCII-only JSON, so any str (even lone surrogates) survives.

    Example:
        >>> dumps({"a": 1})
        b'\\x00\\x00\\x00\\x07{"a":1}'
    """
    if _ENCODE is not None:
        body = "".join(_ENCODE(message, 0)).encode("ascii")
    else:  # a Python without the C accelerator
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return _HEADER.pack(len(body)) + body


def write_message(fd: int, message: object) -> None:
    """Write one framed message to a blocking fd, all of it."""
    write_frame(fd, dumps(message))


def write_frame(fd: int, frame: bytes) -> None:
    """Write bytes already framed (:func:`dumps`, :func:`dumps_plain_call`) to a blocking fd,
    all of them."""
    data = memoryview(frame)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def dumps_job(job: object) -> bytes:
    """One framed job (:mod:`marshal`): only from trusted code down to a sandboxed process.

    Example:
        >>> import marshal
        >>> marshal.loads(dumps_job({"probes": ["f(1)"]})[4:])
        {'probes': ['f(1)']}
    """
    body = marshal.dumps(job)
    return _HEADER.pack(len(body)) + body


PLAIN_CALL = b"M"
"""First byte of a call request sent as :mod:`marshal` data (:func:`dumps_plain_call`); a JSON
request starts with ``[``."""


def dumps_plain_call(name: str, args: tuple, kwargs: dict) -> bytes:
    """One framed call request of plain arguments (:mod:`marshal`, version 2: no shared
    references, so an object passed twice arrives as two, as the tagged form has it).

    Like a job, only from trusted code (the checker) down to a sandboxed process; the caller
    checks that every argument is plain data marshal keeps exactly
    (``checker.marshal_plain``).

    Example:
        >>> import marshal
        >>> body = dumps_plain_call("f", (1, [2]), {})[4:]
        >>> body[:1] == PLAIN_CALL, marshal.loads(body[1:])
        (True, ('call', 'f', (1, [2]), {}))
    """
    body = PLAIN_CALL + marshal.dumps(("call", name, args, kwargs), 2)
    return _HEADER.pack(len(body)) + body


def read_job(fd: int, max_bytes: int) -> object:
    """Read one framed job (:func:`dumps_job`) from a blocking fd; :class:`ProtocolError` on EOF,
    excess or a body that is not marshal data."""
    body = _read_frame(fd, max_bytes)
    try:
        return marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        raise ProtocolError(f"malformed job: {type(exc).__name__}") from exc


def _read_exactly(fd: int, count: int) -> bytes:
    chunks = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            raise ProtocolError("the other side closed the channel mid-message")
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, max_bytes: int) -> object:
    """Read one framed message from a blocking fd; :class:`ProtocolError` on EOF or excess."""
    return _loads(_read_frame(fd, max_bytes))


def _read_frame(fd: int, max_bytes: int) -> bytes:
    header = os.read(fd, _HEADER.size)
    if not header:
        raise ProtocolError("the other side closed the channel")
    if len(header) < _HEADER.size:
        header += _read_exactly(fd, _HEADER.size - len(header))
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"message of {size} bytes exceeds the limit of {max_bytes}")
    return _read_exactly(fd, size)


class MessageReader:
    """Reads framed messages from a blocking fd with one ``read`` per message, not two.

    For the call-by-call channel between a checker and its program process, where each call is a
    round trip: a message written with one ``write`` is then read with one ``read``. Bytes after a
    message stay buffered for the next one; a peer that writes extra bytes can only make its own
    next message malformed, as writing to its end of the pipe always could.

    Example:
        >>> r, w = os.pipe()
        >>> _ = os.write(w, dumps([1]) + dumps("two"))
        >>> reader = MessageReader(r, 100)
        >>> reader.read(), reader.read()
        ([1], 'two')
    """

    def __init__(self, fd: int, max_bytes: int) -> None:
        self.fd = fd
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def _fill(self, count: int) -> None:
        while len(self._buffer) < count:
            chunk = os.read(self.fd, max(count - len(self._buffer), 1 << 16))
            if not chunk:
                if self._buffer:
                    raise ProtocolError("the other side closed the channel mid-message")
                raise ProtocolError("the other side closed the channel")
            self._buffer += chunk

    def read(self) -> object:
        """The next message; :class:`ProtocolError` on EOF, excess or malformed JSON."""
        return _loads(self.read_body())

    def read_body(self) -> bytes:
        """The next message's body, undecoded; :class:`ProtocolError` on EOF or excess."""
        self._fill(_HEADER.size)
        (size,) = _HEADER.unpack_from(self._buffer)
        if size > self.max_bytes:
            raise ProtocolError(f"message of {size} bytes exceeds the limit of {self.max_bytes}")
        end = _HEADER.size + size
        self._fill(end)
        body = bytes(self._buffer[_HEADER.size : end])
        del self._buffer[:end]
        return body


def parse_single_message(data: bytes) -> object:
    """The one message ``data`` holds; anything missing, extra or malformed is an error.

    Example:
        >>> parse_single_message(dumps([1, 2]))
        [1, 2]
        >>> parse_single_message(dumps([1]) + b"x")
        Traceback (most recent call last):
        ...
        score_envs.code.sandbox.protocol.ProtocolError: 1 unexpected bytes after the message
    """
    if len(data) < _HEADER.size:
        raise ProtocolError("no message")
    (size,) = _HEADER.unpack_from(data)
    end = _HEADER.size + size
    if len(data) < end:
        raise ProtocolError("truncated message")
    if len(data) > end:
        raise ProtocolError(f"{len(data) - end} unexpected bytes after the message")
    return _loads(data[_HEADER.size :])


def parse_body(body: bytes) -> object:
    """The JSON message of a body read with :meth:`MessageReader.read_body`."""
    return _loads(body)


def _loads(body: bytes) -> object:
    try:
        return json.loads(body.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed message: {type(exc).__name__}") from exc
