"""The operator's outbound policy through the openai SDK: a refused `base-url` gets nothing.

The fake provider listens on 127.0.0.1 (`upstream`) and 127.0.0.2 (`upstream_2`). One server
refuses 127.0.0.2 (ASSISTANTS_OUTBOUND_DENY); one has API keys, so loopback is refused by default,
and allows 127.0.0.2 only. Every address here is a loopback address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from app.settings import Settings
from inference.loader import load_litellm
from tests.support.live_server import LiveServer
from tests.upstream import Upstream

SERVER_KEY = "sk-server-outbound"


@pytest.fixture(scope="module", autouse=True)
def _litellm_loaded() -> None:
    load_litellm()  # seconds (more on a busy machine): not inside a request's timeout


@pytest.fixture(scope="module")
def deny_2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ASSISTANTS_STORE": f"sqlite:///{tmp_path_factory.mktemp('deny2') / 'a.db'}"}
    settings = Settings.from_env({**env, "WORKERS": "1", "ASSISTANTS_OUTBOUND_DENY": "127.0.0.2"})
    server = LiveServer(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(
        store=f"sqlite:///{tmp_path_factory.mktemp('keyed') / 'a.db'}",
        workers=1,
        api_keys=frozenset({SERVER_KEY}),  # type: ignore[arg-type]
        outbound_allow=["127.0.0.2"],
    )
    server = LiveServer(settings).start()
    yield server
    server.stop()


@pytest.fixture
def marker() -> str:
    """A unique word, to find a test's requests in an upstream's log."""
    return f"m{uuid.uuid4().hex[:12]}"


def sdk(server: LiveServer, base_url: str, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url + "/v1",
        api_key=headers.pop("bearer", f"sk-tenant-{uuid.uuid4().hex}"),
        default_headers={"base-url": base_url, **headers},
        max_retries=0,
        timeout=60,
    )


def assert_refused(error: openai.BadRequestError, host: str) -> None:
    body = error.body if isinstance(error.body, dict) else {}
    assert error.status_code == 400
    assert body.get("code") == "outbound_refused"
    assert body.get("type") == "invalid_request_error"
    assert f"'{host}'" in body["message"] and "outbound policy" in body["message"]


def test_chat_stream_embeddings_and_models_to_a_refused_address(
    deny_2_server: LiveServer, upstream_2: Upstream, marker: str
):
    before = len(upstream_2.requests)
    with sdk(deny_2_server, upstream_2.base_url) as client:
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": marker}]
        with pytest.raises(openai.BadRequestError) as plain:
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert_refused(plain.value, "127.0.0.2")
        with pytest.raises(openai.BadRequestError) as streamed:
            client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
        assert_refused(streamed.value, "127.0.0.2")
        with pytest.raises(openai.BadRequestError) as embedded:
            client.embeddings.create(model="fake-embed-8", input=[marker])
        assert_refused(embedded.value, "127.0.0.2")
        with pytest.raises(openai.BadRequestError) as listed:
            client.models.list()
        assert_refused(listed.value, "127.0.0.2")
    assert len(upstream_2.requests) == before


def test_a_run_to_a_refused_address_fails_and_sends_nothing(
    deny_2_server: LiveServer, upstream_2: Upstream, marker: str
):
    with sdk(deny_2_server, upstream_2.base_url) as client:
        assistant = client.beta.assistants.create(model="gpt-4o-mini")
        thread = client.beta.threads.create(messages=[{"role": "user", "content": marker}])
        run = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=50
        )
    assert run.status == "failed"
    assert run.last_error is not None
    assert "'127.0.0.2'" in run.last_error.message
    assert "outbound policy" in run.last_error.message
    assert upstream_2.requests.containing(marker) == []


def test_an_allowed_address_still_answers(
    deny_2_server: LiveServer, upstream: Upstream, marker: str
):
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": marker}]
    with sdk(deny_2_server, upstream.base_url) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        streamed = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert reply.choices[0].message.content == text == f"Echo: {marker}"
    assert len(upstream.requests.containing(marker)) == 2


def test_with_server_keys_loopback_is_refused_unless_allowed(
    keyed_server: LiveServer, upstream: Upstream, upstream_2: Upstream, marker: str
):
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": marker}]
    for base_url, host in (
        (upstream.base_url, "127.0.0.1"),
        (f"http://localhost:{upstream.port}/v1", "localhost"),
    ):
        with (
            sdk(keyed_server, base_url, bearer=SERVER_KEY, **{"api-key": "sk-p"}) as client,
            pytest.raises(openai.BadRequestError) as refused,
        ):
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert_refused(refused.value, host)
        assert "a loopback address" in refused.value.body["message"]  # type: ignore[index]
    assert upstream.requests.containing(marker) == []

    with sdk(keyed_server, upstream_2.base_url, bearer=SERVER_KEY, **{"api-key": "sk-p"}) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert reply.choices[0].message.content == f"Echo: {marker}"
    (sent,) = upstream_2.requests.containing(marker)
    assert sent.api_key == "sk-p"


def test_the_operators_own_provider_url_is_not_judged_by_the_policy(
    keyed_server: LiveServer, upstream: Upstream, marker: str, monkeypatch: pytest.MonkeyPatch
):
    """The policy is for callers' URLs: the server's configured provider (OPENAI_API_BASE, here
    on loopback, which this server refuses to callers) is reached with the server's key."""
    provider_key = f"sk-operator-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_BASE", upstream.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", provider_key)
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": marker}]
    with openai.OpenAI(
        base_url=keyed_server.url + "/v1", api_key=SERVER_KEY, max_retries=0, timeout=60
    ) as client:
        reply = client.chat.completions.create(model="openai/fake-model", messages=messages)
        streamed = client.chat.completions.create(
            model="openai/fake-model", messages=messages, stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        vectors = client.embeddings.create(model="openai/fake-embed-8", input=[marker])
    assert reply.choices[0].message.content == text == f"Echo: {marker}"
    assert len(vectors.data[0].embedding) == 8
    sent = upstream.requests.containing(marker)
    assert len(sent) == 3 and {r.api_key for r in sent} == {provider_key}
