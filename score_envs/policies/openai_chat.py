"""``openai:`` — any OpenAI-compatible chat-completions endpoint as a policy (stdlib only).

Spec: ``openai:model=NAME[,base_url=URL][,api_key_env=VAR][,timeout=S][,max_retries=N]
[,backoff=S][,max_backoff=S][,temperature=T][,max_tokens=N][,seed=true]``; ``openai:NAME`` is
short for ``openai:model=NAME``. The base URL is ``base_url`` or else ``$OPENAI_BASE_URL``
(required: there is no default); the key is read from the environment variable ``api_key_env``
(default ``OPENAI_API_KEY``) and is never part of the spec, so specs can be written into results
files and tables.

Evaluation is greedy by default (``temperature=0``, as in the paper). Each attempt is one POST to
``{base_url}/chat/completions`` with the conversation so far. Failures are handled as a careful
client must:

- ``429`` and ``5xx`` answers, connection errors, timeouts and malformed bodies are retried up to
  ``max_retries`` times with exponential backoff (``backoff * 2**k``, jittered, at most
  ``max_backoff``; a ``Retry-After`` header is honoured up to that cap);
- other ``4xx`` answers (bad key, unknown model) fail at once;
- each request has a deadline of ``timeout`` seconds for the whole answer, not per packet, and
  answers are capped at :data:`MAX_RESPONSE_BYTES`;
- when retries run out, :class:`~score_envs.policies.errors.ModelEndpointError` says which URL
  failed and how.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import score_envs
from score_envs.core.task import Task
from score_envs.policies.errors import ModelEndpointError
from score_envs.policies.spec_options import parse_options

"""Used when neither ``base_url=`` nor ``$OPENAI_BASE_URL`` is given."""

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Longest answer body read from an endpoint; longer ones count as a failed request."""

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
"""HTTP statuses worth retrying (overload, rate limits, transient server errors); any other 5xx
is retried too."""

_OPTION_TYPES: dict[str, type] = {
    "model": str,
    "base_url": str,
    "api_key_env": str,
    "timeout": float,
    "max_retries": int,
    "backoff": float,
    "max_backoff": float,
    "temperature": float,
    "max_tokens": int,
    "seed": bool,
}


class OpenAIChatPolicy:
    """Asks an OpenAI-compatible chat-completions endpoint for each attempt.

    Args:
        model: The ``model`` field of each request.
        base_url: Endpoint root, e.g. ``http://127.0.0.1:8000/v1``.
        api_key: Sent as ``Authorization: Bearer ...`` when given.
        timeout: Seconds allowed for one whole request (connect, send, read the answer).
        max_retries: Retries after the first failed try (so ``max_retries + 1`` tries at most).
        backoff: First retry delay in seconds; doubles at each retry.
        max_backoff: Cap of one retry delay, ``Retry-After`` included.
        temperature: Sampling temperature (0 = greedy, the paper's evaluation).
        max_tokens: Cap on the answer's tokens (not sent when None).
        send_seed: Send a per-episode ``seed`` drawn from the episode's RNG (for endpoints that
            support reproducible sampling).

    The instance holds one keep-alive connection: use one instance per thread.

    Example:
        >>> policy = OpenAIChatPolicy("my-model", base_url="http://127.0.0.1:8000/v1")
        >>> policy.name
        'openai:model=my-model,base_url=http://127.0.0.1:8000/v1'
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        send_seed: bool = False,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"openai: model must be a non-empty name, got {model!r}")
        # No built-in default: the project never names a remote address; the user picks the server.
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ValueError(
                "openai: no endpoint: pass base_url=URL in the spec or set $OPENAI_BASE_URL "
                "(e.g. http://127.0.0.1:8000/v1 for a local server)"
            )
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"openai: base_url must be an http(s) URL like http://127.0.0.1:8000/v1, "
                f"got {base_url!r}"
            )
        for name, value, low in (
            ("timeout", timeout, 0.0),
            ("backoff", backoff, 0.0),
            ("max_backoff", max_backoff, 0.0),
            ("temperature", temperature, 0.0),
        ):
            if not (isinstance(value, (int, float)) and value >= low and np.isfinite(value)):
                raise ValueError(f"openai: {name} must be a number >= {low}, got {value!r}")
        if timeout <= 0:
            raise ValueError(f"openai: timeout must be > 0 seconds, got {timeout!r}")
        if not isinstance(max_retries, int) or not 0 <= max_retries <= 100:
            raise ValueError(f"openai: max_retries must be 0..100, got {max_retries!r}")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise ValueError(f"openai: max_tokens must be a positive int, got {max_tokens!r}")
        self.model = model.strip()
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self._parts = urllib.parse.urlsplit(self.url)
        self.api_key = api_key
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.temperature = float(temperature)
        self.max_tokens = max_tokens
        self.send_seed = bool(send_seed)
        self.name = f"openai:model={self.model},base_url={self.base_url}"
        self.requests_sent = 0
        """Requests sent so far, retries included (for logs and tests)."""
        self._connection: http.client.HTTPConnection | None = None
        self._episode_seed: int | None = None
        self._jitter = random.Random()  # delays only; never touches results

    def start_episode(self, task: Task, rng: np.random.Generator) -> None:
        """Begin an episode; the task is not read (a model sees only the messages)."""
        self._episode_seed = int(rng.integers(2**31)) if self.send_seed else None

    def next_attempt(self, messages: Sequence[Mapping[str, str]]) -> str:
        """POST the conversation and return the assistant's text ('' when it sent none)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": str(m["role"]), "content": str(m["content"])} for m in messages],
            "temperature": self.temperature,
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self._episode_seed is not None:
            body["seed"] = self._episode_seed
        payload = json.dumps(body).encode("utf-8")
        failure, retry_after = "", None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._sleep_before_retry(attempt, retry_after)
            outcome = self._post(payload)
            if isinstance(outcome, str):
                return outcome
            failure, retry_after, retryable = outcome
            if not retryable:
                raise ModelEndpointError(f"{self.url}: {failure}")
        raise ModelEndpointError(
            f"{self.url}: {failure} (gave up after {self.max_retries + 1} tries)"
        )

    def close(self) -> None:
        """Close the keep-alive connection (a later attempt reopens it)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __repr__(self) -> str:
        return f"<OpenAIChatPolicy {self.name!r}>"

    # -- one request -----------------------------------------------------------------------------

    def _sleep_before_retry(self, attempt: int, retry_after: float | None) -> None:
        delay = self.backoff * 2 ** (attempt - 1) * (0.5 + 0.5 * self._jitter.random())
        if retry_after is not None:
            delay = max(delay, retry_after)
        time.sleep(min(delay, self.max_backoff))

    def _post(self, payload: bytes) -> str | tuple[str, float | None, bool]:
        """The answer text, or (what went wrong, Retry-After seconds, whether to retry)."""
        self.requests_sent += 1
        deadline = time.monotonic() + self.timeout
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"score-envs/{score_envs.__version__}",
        }
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            try:
                reused = self._connection is not None
                response, body = self._exchange(payload, headers, deadline)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                # The server closed an idle keep-alive connection: resend once on a fresh one.
                self.close()
                response, body = self._exchange(payload, headers, deadline)
        except TimeoutError:
            self.close()
            return f"no complete answer within {self.timeout:g} s", None, True
        except ConnectionRefusedError:
            self.close()
            return "connection refused (is the server running?)", None, True
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            return f"request failed: {reason}", None, True
        except _TooLarge:
            self.close()
            return f"answer larger than {MAX_RESPONSE_BYTES} bytes", None, True
        if response.will_close:
            self.close()
        status = response.status
        if status != 200:
            detail = _error_detail(body)
            retryable = status in RETRY_STATUSES or status >= 500
            return (
                f"HTTP {status}{': ' + detail if detail else ''}",
                _retry_after_seconds(response.getheader("Retry-After")),
                retryable,
            )
        text = _assistant_text(body)
        if text is None:
            return "malformed answer (not a chat completion JSON object)", None, True
        return text

    def _exchange(
        self, payload: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[http.client.HTTPResponse, bytes]:
        connection = self._connect()
        connection.request("POST", self._request_path(), body=payload, headers=headers)
        response = connection.getresponse()
        return response, _read_limited(connection, response, deadline)

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port = self._parts.hostname, self._parts.port
            connection_type = (
                http.client.HTTPSConnection
                if self._parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = connection_type(host, port, timeout=self.timeout)
        return self._connection

    def _request_path(self) -> str:
        path = self._parts.path or "/"
        return f"{path}?{self._parts.query}" if self._parts.query else path


class _TooLarge(Exception):
    pass


def _read_limited(
    connection: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float
) -> bytes:
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = response.read(65536)
        if not chunk:
            response.close()  # lets the keep-alive connection carry the next request
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooLarge
        chunks.append(chunk)


def _assistant_text(body: bytes) -> str | None:
    try:
        data = json.loads(body)
        message = data["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if content is None:  # refusals and tool calls carry no text: an empty (wrong) attempt
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return None


def _error_detail(body: bytes) -> str:
    try:
        data = json.loads(body)
        message = data["error"]["message"] if isinstance(data.get("error"), dict) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        message = None
    if message is None:
        message = body.decode("utf-8", "replace")
    message = " ".join(str(message).split())
    return message[:200]


def _retry_after_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if np.isfinite(seconds) and seconds >= 0 else None


def parse_spec(text: str) -> dict[str, Any]:
    """The keyword arguments of an ``openai:`` spec (the part after the prefix).

    Example:
        >>> parse_spec("model=m,base_url=http://127.0.0.1:8000/v1,max_retries=2,seed=true")
        {'model': 'm', 'base_url': 'http://127.0.0.1:8000/v1', 'max_retries': 2, 'seed': True}
        >>> parse_spec("gpt-4o-mini")
        {'model': 'gpt-4o-mini'}
    """
    options = parse_options(text, _OPTION_TYPES, prefix="openai", bare_key="model")
    if "model" not in options:
        raise ValueError("openai spec needs model=NAME, e.g. openai:model=gpt-4o-mini")
    return options


def policy_from_spec(text: str) -> OpenAIChatPolicy:
    """Build the policy of an ``openai:`` spec (the registry's factory; see the module doc).

    Example:
        >>> policy_from_spec("model=m,base_url=http://127.0.0.1:8000/v1").url
        'http://127.0.0.1:8000/v1/chat/completions'
    """
    options = parse_spec(text)
    key_variable = options.pop("api_key_env", None)
    if key_variable is not None and key_variable not in os.environ:
        raise ValueError(f"openai spec: environment variable {key_variable} (api_key_env) is unset")
    api_key = os.environ.get(key_variable or "OPENAI_API_KEY")
    send_seed = options.pop("seed", False)
    return OpenAIChatPolicy(options.pop("model"), api_key=api_key, send_seed=send_seed, **options)
