"""Chunk index at scale: write throughput and top-10 vector search, against baselines in the run.

    .venv/bin/python bench/vector_bench.py                                # 100,000 x 1536, both
    .venv/bin/python bench/vector_bench.py --chunks 20000 --backends sqlite
    CASSANDRA_PORT=29042 .venv/bin/python bench/vector_bench.py --backends cassandra

Per backend, in one vector store:

* writes: ``--chunks`` embeddings of ``--dims`` floats (clustered, like real embeddings) added in
  calls of 1,000 (chunks/s); on Cassandra also the previous write path on ``--legacy-chunks`` of
  them, in the same run: the driver's own vector encoding, 64 KiB batches, 2 in flight, a cosine
  index (ratio new / old);
* search: ``--queries`` top-10 searches (p50/p99), recall@10 against exact cosine top-10, and the
  baseline: exact brute force in numpy over the same vectors held in memory (p50, and the ratio
  backend / numpy). SQLite's first search (which reads the store into memory) is shown apart.

Cassandra runs in a fresh keyspace, dropped at the end (``--keep`` keeps it and prints the
``--reuse KEYSPACE/STORE --chunks N`` that searches it again later without loading, e.g. once its
flushes and compactions have settled; ``--overfetch 10,0`` compares ``ANN_OVERFETCH`` values (for
every store size, ``ANN_OVERFETCH_LARGE`` too) query
by query in one run). Stops by itself: past ``--max-minutes`` the load stops early and the search
runs over what was loaded (the output says so). A 100,000 x 1536 load needs the node's memtable
settings from ``scripts/cassandra`` (docs/cassandra-storage.md#writes).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.backends import open_backend
from storage.base import Chunk, Store

TENANT = "tenant-bench"
BATCH = 1000
TEXT = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " * 8


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def make_vectors(count: int, dims: int) -> np.ndarray:
    """Clustered embeddings (256 topics + noise), the same on every backend."""
    centers = np.random.default_rng(7).standard_normal((256, dims))
    rng = np.random.default_rng(1)
    out = np.empty((count, dims), dtype=np.float32)
    for first in range(0, count, BATCH):
        n = min(BATCH, count - first)
        picks = rng.integers(0, len(centers), n)
        out[first : first + n] = centers[picks] + 0.6 * rng.standard_normal((n, dims))
    return out


def chunks_of(vectors: np.ndarray, first: int) -> list[Chunk]:
    return [
        Chunk(f"file_{(first + i) // 100:05d}", first + i, f"chunk {first + i} {TEXT}", row)
        for i, row in enumerate(vectors.tolist())
    ]


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    out = []
    for call in calls:
        began = time.perf_counter()
        await call()
        out.append((time.perf_counter() - began) * 1000)
    return out


def exact_top10(unit: np.ndarray, query: np.ndarray) -> np.ndarray:
    scores = unit @ (query / np.linalg.norm(query)).astype(np.float32)
    best = np.argpartition(-scores, 10)[:10]
    return best[np.argsort(-scores[best])]


async def load(store: Store, vs: str, vectors: np.ndarray, deadline: float) -> tuple[int, float]:
    began, loaded = time.perf_counter(), 0
    while loaded < len(vectors) and time.monotonic() < deadline:
        batch = vectors[loaded : loaded + BATCH]
        await store.chunks.add(TENANT, vs, chunks_of(batch, loaded), vectors.shape[1])
        loaded += len(batch)
        if loaded % 10_000 == 0:
            rate = loaded / (time.perf_counter() - began)
            print(f"  loaded {loaded} chunks ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return loaded, time.perf_counter() - began


async def legacy_cassandra_writes(store: Any, vectors: np.ndarray) -> float:
    """The write path before this change, in the same run: chunks/s."""
    from cassandra.query import BatchStatement, BatchType

    session = store.cql.driver_session
    table = f"{store.keyspace}.legacy_chunks"
    await asyncio.to_thread(
        session.execute,
        f"CREATE TABLE IF NOT EXISTS {table} (tenant text, vector_store_id text, file_id text,"
        f" idx int, text text, metadata text, embedding vector<float, {vectors.shape[1]}>,"
        " PRIMARY KEY ((tenant, vector_store_id), file_id, idx))",
        timeout=60,
    )
    await asyncio.to_thread(
        session.execute,
        f"CREATE CUSTOM INDEX IF NOT EXISTS legacy_chunks_embedding ON {table} (embedding)"
        " USING 'StorageAttachedIndex' WITH OPTIONS = {'similarity_function': 'cosine'}",
        timeout=60,
    )
    insert = await asyncio.to_thread(
        session.prepare,
        f"INSERT INTO {table} (tenant, vector_store_id, file_id, idx, text, metadata, embedding)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(2)

    async def write(batch: BatchStatement) -> None:
        async with slots:
            done: asyncio.Future[None] = loop.create_future()
            future = session.execute_async(batch)
            future.add_callbacks(
                lambda _: loop.call_soon_threadsafe(done.set_result, None),
                lambda exc: loop.call_soon_threadsafe(done.set_exception, exc),
            )
            await done

    began = time.perf_counter()
    pending, batch, size = [], BatchStatement(batch_type=BatchType.UNLOGGED), 0
    for chunk in chunks_of(vectors, 0):
        vector = np.asarray(chunk.embedding, dtype=np.float32).tolist()
        params = ("legacy", "vs", chunk.file_id, chunk.index, chunk.text, "{}", vector)
        batch.add(insert, params)
        size += vectors.shape[1] * 4 + 64 + len(chunk.text)
        if size >= 64 * 1024:
            pending.append(asyncio.ensure_future(write(batch)))
            batch, size = BatchStatement(batch_type=BatchType.UNLOGGED), 0
    if size:
        pending.append(asyncio.ensure_future(write(batch)))
    await asyncio.gather(*pending)
    return len(vectors) / (time.perf_counter() - began)


async def run_backend(name: str, args: argparse.Namespace, vectors: np.ndarray) -> dict:
    keyspace, _, reused = (args.reuse or "").partition("/") if name == "cassandra" else ("", "", "")
    provider, cleanup = await open_backend(name, "vector-bench", "&timeout=30", keyspace or None)
    numbers: dict[str, Any] = {"backend": name}
    keep = name == "cassandra" and bool(args.keep or reused)
    try:
        await provider.start()
        store = await provider.for_request(None, None)
        if name == "cassandra" and args.legacy_chunks and not reused:
            sample = vectors[: args.legacy_chunks]
            numbers["legacy chunks/s"] = await legacy_cassandra_writes(store, sample)
            began = time.perf_counter()
            await store.chunks.add(TENANT, "vs_sample", chunks_of(sample, 0), vectors.shape[1])
            numbers["sample chunks/s"] = len(sample) / (time.perf_counter() - began)
        if reused:  # loaded by an earlier --keep run: its first --chunks vectors
            vs, loaded, seconds = reused, len(vectors), 0.0
        else:
            vs = f"vs_{uuid.uuid4().hex}"
            deadline = time.monotonic() + args.max_minutes * 60
            loaded, seconds = await load(store, vs, vectors, deadline)
        numbers.update({"chunks loaded": loaded, "load s": seconds})
        # The baseline holds unit float32 vectors, as a careful in-memory brute force would.
        norms = np.linalg.norm(vectors[:loaded], axis=1, keepdims=True)
        unit = (vectors[:loaded] / norms).astype(np.float32)
        queries = vectors[: args.queries].astype(np.float64)
        queries += 0.3 * np.random.default_rng(98).standard_normal(queries.shape)
        # Cassandra: each ANN_OVERFETCH asked for, interleaved query by query (fair on a busy box).
        variants: list[int | None] = [None]
        if name == "cassandra" and args.overfetch:
            variants = [int(v) for v in args.overfetch.split(",")]
        found: dict[int | None, list[list[int]]] = {v: [] for v in variants}
        latencies: dict[int | None, list[float]] = {v: [] for v in variants}

        async def search(q: np.ndarray, overfetch: int | None) -> list[int]:
            if overfetch is not None:
                from storage.cassandra import chunks as cassandra_chunks

                cassandra_chunks.ANN_OVERFETCH = overfetch
                cassandra_chunks.ANN_OVERFETCH_LARGE = overfetch
            hits = await store.chunks.search(TENANT, [vs], q.tolist(), 10)
            return [h.index for h in hits]

        began = time.perf_counter()
        await search(queries[0], variants[0])
        numbers["first search ms"] = (time.perf_counter() - began) * 1000
        for q in queries:
            for v in variants:
                began = time.perf_counter()
                found[v].append(await search(q, v))
                latencies[v].append((time.perf_counter() - began) * 1000)

        async def brute(q: np.ndarray) -> None:
            exact_top10(unit, q)

        baseline = await timed([partial(brute, q) for q in queries])
        truth = [set(exact_top10(unit, q).tolist()) for q in queries]
        numbers["searches"] = [
            (
                v,
                pct(latencies[v], 50),
                pct(latencies[v], 99),
                sum(len(set(f) & t) for f, t in zip(found[v], truth, strict=True))
                / (10 * len(truth)),
            )
            for v in variants
        ]
        numbers["numpy exact p50 ms"] = pct(baseline, 50)
        report(numbers, args)
        if keep:
            print(f"kept: --reuse {getattr(store, 'keyspace', keyspace)}/{vs} --chunks {loaded}")
    finally:
        await provider.close()
        if not keep:
            try:
                await cleanup()
            except Exception as error:  # a busy node may not drop the keyspace in time
                print(f"cleanup failed: {error!r}", file=sys.stderr)
    return numbers


def report(n: dict, args: argparse.Namespace) -> None:
    print(f"\n== {n['backend']}: {n['chunks loaded']} x {args.dims} chunks, {os.cpu_count()} cores")
    if "legacy chunks/s" in n:
        print(
            f"writes, {args.legacy_chunks} chunks: new {n['sample chunks/s']:.0f} chunks/s,"
            f" old path {n['legacy chunks/s']:.0f} chunks/s"
            f" -> {n['sample chunks/s'] / n['legacy chunks/s']:.2f}x"
        )
    if n["load s"]:
        print(f"load: {n['load s']:.1f} s, {n['chunks loaded'] / n['load s']:.0f} chunks/s")
    else:
        print("load: none (--reuse)")
    print(f"first search (cold): {n['first search ms']:.1f} ms")
    exact = n["numpy exact p50 ms"]
    for overfetch, p50, p99, recall in n["searches"]:
        label = "" if overfetch is None else f" (ANN_OVERFETCH {overfetch})"
        print(
            f"top-10 search{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, recall@10 {recall:.3f}"
            f" -> backend / numpy {p50 / exact:.2f}x"
        )
    print(f"numpy exact baseline: p50 {exact:.1f} ms")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,cassandra")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=1536)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--legacy-chunks", type=int, default=2000)
    parser.add_argument("--max-minutes", type=float, default=20.0, help="per backend's load")
    parser.add_argument("--keep", action="store_true", help="Cassandra: keep the keyspace")
    parser.add_argument(
        "--reuse", help="Cassandra: KEYSPACE/STORE kept by --keep; no load (--chunks: its size)"
    )
    parser.add_argument(
        "--overfetch", help="Cassandra: ANN_OVERFETCH values to compare in the run, e.g. 10,0"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    vectors = make_vectors(args.chunks, args.dims)
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        await run_backend(name, args, vectors)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
