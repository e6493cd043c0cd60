"""The ``openai:`` adapter against a real chat-completions server on 127.0.0.1.

The server (:class:`score_envs.testing.chat_server.ChatServer`) speaks the protocol over real
sockets and misbehaves on request: HTTP 500/429/401, slow answers, malformed JSON, dropped
connections, and a port nobody listens on.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from score_envs.core.task import Task
from score_envs.policies.errors import ModelEndpointError
from score_envs.policies.openai_chat import OpenAIChatPolicy, parse_spec, policy_from_spec
from score_envs.policies.registry import build_policy
from score_envs.testing.chat_server import ChatServer, Fault

TASK = Task("arithmetic/d1/0", "What is 2 + 2?", "4", "arithmetic", 1)
MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]


def fast_policy(server: ChatServer, **options) -> OpenAIChatPolicy:
    options = {"backoff": 0.01, "max_backoff": 0.5, "timeout": 5.0, **options}
    policy = OpenAIChatPolicy("test-model", base_url=server.base_url, **options)
    policy.start_episode(TASK, np.random.default_rng(0))
    return policy


@pytest.fixture
def server():
    with ChatServer(reply=lambda messages: f"echo {len(messages)}: {messages[-1]['content']}") as s:
        yield s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_returns_the_servers_assistant_text(server):
    assert fast_policy(server).next_attempt(MESSAGES) == "echo 1: What is 2 + 2?"


def test_sends_model_messages_and_greedy_temperature(server):
    fast_policy(server).next_attempt(MESSAGES)
    (body,) = server.requests
    assert body["model"] == "test-model"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.0
    assert "seed" not in body and "max_tokens" not in body


def test_sends_the_api_key_from_the_named_environment_variable(server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-test-123")
    policy = policy_from_spec(f"model=m,base_url={server.base_url},api_key_env=MY_KEY")
    policy.start_episode(TASK, np.random.default_rng(0))
    policy.next_attempt(MESSAGES)
    assert server.headers[0]["authorization"] == "Bearer sk-test-123"
    assert "sk-test-123" not in policy.name


def test_unset_api_key_variable_is_a_clear_error():
    with pytest.raises(ValueError, match="NO_SUCH_KEY_VAR"):
        policy_from_spec("model=m,base_url=http://127.0.0.1:9/v1,api_key_env=NO_SUCH_KEY_VAR")


def test_per_episode_seed_is_sent_when_asked_and_reproducible(server):
    first = fast_policy(server, send_seed=True)
    first.next_attempt(MESSAGES)
    again = fast_policy(server, send_seed=True)
    again.next_attempt(MESSAGES)
    assert server.requests[0]["seed"] == server.requests[1]["seed"]


def test_retries_server_errors_until_an_answer(server):
    server.fail_next(Fault.http_error(500), Fault.http_error(502), Fault.http_error(503))
    policy = fast_policy(server, max_retries=3)
    assert policy.next_attempt(MESSAGES).startswith("echo")
    assert policy.requests_sent == 4


def test_429_waits_at_least_retry_after_before_retrying(server):
    server.fail_next(Fault.http_error(429, retry_after=0.3))
    policy = fast_policy(server)
    started = time.monotonic()
    assert policy.next_attempt(MESSAGES).startswith("echo")
    assert time.monotonic() - started >= 0.3
    assert policy.requests_sent == 2


def test_backoff_doubles_between_retries(server):
    server.fail_next(*[Fault.http_error(500)] * 3)
    policy = fast_policy(server, backoff=0.1, max_retries=3)
    started = time.monotonic()
    policy.next_attempt(MESSAGES)
    # Jittered delays are at least half of 0.1 + 0.2 + 0.4.
    assert time.monotonic() - started >= 0.35


def test_persistent_server_errors_raise_with_url_status_and_tries(server):
    server.fail_next(*[Fault.http_error(500)] * 3)
    policy = fast_policy(server, max_retries=2)
    with pytest.raises(ModelEndpointError, match=r"HTTP 500.*3 tries") as caught:
        policy.next_attempt(MESSAGES)
    assert server.base_url in str(caught.value)


def test_client_errors_are_not_retried(server):
    server.fail_next(Fault.http_error(401))
    policy = fast_policy(server, max_retries=5)
    with pytest.raises(ModelEndpointError, match="HTTP 401"):
        policy.next_attempt(MESSAGES)
    assert policy.requests_sent == 1


def test_slow_answer_times_out_then_retry_succeeds(server):
    server.fail_next(Fault.slow(1.5))
    policy = fast_policy(server, timeout=0.3)
    started = time.monotonic()
    assert policy.next_attempt(MESSAGES).startswith("echo")
    assert policy.requests_sent == 2
    assert time.monotonic() - started < 1.4


def test_always_slow_endpoint_raises_a_timeout_error():
    with ChatServer(delay=1.0) as slow:
        policy = fast_policy(slow, timeout=0.2, max_retries=1)
        with pytest.raises(ModelEndpointError, match=r"within 0.2 s"):
            policy.next_attempt(MESSAGES)


def test_malformed_json_is_retried(server):
    server.fail_next(Fault.malformed(), Fault.wrong_shape())
    policy = fast_policy(server, max_retries=2)
    assert policy.next_attempt(MESSAGES).startswith("echo")
    assert policy.requests_sent == 3


def test_persistently_malformed_answers_raise(server):
    server.fail_next(*[Fault.malformed()] * 2)
    with pytest.raises(ModelEndpointError, match="malformed"):
        fast_policy(server, max_retries=1).next_attempt(MESSAGES)


def test_dropped_connection_is_retried(server):
    server.fail_next(Fault.disconnect())
    policy = fast_policy(server, max_retries=1)
    assert policy.next_attempt(MESSAGES).startswith("echo")


def test_keep_alive_connection_is_reused_across_attempts(server):
    policy = fast_policy(server)
    policy.next_attempt(MESSAGES)
    first_socket = policy._connection.sock
    policy.next_attempt(MESSAGES)
    assert policy._connection.sock is first_socket


def test_endpoint_down_raises_connection_refused():
    policy = OpenAIChatPolicy(
        "m", base_url=f"http://127.0.0.1:{free_port()}/v1", backoff=0.01, max_retries=1
    )
    with pytest.raises(ModelEndpointError, match="connection refused"):
        policy.next_attempt(MESSAGES)


def test_null_content_is_an_empty_attempt():
    with ChatServer(reply=lambda messages: None) as server:
        assert fast_policy(server).next_attempt(MESSAGES) == ""


def test_registry_builds_the_adapter_from_an_openai_spec(server):
    policy = build_policy(f"openai:model=m,base_url={server.base_url},timeout=3,max_retries=0")
    assert isinstance(policy, OpenAIChatPolicy)
    assert (policy.timeout, policy.max_retries) == (3.0, 0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("model=m,colour=blue", "KEY=VALUE"),
        ("base_url=http://127.0.0.1:9/v1", "model=NAME"),
        ("model=m,max_retries=many", "max_retries must be a int"),
        ("model=m,base_url=ftp://example", "http"),
        ("model=m,base_url=http://127.0.0.1:9/v1,timeout=0", "timeout"),
        ("model=m,seed=maybe", "true or false"),
        ("model=m,model=n", "twice"),
    ],
)
def test_bad_specs_name_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        policy_from_spec(spec)


def test_missing_endpoint_is_a_clear_error_not_a_default_remote(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=r"no endpoint.*OPENAI_BASE_URL"):
        policy_from_spec("model=m")


def test_endpoint_comes_from_openai_base_url_when_the_spec_has_none(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert policy_from_spec("model=m").base_url.startswith("http://127.0.0.1:9")


def test_bare_model_name_is_short_for_model_option():
    assert parse_spec("gpt-4o-mini") == {"model": "gpt-4o-mini"}
