"""A server that is still importing LiteLLM answers plain OpenAI chat calls at once, sending the
provider what it sends once LiteLLM is loaded; other calls wait for the import.

The import is held by a stand-in (`HeldLoader`) in the server's engine, released by the test: the
calls asserted "answered before the import finishes" are answered while it is still held.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

from app.edge import Edge
from app.settings import Settings
from inference import LiteLLMEngine
from inference.loader import load_litellm
from tests.support.litellm_loaders import HeldLoader
from tests.support.live_server import LiveServer
from tests.upstream import Upstream

SDK_TIMEOUT = 20.0
"""Seconds the SDK waits: a call wrongly waiting for the held import fails with a timeout."""


@pytest.fixture(scope="module")
def loading_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Any]]:
    """A live server whose engine sees LiteLLM as importing until the test releases it."""
    tmp = tmp_path_factory.mktemp("server-early")
    server = LiveServer(Settings(store=f"sqlite:///{tmp / 'a.db'}", workers=1)).start()
    load_litellm()  # the lifespan's own warm-up, in this process: done before the swap
    app = server.server.config.app
    assert isinstance(app, Edge)
    state = app.state
    held = HeldLoader()
    # The same engine settings (outbound policy included), only its LiteLLM import held; the
    # server's shutdown closes it.
    state.inference = LiteLLMEngine(state.inference.settings, loader=held)
    yield server, held
    held.release()
    server.stop()


@pytest.fixture
def marker() -> str:
    """A unique word, to find a test's requests in the upstream's log."""
    return f"m{uuid.uuid4().hex[:12]}"


@pytest.fixture
def held(loading_server: tuple[LiveServer, HeldLoader]) -> Iterator[HeldLoader]:
    loader = loading_server[1]
    loader.hold()
    yield loader
    loader.release()


@pytest.fixture
def sdk(loading_server: tuple[LiveServer, HeldLoader], upstream: Upstream) -> Iterator[Any]:
    with openai.OpenAI(
        base_url=loading_server[0].url + "/v1",
        api_key=f"sk-early-{uuid.uuid4().hex}",
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=SDK_TIMEOUT,
    ) as client:
        yield client


def ask(client: Any, stream: bool, **params: Any) -> tuple[str, dict[str, Any] | None]:
    """The answer's text and usage, streamed or not."""
    if not stream:
        reply = client.chat.completions.create(**params)
        return reply.choices[0].message.content, reply.usage.model_dump()
    text: list[str] = []
    usage = None
    for chunk in client.chat.completions.create(stream=True, **params):
        text.extend(c.delta.content or "" for c in chunk.choices)
        usage = chunk.usage.model_dump() if chunk.usage else usage
    return "".join(text), usage


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_plain_chat_is_answered_while_litellm_loads_and_sent_as_after_it(
    sdk: Any, held: HeldLoader, upstream: Upstream, marker: str, stream: bool
) -> None:
    params: dict[str, Any] = {
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"{marker} hello there"},
        ],
        "temperature": 0.2,
        "max_tokens": 50,
        "stop": ["\n\n"],
        "seed": 7,
    }
    if stream:
        params["stream_options"] = {"include_usage": True}

    early = ask(sdk, stream, **params)
    assert not held.asked.is_set() and not held.is_loaded()  # answered, the import still held
    held.release()
    later = ask(sdk, stream, **params)
    assert held.loads == 1  # this one went through LiteLLM

    assert early == later
    assert early[0] == f"Echo: {marker} hello there"
    first, second = upstream.requests.containing(marker)
    assert (first.method, first.path, first.headers, first.body) == (
        second.method,
        second.path,
        second.headers,
        second.body,
    )
    assert first.body["model"] == "fake-model" and first.body.get("stream", False) is stream


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_call_litellm_must_prepare_waits_for_the_import_then_is_answered(
    sdk: Any, held: HeldLoader, upstream: Upstream, marker: str, stream: bool
) -> None:
    params = {
        "model": "fake-model",
        "messages": [{"role": "user", "content": marker}],
        "reasoning_effort": "low",  # LiteLLM decides per model whether it is sent
    }
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(ask, sdk, stream, **params)
        assert held.asked.wait(SDK_TIMEOUT)  # the server asked for LiteLLM
        assert not call.done()
        assert upstream.requests.containing(marker) == []  # and sent nothing meanwhile
        held.release()
        text, _ = call.result(SDK_TIMEOUT)

    assert text == f"Echo: {marker}"
    (sent,) = upstream.requests.containing(marker)
    assert sent.body["reasoning_effort"] == "low"


def test_a_run_is_answered_while_litellm_loads(
    sdk: Any, held: HeldLoader, upstream: Upstream, marker: str
) -> None:
    assistant = sdk.beta.assistants.create(model="fake-model", instructions="Be brief.")
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": marker}])
    run = sdk.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=50
    )

    assert run.status == "completed"
    assert not held.asked.is_set()
    reply = sdk.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.content[0].text.value.endswith(marker)
    assert len(upstream.requests.containing(marker)) == 1
