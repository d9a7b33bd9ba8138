"""Keyword postings for a vector store registered before ``chunk_terms`` existed.

Such a store is keyword-searched through the SAI index on the chunk table's ``terms`` map, which
reads the whole row (embedding and text) of every chunk holding a term. Its first keyword search
in a process starts a backfill in the background: the store's chunk rows are read a page at a
time (keys, terms, and the write time of the row), their postings written, and the store then
marked as having postings, so later searches read slices of ``chunk_terms``.

Each posting is written with the write time of its chunk row (``USING TIMESTAMP``). A file
deleted, or a chunk rewritten, while the backfill runs is deleted later than that, so the
deletion still wins over the backfilled postings of the old row: no posting outlives its chunk.
Writing the same postings again changes nothing, so a backfill cut short (the process stopped,
the node refused) simply runs again on a later keyword search, in this process or another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from storage.cassandra.chunk_tables import STORE, ChunkTables
from storage.cassandra.patience import patiently
from storage.cassandra.postings import put_params
from storage.cassandra.schema import chunk_table
from storage.cassandra.session import CqlSession, Params, Row

log = logging.getLogger(__name__)

PAGE_ROWS = 256  # chunk rows read per request: keys and terms only, a few KiB each
BATCH_ROWS = 32  # chunks whose postings go in one single-partition batch
PATIENCE = 60.0  # seconds a refused read or write is tried again (both are idempotent)


def backfill_cql(keyspace: str, table: str) -> tuple[str, str, str, str]:
    """The first page, the next pages, the timestamped posting write, and the store's mark."""
    columns = f"SELECT file_id, idx, terms, WRITETIME(text) FROM {keyspace}.{table} WHERE {STORE}"
    return (
        f"{columns} LIMIT ?",
        f"{columns} AND (file_id, idx) > (?, ?) LIMIT ?",
        (
            f"UPDATE {keyspace}.chunk_terms USING TIMESTAMP ? SET tf = ?"
            f" WHERE {STORE} AND term IN ? AND file_id = ? AND idx = ?"
        ),
        f"UPDATE {keyspace}.vector_stores SET postings = true WHERE {STORE} IF EXISTS",
    )


def timestamped_puts(tenant: str, store: str, rows: Sequence[Row]) -> list[Params]:
    """The postings of chunk rows ``(file_id, idx, terms, written)``, each at its row's time."""
    out: list[Params] = []
    for file_id, idx, terms, written in rows:
        if not terms or written is None:
            continue
        for params in put_params(tenant, store, file_id, int(idx), terms):
            out.append((int(written), *params))
    return out


async def backfill_postings(
    cql: CqlSession, tables: ChunkTables, keyspace: str, tenant: str, store: str
) -> int:
    """Write the postings of every chunk of ``store``, then mark it; the chunks it covered."""
    entry = await tables.entry(tenant, store, cached=False)
    if entry is None or entry.postings:
        return 0
    first, following, put, mark = backfill_cql(keyspace, chunk_table(entry.dimensions))
    covered = 0
    rows = await patiently(partial(cql.rows, first, (tenant, store, PAGE_ROWS)), PATIENCE)
    while rows:
        for start in range(0, len(rows), BATCH_ROWS):
            batch = [
                (put, p) for p in timestamped_puts(tenant, store, rows[start : start + BATCH_ROWS])
            ]
            if batch:
                await patiently(partial(cql.batch, batch, logged=False), PATIENCE)
        covered += len(rows)
        if len(rows) < PAGE_ROWS:
            break
        after = (tenant, store, rows[-1][0], rows[-1][1], PAGE_ROWS)
        rows = await patiently(partial(cql.rows, following, after), PATIENCE)
    applied, _ = await cql.conditional(mark, (tenant, store))
    if applied:
        tables.has_postings(tenant, store)
        log.info("keyword postings of vector store %s written (%d chunks)", store, covered)
    return covered
