"""End-to-end fixtures: the unmodified openai SDK against a live server, per storage backend."""

from __future__ import annotations

import uuid

import openai
import pytest


def _key() -> str:
    return f"sk-e2e-{uuid.uuid4().hex}"


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
