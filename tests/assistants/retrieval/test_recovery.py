"""Interrupted ingestion never leaves a vector store file in progress."""

from __future__ import annotations

import time

from assistants.vector_stores import service
from assistants.vector_stores.files import get_vector_store_file
from assistants.vector_stores.jobs import (
    STALE_AFTER_SECONDS,
    Worker,
    job_key,
    job_record,
    worker_key,
    worker_of,
)
from assistants.vector_stores.records import file_key, store_key
from assistants.vector_stores.recovery import resume_pending_ingestion
from storage.base import Put
from tests.assistants.retrieval.conftest import upload


async def _orphan(ctx, worker: Worker, beat_age: float) -> tuple[str, str]:
    """A store with one in-progress file whose job belongs to ``worker`` (not running)."""
    store = await service.create_vector_store(ctx, {"name": "orphan"})
    file = await upload(ctx, "a.txt", "text")
    job_id = f"ingest_{file['id']}"
    doc = {
        "id": file["id"],
        "object": "vector_store.file",
        "usage_bytes": 0,
        "created_at": 0,
        "vector_store_id": store["id"],
        "status": "in_progress",
        "last_error": None,
        "attributes": {},
        "_job": job_id,
        "_worker": worker.id,
    }
    record = job_record(ctx, worker, job_id, store["id"], file["id"])
    record["created_at"] = time.time() - beat_age
    await ctx.store.docs.write(
        [
            Put(file_key(ctx.tenant, store["id"], file["id"]), doc),
            Put(job_key(job_id), record),
            Put(worker_key(worker.id), {"id": worker.id, "heartbeat_at": time.time() - beat_age}),
        ]
    )
    stored = await ctx.store.docs.get(store_key(ctx.tenant, store["id"]))
    counts = {**stored.doc["file_counts"], "in_progress": 1, "total": 1}
    await ctx.store.docs.put(
        store_key(ctx.tenant, store["id"]), {**stored.doc, "file_counts": counts}
    )
    return store["id"], file["id"]


class _Provider:
    def __init__(self, store) -> None:
        self.store = store

    async def for_request(self, token, db):
        return self.store


async def test_resume_fails_jobs_of_dead_workers_only(ctx):
    dead_store, dead_file = await _orphan(ctx, Worker(), STALE_AFTER_SECONDS + 5)
    live_store, live_file = await _orphan(ctx, Worker(), 1)
    await resume_pending_ingestion(_Provider(ctx.store))
    failed = (await ctx.store.docs.get(file_key(ctx.tenant, dead_store, dead_file))).doc
    assert failed["status"] == "failed"
    assert failed["last_error"] == {
        "code": "server_error",
        "message": "server_error: ingestion was interrupted",
    }
    assert await ctx.store.docs.get(job_key(f"ingest_{dead_file}")) is None
    store = await service.get_vector_store(ctx, dead_store)
    assert store["file_counts"]["failed"] == 1 and store["file_counts"]["in_progress"] == 0
    assert store["status"] == "completed"
    # Another worker beat a second ago: its job is left alone.
    alive = (await ctx.store.docs.get(file_key(ctx.tenant, live_store, live_file))).doc
    assert alive["status"] == "in_progress"


async def test_reading_a_file_of_a_dead_job_fails_it(ctx):
    store_id, file_id = await _orphan(ctx, Worker(), STALE_AFTER_SECONDS + 5)
    seen = await get_vector_store_file(ctx, store_id, file_id)
    assert seen["status"] == "failed"
    assert seen["last_error"]["code"] == "server_error"
    assert (await service.get_vector_store(ctx, store_id))["file_counts"]["failed"] == 1


async def test_a_job_of_this_process_that_vanished_is_failed_on_read(ctx):
    store_id, file_id = await _orphan(ctx, worker_of(ctx), 0)
    seen = await get_vector_store_file(ctx, store_id, file_id)
    assert seen["status"] == "failed"
