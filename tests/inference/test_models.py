"""The model list: configured models, the provider's own list, LiteLLM's registry for the
providers the caller or the server has credentials for."""

from __future__ import annotations

import os

import pytest

from inference import InferenceSettings, LiteLLMEngine, options_from_headers
from tests.inference.conftest import OptionsFactory
from tests.upstream import Upstream


async def test_configured_then_provider_then_registry_models(
    options_for: OptionsFactory, upstream: Upstream
) -> None:
    engine = LiteLLMEngine(InferenceSettings(models=("my-model", "gpt-4o-mini")))
    models = await engine.list_models(options_for("sk-list-key"))
    await engine.aclose()

    ids = [m["id"] for m in models]
    assert ids[:2] == ["my-model", "gpt-4o-mini"]
    assert ids[2:5] == ["fake-model", "fake-embed-384", "text-embedding-3-small"]
    assert len(ids) == len(set(ids))
    assert {"gpt-4o", "text-embedding-3-large"} <= set(ids)
    for model in models[:10]:
        assert set(model) == {"id", "object", "created", "owned_by"}
        assert model["object"] == "model"
    registry = {m["id"]: m for m in models}
    assert registry["gpt-4o"]["owned_by"] == "openai"
    listed = [r for r in upstream.requests if r.path == "/v1/models"]
    assert listed[-1].api_key == "sk-list-key"


async def test_an_unreachable_provider_list_is_left_out(engine: LiteLLMEngine) -> None:
    options = options_from_headers({"base-url": "http://127.0.0.1:9/v1"})

    models = await engine.list_models(options)

    assert "gpt-4o" in {m["id"] for m in models}


@pytest.fixture
def no_server_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)


async def test_without_credentials_only_the_servers_providers_are_listed(
    monkeypatch: pytest.MonkeyPatch, no_server_keys: None
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-server")
    models = await LiteLLMEngine().list_models(options_from_headers({}))

    assert models and {m["owned_by"] for m in models} == {"anthropic"}
    assert all(m["object"] == "model" for m in models)


async def test_a_callers_key_lists_its_provider(no_server_keys: None) -> None:
    engine = LiteLLMEngine()
    openai = await engine.list_models(options_from_headers({"authorization": "Bearer sk-x"}))
    anthropic = await engine.list_models(
        options_from_headers({"authorization": "Bearer sk-x", "custom-llm-provider": "anthropic"})
    )

    assert "gpt-4o" in {m["id"] for m in openai}
    assert {m["owned_by"] for m in openai} == {"openai"}
    assert {m["owned_by"] for m in anthropic} == {"anthropic"}
    assert await engine.list_models(options_from_headers({})) == []


async def test_a_providers_own_list_is_reused_for_a_minute(
    options_for: OptionsFactory, upstream: Upstream
) -> None:
    engine = LiteLLMEngine()
    options = options_for("sk-reused-list")
    first = await engine.list_models(options)
    second = await engine.list_models(options)
    await engine.aclose()

    assert first == second
    listed = [r for r in upstream.requests if r.api_key == "sk-reused-list"]
    assert len(listed) == 1
