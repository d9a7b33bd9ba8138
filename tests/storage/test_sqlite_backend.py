"""What only the SQLite backend promises: migrations, several processes, query plans, streaming."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from storage.base import Chunk, Key, Kind, PageQuery
from storage.errors import BlobNotFound, StorageError
from storage.settings import SqliteSettings
from storage.sqlite import SqliteProvider
from storage.sqlite.blobs import PART_SIZE, SqliteBlobs
from storage.sqlite.paging import page_sql
from storage.sqlite.schema import LATEST_VERSION
from tests.storage.conftest import start_sqlite
from tests.storage.sqlite_worker import open_and_put

NewId = Callable[[str], str]


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_sqlite_processes_start_on_one_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "store.db"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        versions = list(pool.map(open_and_put, [str(path)] * 6, range(6)))
    assert versions == [1] * 6
    assert pragma(path, "user_version") == LATEST_VERSION
    assert pragma(path, "journal_mode") == "wal"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 6


async def test_sqlite_reopen_keeps_data_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    key = Key("t", Kind.ASSISTANT, "", "asst_1")
    first = await start_sqlite(path)
    await (await first.for_request(None, None)).docs.put(key, {"name": "kept"})
    await first.close()
    again = await start_sqlite(path)
    try:
        stored = await (await again.for_request(None, None)).docs.get(key)
        assert stored is not None and stored.doc == {"name": "kept"}
    finally:
        await again.close()
    assert pragma(path, "user_version") == LATEST_VERSION


async def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    provider = SqliteProvider(SqliteSettings(path=path))
    with pytest.raises(StorageError, match="newer"):
        await provider.start()
    await provider.close()


async def test_sqlite_health_follows_lifecycle(tmp_path: Path) -> None:
    provider = SqliteProvider(SqliteSettings(path=tmp_path / "a" / "b" / "store.db"))
    assert not await provider.healthy()
    await provider.start()
    assert await provider.healthy()
    assert await provider.for_request("ignored-token", "ignored-db") is await provider.for_request(
        None, None
    )
    await provider.close()
    assert not await provider.healthy()
    with pytest.raises(StorageError):
        await provider.for_request(None, None)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "sqlite_autoindex_documents_1"),
        ({"run_id": "r"}, "documents_run_id"),
        ({"purpose": "p"}, "documents_purpose"),
        ({"status": "s"}, "documents_status"),
        ({"batch_id": "b"}, "documents_batch_id"),
        ({"batch_id": "b", "status": "s"}, "documents_batch_status"),
    ],
)
@pytest.mark.parametrize(
    "query",
    [
        PageQuery(),
        PageQuery(order="asc", after="x"),
        PageQuery(before="x"),
        PageQuery(after="a", before="z"),
    ],
)
async def test_sqlite_pages_are_index_range_scans(
    sqlite_provider: SqliteProvider, filters: dict[str, str], index: str, query: PageQuery
) -> None:
    sql, params = page_sql("t", "message", "p", query, filters)
    db = sqlite_provider._db  # the plan is a property of this backend's schema
    plan = await db.read(lambda conn: conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    details = " | ".join(row[3] for row in plan)
    assert f"USING INDEX {index}" in details
    assert "TEMP B-TREE" not in details and "SCAN" not in details


async def stream(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_sqlite_blob_read_streams_parts(
    sqlite_provider: SqliteProvider, new_id: NewId
) -> None:
    store = await sqlite_provider.for_request(None, None)
    data = bytes(range(256)) * (3 * PART_SIZE // 256 + 10)
    await store.blobs.write("t", "file_1", stream([data]))
    parts = [part async for part in store.blobs.read("t", "file_1")]
    assert [len(p) for p in parts] == [PART_SIZE, PART_SIZE, PART_SIZE, len(data) - 3 * PART_SIZE]
    assert b"".join(parts) == data


async def test_sqlite_cancelled_blob_write_leaves_nothing(sqlite_provider: SqliteProvider) -> None:
    store = await sqlite_provider.for_request(None, None)
    started = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"x" * (2 * PART_SIZE + 5)
        started.set()
        await asyncio.sleep(3600)
        yield b"never"

    task = asyncio.create_task(store.blobs.write("t", "file_1", slow()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(BlobNotFound):
        async for _ in store.blobs.read("t", "file_1"):
            pass
    counts = await sqlite_provider._db.read(
        lambda conn: conn.execute(
            "SELECT (SELECT count(*) FROM blob_parts), (SELECT count(*) FROM blob_uploads)"
        ).fetchone()
    )
    assert counts == (0, 0)


async def test_sqlite_abandoned_uploads_are_collected(sqlite_provider: SqliteProvider) -> None:
    def abandon(conn: sqlite3.Connection) -> None:
        generation = conn.execute(
            "INSERT INTO blob_uploads (tenant, blob_id, started_at) VALUES ('t', 'f', ?)"
            " RETURNING generation",
            (time.time() - 2 * 24 * 3600,),
        ).fetchone()[0]
        conn.execute("INSERT INTO blob_parts VALUES (?, 0, x'00')", (generation,))

    db = sqlite_provider._db
    await db.write(abandon)
    assert await SqliteBlobs(db).collect_abandoned() == 1
    assert await db.read(
        lambda conn: conn.execute("SELECT count(*) FROM blob_parts").fetchone()
    ) == (0,)


async def test_sqlite_rejects_wrong_dimensions(sqlite_provider: SqliteProvider) -> None:
    store = await sqlite_provider.for_request(None, None)
    with pytest.raises(ValueError):
        await store.chunks.add("t", "vs", [Chunk("f", 0, "t", [1.0, 2.0, 3.0])], 2)
    with pytest.raises(ValueError):
        await store.chunks.search("t", ["vs"], [0.0, 0.0], 3)


async def test_sqlite_does_not_block_the_event_loop(sqlite_provider: SqliteProvider) -> None:
    store = await sqlite_provider.for_request(None, None)
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    data = b"z" * (20 * 1024 * 1024)
    await store.blobs.write("t", "big", stream([data]))
    assert sum([len(p) async for p in store.blobs.read("t", "big")]) == len(data)
    beat.cancel()
    assert gaps and max(gaps) < 0.2


@pytest.mark.slow
async def test_sqlite_hundred_megabyte_blob(sqlite_provider: SqliteProvider) -> None:
    store = await sqlite_provider.for_request(None, None)
    block = bytes(range(256)) * 256  # 64 KiB
    count = 100 * 16 + 3

    async def upload() -> AsyncIterator[bytes]:
        for n in range(count):
            yield n.to_bytes(4, "big") + block[4:]

    assert await store.blobs.write("t", "file_big", upload()) == count * len(block)
    expected = hashlib.sha256()
    for n in range(count):
        expected.update(n.to_bytes(4, "big") + block[4:])
    got = hashlib.sha256()
    async for part in store.blobs.read("t", "file_big"):
        assert len(part) <= PART_SIZE
        got.update(part)
    assert got.hexdigest() == expected.hexdigest()


async def test_sqlite_search_sees_the_writes_of_another_process(tmp_path: Path) -> None:
    """Each process keeps stores' embeddings in memory; another process's writes invalidate them."""
    path = tmp_path / "store.db"
    first, second = await start_sqlite(path), await start_sqlite(path)
    try:
        mine = await first.for_request(None, None)
        theirs = await second.for_request(None, None)
        await mine.chunks.add("t", "vs", [Chunk("f1", 0, "a", [1.0, 1.0])], 2)
        assert [h.text for h in await mine.chunks.search("t", ["vs"], [1.0, 0.0], 5)] == ["a"]
        await theirs.chunks.add("t", "vs", [Chunk("f2", 0, "b", [1.0, 0.1])], 2)
        hits = await mine.chunks.search("t", ["vs"], [1.0, 0.0], 5)
        assert [h.text for h in hits] == ["b", "a"]
        await theirs.chunks.delete_file("t", "vs", "f2")
        assert [h.text for h in await mine.chunks.search("t", ["vs"], [1.0, 0.0], 5)] == ["a"]
        await theirs.chunks.delete_store("t", "vs")
        assert await mine.chunks.search("t", ["vs"], [1.0, 0.0], 5) == []
    finally:
        await first.close()
        await second.close()


async def test_sqlite_uncached_scan_gives_the_cached_results(tmp_path: Path) -> None:
    import numpy as np

    from storage.sqlite.chunks import SqliteChunks
    from storage.sqlite.database import Database

    db = Database(tmp_path / "store.db")
    await db.open()
    try:
        cached, scanned = SqliteChunks(db), SqliteChunks(db, cache_bytes=1000)
        rng = np.random.default_rng(5)
        rows = rng.standard_normal((300, 16)).astype(np.float32)
        rows[7] = rows[3]  # an exact tie: broken by file id, then index
        chunks = [Chunk(f"f{i % 7}", i, f"c{i}", rows[i].tolist()) for i in range(300)]
        await cached.add("t", "vs", chunks, 16)
        for query in (rows[3], rng.standard_normal(16)):
            for files in (None, ["f0", "f3", "f9"]):
                want = await scanned.search("t", ["vs"], query.tolist(), 12, files)
                got = await cached.search("t", ["vs"], query.tolist(), 12, files)
                assert [(h.file_id, h.index, h.score) for h in got] == [
                    (h.file_id, h.index, h.score) for h in want
                ]
    finally:
        await db.close()


async def test_sqlite_version_1_file_is_upgraded_with_its_chunks_searchable(
    tmp_path: Path,
) -> None:
    from storage.sqlite.schema import MIGRATIONS

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO chunks VALUES ('t', 'vs', 'f', 0, 2, 1.0, ?, 'old lava text', '{}')",
            (struct.pack("<2f", 1.0, 0.0),),
        )
    provider = await start_sqlite(path)
    try:
        store = await provider.for_request(None, None)
        hits = await store.chunks.keyword_search("t", ["vs"], "lava", 5)
        assert [(h.file_id, h.index, h.text) for h in hits] == [("f", 0, "old lava text")]
        assert [h.score for h in await store.chunks.search("t", ["vs"], [2.0, 0.0], 5)] == [1.0]
    finally:
        await provider.close()
    assert pragma(path, "user_version") == LATEST_VERSION
