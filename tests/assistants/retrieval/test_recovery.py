"""An ingestion job whose worker died resumes (no credential needed) or fails with a clear error."""

from __future__ import annotations

from assistants.context import DomainConfig
from assistants.ids import new_id
from assistants.ingest import AUTO_CHUNKING
from assistants.vector_stores import service
from assistants.vector_stores.files import get_vector_store_file
from assistants.vector_stores.jobs import worker_of
from assistants.vector_stores.records import file_key, store_key
from assistants.vector_stores.recovery import CANNOT_RESUME, KIND, IngestSettler
from assistants.work.leases import WorkRef, lease_key, register, registry_key
from assistants.work.service import Settled
from storage.base import Chunk, Json, Put
from tests.assistants.retrieval.conftest import DIMENSIONS, upload

TEXT = " ".join(f"word{n}" for n in range(3000))


async def _orphan(ctx, route: Json | None, lease_seconds: float) -> WorkRef:
    """A store with one in-progress file whose job wrote one chunk, then lost its worker."""
    store = await service.create_vector_store(ctx, {"name": "orphan"})
    file = await upload(ctx, "a.txt", TEXT)
    ref = WorkRef(KIND, ctx.tenant, new_id("ingest"), f"{store['id']}/{file['id']}")
    doc = {
        "id": file["id"],
        "object": "vector_store.file",
        "usage_bytes": 0,
        "created_at": 0,
        "vector_store_id": store["id"],
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": AUTO_CHUNKING.as_strategy(),
        "attributes": {},
        "_job": ref.id,
    }
    if route is not None:
        doc["_route"] = route
    key = file_key(ctx.tenant, store["id"], file["id"])
    await ctx.store.docs.write([Put(key, doc), *register(ref, lease_seconds)])
    stored = await ctx.store.docs.get(store_key(ctx.tenant, store["id"]))
    counts = {**stored.doc["file_counts"], "in_progress": 1, "total": 1}
    await ctx.store.docs.put(
        store_key(ctx.tenant, store["id"]), {**stored.doc, "file_counts": counts}
    )
    half_done = Chunk(file["id"], 0, "word0 word1", [1.0] + [0.0] * (DIMENSIONS - 1), {})
    await ctx.store.chunks.add(ctx.tenant, store["id"], [half_done], DIMENSIONS)
    return ref


def _settler(ctx) -> IngestSettler:
    return IngestSettler(ctx.inference, ctx.services, DomainConfig())


async def test_a_job_needing_no_credential_resumes_and_replaces_its_chunks(ctx):
    ref = await _orphan(ctx, {"base_url": None}, lease_seconds=-1)
    store_id, file_id = ref.parent.split("/")
    assert await _settler(ctx).settle(ctx.store, ref) is Settled.FINISHED
    await worker_of(ctx).drain()
    seen = await get_vector_store_file(ctx, store_id, file_id)
    assert seen["status"] == "completed" and seen["last_error"] is None
    chunks = await ctx.store.chunks.file_chunks(ctx.tenant, store_id, file_id)
    assert [c.index for c in chunks] == list(range(len(chunks))) and len(chunks) > 1
    assert chunks[0].text.startswith("word0 word1 word2")  # the dead job's chunk is gone
    counts = (await service.get_vector_store(ctx, store_id))["file_counts"]
    assert counts["completed"] == 1 and counts["in_progress"] == 0
    # The resumed job was registered under a new id and unregistered when it ended.
    resumed = (await ctx.store.docs.get(file_key(ctx.tenant, store_id, file_id))).doc["_job"]
    assert resumed != ref.id
    assert await ctx.store.docs.get(registry_key(resumed)) is None


async def test_a_job_whose_credentials_came_with_the_request_fails_clearly(ctx):
    ref = await _orphan(ctx, None, lease_seconds=-1)
    store_id, file_id = ref.parent.split("/")
    assert await _settler(ctx).settle(ctx.store, ref) is Settled.FINISHED
    seen = await get_vector_store_file(ctx, store_id, file_id)
    assert seen["status"] == "failed" and seen["last_error"] == CANNOT_RESUME
    assert "credentials" in seen["last_error"]["message"]
    assert await ctx.store.chunks.file_chunks(ctx.tenant, store_id, file_id) == []
    store = await service.get_vector_store(ctx, store_id)
    assert store["file_counts"]["failed"] == 1 and store["status"] == "completed"


async def test_a_job_with_a_live_lease_is_left_alone(ctx):
    ref = await _orphan(ctx, None, lease_seconds=30)
    store_id, file_id = ref.parent.split("/")
    assert await _settler(ctx).settle(ctx.store, ref) is Settled.ACTIVE
    doc = (await ctx.store.docs.get(file_key(ctx.tenant, store_id, file_id))).doc
    assert doc["status"] == "in_progress"
    assert await ctx.store.docs.get(lease_key(ctx.tenant, ref.id)) is not None
