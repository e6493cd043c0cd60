"""The scripted chat-completions server used by the adapter and command-line tests."""

from __future__ import annotations

import http.client
import json

from score_envs.testing.chat_server import ChatServer, Fault, digit_reply


def post(server, path, body):
    host, port = server.base_url.removeprefix("http://").split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("POST", path, body=json.dumps(body).encode())
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_answers_a_chat_completion_with_the_reply_text():
    with ChatServer(reply=lambda messages: "hello") as server:
        status, _, body = post(server, "/v1/chat/completions", {"model": "m", "messages": []})
    assert status == 200
    assert json.loads(body)["choices"][0]["message"] == {"role": "assistant", "content": "hello"}


def test_unknown_route_is_404():
    with ChatServer() as server:
        status, _, _ = post(server, "/v1/embeddings", {"model": "m"})
    assert status == 404


def test_scripted_faults_apply_to_the_next_requests_in_order():
    with ChatServer(reply=lambda messages: "ok") as server:
        server.fail_next(Fault.http_error(429, retry_after=2), Fault.malformed())
        first = post(server, "/v1/chat/completions", {"messages": []})
        second = post(server, "/v1/chat/completions", {"messages": []})
        third = post(server, "/v1/chat/completions", {"messages": []})
    assert (first[0], first[1]["Retry-After"]) == (429, "2")
    assert second[0] == 200 and second[2].startswith(b'{"choices": [{"message": ')
    assert json.loads(third[2])["choices"][0]["message"]["content"] == "ok"


def test_requests_are_recorded_in_order():
    with ChatServer() as server:
        post(server, "/v1/chat/completions", {"model": "a", "messages": []})
        post(server, "/v1/chat/completions", {"model": "b", "messages": []})
    assert [body["model"] for body in server.requests] == ["a", "b"]


def test_digit_reply_is_deterministic_and_depends_on_the_conversation():
    first = [{"role": "user", "content": "What is 2 + 2?"}]
    replies = {digit_reply([*first, {"role": "user", "content": str(i)}]) for i in range(20)}
    assert digit_reply(first) == digit_reply(list(first))
    assert len(replies) > 1
