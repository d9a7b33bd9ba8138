"""Cassandra keyword search from ``chunk_terms`` postings against the SAI query on the chunk
table's ``terms`` map it replaced, on one store, in the same run; and the write cost of postings.

    .venv/bin/python bench/keyword_postings.py [--chunks 10000] [--searches 100]

* writes: two stores are filled in alternating blocks of 200 synthetic chunks (bench/search_bench's
  generator, 1536 floats): one the current way (chunk rows with their postings), one as before
  (chunk rows only: the baseline); chunks/s of each, so machine load hits both alike;
* backfill: the second store marked as made before postings, then its postings backfilled
  (``backfill.py``): chunks/s, against the rate of adding chunks with their postings;
* search, interleaved query by query on the first store (which has both the ``terms`` map with
  its SAI index and the postings): ``keyword_search`` through the postings, with and without the
  memory of terms too common to rank by (``common_terms.py``), the same through the SAI fallback
  without that memory (what main ran before postings: the baseline), and the ANN search that
  runs beside it in a hybrid file_search; p50/p99 and ratios.

A fresh keyspace on 127.0.0.1:9042 (CASSANDRA_PORT to change), dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.search_bench import DIMENSIONS, SUBJECTS, drop_keyspace, percentile
from storage.base import Chunk
from storage.cassandra.backfill import backfill_postings
from storage.cassandra.chunk_tables import ChunkCql, StoreEntry
from storage.cassandra.chunks import CassandraChunkIndex, EncodedChunk
from storage.cassandra.provider import CassandraProvider
from storage.settings import CassandraSettings, parse_store_url
from tests.support import cassandra
from tests.upstream.embeddings import embed_text

TENANT = "bench-tenant"
BLOCK = 200


async def _rows_only(
    self: CassandraChunkIndex,
    q: ChunkCql,
    tenant: str,
    store: str,
    rows: Sequence[EncodedChunk],
) -> None:
    """The write before postings: the chunk rows alone."""
    batch = [(q.insert, row.insert) for row in rows]
    await self._retried(lambda: self._cql.batch(batch, logged=False))


def synthetic(rng: random.Random, first: int, count: int) -> list[Chunk]:
    vocabulary = " ".join(SUBJECTS).split()
    out = []
    for index in range(first, first + count):
        text = " ".join(rng.choice(vocabulary) for _ in range(60))
        out.append(Chunk(f"file-syn{index // 50:05d}", index, text, embed_text(text, DIMENSIONS)))
    return out


async def fill(index: CassandraChunkIndex, chunks: int) -> tuple[str, str, float, float]:
    """Two stores written block by block in turn; (postings store, rows-only store, the first's
    chunks/s, the second's)."""
    current, before = f"vs_{uuid.uuid4().hex}", f"vs_{uuid.uuid4().hex}"
    rng = random.Random(11)
    spent = {current: 0.0, before: 0.0}
    original = CassandraChunkIndex._write_chunks
    for first in range(0, chunks, BLOCK):
        block = synthetic(rng, first, min(BLOCK, chunks - first))
        for store in (current, before) if first % (2 * BLOCK) == 0 else (before, current):
            if store == before:
                CassandraChunkIndex._write_chunks = _rows_only  # type: ignore[method-assign]
            try:
                start = time.perf_counter()
                await index.add(TENANT, store, block, DIMENSIONS)
                spent[store] += time.perf_counter() - start
            finally:
                CassandraChunkIndex._write_chunks = original  # type: ignore[method-assign]
    return current, before, chunks / spent[current], chunks / spent[before]


async def interleaved(
    searches: int, calls: dict[str, Callable[[int], Awaitable[Any]]]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(-5, searches):  # five rounds of warm-up
        for name, call in calls.items():
            start = time.perf_counter()
            await call(i % searches)
            if i >= 0:
                times[name].append((time.perf_counter() - start) * 1000)
    return times


async def main(args: argparse.Namespace) -> None:
    cassandra.require()
    keyspace = cassandra.fresh_keyspace("kwbench")
    settings = parse_store_url(cassandra.store_url(keyspace))
    assert isinstance(settings, CassandraSettings)
    provider = CassandraProvider(settings)
    await provider.start()
    try:
        index = provider.store.chunks
        assert isinstance(index, CassandraChunkIndex)
        store, old_store, with_postings, rows_only = await fill(index, args.chunks)
        # The rows-only store as a store made before postings, then backfilled.
        await provider.store.cql.execute(
            f"UPDATE {keyspace}.vector_stores SET postings = false"
            " WHERE tenant = ? AND vector_store_id = ?",
            (TENANT, old_store),
        )
        start = time.perf_counter()
        covered = await backfill_postings(
            provider.store.cql, index.tables, keyspace, TENANT, old_store
        )
        backfilled = covered / (time.perf_counter() - start)
        rng = random.Random(3)
        queries = [
            f"page report code P{rng.randint(1, 100):03d}X " + rng.choice(SUBJECTS)
            for _ in range(args.searches)
        ]
        vectors = [embed_text(q, DIMENSIONS) for q in queries]
        # The SAI path is timed on a store that has postings: no backfill to start for it.
        index._backfill = lambda tenant, store: None  # type: ignore[method-assign]
        postings = StoreEntry(DIMENSIONS, postings=True)
        fallback = StoreEntry(DIMENSIONS, postings=False)

        async def keyword(entry: StoreEntry, i: int, remember: bool = False) -> None:
            index.tables._stores[(TENANT, store)] = entry
            if not remember:  # as before common_terms: every search reads every term
                index._common.forget(TENANT, store)
            await index.keyword_search(TENANT, [store], queries[i], 10)

        async def semantic(i: int) -> None:
            await index.search(TENANT, [store], vectors[i], 10)

        times = await interleaved(
            args.searches,
            {
                "keyword (postings)": lambda i: keyword(postings, i),
                "keyword (postings, common terms remembered)": lambda i: keyword(postings, i, True),
                "keyword (SAI on terms, before)": lambda i: keyword(fallback, i),
                "semantic (ANN)": semantic,
            },
        )
    finally:
        await provider.close()
        await asyncio.to_thread(drop_keyspace, cassandra.HOST, cassandra.PORT, keyspace)
    print(f"\n== Cassandra, {args.chunks} chunks of {DIMENSIONS} floats ==")
    print(
        f"{'add, chunk rows + postings':44s} {with_postings:7.1f} chunks/s"
        f"  ({with_postings / rows_only:.2f}x of rows only: {rows_only:.1f} chunks/s)"
    )
    print(
        f"{'backfill, postings of the rows-only store':44s} {backfilled:7.1f} chunks/s"
        f"  ({covered} chunks; {backfilled / with_postings:.2f}x the rate of adding chunks)"
    )
    base = statistics.median(times["keyword (SAI on terms, before)"])
    for name, samples in times.items():
        p50 = statistics.median(samples)
        print(
            f"{name:44s} p50 {p50:7.2f} ms  p99 {percentile(samples, 0.99):7.2f} ms"
            f"  ({p50 / base:.2f}x of the SAI query)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=100)
    asyncio.run(main(parser.parse_args()))
