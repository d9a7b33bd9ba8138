"""The background pipeline of one vector store file: bytes, text, chunks, embeddings, index.

A job runs under the process's concurrency gate. Between embedding batches it checks that the
file still waits for it (not deleted, cancelled or re-added meanwhile) and stops otherwise. It
ends by settling the file ``completed`` or ``failed`` (with OpenAI's ``last_error`` codes) and
unregistering its durable work (``recovery`` resumes or fails it if its worker dies).
Unsupported or damaged files fail the vector store file, not the upload.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from assistants.context import Ctx
from assistants.ingest import ChunkingParams, IngestError, TextChunk, chunk_with
from assistants.ingest.limits import DEFAULT_LIMITS
from assistants.vector_stores.isolate import extract_bounded
from assistants.vector_stores.jobs import Worker, worker_of
from assistants.vector_stores.records import file_key
from assistants.vector_stores.transitions import settle, transition
from assistants.work.leases import WorkRef, unregister
from assistants.work.service import SERVICE as WORK
from storage.base import Chunk, Json

log = logging.getLogger("assistants.ingestion")

EMBED_BATCH = 128
EMBED_IN_FLIGHT = 4  # embedding calls of one file at once: a provider serves them side by side
KIND = "ingest"


@dataclass(frozen=True, slots=True)
class IngestJob:
    job_id: str
    vector_store_id: str
    file_id: str
    filename: str
    file_bytes: int
    params: ChunkingParams
    embedding_model: str


class Superseded(Exception):
    """The file was deleted, cancelled or re-added while this job worked on it."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    usage_bytes: int = 0
    last_error: Json | None = None


def server_error(message: str) -> Json:
    return {"code": "server_error", "message": message}


def work_ref(tenant: str, job: IngestJob) -> WorkRef:
    return WorkRef(KIND, tenant, job.job_id, f"{job.vector_store_id}/{job.file_id}")


def start(ctx: Ctx, job: IngestJob) -> None:
    """Start ``job`` in the background; the request that made it returns at once."""
    work = ctx.services.get(WORK)
    if work is None:  # a bare domain context (library use, unit tests): nothing renews leases
        worker_of(ctx).start(ctx, run(ctx, job))
        return

    async def execute(cancel: asyncio.Event) -> None:
        await run(ctx, job)

    work.start(ctx.store, work_ref(ctx.tenant, job), execute)


async def run(ctx: Ctx, job: IngestJob) -> None:
    try:
        worker = worker_of(ctx)
        async with worker.gate.slot(ctx.tenant):
            outcome = await _ingest(ctx, job, worker)
    except Superseded:
        outcome = None
    except IngestError as error:
        outcome = Outcome("failed", last_error={"code": error.code, "message": error.message})
    except asyncio.CancelledError:
        raise  # shutting down: the work stays registered, and recovery resumes or fails it
    except Exception as error:
        # Inference errors carry a client-safe message (keys scrubbed); anything else is a bug.
        message = getattr(error, "message", None)
        if message is None:
            log.exception("ingestion of %s failed", job.file_id)
        outcome = Outcome("failed", last_error=server_error(message or "Ingestion failed."))
    try:
        settled = None
        if outcome is not None:
            change = settle(job.job_id, outcome.status, outcome.usage_bytes, outcome.last_error)
            settled = await transition(ctx, job.vector_store_id, job.file_id, change)
        kept = settled is not None and settled.after is not None
        if not kept or outcome is None or outcome.status != "completed":
            await _drop_chunks_unless_replaced(ctx, job)
    finally:
        await ctx.store.docs.write(unregister(work_ref(ctx.tenant, job)))


async def _ingest(ctx: Ctx, job: IngestJob, worker: Worker) -> Outcome:
    await _ensure_current(ctx, job)
    if job.file_bytes > DEFAULT_LIMITS.max_input_bytes:
        return Outcome("failed", last_error={"code": "invalid_file", "message": "File too large."})
    parts = [part async for part in ctx.store.blobs.read(ctx.tenant, job.file_id)]
    data = b"".join(parts)  # extract_text takes bytes as they are: one copy of the file, not two
    del parts
    content_type = mimetypes.guess_type(job.filename)[0]
    extracted = await extract_bounded(
        data, job.filename, content_type, worker.process, children=worker.children
    )
    del data
    pieces = await asyncio.to_thread(chunk_with, extracted.text, job.params)
    # Chunks of an earlier ingestion of the same file (re-added to the store) go first.
    await ctx.store.chunks.delete_file(ctx.tenant, job.vector_store_id, job.file_id)
    pages = [extracted.page_of(p.char_start) for p in pieces]
    batches = [pieces[i : i + EMBED_BATCH] for i in range(0, len(pieces), EMBED_BATCH)]
    # Up to EMBED_IN_FLIGHT batches are being embedded while the earliest is written, in order.
    pending: deque[asyncio.Task[tuple[list[list[float]], int]]] = deque()
    waiting = iter(batches)
    try:
        for batch in batches:
            for ahead in islice(waiting, EMBED_IN_FLIGHT - len(pending)):
                pending.append(_embed(ctx, job, ahead))
            vectors, dimensions = await pending.popleft()
            await _ensure_current(ctx, job)
            chunks = [
                Chunk(job.file_id, p.index, p.text, vector, _metadata(job, pages[p.index]))
                for p, vector in zip(batch, vectors, strict=True)
            ]
            await ctx.store.chunks.add(ctx.tenant, job.vector_store_id, chunks, dimensions)
    finally:
        for task in pending:
            task.cancel()
    return Outcome("completed", usage_bytes=len(extracted.text.encode("utf-8")))


def _embed(
    ctx: Ctx, job: IngestJob, batch: Sequence[TextChunk]
) -> asyncio.Task[tuple[list[list[float]], int]]:
    async def call() -> tuple[list[list[float]], int]:
        result: Any = await ctx.inference.embed(
            [p.text for p in batch], model=job.embedding_model, options=ctx.options
        )
        return result.vectors, result.dimensions

    return asyncio.get_running_loop().create_task(call())


def _metadata(job: IngestJob, page: int | None) -> Json:
    return {"filename": job.filename} if page is None else {"filename": job.filename, "page": page}


async def _ensure_current(ctx: Ctx, job: IngestJob) -> None:
    found = await ctx.store.docs.get(file_key(ctx.tenant, job.vector_store_id, job.file_id))
    doc = None if found is None else found.doc
    if doc is None or doc.get("_job") != job.job_id or doc["status"] != "in_progress":
        raise Superseded
    if doc.get("_deleted"):
        raise Superseded


async def _drop_chunks_unless_replaced(ctx: Ctx, job: IngestJob) -> None:
    """Remove what this job indexed, unless a newer job of the same file now owns the chunks."""
    found = await ctx.store.docs.get(file_key(ctx.tenant, job.vector_store_id, job.file_id))
    if found is not None and found.doc.get("_job") != job.job_id:
        return
    await ctx.store.chunks.delete_file(ctx.tenant, job.vector_store_id, job.file_id)
