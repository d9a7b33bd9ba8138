"""Index writes of one file's ingestion: batches overlap, and none outlives the job."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from assistants.vector_stores import service
from assistants.vector_stores.files import get_vector_store_file
from assistants.vector_stores.ingestion import EMBED_BATCH, WRITES_IN_FLIGHT
from assistants.vector_stores.jobs import worker_of
from storage.base import BlobStore, Chunk, ChunkIndex, DocumentStore
from tests.assistants.retrieval.conftest import upload

SMALL = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
# ~80 new tokens per chunk: enough text for 3 embedding batches and a bit
TEXT = " ".join(f"word{i % 997} harbour{i % 13}" for i in range(3 * EMBED_BATCH * 45))


class SlowChunks:
    """The real chunk index, with each ``add`` held back and counted; one can be made to fail."""

    def __init__(self, inner: ChunkIndex, delay: float, fail_call: int | None = None) -> None:
        self.inner = inner
        self.delay = delay
        self.fail_call = fail_call
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.sent: list[asyncio.Task[None]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        self.calls += 1
        call = self.calls
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if call == self.fail_call:
                raise RuntimeError("the store refused this batch")
            # Once sent, a write lands even if the task awaiting it is cancelled.
            late = self._late_add(tenant, vector_store_id, chunks, dimensions)
            sent = asyncio.ensure_future(late)
            self.sent.append(sent)
            await asyncio.shield(sent)
        finally:
            self.in_flight -= 1

    async def _late_add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        await asyncio.sleep(self.delay)
        await self.inner.add(tenant, vector_store_id, chunks, dimensions)


@dataclass
class Wrapped:
    docs: DocumentStore
    blobs: BlobStore
    chunks: SlowChunks


async def _ingest(ctx, chunks: SlowChunks):
    ctx.store = Wrapped(ctx.store.docs, ctx.store.blobs, chunks)
    file = await upload(ctx, "long.txt", TEXT)
    store = await service.create_vector_store(
        ctx, {"file_ids": [file["id"]], "chunking_strategy": SMALL}
    )
    await worker_of(ctx).drain()
    await asyncio.gather(*chunks.sent)  # every write sent has landed
    done = await get_vector_store_file(ctx, store["id"], file["id"])
    stored = await chunks.inner.file_chunks(ctx.tenant, store["id"], file["id"])
    return done, stored


async def test_every_batch_is_indexed_with_the_next_written_meanwhile(ctx):
    chunks = SlowChunks(ctx.store.chunks, delay=0.2)
    done, stored = await _ingest(ctx, chunks)
    assert done["status"] == "completed"
    assert chunks.calls >= 3
    assert sorted(c.index for c in stored) == list(range(len(stored)))
    assert len(stored) > 2 * EMBED_BATCH
    # Batches overlap, within the bound the store's own write limit expects.
    assert 1 < chunks.most_in_flight <= WRITES_IN_FLIGHT


async def test_a_failed_batch_leaves_no_chunk_even_from_a_write_still_in_flight(ctx):
    # The first batch's write fails while the second's (slow) is still going.
    chunks = SlowChunks(ctx.store.chunks, delay=0.5, fail_call=1)
    done, stored = await _ingest(ctx, chunks)
    assert done["status"] == "failed"
    assert done["last_error"]["code"] == "server_error"
    # The file's chunks were dropped after the slow write had landed, not before.
    assert stored == []
