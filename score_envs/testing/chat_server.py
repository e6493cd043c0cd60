"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests and dry runs.

It speaks enough of the protocol for :class:`~score_envs.policies.openai_chat.OpenAIChatPolicy`
(``POST {base}/chat/completions`` with ``model`` and ``messages``; a ``chat.completion`` JSON
answer) and can be told to misbehave for the next requests, the way real endpoints do: HTTP
errors with or without ``Retry-After``, slow answers, malformed bodies, dropped connections. The
answer text comes from a ``reply`` function of the messages, so a run against it is
deterministic. It listens on the loopback interface only.

Example:
    >>> from score_envs.policies.openai_chat import OpenAIChatPolicy
    >>> with ChatServer(reply=lambda messages: "\\\\boxed{4}") as server:
    ...     server.fail_next(Fault.http_error(503))
    ...     policy = OpenAIChatPolicy("m", base_url=server.base_url, backoff=0.01)
    ...     policy.next_attempt([{"role": "user", "content": "2+2?"}])
    '\\\\boxed{4}'
"""

from __future__ import annotations

import collections
import hashlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Messages = Sequence[Mapping[str, str]]

MAX_REQUEST_BYTES = 16 * 1024 * 1024
"""Requests larger than this are answered 413."""


@dataclass(frozen=True)
class Fault:
    """How the server misbehaves for one request (see the constructors)."""

    kind: str
    code: int = 200
    seconds: float = 0.0
    retry_after: str | None = None

    @classmethod
    def http_error(cls, code: int, retry_after: float | str | None = None) -> Fault:
        """Answer with HTTP ``code`` and an OpenAI-style error body (and ``Retry-After``)."""
        return cls(
            "http_error", code=code, retry_after=None if retry_after is None else str(retry_after)
        )

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before a normal answer (a client with a shorter deadline times out)."""
        return cls("slow", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        """Answer 200 with a body that is not JSON."""
        return cls("malformed")

    @classmethod
    def wrong_shape(cls) -> Fault:
        """Answer 200 with JSON that is not a chat completion (no ``choices``)."""
        return cls("wrong_shape")

    @classmethod
    def disconnect(cls) -> Fault:
        """Close the connection without answering."""
        return cls("disconnect")


def digit_reply(messages: Messages) -> str:
    """A deterministic answer: a digit from a hash of the conversation, in the paper's form.

    Different turns of an episode hash differently, so attempts change between turns; the same
    conversation always gets the same answer.

    Example:
        >>> digit_reply([{"role": "user", "content": "What is 2 + 2?"}]).startswith("Final Answer")
        True
    """
    text = json.dumps([[m["role"], m["content"]] for m in messages])
    digit = hashlib.sha256(text.encode("utf-8")).digest()[0] % 10
    return f"Final Answer: The final answer is ${digit}$. I hope it is correct."


class ChatServer:
    """A threaded chat-completions server on ``127.0.0.1`` (an ephemeral port by default).

    Args:
        reply: The assistant text for a conversation (default :func:`digit_reply`).
        delay: Seconds to wait before every answer (a slow model).
        port: Port to listen on (0: any free port).

    Attributes:
        requests: The JSON bodies received, in order (faulty ones included).
        headers: The headers of each request, lower-cased names.
    """

    def __init__(
        self, reply: Callable[[Messages], str] = digit_reply, *, delay: float = 0.0, port: int = 0
    ) -> None:
        self.reply = reply
        self.delay = delay
        self.requests: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self._faults: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give a client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_next(self, *faults: Fault) -> None:
        """Misbehave for the next ``len(faults)`` requests, one fault each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def start(self) -> ChatServer:
        """Serve on a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _record(self, body: Any, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)


def _handler_for(server: ChatServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
        # Headers and body go out in two writes; with Nagle on, the body waits for the client's
        # delayed ACK (40 ms a request on Linux). Real servers disable it too.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._send_json(413, {"error": {"message": "request too large"}})
                return
            raw = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                server._record(None, headers)
                self._send_json(400, {"error": {"message": "body is not JSON"}})
                return
            server._record(body, headers)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            fault = server._next_fault()
            if server.delay:
                time.sleep(server.delay)
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "http_error":
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                error = {"error": {"message": f"scripted failure {fault.code}"}}
                self._send_json(fault.code, error, extra)
                return
            if fault is not None and fault.kind == "malformed":
                self._send_bytes(200, b'{"choices": [{"message": ', "application/json")
                return
            if fault is not None and fault.kind == "wrong_shape":
                self._send_json(200, {"object": "chat.completion", "result": "none"})
                return
            if fault is not None and fault.kind == "disconnect":
                self.close_connection = True
                self.connection.close()
                return
            messages = body.get("messages") if isinstance(body, dict) else None
            if not isinstance(messages, list):
                self._send_json(400, {"error": {"message": "messages must be a list"}})
                return
            self._send_json(200, _completion(body.get("model"), server.reply(messages)))

        def _send_json(
            self, status: int, data: Any, extra: Mapping[str, str] | None = None
        ) -> None:
            self._send_bytes(status, json.dumps(data).encode("utf-8"), "application/json", extra)

        def _send_bytes(
            self,
            status: int,
            payload: bytes,
            content_type: str,
            extra: Mapping[str, str] | None = None,
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (its timeout): nothing to do

    return Handler


def _completion(model: Any, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": str(model),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
