"""Keyword postings (``chunk_terms``): kept in step with the chunks, and stores made before them."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from storage.base import Chunk, Hit
from storage.cassandra import backfill
from storage.cassandra import chunks as chunk_module
from storage.cassandra.chunks import CassandraChunkIndex
from storage.cassandra.store import CassandraStore
from storage.errors import StorageUnavailable

TENANT = "tenant-postings"
# The chunk insert of the release before chunk_terms: no postings are written.
OLD_INSERT = (
    "INSERT INTO {ks}.chunks_d2 (tenant, vector_store_id, file_id, idx, text, metadata,"
    " embedding, norm, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
OLD_REGISTER = (
    "INSERT INTO {ks}.vector_stores (tenant, vector_store_id, dimensions) VALUES (?, ?, 2)"
)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


async def postings(store: CassandraStore, vs: str) -> list[tuple[str, str, int]]:
    """Every (term, file_id, idx) row of the store's postings partition."""
    rows = await store.cql.rows(
        f"SELECT term, file_id, idx FROM {store.keyspace}.chunk_terms"
        " WHERE tenant = ? AND vector_store_id = ?",
        (TENANT, vs),
    )
    return [(term, file_id, int(idx)) for term, file_id, idx in rows]


async def test_deleting_a_file_or_store_deletes_its_postings(cql_store: CassandraStore) -> None:
    vs, gone, kept = new_id("vs"), new_id("file"), new_id("file")
    await cql_store.chunks.add(
        TENANT,
        vs,
        [
            Chunk(gone, 0, "walrus tusks and ivory", [1.0, 0.0]),
            Chunk(gone, 1, "walrus colonies", [1.0, 1.0]),
            Chunk(kept, 0, "ivory gulls", [0.0, 1.0]),
        ],
        2,
    )
    assert ("walrus", gone, 1) in await postings(cql_store, vs)
    await cql_store.chunks.delete_file(TENANT, vs, gone)
    assert await cql_store.chunks.keyword_search(TENANT, [vs], "walrus tusks", 5) == []
    assert sorted(await postings(cql_store, vs)) == [("gulls", kept, 0), ("ivory", kept, 0)]
    assert [h.file_id for h in await cql_store.chunks.keyword_search(TENANT, [vs], "ivory", 5)] == [
        kept
    ]
    await cql_store.chunks.delete_store(TENANT, vs)
    assert await postings(cql_store, vs) == []
    assert await cql_store.chunks.keyword_search(TENANT, [vs], "ivory", 5) == []


async def test_a_rewritten_chunk_leaves_no_postings_of_its_old_text(
    cql_store: CassandraStore,
) -> None:
    vs, file_id = new_id("vs"), new_id("file")
    await cql_store.chunks.add(TENANT, vs, [Chunk(file_id, 0, "basalt basalt lava", [1.0, 0.0])], 2)
    await cql_store.chunks.add(TENANT, vs, [Chunk(file_id, 0, "granite basalt", [1.0, 0.0])], 2)
    assert sorted(await postings(cql_store, vs)) == [
        ("basalt", file_id, 0),
        ("granite", file_id, 0),
    ]
    assert await cql_store.chunks.keyword_search(TENANT, [vs], "lava", 5) == []
    await cql_store.chunks.delete_file(TENANT, vs, file_id)
    assert await postings(cql_store, vs) == []


async def test_stores_written_before_postings_are_still_keyword_searched(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks written by the previous release (no chunk_terms rows) are found, ranked alike,
    and deleted; chunks added to such a store since are found beside them."""
    ks, vs, old_file = cql_store.keyspace, new_id("vs"), new_id("file")
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    await index.tables.ensure(2)
    await cql_store.cql.execute(OLD_REGISTER.format(ks=ks), (TENANT, vs))
    texts = ["common lava flows", "common lava lava", "common basalt", "other rocks"]
    for idx, text in enumerate(texts):
        terms = {t: text.split().count(t) for t in text.split()}
        params = (TENANT, vs, old_file, idx, text, "{}", [1.0, 0.0], 1.0, terms)
        await cql_store.cql.execute(OLD_INSERT.format(ks=ks), params)
    await index.tables.add_count(TENANT, vs, len(texts))
    assert await postings(cql_store, vs) == []

    found = await _keyword_search(cql_store, vs, "lava rocks")
    assert [(h.file_id, h.index) for h in found] == [(old_file, 3), (old_file, 1), (old_file, 0)]
    monkeypatch.setattr(chunk_module, "TERM_POSTINGS", 3)  # "common" is in 3 chunks: left out
    assert [h.index for h in await _keyword_search(cql_store, vs, "common basalt")] == [2]
    assert await _keyword_search(cql_store, vs, "common") == []
    monkeypatch.undo()

    new_file = new_id("file")
    await cql_store.chunks.add(TENANT, vs, [Chunk(new_file, 0, "lava bombs", [0.0, 1.0])], 2)
    found = await _keyword_search(cql_store, vs, "lava")
    assert {(h.file_id, h.index) for h in found} == {(old_file, 0), (old_file, 1), (new_file, 0)}
    await cql_store.chunks.delete_file(TENANT, vs, old_file)
    assert [h.file_id for h in await _keyword_search(cql_store, vs, "lava rocks")] == [new_file]


async def _keyword_search(store: CassandraStore, vs: str, query: str) -> list[Hit]:
    return await store.chunks.keyword_search(TENANT, [vs], query, 5)


async def test_terms_known_too_common_are_read_again_once_the_store_changed(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    monkeypatch.setattr(chunk_module, "TERM_POSTINGS", 3)
    vs, files = new_id("vs"), [new_id("file") for _ in range(3)]
    texts = ["common moss", "common lichen", "common fern"]
    chunks = [Chunk(files[i], 0, text, [1.0, float(i)]) for i, text in enumerate(texts)]
    await index.add(TENANT, vs, chunks, 2)
    read_terms: list[str] = []
    rows = cql_store.cql.rows

    async def spy(cql: str, params: tuple = (), **kwargs: object) -> list:
        if cql == index.postings.read:
            read_terms.append(params[2])
        return await rows(cql, params, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cql_store.cql, "rows", spy)
    assert await _keyword_search(cql_store, vs, "common") == []
    assert [h.index for h in await _keyword_search(cql_store, vs, "common moss")] == [0]
    assert read_terms == ["common", "moss"]  # the second search knew "common" too common
    await index.delete_file(TENANT, vs, files[2])
    found = await _keyword_search(cql_store, vs, "common")  # in 2 of 2 chunks now
    assert sorted(h.file_id for h in found) == sorted(files[:2])
    assert read_terms[2:] == ["common"]


async def _old_store(store: CassandraStore, vs: str, file_id: str, texts: list[str]) -> None:
    """A store as the release before chunk_terms left it: registered without postings, its
    chunk rows written without them."""
    index = store.chunks
    assert isinstance(index, CassandraChunkIndex)
    await index.tables.ensure(2)
    await store.cql.execute(OLD_REGISTER.format(ks=store.keyspace), (TENANT, vs))
    for idx, text in enumerate(texts):
        terms = {t: text.split().count(t) for t in text.split()}
        params = (TENANT, vs, file_id, idx, text, "{}", [1.0, float(idx)], 1.0, terms)
        await store.cql.execute(OLD_INSERT.format(ks=store.keyspace), params)
    await index.tables.add_count(TENANT, vs, len(texts))


async def test_the_first_keyword_search_of_an_old_store_backfills_its_postings(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searched through the chunk table's terms map at first, through its postings once they
    are written, with the same results; the mark survives a new process (an empty cache)."""
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    monkeypatch.setattr(backfill, "PAGE_ROWS", 3)  # several pages
    monkeypatch.setattr(backfill, "BATCH_ROWS", 2)
    vs, file_id = new_id("vs"), new_id("file")
    texts = [f"lava flow number{i}" if i % 2 else f"basalt column number{i}" for i in range(7)]
    await _old_store(cql_store, vs, file_id, texts)
    before = await _keyword_search(cql_store, vs, "lava number3")
    assert before[0].index == 3 and {h.index for h in before[1:]} == {1, 5}

    term_reads: list[str] = []
    rows = cql_store.cql.rows

    async def spy(cql: str, params: tuple = (), **kwargs: object) -> list:
        term_reads.append(cql)
        return await rows(cql, params, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cql_store.cql, "rows", spy)
    running = index._backfills.get((TENANT, vs))
    if running is not None:  # it may have ended during the search already
        await running
    entry = await index.tables.entry(TENANT, vs)
    assert entry is not None and entry.postings
    expected = sorted(
        (term, file_id, idx) for idx, text in enumerate(texts) for term in set(text.split())
    )
    assert sorted(await postings(cql_store, vs)) == expected
    term_reads.clear()
    after = await _keyword_search(cql_store, vs, "lava number3")
    assert [(h.index, h.score) for h in after] == [(h.index, h.score) for h in before]
    assert index.postings.read in term_reads and not any("CONTAINS KEY" in c for c in term_reads)

    fresh = CassandraChunkIndex(cql_store.cql, cql_store.keyspace)
    entry = await fresh.tables.entry(TENANT, vs)
    assert entry is not None and entry.postings


async def test_a_backfill_leaves_no_postings_of_a_file_deleted_meanwhile(
    cql_store: CassandraStore,
) -> None:
    """The postings of rows read before the file's deletion are written after it, as a slow
    backfill would: they carry the rows' own write time, so the deletion still hides them."""
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    vs, gone, kept = new_id("vs"), new_id("file"), new_id("file")
    await _old_store(cql_store, vs, gone, ["walrus tusks", "walrus colonies"])
    await cql_store.chunks.add(TENANT, vs, [Chunk(kept, 0, "ivory gulls", [0.0, 1.0])], 2)
    first, _, put, _ = backfill.backfill_cql(cql_store.keyspace, "chunks_d2")
    read = await cql_store.cql.rows(first, (TENANT, vs, 100))
    await cql_store.chunks.delete_file(TENANT, vs, gone)
    puts = backfill.timestamped_puts(TENANT, vs, read)
    await cql_store.cql.batch([(put, params) for params in puts], logged=False)
    assert sorted(await postings(cql_store, vs)) == [("gulls", kept, 0), ("ivory", kept, 0)]


async def test_a_store_registered_with_postings_starts_no_backfill(
    cql_store: CassandraStore,
) -> None:
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    vs = new_id("vs")
    await index.add(TENANT, vs, [Chunk(new_id("file"), 0, "pumice stone", [1.0, 0.0])], 2)
    assert [h.text for h in await _keyword_search(cql_store, vs, "pumice")] == ["pumice stone"]
    assert (TENANT, vs) not in index._backfills


async def test_a_failed_backfill_leaves_search_working_and_waits_before_the_next(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = cql_store.chunks
    assert isinstance(index, CassandraChunkIndex)
    started: list[str] = []

    async def refused(cql: object, tables: object, keyspace: str, tenant: str, store: str) -> int:
        started.append(store)
        raise StorageUnavailable("the node is overloaded")

    monkeypatch.setattr(chunk_module, "backfill_postings", refused)
    vs, file_id = new_id("vs"), new_id("file")
    await _old_store(cql_store, vs, file_id, ["obsidian glass", "pumice"])
    for _ in range(3):
        found = await _keyword_search(cql_store, vs, "obsidian")
        assert [h.index for h in found] == [0]
        await asyncio.sleep(0)
    assert started == [vs]  # not started again at each search
    entry = await index.tables.entry(TENANT, vs, cached=False)
    assert entry is not None and not entry.postings
