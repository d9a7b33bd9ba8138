"""Embeddings through LiteLLM: floats, dimensions, batching in order, the embedding-model header."""

from __future__ import annotations

import math

import pytest

from inference import BadProviderRequest, InferenceSettings, LiteLLMEngine, ProviderAuthError
from tests.inference.conftest import OptionsFactory
from tests.upstream import Upstream


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_float_vectors_in_input_order(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    texts = [f"{marker} the cat sat on the mat", "quarterly revenue grew", "a cat on a mat"]
    result = await engine.embed(texts, "fake-embed-384", options_for())

    assert (result.model, result.dimensions, len(result.vectors)) == ("fake-embed-384", 384, 3)
    assert all(isinstance(x, float) for x in result.vectors[0])
    assert math.isclose(cosine(result.vectors[0], result.vectors[0]), 1.0, rel_tol=1e-6)
    related, unrelated = result.vectors[2], result.vectors[1]
    assert cosine(result.vectors[0], related) > cosine(result.vectors[0], unrelated)
    assert result.usage["prompt_tokens"] > 0


async def test_dimensions_are_honoured(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    result = await engine.embed(marker, "fake-embed-384", options_for(), dimensions=64)

    assert result.dimensions == 64
    assert len(result.vectors[0]) == 64
    (sent,) = upstream.requests.containing(marker)
    assert sent.body["dimensions"] == 64


async def test_default_model_is_the_embedding_model_header(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    result = await engine.embed([marker], None, options_for(embedding_model="fake-embed-32"))

    assert (result.model, result.dimensions) == ("fake-embed-32", 32)
    (sent,) = upstream.requests.containing(marker)
    assert sent.api_key == "sk-test-key"


async def test_batches_keep_the_order(
    options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    engine = LiteLLMEngine(InferenceSettings(embedding_batch_size=4, embedding_concurrency=3))
    texts = [f"{marker} item{i}" for i in range(10)]
    batched = await engine.embed(texts, "fake-embed-48", options_for())
    singles = [(await engine.embed(t, "fake-embed-48", options_for())).vectors[0] for t in texts]

    assert batched.vectors == singles
    batch_sizes = sorted(len(r.body["input"]) for r in upstream.requests.containing(marker)[:3])
    assert batch_sizes == [2, 4, 4]


async def test_embedding_errors_are_mapped(
    engine: LiteLLMEngine, options_for: OptionsFactory
) -> None:
    with pytest.raises(ProviderAuthError):
        await engine.embed(["x"], "fake-embed-8-fail-401", options_for())
    with pytest.raises(BadProviderRequest):
        await engine.embed([], "fake-embed-8", options_for())
