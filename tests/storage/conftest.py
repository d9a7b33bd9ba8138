"""The storage contract's fixtures: one ``store`` per backend, building only the backend in use.

sqlite gets a fresh file per test. Cassandra gets one fresh keyspace per session (dropped at the
end) and each test a fresh tenant, which the contract guarantees isolates it from the others.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.base import Store, StoreProvider
from storage.settings import CassandraSettings, SqliteSettings, parse_store_url
from storage.sqlite import SqliteProvider
from tests.storage.ids import IdMaker
from tests.support import cassandra

BACKENDS = [pytest.param("sqlite"), pytest.param("cassandra", marks=pytest.mark.cassandra)]


@pytest.fixture(scope="session")
def new_id() -> Callable[[str], str]:
    return IdMaker()


@pytest.fixture
def tenant() -> str:
    return f"tenant-{uuid.uuid4().hex}"


@pytest.fixture
def other_tenant() -> str:
    return f"tenant-{uuid.uuid4().hex}"


async def start_sqlite(path: Path) -> SqliteProvider:
    provider = SqliteProvider(SqliteSettings(path=path))
    await provider.start()
    return provider


@pytest.fixture
async def sqlite_provider(tmp_path: Path) -> AsyncIterator[SqliteProvider]:
    provider = await start_sqlite(tmp_path / "store.db")
    yield provider
    await provider.close()


def cassandra_settings(keyspace: str) -> CassandraSettings:
    settings = parse_store_url(cassandra.store_url(keyspace))
    assert isinstance(settings, CassandraSettings)
    return settings


def _require_cassandra_backend() -> type:
    cassandra.require()
    try:
        from storage.cassandra.provider import CassandraProvider
    except ImportError as error:
        message = f"the Cassandra backend is not importable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CassandraProvider


@pytest.fixture(scope="session")
async def cassandra_provider() -> AsyncIterator[StoreProvider]:
    provider_class = _require_cassandra_backend()
    keyspace = cassandra.fresh_keyspace("test")
    provider: StoreProvider = provider_class(cassandra_settings(keyspace))
    try:
        await provider.start()
        yield provider
        await provider.close()
    finally:
        _drop_keyspace(keyspace)


def _drop_keyspace(keyspace: str) -> None:
    from cassandra.cluster import Cluster

    cluster = Cluster([cassandra.HOST], port=cassandra.PORT)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
    finally:
        cluster.shutdown()


@pytest.fixture(params=BACKENDS)
def provider(request: pytest.FixtureRequest) -> StoreProvider:
    """The started provider of the backend under test (built only when a test asks for it)."""
    return request.getfixturevalue(f"{request.param}_provider")


@pytest.fixture
async def store(provider: StoreProvider) -> Store:
    return await provider.for_request(None, None)
