"""Statement rules of the CQL backend: no ALLOW FILTERING, no scans, each prepared once."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from storage.base import Chunk, Delete, DeleteChildren, Key, Kind, PageQuery, Put
from storage.cassandra.schema import TABLES
from storage.cassandra.store import CassandraStore

SOURCES = Path(__file__).resolve().parents[2] / "storage"
PARTITION_KEYS = {
    table: re.search(r"PRIMARY KEY \(\(([^)]*)\)", columns).group(1).replace(" ", "").split(",")  # type: ignore[union-attr]
    for table, (columns, _) in TABLES.items()
}
PARTITION_KEYS["chunks_d*"] = ["tenant", "vector_store_id"]


def test_no_allow_filtering_in_the_backends() -> None:
    for folder in ("cassandra", "astra"):
        for path in (SOURCES / folder).rglob("*.py"):
            assert "allow filtering" not in path.read_text().lower(), path


async def exercise(store: CassandraStore, tenant: str) -> None:
    """Every operation of the interface, once."""
    thread = f"thread_{uuid.uuid4().hex}"
    docs = store.docs
    key = Key(tenant, Kind.MESSAGE, thread, "msg_1")
    await docs.put(key, {"id": "msg_1", "run_id": "run_1"})
    await docs.put(key, {"id": "msg_1", "run_id": "run_2"})
    await docs.put(key, {"id": "msg_1", "run_id": "run_2"}, expected_version=2)
    await docs.get(key)
    for query in (
        PageQuery(),
        PageQuery(order="asc", after="a", before="z"),
        PageQuery(before="m"),
    ):
        await docs.list(tenant, Kind.MESSAGE, thread, query)
        await docs.list(tenant, Kind.MESSAGE, thread, query, {"run_id": "run_2"})
    await docs.write(
        [
            Put(Key(tenant, Kind.RUN, thread, "run_1"), {"id": "run_1", "big": "x" * 60_000}),
            Put(Key(tenant, Kind.MESSAGE, thread, "msg_2"), {"id": "msg_2", "run_id": "run_1"}),
            Delete(key),
        ]
    )
    await docs.list(tenant, Kind.RUN, thread, PageQuery())
    await docs.write([DeleteChildren(tenant, Kind.MESSAGE, thread)])
    await docs.delete(Key(tenant, Kind.RUN, thread, "run_1"))

    async def data() -> AsyncIterator[bytes]:
        yield b"x" * 1_500_000

    await store.blobs.write(tenant, "file_1", data())
    async for _ in store.blobs.read(tenant, "file_1"):
        pass
    await store.blobs.delete(tenant, "file_1")

    vs = f"vs_{uuid.uuid4().hex}"
    rows = np.random.default_rng(1).standard_normal((20, 8)).tolist()
    await store.chunks.add(tenant, vs, [Chunk("file_1", i, "t", rows[i]) for i in range(20)], 8)
    await store.chunks.file_chunks(tenant, vs, "file_1")
    await store.chunks.search(tenant, [vs], rows[0], 5)
    await store.chunks.search(tenant, [vs], rows[0], 5, {"file_1"})
    await store.chunks.keyword_search(tenant, [vs], "t", 5)
    await store.chunks.delete_file(tenant, vs, "file_1")
    await store.chunks.delete_store(tenant, vs)


async def test_statements_are_prepared_once(cql_store: CassandraStore) -> None:
    await exercise(cql_store, "tenant-rules-1")
    prepared = cql_store.cql.prepared_count
    await exercise(cql_store, "tenant-rules-2")
    assert cql_store.cql.prepared_count == prepared


async def test_every_statement_names_its_partition(cql_store: CassandraStore) -> None:
    """Request paths read and write single partitions: no statement leaves its key open."""
    await exercise(cql_store, "tenant-rules-3")
    statements = [s for s in cql_store.cql.statements if "system.local" not in s]
    assert statements
    for cql in statements:
        table = re.search(r"(?:FROM|INTO|UPDATE)\s+\w+\.(\w+)", cql).group(1)  # type: ignore[union-attr]
        keys = PARTITION_KEYS["chunks_d*" if table.startswith("chunks_d") else table]
        if cql.startswith("INSERT"):
            columns = re.search(r"\(([^)]*)\)", cql).group(1).replace(" ", "").split(",")  # type: ignore[union-attr]
            assert set(keys) <= set(columns), cql
            continue
        where = cql.split(" WHERE ", 1)[1]
        for column in keys:
            assert re.search(rf"\b{column} = \?", where), f"{column} open in: {cql}"


async def test_only_lwts_and_counter_updates_are_never_sent_twice(
    cql_store: CassandraStore,
) -> None:
    """The driver may resend or speculate on a statement only when a second copy is harmless."""
    await exercise(cql_store, "tenant-rules-4")
    statements = cql_store.cql.statements
    assert any(" IF " in cql for cql in statements) and any(
        "chunks + ?" in cql for cql in statements
    )
    for cql in statements:
        once_only = " IF " in cql or "chunks = chunks + ?" in cql
        assert (await cql_store.cql.prepare(cql)).is_idempotent is not once_only, cql
