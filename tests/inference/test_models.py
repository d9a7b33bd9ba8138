"""The model list: configured models, the provider's own list, LiteLLM's registry."""

from __future__ import annotations

from inference import InferenceSettings, LiteLLMEngine, options_from_headers
from tests.inference.conftest import OptionsFactory
from tests.upstream import Upstream


async def test_configured_then_provider_then_registry_models(
    options_for: OptionsFactory, upstream: Upstream
) -> None:
    engine = LiteLLMEngine(InferenceSettings(models=("my-model", "gpt-4o-mini")))
    models = await engine.list_models(options_for("sk-list-key"))

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


async def test_without_a_base_url_only_the_registry_answers(engine: LiteLLMEngine) -> None:
    models = await engine.list_models(options_from_headers({}))

    assert len(models) > 1000
    assert all(m["object"] == "model" for m in models)
