"""The fake upstream's own conventions, checked over plain HTTP (no LiteLLM in between)."""

from __future__ import annotations

import base64
import json
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.upstream import Upstream

TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["q", "n"],
        },
    },
}


@pytest.fixture
def client(upstream: Upstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream.base_url, headers={"api-key": "sk-direct"}) as c:
        yield c


def chat(client: httpx.Client, text: str, **body: Any) -> httpx.Response:
    payload = {"model": "fake-model", "messages": [{"role": "user", "content": text}], **body}
    return client.post("/chat/completions", json=payload)


def sse(client: httpx.Client, text: str, **body: Any) -> list[Any]:
    payload = {"model": "fake-model", "messages": [{"role": "user", "content": text}], **body}
    with client.stream("POST", "/chat/completions", json={**payload, "stream": True}) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]


def test_echo_and_request_log(client: httpx.Client, upstream: Upstream) -> None:
    body = chat(client, "upstream-log-check hello").json()

    assert body["choices"][0]["message"]["content"] == "Echo: upstream-log-check hello"
    (seen,) = upstream.requests.containing("upstream-log-check")
    assert (seen.api_key, seen.path, seen.headers["api-key"]) == (
        "sk-direct",
        "/v1/chat/completions",
        "sk-direct",
    )


def test_stream_has_role_words_finish_usage_and_done(client: httpx.Client) -> None:
    chunks = sse(client, "a b", stream_options={"include_usage": True})

    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    words = [c["choices"][0]["delta"].get("content") for c in chunks[1:-2]]
    assert words == ["Echo: ", "a ", "b"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3


def test_chunks_are_flushed_as_produced(upstream: Upstream) -> None:
    payload = {
        "model": "fake-slow-stream-100",
        "stream": True,
        "messages": [{"role": "user", "content": "one two three"}],
    }
    arrivals: list[float] = []
    with (
        httpx.Client() as client,
        client.stream("POST", f"{upstream.base_url}/chat/completions", json=payload) as response,
    ):
        for line in response.iter_lines():
            if line:
                arrivals.append(time.monotonic())

    assert arrivals[-1] - arrivals[0] > 0.3  # 5 chunks 100 ms apart, not one buffered burst


def test_tool_choice_required_and_parallel_false(client: httpx.Client) -> None:
    required = chat(client, "no trigger here", tools=[TOOL], tool_choice="required").json()
    (call,) = required["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"q": "no trigger here", "n": 1}

    single = chat(
        client, "call lookup and lookup q=x n=2", tools=[TOOL], parallel_tool_calls=False
    ).json()
    assert len(single["choices"][0]["message"]["tool_calls"]) == 1

    none = chat(client, "call lookup", tools=[TOOL], tool_choice="none").json()
    assert none["choices"][0]["message"]["content"] == "Echo: call lookup"


def test_json_object_stop_and_n(client: httpx.Client) -> None:
    as_json = chat(client, "hi", response_format={"type": "json_object"}).json()
    assert json.loads(as_json["choices"][0]["message"]["content"]) == {"echo": "hi"}

    stopped = chat(client, "one two STOP three", stop="STOP").json()
    assert stopped["choices"][0]["message"]["content"] == "Echo: one two "

    assert len(chat(client, "x", n=3).json()["choices"]) == 3


@pytest.mark.parametrize(
    ("fail", "status", "code"),
    [
        ("401", 401, "invalid_api_key"),
        ("404", 404, "model_not_found"),
        ("429", 429, "rate_limit_exceeded"),
        ("context", 400, "context_length_exceeded"),
        ("503", 503, None),
    ],
)
def test_fault_headers(client: httpx.Client, fail: str, status: int, code: str | None) -> None:
    response = client.post(
        "/chat/completions",
        json={"model": "fake-model", "messages": [{"role": "user", "content": "x"}]},
        headers={"x-upstream-fail": fail, "x-upstream-retry-after": "3"},
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 429:
        assert response.headers["retry-after"] == "3"


def test_embeddings_base64_and_dimensions(client: httpx.Client) -> None:
    texts = {"model": "fake-embed-384", "input": ["red apple", "green apple"]}
    floats = client.post("/embeddings", json=texts).json()
    packed = client.post("/embeddings", json={**texts, "encoding_format": "base64"}).json()
    short = client.post("/embeddings", json={**texts, "dimensions": 8}).json()
    default = client.post("/embeddings", json={"model": "other", "input": "x"}).json()

    vector = floats["data"][0]["embedding"]
    assert len(vector) == 384
    decoded = struct.unpack("<384f", base64.b64decode(packed["data"][0]["embedding"]))
    assert decoded == pytest.approx(vector, abs=1e-6)
    assert len(short["data"][1]["embedding"]) == 8
    assert len(default["data"][0]["embedding"]) == 1536


def test_models_list(client: httpx.Client) -> None:
    models = client.get("/models").json()

    assert models["object"] == "list"
    assert {"fake-model", "fake-embed-384"} <= {m["id"] for m in models["data"]}


def test_runs_as_a_module_on_a_given_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.upstream", "--port", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the upstream module did not start"
                time.sleep(0.05)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-direct", "anthropic-version": "2023-06-01"}
ANTHROPIC_TOOL = {
    "name": "lookup",
    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
}


def anthropic_events(upstream: Upstream, **body: Any) -> list[tuple[str, Any]]:
    payload = {"model": "fake-model", "max_tokens": 100, "stream": True, **body}
    with httpx.stream(
        "POST", upstream.root_url + "/v1/messages", json=payload, headers=ANTHROPIC_HEADERS
    ) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    data = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    assert [d["type"] for d in data] == names
    return list(zip(names, data, strict=True))


def test_anthropic_messages_stream_text(upstream: Upstream) -> None:
    events = anthropic_events(
        upstream, system="be brief", messages=[{"role": "user", "content": "hello big world"}]
    )

    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == "Echo: hello big world"
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert events[-2][1]["usage"]["output_tokens"] == 4


def test_anthropic_messages_tool_use_and_results(upstream: Upstream) -> None:
    events = anthropic_events(
        upstream,
        tools=[ANTHROPIC_TOOL],
        messages=[{"role": "user", "content": [{"type": "text", "text": "call lookup q=x"}]}],
    )
    start = next(d for n, d in events if n == "content_block_start")["content_block"]
    assert (start["type"], start["name"], start["input"]) == ("tool_use", "lookup", {})
    pieces = [d["delta"]["partial_json"] for n, d in events if n == "content_block_delta"]
    assert json.loads("".join(pieces)) == {"q": "x"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"

    answer = httpx.post(
        upstream.root_url + "/v1/messages",
        headers=ANTHROPIC_HEADERS,
        json={
            "model": "fake-model",
            "max_tokens": 100,
            "messages": [
                {"role": "user", "content": "call lookup q=x"},
                {"role": "assistant", "content": [{"type": "tool_use", **start, "input": {}}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": start["id"], "content": "found"}
                    ],
                },
            ],
        },
    ).json()
    assert answer["content"] == [{"type": "text", "text": "Tool outputs: found"}]
    assert answer["stop_reason"] == "end_turn"


def test_anthropic_errors_use_its_envelope(upstream: Upstream) -> None:
    response = httpx.post(
        upstream.root_url + "/v1/messages",
        headers=ANTHROPIC_HEADERS,
        json={"model": "fake-fail-429", "max_tokens": 5, "messages": []},
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "rate_limit_error"
    missing = httpx.post(
        upstream.root_url + "/v1/messages",
        headers={"x-api-key": "k"},
        json={"model": "fake-model", "max_tokens": 5, "messages": []},
    )
    assert missing.status_code == 400 and missing.json()["type"] == "error"
