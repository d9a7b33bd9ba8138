"""Fixtures for the inference tests: engines tuned for fast failures, and options for the upstream.

The fake provider itself is the suite-wide, session-scoped `upstream` fixture (tests/conftest.py);
`inference_upstream` below is the same server, typed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from inference import InferenceSettings, LiteLLMEngine, ProviderOptions, options_from_headers
from inference.settings import RELAYS
from tests.upstream import Upstream

FAST = InferenceSettings(
    timeout=5.0,
    max_retries=2,
    retry_backoff=0.01,
    retry_backoff_max=0.05,
    retry_after_cap=0.05,
    retry_budget=5.0,
)

OptionsFactory = Callable[..., ProviderOptions]


@pytest.fixture(scope="session")
def inference_upstream(upstream: Upstream) -> Upstream:
    return upstream


@pytest.fixture(scope="session", params=RELAYS)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[LiteLLMEngine]:
    """Each test runs on both relays: the direct one and LiteLLM's own (`acompletion`)."""
    engine = LiteLLMEngine(replace(FAST, relay=request.param))
    engine.warm()
    yield engine
    await engine.aclose()


@pytest.fixture(scope="session")
def options_for(inference_upstream: Upstream) -> OptionsFactory:
    """Options as the HTTP layer would build them: a bearer key and `base-url` at the upstream."""

    def build(key: str | None = "sk-test-key", **headers: str) -> ProviderOptions:
        raw = {"base-url": inference_upstream.base_url}
        if key is not None:
            raw["Authorization"] = f"Bearer {key}"
        raw.update({name.replace("_", "-"): value for name, value in headers.items()})
        return options_from_headers(raw, frozenset({"server-key"}))

    return build


@pytest.fixture
def marker() -> str:
    """A unique word to put in a message, to find its requests in the upstream's log."""
    return f"m{uuid.uuid4().hex[:12]}"
