"""Storage backends side by side: document latency, paging a long thread, top-10 vector search.

    .venv/bin/python bench/storage_bench.py                      # sqlite and cassandra, full size
    .venv/bin/python bench/storage_bench.py --chunks 5000 --backends sqlite,cassandra
    CASSANDRA_PORT=9342 .venv/bin/python bench/storage_bench.py  # another local node

Per backend: ``--docs`` sequential puts then gets (per-document latency), a ``--messages`` thread
loaded in writes of 100 and walked in pages of 100 (plus first-page latency), and ``--chunks``
embeddings of ``--dims`` floats in one vector store searched for the top 10 (load time, latency,
recall against exact numpy top-10). Cassandra runs in a fresh keyspace, dropped at the end.

It stops by itself: every phase has a fixed size, and past ``--max-minutes`` the chunk load stops
early (the search then runs over what was loaded, and the table says how many).
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
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.backends import open_backend
from storage.base import Chunk, Key, Kind, PageQuery, Put, Store
from storage.errors import StorageUnavailable

TENANT = "tenant-bench"
BATCH = 1000


@dataclass
class Result:
    backend: str
    numbers: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    """Milliseconds per call, run one after the other."""
    out = []
    for call in calls:
        began = time.perf_counter()
        await call()
        out.append((time.perf_counter() - began) * 1000)
    return out


def message(i: int, thread: str) -> dict[str, Any]:
    text = f"message {i} of the benchmark thread; " * 24  # about 1 KB, like a chat turn
    return {
        "id": f"msg_{i:08d}",
        "object": "thread.message",
        "thread_id": thread,
        "role": "user" if i % 2 else "assistant",
        "run_id": f"run_{i // 10:06d}",
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
        "metadata": {},
    }


def vectors(batch: int, dims: int, data: str) -> np.ndarray:
    """Deterministic batch ``batch`` of embeddings: the same on every backend and for recall."""
    rng = np.random.default_rng(1_000 + batch)
    if data == "random":
        return rng.standard_normal((BATCH, dims)).astype(np.float32)
    centers = np.random.default_rng(7).standard_normal((256, dims))
    picks = rng.integers(0, len(centers), BATCH)
    return (centers[picks] + 0.6 * rng.standard_normal((BATCH, dims))).astype(np.float32)


async def documents(store: Store, result: Result, count: int) -> None:
    thread = f"thread_{uuid.uuid4().hex}"
    keys = [Key(TENANT, Kind.MESSAGE, thread, f"msg_{i:08d}") for i in range(count)]
    writes = await timed(
        [partial(store.docs.put, k, message(i, thread)) for i, k in enumerate(keys)]
    )
    order = np.random.default_rng(1).permutation(count)
    reads = await timed([partial(store.docs.get, keys[i]) for i in order])
    for name, samples in (("write", writes), ("read", reads)):
        result.numbers[f"{name} p50 ms"] = pct(samples, 50)
        result.numbers[f"{name} p99 ms"] = pct(samples, 99)


async def long_thread(store: Store, result: Result, count: int) -> None:
    thread = f"thread_{uuid.uuid4().hex}"
    began = time.perf_counter()
    for start in range(0, count, 100):
        ops = [
            Put(Key(TENANT, Kind.MESSAGE, thread, f"msg_{i:08d}"), message(i, thread))
            for i in range(start, min(count, start + 100))
        ]
        await store.docs.write(ops)
    result.numbers["thread load s"] = time.perf_counter() - began
    began, after, pages, seen = time.perf_counter(), None, 0, 0
    while True:
        page = await store.docs.list(TENANT, Kind.MESSAGE, thread, PageQuery(100, "asc", after))
        pages, seen = pages + 1, seen + len(page.items)
        if not page.has_more:
            break
        after = page.items[-1].id
    result.numbers["walk all pages s"] = time.perf_counter() - began
    if seen != count:
        result.notes.append(f"walked {seen} of {count} messages")
    first = await timed(
        [lambda: store.docs.list(TENANT, Kind.MESSAGE, thread, PageQuery(100, "desc"))] * 50
    )
    result.numbers["first page p50 ms"] = pct(first, 50)
    result.numbers["first page p99 ms"] = pct(first, 99)


async def vector_search(
    store: Store, result: Result, args: argparse.Namespace, deadline: float
) -> None:
    vs = f"vs_{uuid.uuid4().hex}"
    began, loaded = time.perf_counter(), 0
    for batch in range(-(-args.chunks // BATCH)):
        if time.monotonic() > deadline:
            result.notes.append(f"time budget reached: searched {loaded} of {args.chunks} chunks")
            break
        rows = vectors(batch, args.dims, args.data)[: args.chunks - loaded]
        chunks = [
            Chunk(
                f"file_{(loaded + i) // 100:05d}", loaded + i, f"chunk {loaded + i}", row.tolist()
            )
            for i, row in enumerate(rows)
        ]
        if not await add_chunks(store, vs, chunks, args.dims):
            result.notes.append(f"the backend kept failing: searched {loaded} chunks")
            break
        loaded += len(chunks)
        if batch % 10 == 9:
            print(f"  [{result.backend}] loaded {loaded} chunks", file=sys.stderr, flush=True)
    load = time.perf_counter() - began
    result.numbers["chunk load s"] = load
    result.numbers["chunks loaded"] = loaded
    result.numbers["chunks/s"] = loaded / load if load else 0.0
    queries = np.random.default_rng(99).standard_normal((args.queries, args.dims))
    if args.data != "random":
        queries = vectors(0, args.dims, args.data)[: args.queries].astype(np.float64)
        queries += 0.3 * np.random.default_rng(98).standard_normal(queries.shape)
    hits: list[list[int]] = []

    async def search(q: np.ndarray) -> None:
        found = await store.chunks.search(TENANT, [vs], q.tolist(), 10)
        hits.append([h.index for h in found])

    await search(queries[0])  # warm-up (prepares statements, fills caches)
    hits.clear()
    latencies = await timed([partial(search, q) for q in queries])
    result.numbers["search p50 ms"] = pct(latencies, 50)
    result.numbers["search p99 ms"] = pct(latencies, 99)
    result.numbers["recall@10"] = recall(hits, queries, loaded, args)


async def add_chunks(store: Store, vs: str, chunks: list[Chunk], dims: int) -> bool:
    """Add one batch; when the backend is overloaded, let it catch up and try again."""
    for _ in range(3):
        try:
            await store.chunks.add(TENANT, vs, chunks, dims)
            return True
        except StorageUnavailable as exc:
            print(f"  chunk batch failed ({exc}); retrying in 10 s", file=sys.stderr, flush=True)
            await asyncio.sleep(10)
    return False


def recall(
    hits: list[list[int]], queries: np.ndarray, loaded: int, args: argparse.Namespace
) -> float:
    unit = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    best = np.full((len(queries), 10), -np.inf)
    ids = np.zeros((len(queries), 10), dtype=np.int64)
    for batch in range(-(-loaded // BATCH)):
        rows = vectors(batch, args.dims, args.data)[: loaded - batch * BATCH].astype(np.float64)
        scores = unit @ (rows / np.linalg.norm(rows, axis=1, keepdims=True)).T
        all_scores = np.concatenate([best, scores], axis=1)
        batch_ids = np.broadcast_to(np.arange(len(rows)) + batch * BATCH, scores.shape)
        all_ids = np.concatenate([ids, batch_ids], axis=1)
        top = np.argsort(-all_scores, axis=1)[:, :10]
        best = np.take_along_axis(all_scores, top, axis=1)
        ids = np.take_along_axis(all_ids, top, axis=1)
    found = sum(len(set(h) & set(ids[i].tolist())) for i, h in enumerate(hits))
    return found / (10 * len(hits))


async def run_backend(name: str, args: argparse.Namespace, deadline: float) -> Result:
    result = Result(name)
    provider, cleanup = await open_backend(name, "storage-bench")
    try:
        began = time.perf_counter()
        await provider.start()
        result.numbers["start s"] = time.perf_counter() - began
        store = await provider.for_request(None, None)
        print(f"[{name}] documents", file=sys.stderr, flush=True)
        await documents(store, result, args.docs)
        print(f"[{name}] long thread", file=sys.stderr, flush=True)
        await long_thread(store, result, args.messages)
        print(f"[{name}] vector search", file=sys.stderr, flush=True)
        await vector_search(store, result, args, deadline)
    finally:
        await provider.close()
        await cleanup()
    return result


ROWS = [
    ("write p50 ms", "{:.2f}"),
    ("write p99 ms", "{:.2f}"),
    ("read p50 ms", "{:.2f}"),
    ("read p99 ms", "{:.2f}"),
    ("thread load s", "{:.2f}"),
    ("walk all pages s", "{:.3f}"),
    ("first page p50 ms", "{:.2f}"),
    ("first page p99 ms", "{:.2f}"),
    ("chunks loaded", "{:.0f}"),
    ("chunk load s", "{:.1f}"),
    ("chunks/s", "{:.0f}"),
    ("search p50 ms", "{:.1f}"),
    ("search p99 ms", "{:.1f}"),
    ("recall@10", "{:.3f}"),
]


def table(results: list[Result]) -> str:
    names = [r.backend for r in results]
    header = ["metric", *names]
    if len(results) == 2:
        header.append(f"{names[1]}/{names[0]}")
    lines = [header]
    for metric, fmt in ROWS:
        values = [r.numbers.get(metric) for r in results]
        row = [metric, *("-" if v is None else fmt.format(v) for v in values)]
        if len(results) == 2:
            a, b = values
            row.append(f"{b / a:.3g}x" if a and b is not None and metric != "chunks loaded" else "")
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    for r in results:
        out += [f"note ({r.backend}): {n}" for n in r.notes]
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,cassandra")
    parser.add_argument("--docs", type=int, default=2000, help="documents written then read")
    parser.add_argument("--messages", type=int, default=10_000, help="messages in the long thread")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks in the vector store")
    parser.add_argument("--dims", type=int, default=1536)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--data", choices=("clustered", "random"), default="clustered")
    parser.add_argument("--max-minutes", type=float, default=30.0, help="overall time budget")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    deadline = time.monotonic() + args.max_minutes * 60
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results: list[Result] = []
    for name in backends:
        # Each backend gets an equal share of what is left of the budget for its chunk load.
        share = (deadline - time.monotonic()) / (len(backends) - len(results))
        results.append(await run_backend(name, args, time.monotonic() + 0.8 * share))
    print(
        f"\nstorage bench: {args.docs} docs, {args.messages}-message thread, "
        f"{args.chunks} x {args.dims}-dim {args.data} chunks, {args.queries} queries, "
        f"{os.cpu_count()} cores\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
