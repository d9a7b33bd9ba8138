"""Behaviour specific to the CQL backend, beyond the shared contract suite."""

from __future__ import annotations

import asyncio
import hashlib
import tracemalloc
import uuid
from collections.abc import AsyncIterator

import numpy as np
import pytest

from storage.base import Chunk, Key, Kind, PageQuery, Put
from storage.cassandra import blobs as blob_module
from storage.cassandra import chunks as chunk_module
from storage.cassandra.store import CassandraStore
from storage.errors import StorageError, StorageUnavailable, VersionConflict


def thread_id() -> str:
    return f"thread_{uuid.uuid4().hex}"


async def test_big_batches_spill_bodies_and_clean_them_up(cql_store: CassandraStore) -> None:
    tenant, thread = "tenant-spill", thread_id()
    keys = [Key(tenant, Kind.MESSAGE, thread, f"msg_{i}") for i in range(3)]
    big = [{"id": k.id, "run_id": "run_1", "text": "é" * 30_000} for k in keys]
    await cql_store.docs.write([Put(k, d) for k, d in zip(keys, big, strict=True)])
    bodies = (
        f"SELECT id FROM {cql_store.keyspace}.doc_bodies "
        "WHERE tenant = ? AND kind = ? AND parent = ?"
    )
    part = (tenant, Kind.MESSAGE.value, thread)
    assert len(await cql_store.cql.rows(bodies, part)) >= 2
    page = await cql_store.docs.list(
        tenant, Kind.MESSAGE, thread, PageQuery(order="asc"), {"run_id": "run_1"}
    )
    assert [s.doc for s in page.items] == big
    await cql_store.docs.write([Put(k, {"id": k.id}) for k in keys])
    assert await cql_store.cql.rows(bodies, part) == []
    assert [(await cql_store.docs.get(k)).doc for k in keys] == [{"id": k.id} for k in keys]  # type: ignore[union-attr]


async def test_stale_lookup_rows_are_never_listed(cql_store: CassandraStore) -> None:
    tenant, thread = "tenant-stale", thread_id()
    for i in range(10):
        key = Key(tenant, Kind.MESSAGE, thread, f"msg_{i:02d}")
        await cql_store.docs.put(key, {"id": key.id, "run_id": "run_1" if i % 2 else "run_2"})
    insert = (
        f"INSERT INTO {cql_store.keyspace}.doc_index (tenant, kind, parent, attr, value, id) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    for stale in ("msg_00", "msg_04", "msg_05x", "msg_08"):  # wrong value, or no such document
        await cql_store.cql.execute(insert, (tenant, "message", thread, "run_id", "run_1", stale))
    seen, after = [], None
    while True:
        page = await cql_store.docs.list(
            tenant,
            Kind.MESSAGE,
            thread,
            PageQuery(limit=2, order="asc", after=after),
            {"run_id": "run_1"},
        )
        seen += [s.id for s in page.items]
        if not page.has_more:
            break
        after = page.items[-1].id
    assert seen == ["msg_01", "msg_03", "msg_05", "msg_07", "msg_09"]


async def test_rows_written_by_compare_and_set_stay_lwt(cql_store: CassandraStore) -> None:
    key = Key("tenant-lwt", Kind.RUN, thread_id(), "run_1")
    docs = cql_store.docs
    assert await docs.put(key, {"status": "queued"}, expected_version=0) == 1
    assert await docs.put(key, {"status": "in_progress"}) == 2
    flag = (
        f"SELECT lwt FROM {cql_store.keyspace}.docs "
        "WHERE tenant = ? AND kind = ? AND parent = ? AND id = ?"
    )
    assert await cql_store.cql.one(flag, (key.tenant, "run", key.parent, key.id)) == (True,)
    contenders = [docs.put(key, {"status": f"s{i}"}, expected_version=2) for i in range(8)]
    outcomes = await asyncio.gather(*contenders, return_exceptions=True)
    assert sum(o == 3 for o in outcomes) == 1
    assert all(o == 3 or isinstance(o, VersionConflict) for o in outcomes)
    assert await docs.delete(key) is True
    assert await docs.get(key) is None
    assert await docs.delete(key) is False


@pytest.mark.slow
async def test_hundred_megabytes_stream_in_bounded_memory(cql_store: CassandraStore) -> None:
    size, piece = 100 * 1024 * 1024, 64 * 1024
    pattern = np.random.default_rng(3).bytes(piece)

    async def source() -> AsyncIterator[bytes]:
        for i in range(size // piece):
            yield pattern[i % 251 :] + pattern[: i % 251]

    expected = hashlib.sha256()
    for i in range(size // piece):
        expected.update(pattern[i % 251 :] + pattern[: i % 251])
    tracemalloc.start()
    try:
        assert await cql_store.blobs.write("tenant-big", "file_big", source()) == size
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = hashlib.sha256()
        async for part in cql_store.blobs.read("tenant-big", "file_big"):
            got.update(part)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.hexdigest() == expected.hexdigest()
    assert write_peak < 24 * 1024 * 1024, write_peak
    assert read_peak < 24 * 1024 * 1024, read_peak
    await cql_store.blobs.delete("tenant-big", "file_big")


async def test_failed_write_drops_its_parts_and_keeps_the_old_bytes(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def good() -> AsyncIterator[bytes]:
        yield b"old bytes"

    async def broken() -> AsyncIterator[bytes]:
        yield b"y" * 3_000_000
        raise OSError("client went away")

    await cql_store.blobs.write("tenant-fail", "file_1", good())
    gen = uuid.uuid1()
    monkeypatch.setattr(blob_module.uuid, "uuid1", lambda: gen)
    with pytest.raises(OSError):
        await cql_store.blobs.write("tenant-fail", "file_1", broken())
    assert (
        b"".join([p async for p in cql_store.blobs.read("tenant-fail", "file_1")]) == b"old bytes"
    )
    parts = (
        f"SELECT seq FROM {cql_store.keyspace}.blob_parts "
        "WHERE tenant = ? AND blob_id = ? AND gen = ? AND bucket = ?"
    )
    assert await cql_store.cql.rows(parts, ("tenant-fail", "file_1", gen, 0)) == []


async def test_large_stores_use_the_ann_index(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunk_module, "EXACT_SCAN_FLOATS", 0)
    rng = np.random.default_rng(11)
    centers = rng.standard_normal((20, 32))
    vectors = centers[np.arange(1000) % 20] + 0.05 * rng.standard_normal((1000, 32))
    vs = f"vs_{uuid.uuid4().hex}"
    files = [f"file_{i % 4}" for i in range(1000)]
    chunks = [Chunk(files[i], i, f"t{i}", vectors[i].tolist()) for i in range(1000)]
    await cql_store.chunks.add("tenant-ann", vs, chunks, 32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    query = centers[3] + 0.01 * rng.standard_normal(32)
    exact = unit @ (query / np.linalg.norm(query))
    hits = await cql_store.chunks.search("tenant-ann", [vs], query.tolist(), 10)
    best = set(np.argsort(-exact)[:10].tolist())
    assert len(best & {h.index for h in hits}) >= 9
    for hit in hits:  # scores come from the server, computed in float32
        assert hit.score == pytest.approx(exact[hit.index], abs=1e-6)
    restricted = await cql_store.chunks.search("tenant-ann", [vs], query.tolist(), 10, {"file_2"})
    assert restricted and {h.file_id for h in restricted} == {"file_2"}


async def test_a_small_store_of_unstructured_vectors_finds_its_best_through_the_index(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between the stores scored whole and the large ones: uniform random vectors, where a small
    # graph misses most (recall@10 0.6-0.8 with 10 extra candidates at these sizes).
    dims, count = 96, 2000
    assert chunk_module.EXACT_SCAN_FLOATS < dims * count <= chunk_module.SMALL_STORE_FLOATS
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((count, dims)).astype(np.float32)
    vs = f"vs_{uuid.uuid4().hex}"
    for start in range(0, count, 250):
        batch = [
            Chunk(f"file_{i // 100}", i, f"t{i}", vectors[i].tolist())
            for i in range(start, start + 250)
        ]
        await cql_store.chunks.add("tenant-small", vs, batch, dims)
    statements: list[str] = []
    rows = cql_store.cql.rows

    async def seen(cql: str, *args: object, **kwargs: object) -> list:
        statements.append(cql)
        return await rows(cql, *args, **kwargs)

    monkeypatch.setattr(cql_store.cql, "rows", seen)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    found = []
    for query in rng.standard_normal((20, dims)):
        hits = await cql_store.chunks.search("tenant-small", [vs], query.tolist(), 10)
        best = set(np.argsort(-(unit @ query))[:10].tolist())
        found.append(len(best & {h.index for h in hits}) / 10)
    assert statements and all("ANN OF" in cql for cql in statements)
    assert np.mean(found) >= 0.95, found


async def test_a_store_keeps_one_dimension(cql_store: CassandraStore) -> None:
    vs = f"vs_{uuid.uuid4().hex}"
    await cql_store.chunks.add("tenant-dims", vs, [Chunk("f", 0, "t", [1.0] * 8)], 8)
    with pytest.raises(StorageError):
        await cql_store.chunks.add("tenant-dims", vs, [Chunk("f", 1, "t", [1.0] * 16)], 16)
    assert await cql_store.chunks.search("tenant-dims", [vs], [1.0] * 16, 5) == []
    other = f"vs_{uuid.uuid4().hex}"
    await cql_store.chunks.add("tenant-dims", other, [Chunk("g", 0, "u", [1.0] * 16)], 16)
    hits = await cql_store.chunks.search("tenant-dims", [vs, other], [1.0] * 8, 5)
    assert [(h.vector_store_id, h.text) for h in hits] == [(vs, "t")]


async def test_a_chunk_table_from_before_is_upgraded_in_place() -> None:
    """A keyspace made by a previous release: the chunk table gains its columns and terms index,
    ``vector_stores`` its ``postings`` flag; the old store is keyword-searched through the chunk
    table, a new one through ``chunk_terms``."""
    from storage.cassandra.provider import CassandraProvider
    from tests.storage_cassandra.conftest import settings_for
    from tests.support import cassandra

    keyspace = cassandra.fresh_keyspace("cqlold")
    provider = CassandraProvider(settings_for(keyspace), chunk_dimensions=())
    await provider.start()  # the keyspace and the document tables
    session = provider.store.cql.driver_session
    old_table = f"{keyspace}.chunks_d4"
    try:
        for ddl in (
            f"ALTER TABLE {keyspace}.vector_stores DROP postings",
            f"CREATE TABLE {old_table} (tenant text, vector_store_id text, file_id text, idx int,"
            " text text, metadata text, embedding vector<float, 4>,"
            " PRIMARY KEY ((tenant, vector_store_id), file_id, idx))",
            f"CREATE CUSTOM INDEX chunks_d4_embedding ON {old_table} (embedding)"
            " USING 'StorageAttachedIndex' WITH OPTIONS = {'similarity_function': 'cosine'}",
            f"INSERT INTO {keyspace}.vector_stores (tenant, vector_store_id, dimensions)"
            " VALUES ('t', 'vs', 4)",
            f"UPDATE {keyspace}.vector_store_counts SET chunks = chunks + 1"
            " WHERE tenant = 't' AND vector_store_id = 'vs'",
            f"INSERT INTO {old_table} (tenant, vector_store_id, file_id, idx, text, metadata,"
            " embedding) VALUES ('t', 'vs', 'f', 0, 'old lava', '{}', [3.0, 0.0, 0.0, 4.0])",
        ):
            await asyncio.to_thread(session.execute, ddl, timeout=60)
        await provider.close()
        provider = CassandraProvider(settings_for(keyspace), chunk_dimensions=())
        await provider.start()  # upgrades chunks_d4
        store = provider.store
        await store.chunks.add("t", "vs", [Chunk("g", 0, "new lava", [0.0, 1.0, 0.0, 0.0])], 4)
        hits = await store.chunks.search("t", ["vs"], [1.0, 0.0, 0.0, 0.0], 5)
        assert [(h.text, round(h.score, 5)) for h in hits] == [("old lava", 0.6), ("new lava", 0.0)]
        for _ in range(300):  # SAI builds the new index over existing SSTables in the background
            try:
                found = await store.chunks.keyword_search("t", ["vs"], "lava", 5)
                break
            except StorageUnavailable:
                await asyncio.sleep(0.1)
        assert [h.text for h in found] == ["new lava"]  # old rows have no terms until re-indexed
        await store.chunks.add("t", "vs2", [Chunk("h", 0, "lava dome", [0.0, 1.0, 0.0, 0.0])], 4)
        postings = await store.cql.rows(
            f"SELECT term, file_id FROM {keyspace}.chunk_terms"
            " WHERE tenant = 't' AND vector_store_id = 'vs2'"
        )
        assert sorted(postings) == [("dome", "h"), ("lava", "h")]
        found = await store.chunks.keyword_search("t", ["vs", "vs2"], "lava", 5)
        assert sorted(h.text for h in found) == ["lava dome", "new lava"]
        old = await store.chunks.file_chunks("t", "vs", "f")
        assert [list(c.embedding) for c in old] == [[3.0, 0.0, 0.0, 4.0]]
    finally:
        session = provider.store.cql.driver_session
        await asyncio.to_thread(session.execute, f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
        await provider.close()
