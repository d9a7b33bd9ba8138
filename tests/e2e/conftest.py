"""End-to-end fixtures: the unmodified openai SDK against a live server, per storage backend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import openai
import pytest

from tests.upstream import Upstream


def _key() -> str:
    return f"sk-e2e-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Provider:
    """How a test reaches the fake upstream: OpenAI's chat API, or Anthropic's Messages API
    through LiteLLM's `anthropic` provider (model `anthropic/<name>`)."""

    name: str
    prefix: str

    def model(self, name: str) -> str:
        return self.prefix + name

    def base_url(self, upstream: Upstream) -> str:
        # Anthropic's base URL is the host: LiteLLM adds `/v1/messages` itself.
        return upstream.base_url if self.name == "openai" else upstream.root_url


PROVIDERS = [Provider("openai", ""), Provider("anthropic", "anthropic/")]


@pytest.fixture(params=PROVIDERS, ids=lambda p: p.name)
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param


@pytest.fixture
def provider_client(live_server, upstream, api_key, provider):
    """`client`, reaching the upstream through each provider in turn."""
    with openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=api_key,
        default_headers={"base-url": provider.base_url(upstream)},
        max_retries=0,
        timeout=60,
    ) as sdk:
        yield sdk


@pytest.fixture
def api_key() -> str:
    """A fresh credential, so each test is its own tenant."""
    return _key()


@pytest.fixture
def client(live_server, upstream, api_key):
    with openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=api_key,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=60,
    ) as sdk:
        yield sdk


@pytest.fixture
async def aclient(live_server, upstream, api_key):
    async with openai.AsyncOpenAI(
        base_url=live_server.url + "/v1",
        api_key=api_key,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=60,
    ) as sdk:
        yield sdk


@pytest.fixture
def other_client(live_server, upstream):
    """A second tenant on the same server."""
    with openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=_key(),
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=60,
    ) as sdk:
        yield sdk
