"""Both backends hold the same chunks and must return the same top-k, ids and order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from storage.base import Chunk, Hit, StoreProvider
from tests.storage.conftest import start_sqlite

NewId = Callable[[str], str]
DIMS = 64


def random_chunks(stores: list[str], files: list[str], n: int) -> dict[str, list[Chunk]]:
    rng = np.random.default_rng(20240601)
    vectors = rng.standard_normal((n, DIMS)).astype(np.float32)
    by_store: dict[str, list[Chunk]] = {s: [] for s in stores}
    for i, vector in enumerate(vectors):
        store = stores[i % len(stores)]
        by_store[store].append(Chunk(files[i % len(files)], i, f"chunk {i}", vector.tolist()))
    return by_store


def key(hits: list[Hit]) -> list[tuple[str, str, int]]:
    return [(h.vector_store_id, h.file_id, h.index) for h in hits]


@pytest.mark.cassandra
async def test_sqlite_and_cassandra_search_agree(
    tmp_path: Path, new_id: NewId, cassandra_provider: StoreProvider
) -> None:
    sqlite_provider = await start_sqlite(tmp_path / "cross.db")
    try:
        sqlite_store = await sqlite_provider.for_request(None, None)
        cassandra_store = await cassandra_provider.for_request(None, None)
        tenant = f"tenant-{uuid.uuid4().hex}"
        stores = [new_id("vs") for _ in range(3)]
        files = [new_id("file") for _ in range(7)]
        for store_id, chunks in random_chunks(stores, files, 2000).items():
            for start in range(0, len(chunks), 200):
                batch = chunks[start : start + 200]
                await sqlite_store.chunks.add(tenant, store_id, batch, DIMS)
                await cassandra_store.chunks.add(tenant, store_id, batch, DIMS)

        queries = np.random.default_rng(7).standard_normal((6, DIMS)).astype(np.float32)
        cases: list[tuple[list[float], list[str], int, set[str] | None]]
        cases = [(q.tolist(), stores, 10, None) for q in queries[:4]]
        cases.append((queries[4].tolist(), stores[:2], 20, None))
        cases.append((queries[5].tolist(), stores, 10, {files[1], files[4]}))
        for query, in_stores, limit, file_ids in cases:
            expected = await sqlite_store.chunks.search(tenant, in_stores, query, limit, file_ids)
            got = await cassandra_store.chunks.search(tenant, in_stores, query, limit, file_ids)
            assert len(expected) == limit
            assert key(got) == key(expected)
            assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-5)
    finally:
        await sqlite_provider.close()
