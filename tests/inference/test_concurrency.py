"""Concurrent calls with different keys never see each other's credentials."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from inference import ChatRequest, LiteLLMEngine
from tests.inference.conftest import OptionsFactory
from tests.upstream import Upstream

N = 50


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
async def test_each_key_reaches_the_provider_only_on_its_own_request(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, stream: bool
) -> None:
    run = uuid.uuid4().hex[:8]
    keys = {f"tenant{i:02d}{run}": f"sk-tenant-{i:02d}-{uuid.uuid4().hex}" for i in range(N)}

    async def call(identity: str, key: str) -> str:
        request = ChatRequest(
            model="fake-slow-20", messages=[{"role": "user", "content": identity}]
        )
        if not stream:
            result = await engine.chat(request, options_for(key))
            return str(result["choices"][0]["message"]["content"])
        parts = [c async for c in engine.chat_stream(request, options_for(key))]
        return "".join(p["choices"][0]["delta"].get("content") or "" for p in parts if p["choices"])

    replies = await asyncio.gather(*(call(identity, key) for identity, key in keys.items()))

    assert replies == [f"Echo: {identity}" for identity in keys]
    seen = upstream.requests.containing(run)
    assert len(seen) == N
    for request in seen:
        identity = request.body["messages"][0]["content"]
        assert request.api_key == keys[identity], f"{identity} arrived with another tenant's key"
