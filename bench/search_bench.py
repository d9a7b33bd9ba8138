"""Vector store ingestion throughput and search latency, through the real pipeline.

Per backend (sqlite always; Cassandra when a node answers on 127.0.0.1:9042):

* ingestion: a 100-page PDF (fpdf2) is uploaded (``create_file``) and added to a vector store;
  the background job reads the blob, extracts, chunks, embeds through the inference engine
  against the fake upstream (in its own process, as a remote provider's work is not the
  server's) and indexes. Reported as pages/s and chunks/s, for the ``auto`` strategy (800/400
  tokens) and for small static chunks (200/100) that make many more chunks; then ``--batch-files``
  copies of it as one file batch (small chunks), whose jobs run side by side.
* search: ``assistants.retrieval.search`` end to end (query embedding over HTTP, index search,
  attribute lookups, last_active_at), and the chunk index alone on a store of synthetic chunks;
  p50/p99 of each.

    .venv/bin/python bench/search_bench.py [--pages 100] [--searches 200] [--chunks 5000]
        [--backends sqlite,cassandra] [--beam-width 40]

``--beam-width 100`` builds the Cassandra chunk index with Cassandra's default graph-build beam
width instead of the project's (``storage/cassandra/schema.py``): a baseline for runs alternated
with the default ones.

Baselines in the same run: the small-chunk pipeline without the index (extract, chunk, embed);
beside file_search over the ``--chunks`` store, the query embedding call alone and the index's
own search, taken in turn with it query by query; on Cassandra, the small-chunk store scored whole
by the server beside its search through the vector index (with recall@10 against the former).

Stops by itself: every phase is bounded, and the upstream, stores and keyspace are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from fpdf import FPDF

from assistants.context import Ctx
from assistants.files.service import create_file
from assistants.ingest import AUTO_CHUNKING, ChunkingParams, chunk_with, extract_text
from assistants.retrieval import search
from assistants.vector_stores import service
from assistants.vector_stores.batches import create_batch
from assistants.vector_stores.files import create_vector_store_file, get_vector_store_file
from assistants.vector_stores.ingestion import EMBED_BATCH, EMBED_IN_FLIGHT
from assistants.vector_stores.jobs import SERVICE as WORKER
from assistants.vector_stores.jobs import worker_of
from bench.chat_relay import start_upstream
from inference.litellm_engine import LiteLLMEngine
from inference.options import ProviderOptions
from storage.base import Chunk, StoreProvider
from storage.cassandra import schema
from tests.upstream.embeddings import embed_text

WORDS_PER_PAGE = 350
DIMENSIONS = 1536  # text-embedding-3-small, the server default
PHASE_TIMEOUT = 300.0
SMALL_CHUNKS = ChunkingParams(max_chunk_size_tokens=200, chunk_overlap_tokens=100)
SUBJECTS = (
    "river harbour ferry lighthouse tide estuary dock crane cargo barge pier canal lock",
    "orchard harvest cider pruning blossom graft rootstock frost beehive pollen apple pear",
    "library archive manuscript catalogue binding vellum index reading folio scribe",
    "railway signal junction timetable carriage sleeper gauge platform viaduct tunnel",
    "observatory telescope nebula parallax eclipse meridian comet orbit spectrum lens",
)
FILLER = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "this",
    "which",
    "also",
    "were",
    "are",
]


def page_text(rng: random.Random, number: int) -> str:
    words = SUBJECTS[number % len(SUBJECTS)].split()
    body = [rng.choice(words if rng.random() < 0.4 else FILLER) for _ in range(WORDS_PER_PAGE)]
    lines = [" ".join(body[i : i + 14]) for i in range(0, len(body), 14)]
    return f"Page {number} report code P{number:03d}X.\n" + "\n".join(lines)


def build_pdf(pages: int) -> bytes:
    rng = random.Random(7)
    document = FPDF(format="A4")
    document.set_auto_page_break(auto=False)
    document.set_font("Helvetica", size=9)
    for number in range(1, pages + 1):
        document.add_page()
        document.multi_cell(0, 4.5, page_text(rng, number))
    return bytes(document.output())


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def timed(samples: int, make: Callable[[int], Awaitable[Any]]) -> dict[str, float]:
    for i in range(min(5, samples)):  # warm-up: connections, caches, first-call imports
        await make(i)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        await make(i)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": statistics.median(times), "p99_ms": percentile(times, 0.99)}


async def interleaved(
    samples: int, makers: dict[str, Callable[[int], Awaitable[Any]]]
) -> dict[str, dict[str, float]]:
    """`timed` for several calls at once, taken in turn query by query (the order rotating), so
    that each sees the node in the same state: a store just loaded is still being flushed."""
    labels = list(makers)
    for i in range(min(5, samples)):
        for label in labels:
            await makers[label](i)
    times: dict[str, list[float]] = {label: [] for label in labels}
    for i in range(samples):
        shift = i % len(labels)
        for label in labels[shift:] + labels[:shift]:
            start = time.perf_counter()
            await makers[label](i)
            times[label].append((time.perf_counter() - start) * 1000)
    return {
        label: {"p50_ms": statistics.median(t), "p99_ms": percentile(t, 0.99)}
        for label, t in times.items()
    }


async def small_store_paths(
    ctx: Ctx, store_id: str, vectors: list[list[float]], samples: int
) -> dict[str, Any]:
    """Cassandra: a small store searched through the vector index (as stores of more than
    `EXACT_SCAN_FLOATS` floats are) and scored whole by the server (the baseline: how stores of
    up to 1,000,000 floats were searched), taken in turn; recall@10 of the index against it."""
    import storage.cassandra.chunks as cql_chunks

    found: dict[str, list[set[tuple[str, int]]]] = {"index": [], "exact": []}

    def through(path: str) -> Callable[[int], Awaitable[Any]]:
        async def one(i: int) -> None:
            kept = cql_chunks.EXACT_SCAN_FLOATS
            cql_chunks.EXACT_SCAN_FLOATS = 0 if path == "index" else 10**12
            try:
                hits = await ctx.store.chunks.search(ctx.tenant, [store_id], vectors[i], 10)
            finally:
                cql_chunks.EXACT_SCAN_FLOATS = kept
            found[path].append({(h.file_id, h.index) for h in hits})

        return one

    timing = await interleaved(samples, {path: through(path) for path in found})
    pairs = zip(found["index"], found["exact"], strict=True)
    recall = statistics.mean(len(a & b) / max(1, len(b)) for a, b in pairs)
    return {"timing": timing, "recall": recall}


async def stage_times(pdf: bytes) -> dict[str, float]:
    """Extraction and chunking alone (no storage, no embedding), to read the totals against."""
    start = time.perf_counter()
    extracted = await asyncio.to_thread(extract_text, pdf, "bench.pdf")
    extract = time.perf_counter() - start
    start = time.perf_counter()
    await asyncio.to_thread(chunk_with, extracted.text, AUTO_CHUNKING)
    return {"extract_s": extract, "chunk_s": time.perf_counter() - start}


async def pipeline_floor(ctx: Ctx, pdf: bytes) -> dict[str, float]:
    """The small-chunk ingestion without the index: extract (in this process), chunk, embed with
    as many calls in flight as ingestion makes (chunks/s)."""
    start = time.perf_counter()
    extracted = await asyncio.to_thread(extract_text, pdf, "bench.pdf")
    pieces = await asyncio.to_thread(chunk_with, extracted.text, SMALL_CHUNKS)
    gate = asyncio.Semaphore(EMBED_IN_FLIGHT)

    async def embed(first: int) -> None:
        async with gate:
            batch = [p.text for p in pieces[first : first + EMBED_BATCH]]
            await ctx.inference.embed(batch, model="text-embedding-3-small", options=ctx.options)

    await asyncio.gather(*(embed(first) for first in range(0, len(pieces), EMBED_BATCH)))
    return {"chunks": len(pieces), "chunks_per_s": len(pieces) / (time.perf_counter() - start)}


async def ingest(ctx: Ctx, pdf: bytes, pages: int, chunking: dict[str, Any] | None) -> dict:
    file = await create_file(ctx, io.BytesIO(pdf), "bench.pdf", "assistants")
    store = await service.create_vector_store(ctx, {"name": "bench"})
    body: dict[str, Any] = {"file_id": file["id"]}
    if chunking:
        body["chunking_strategy"] = chunking
    start = time.perf_counter()
    await create_vector_store_file(ctx, store["id"], body)
    await asyncio.wait_for(worker_of(ctx).drain(), PHASE_TIMEOUT)
    seconds = time.perf_counter() - start
    done = await get_vector_store_file(ctx, store["id"], file["id"])
    if done["status"] != "completed":
        raise RuntimeError(f"ingestion ended {done['status']}: {done['last_error']}")
    chunks = len(await ctx.store.chunks.file_chunks(ctx.tenant, store["id"], file["id"]))
    return {
        "store_id": store["id"],
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "chunks": chunks,
        "chunks_per_s": chunks / seconds,
    }


async def ingest_batch(ctx: Ctx, pdf: bytes, pages: int, files: int) -> dict:
    """``files`` copies of the PDF added as one file batch (small chunks): jobs run side by side."""
    ids = [
        (await create_file(ctx, io.BytesIO(pdf), f"b{n}.pdf", "assistants"))["id"]
        for n in range(files)
    ]
    store = await service.create_vector_store(ctx, {"name": "batch"})
    start = time.perf_counter()
    await create_batch(
        ctx,
        store["id"],
        {
            "file_ids": ids,
            "chunking_strategy": {"type": "static", "static": dataclasses.asdict(SMALL_CHUNKS)},
        },
    )
    await asyncio.wait_for(worker_of(ctx).drain(), PHASE_TIMEOUT)
    seconds = time.perf_counter() - start
    chunks = 0
    for file_id in ids:
        done = await get_vector_store_file(ctx, store["id"], file_id)
        if done["status"] != "completed":
            raise RuntimeError(f"ingestion ended {done['status']}: {done['last_error']}")
        chunks += len(await ctx.store.chunks.file_chunks(ctx.tenant, store["id"], file_id))
    return {
        "seconds": seconds,
        "pages_per_s": pages * files / seconds,
        "chunks": chunks,
        "chunks_per_s": chunks / seconds,
    }


async def synthetic_store(ctx: Ctx, count: int) -> tuple[str, float]:
    """A store of ``count`` generated chunks added straight to the index; returns (id, chunks/s)."""
    store = await service.create_vector_store(ctx, {"name": "synthetic"})
    rng = random.Random(11)
    vocabulary = " ".join(SUBJECTS).split()
    start = time.perf_counter()
    for first in range(0, count, 200):
        batch = []
        for index in range(first, min(count, first + 200)):
            text = " ".join(rng.choice(vocabulary) for _ in range(60))
            vector = embed_text(text, DIMENSIONS)
            batch.append(Chunk(f"file-syn{index // 50:05d}", index, text, vector))
        await ctx.store.chunks.add(ctx.tenant, store["id"], batch, DIMENSIONS)
    return store["id"], count / (time.perf_counter() - start)


async def run_backend(
    name: str, provider: StoreProvider, base_url: str, args: argparse.Namespace
) -> dict:
    await provider.start()
    engine = LiteLLMEngine()
    services: dict[str, Any] = {}
    try:
        await asyncio.to_thread(engine.warm)
        ctx = Ctx(
            store=await provider.for_request(None, None),
            tenant=uuid.uuid4().hex,
            inference=engine,
            options=ProviderOptions(base_url=base_url),
            services=services,
        )
        pdf = build_pdf(args.pages)
        stages = await stage_times(pdf)
        auto = await ingest(ctx, pdf, args.pages, None)
        small = await ingest(
            ctx, pdf, args.pages, {"type": "static", "static": dataclasses.asdict(SMALL_CHUNKS)}
        )
        batch = await ingest_batch(ctx, pdf, args.pages, args.batch_files)
        rng = random.Random(3)
        queries = [
            f"page report code P{rng.randint(1, args.pages):03d}X " + rng.choice(SUBJECTS)
            for _ in range(args.searches)
        ]
        end_to_end = await timed(
            args.searches,
            lambda i: search(ctx, [small["store_id"]], queries[i], max_num_results=10),
        )
        synthetic, add_rate = await synthetic_store(ctx, args.chunks)
        vectors = [embed_text(q, DIMENSIONS) for q in queries]
        raw_small = await timed(
            args.searches,
            lambda i: ctx.store.chunks.search(ctx.tenant, [small["store_id"]], vectors[i], 10),
        )
        small_paths = None
        if name == "cassandra":
            small_paths = await small_store_paths(ctx, small["store_id"], vectors, args.searches)
        # What file_search adds before a run's first token, on a store of --chunks chunks:
        # hybrid (the default) and semantic only, against the query embedding call alone and the
        # index's own search (no embedding call), taken in turn.
        big = await interleaved(
            args.searches,
            {
                "hybrid": lambda i: search(ctx, [synthetic], queries[i], max_num_results=10),
                "semantic only": lambda i: search(
                    ctx,
                    [synthetic],
                    queries[i],
                    max_num_results=10,
                    ranking_options={"ranker": "none"},
                ),
                "query embedding alone": lambda i: ctx.inference.embed(
                    [queries[i]], model="text-embedding-3-small", options=ctx.options
                ),
                "index alone": lambda i: ctx.store.chunks.search(
                    ctx.tenant, [synthetic], vectors[i], 10
                ),
            },
        )
        raw_big = big.pop("index alone")
        return {
            "backend": name,
            "stages": stages,
            "ingest_auto": auto,
            "ingest_small_chunks": small,
            f"batch of {args.batch_files}, small": batch,
            "search_end_to_end": end_to_end,
            "file_search": big,
            "batch_label": f"batch of {args.batch_files}, small",
            "pipeline_floor": await pipeline_floor(ctx, pdf),
            "index_add_per_s": add_rate,
            "synthetic_chunks": args.chunks,
            "small_store_paths": small_paths,
            "index_search": {
                f"{small['chunks']} chunks": raw_small,
                f"{args.chunks} chunks": raw_big,
            },
        }
    finally:
        await engine.aclose()
        worker = services.get(WORKER)
        if worker is not None:
            await worker.children.aclose()
        await provider.close()


def providers(
    args: argparse.Namespace, tmp: Path
) -> list[tuple[str, Callable[[], StoreProvider], Callable[[], None]]]:
    from storage.settings import SqliteSettings
    from storage.sqlite import SqliteProvider

    chosen: list[tuple[str, Callable[[], StoreProvider], Callable[[], None]]] = []
    if "sqlite" in args.backends:
        chosen.append(
            ("sqlite", lambda: SqliteProvider(SqliteSettings(path=tmp / "bench.db")), lambda: None)
        )
    if "cassandra" in args.backends:
        from tests.support import cassandra

        if not cassandra.reachable():
            print("cassandra: no node on 127.0.0.1:9042, skipped", file=sys.stderr)
        else:
            from storage.cassandra.provider import CassandraProvider
            from storage.settings import parse_store_url

            keyspace = cassandra.fresh_keyspace("bench")

            def make() -> StoreProvider:
                return CassandraProvider(parse_store_url(cassandra.store_url(keyspace)))  # type: ignore[arg-type]

            chosen.append(
                ("cassandra", make, lambda: drop_keyspace(cassandra.HOST, cassandra.PORT, keyspace))
            )
    return chosen


def drop_keyspace(host: str, port: int, keyspace: str) -> None:
    from cassandra.cluster import Cluster

    cluster = Cluster([host], port=port)
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
    finally:
        cluster.shutdown()


def report(result: dict) -> None:
    print(f"\n== {result['backend']} ==")
    stages = result["stages"]
    print(f"{'extract + chunk only':22s} {stages['extract_s']:6.2f} s + {stages['chunk_s']:.2f} s")
    for label in ("ingest_auto", "ingest_small_chunks", result["batch_label"]):
        r = result[label]
        print(
            f"{label:22s} {r['seconds']:6.2f} s  {r['pages_per_s']:7.1f} pages/s  "
            f"{r['chunks']:5d} chunks  {r['chunks_per_s']:7.1f} chunks/s"
        )
    floor = result["pipeline_floor"]
    ratio = result["ingest_small_chunks"]["chunks_per_s"] / floor["chunks_per_s"]
    print(
        f"{'no index (floor)':22s} {floor['chunks_per_s']:7.1f} chunks/s"
        f" -> small-chunk ingestion at {ratio:.2f}x of it"
    )
    e = result["search_end_to_end"]
    print(f"{'search (end to end)':22s} p50 {e['p50_ms']:7.2f} ms  p99 {e['p99_ms']:7.2f} ms")
    for label, r in result["file_search"].items():
        print(
            f"{'file_search ' + label:22s} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms"
            f"  ({result['synthetic_chunks']} chunks)"
        )
    fs, raw = result["file_search"], result["index_search"][f"{result['synthetic_chunks']} chunks"]
    floor = fs["query embedding alone"]["p50_ms"] + raw["p50_ms"]
    for label in ("hybrid", "semantic only"):
        print(
            f"{'file_search ' + label:22s} {fs[label]['p50_ms'] / floor:.2f}x the embedding call"
            f" + the index's own search ({floor:.2f} ms p50, taken in turn with it)"
        )
    print(f"{'index add (direct)':22s} {result['index_add_per_s']:7.1f} chunks/s")
    for label, r in result["index_search"].items():
        print(f"{'index ' + label:22s} p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")
    paths = result["small_store_paths"]
    if paths is not None:
        small = result["ingest_small_chunks"]["chunks"]
        index, exact = paths["timing"]["index"], paths["timing"]["exact"]
        print(
            f"{small} chunks: vector index p50 {index['p50_ms']:.2f} ms, scored whole (baseline)"
            f" p50 {exact['p50_ms']:.2f} ms: {index['p50_ms'] / exact['p50_ms']:.2f}x;"
            f" recall@10 {paths['recall']:.3f}"
        )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # The provider in its own process, as a remote provider is: its work is not the server's.
        upstream, base_url = start_upstream(Path(tmp))
        try:
            for name, make, cleanup in providers(args, Path(tmp)):
                try:
                    result = await asyncio.wait_for(
                        run_backend(name, make(), base_url, args), PHASE_TIMEOUT * 2
                    )
                    report(result)
                finally:
                    await asyncio.to_thread(cleanup)
        finally:
            upstream.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--batch-files", type=int, default=4)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["sqlite", "cassandra"])
    parser.add_argument(
        "--beam-width",
        type=int,
        default=schema.CONSTRUCTION_BEAM_WIDTH,
        help="construction_beam_width of the Cassandra chunk index (100: Cassandra's default)",
    )
    parsed = parser.parse_args()
    schema.CONSTRUCTION_BEAM_WIDTH = parsed.beam_width
    asyncio.run(main(parsed))
