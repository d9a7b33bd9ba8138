"""Astra mode against a local DevOps API stub, with the CQL path on the real local node.

The provider's connect step is swapped for a contact-point connection to the project's Cassandra
node (after checking it was handed the downloaded bundle); everything else, from the DevOps calls
to the schema and the session cache, is the production code.
"""

from __future__ import annotations

import asyncio
import stat
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cassandra.cluster import Cluster

from storage.astra.provider import AstraProvider
from storage.base import Key, Kind, Store
from storage.cassandra.cluster import new_cluster
from storage.cassandra.store import CassandraStore
from storage.cassandra.translate import translate
from storage.errors import DatabaseNotReady, StorageError, TenantAuthError
from storage.settings import AstraSettings
from tests.storage_cassandra.devops_stub import BUNDLE_BYTES, DevOpsStub, StubDatabase
from tests.support import cassandra

pytestmark = pytest.mark.cassandra

DB_NAME = "assistant_api_db"
TOKEN = "AstraCS:stub-token-of-tenant-a"
OTHER_TOKEN = "AstraCS:stub-token-of-tenant-b"


@pytest.fixture(scope="module")
def stub() -> Iterator[DevOpsStub]:
    server = DevOpsStub().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def keyspace() -> AsyncIterator[str]:
    """The tenant database's keyspace (on Astra the DevOps API creates it, here we do)."""
    cassandra.require()
    name = cassandra.fresh_keyspace("astra")
    cluster = Cluster([cassandra.HOST], port=cassandra.PORT)
    session = await asyncio.to_thread(cluster.connect)
    create = (
        f"CREATE KEYSPACE {name} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    await asyncio.to_thread(session.execute, create, timeout=60)
    yield name
    await asyncio.to_thread(session.execute, f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
    await asyncio.to_thread(cluster.shutdown)


class LocalConnector:
    """Connects to the local node instead of Astra, after checking the bundle it was given."""

    def __init__(self) -> None:
        self.connected: list[str] = []

    async def __call__(self, token: str, db_id: str, bundle: Path) -> Cluster:
        assert bundle.read_bytes() == BUNDLE_BYTES
        self.connected.append(db_id)
        return await asyncio.to_thread(
            new_cluster,
            consistency="ONE",
            serial_consistency="SERIAL",
            timeout=10.0,
            contact_points=[cassandra.HOST],
            port=cassandra.PORT,
        )


@pytest.fixture
def reset(stub: DevOpsStub) -> DevOpsStub:
    stub.orgs.clear()
    stub.calls.clear()
    stub.download_auth.clear()
    stub.created.clear()
    return stub


def provider_for(
    stub: DevOpsStub, keyspace: str, tmp_path: Path, cache_size: int = 64, ttl: float = 3600.0
) -> AstraProvider:
    settings = AstraSettings(
        db_name=DB_NAME,
        keyspace=keyspace,
        devops_url=stub.base_url,
        timeout=1.0,
        session_cache_size=cache_size,
        session_ttl=ttl,
    )
    return AstraProvider(
        settings, connector=LocalConnector(), bundle_dir=tmp_path / "bundles", chunk_dimensions=()
    )


async def round_trip(store: Store) -> None:
    key = Key("tenant-astra", Kind.ASSISTANT, "", f"asst_{time.monotonic_ns()}")
    assert await store.docs.put(key, {"id": key.id}) == 1
    found = await store.docs.get(key)
    assert found is not None and found.doc == {"id": key.id}


async def test_active_database_found_by_name(
    reset: DevOpsStub, keyspace: str, tmp_path: Path
) -> None:
    db = StubDatabase(DB_NAME, keyspace)
    reset.add_token(TOKEN, StubDatabase("another_db", "other"), db)
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        store = await provider.for_request(TOKEN, None)
        await round_trip(store)
        assert await provider.for_request(TOKEN, None) is store
        assert reset.calls.count(("GET", "/v2/databases")) == 1  # the lookup is cached
        assert ("POST", f"/v2/databases/{db.id}/secureBundleURL") in reset.calls
        assert reset.download_auth == [None]  # the token never goes to the download host
        bundle = provider.bundle_path(db.id)
        assert bundle.read_bytes() == BUNDLE_BYTES
        assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    finally:
        await provider.close()


async def test_missing_database_is_created_then_served(
    reset: DevOpsStub, keyspace: str, tmp_path: Path
) -> None:
    reset.add_token(TOKEN)
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        with pytest.raises(DatabaseNotReady) as caught:
            await provider.for_request(TOKEN, None)
        assert caught.value.retry_after == 60
        assert len(reset.created) == 1
        assert reset.created[0]["name"] == DB_NAME
        assert reset.created[0]["keyspace"] == keyspace
        assert reset.created[0]["region"] == "us-east1"
        (created,) = reset.orgs[TOKEN]
        with pytest.raises(DatabaseNotReady):  # still PENDING: no second database
            await provider.for_request(TOKEN, None)
        assert len(reset.created) == 1
        created.status = "ACTIVE"
        await round_trip(await provider.for_request(TOKEN, None))
    finally:
        await provider.close()


async def test_hibernated_database_is_resumed_without_waiting(
    reset: DevOpsStub, keyspace: str, tmp_path: Path
) -> None:
    db = StubDatabase(DB_NAME, keyspace, status="HIBERNATED")
    reset.add_token(TOKEN, db)
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        began = time.monotonic()
        with pytest.raises(DatabaseNotReady) as caught:
            await provider.for_request(TOKEN, None)
        assert time.monotonic() - began < 2.0
        assert caught.value.retry_after == 30
        assert ("POST", f"/v2/databases/{db.id}/keyspaces/{keyspace}") in reset.calls
        assert db.status == "RESUMING"
        with pytest.raises(DatabaseNotReady) as caught:
            await provider.for_request(TOKEN, None)
        assert caught.value.retry_after == 15
        db.status = "ACTIVE"
        await round_trip(await provider.for_request(TOKEN, None))
    finally:
        await provider.close()


async def test_missing_keyspace_is_added(reset: DevOpsStub, keyspace: str, tmp_path: Path) -> None:
    db = StubDatabase(DB_NAME, "default_keyspace")
    reset.add_token(TOKEN, db)
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        with pytest.raises(DatabaseNotReady) as caught:
            await provider.for_request(TOKEN, None)
        assert caught.value.retry_after == 10
        assert db.additional == [keyspace] and db.status == "MAINTENANCE"
        db.status = "ACTIVE"
        await round_trip(await provider.for_request(TOKEN, None))
    finally:
        await provider.close()


async def test_refused_or_missing_token(reset: DevOpsStub, keyspace: str, tmp_path: Path) -> None:
    reset.add_token(TOKEN, StubDatabase(DB_NAME, keyspace))
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        with pytest.raises(TenantAuthError) as caught:
            await provider.for_request("AstraCS:wrong", None)
        assert "wrong" not in str(caught.value)
        with pytest.raises(TenantAuthError):
            await provider.for_request(None, None)
    finally:
        await provider.close()


async def test_database_id_header(reset: DevOpsStub, keyspace: str, tmp_path: Path) -> None:
    db = StubDatabase("some_other_name", keyspace)
    reset.add_token(TOKEN, db)
    provider = provider_for(reset, keyspace, tmp_path)
    await provider.start()
    try:
        await round_trip(await provider.for_request(TOKEN, db.id))
        assert ("GET", f"/v2/databases/{db.id}") in reset.calls
        assert ("GET", "/v2/databases") not in reset.calls
        with pytest.raises(TenantAuthError):
            await provider.for_request(TOKEN, "00000000-0000-0000-0000-000000000000")
        calls = len(reset.calls)
        with pytest.raises(TenantAuthError):
            await provider.for_request(TOKEN, "../../etc/passwd")
        assert len(reset.calls) == calls  # refused before any call or file access
    finally:
        await provider.close()


async def test_sessions_are_an_lru_with_ttl(
    reset: DevOpsStub, keyspace: str, tmp_path: Path
) -> None:
    reset.add_token(TOKEN, StubDatabase(DB_NAME, keyspace))
    reset.add_token(OTHER_TOKEN, StubDatabase(DB_NAME, keyspace))
    provider = provider_for(reset, keyspace, tmp_path, cache_size=1, ttl=3.0)
    await provider.start()
    try:
        first = await provider.for_request(TOKEN, None)
        assert isinstance(first, CassandraStore)
        second = await provider.for_request(OTHER_TOKEN, None)
        assert provider.open_sessions == 1
        await asyncio.sleep(2.5)  # the evicted session is shut down after its grace period
        assert first.cql.driver_session.cluster.is_shutdown
        await round_trip(second)
        await asyncio.sleep(1.0)  # past the TTL: a new session
        third = await provider.for_request(OTHER_TOKEN, None)
        assert third is not second
        await round_trip(third)
    finally:
        await provider.close()


def test_refused_cql_credentials_are_the_tenants() -> None:
    from cassandra import AuthenticationFailed
    from cassandra.cluster import NoHostAvailable

    refused = NoHostAvailable("unable", {"10.0.0.1:9042": AuthenticationFailed("bad token")})
    assert isinstance(translate(refused, tenant_auth=True), TenantAuthError)
    operator = translate(refused, tenant_auth=False)
    assert type(operator) is StorageError and "10.0.0.1" not in str(operator)
