"""Fixtures for the Cassandra backend's own tests: a started provider on a fresh keyspace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage.cassandra import patience
from storage.cassandra.provider import CassandraProvider
from storage.cassandra.store import CassandraStore
from storage.settings import CassandraSettings, parse_store_url
from tests.support import cassandra


def settings_for(keyspace: str) -> CassandraSettings:
    settings = parse_store_url(cassandra.store_url(keyspace))
    assert isinstance(settings, CassandraSettings)
    return settings


@pytest.fixture(scope="session")
async def cql_provider() -> AsyncIterator[CassandraProvider]:
    cassandra.require()
    keyspace = cassandra.fresh_keyspace("cqltest")
    provider = CassandraProvider(settings_for(keyspace), chunk_dimensions=())
    await provider.start()
    yield provider
    session = provider.store.cql.driver_session
    await asyncio.to_thread(session.execute, f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
    await provider.close()


@pytest.fixture
def cql_store(cql_provider: CassandraProvider) -> CassandraStore:
    return cql_provider.store


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backoff between tries of a refused write takes no time (the patience still counts)."""
    real_sleep = asyncio.sleep

    async def no_wait(seconds: float) -> None:
        await real_sleep(0)

    monkeypatch.setattr(patience.asyncio, "sleep", no_wait)
