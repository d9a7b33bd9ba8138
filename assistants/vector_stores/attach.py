"""Adding files to a vector store: the in-progress documents, their counts, their jobs.

One call adds one file, the files of a new store, or a whole batch. Re-adding a file replaces it:
the new job supersedes any running one and the earlier chunks are dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from assistants.context import Ctx
from assistants.errors import NotFoundError
from assistants.ids import new_id, now
from assistants.ingest import ChunkingParams
from assistants.lookups import NAMES
from assistants.vector_stores import ingestion
from assistants.vector_stores.counts import (
    Tally,
    apply_to_batch,
    apply_to_store,
    counted,
    empty_counts,
)
from assistants.vector_stores.records import batch_key, file_key, membership_key
from assistants.vector_stores.recovery import route_of
from assistants.work.leases import register
from storage.base import Json, Kind, Put, WriteOp

# Files per atomic write (four documents each: file, membership, work entry, lease), so that
# Cassandra batches stay small.
WRITE_GROUP = 40


@dataclass(frozen=True, slots=True)
class FileSpec:
    file_id: str
    attributes: dict[str, Any]
    params: ChunkingParams


async def check_files(ctx: Ctx, file_ids: list[str], param: str) -> list[Json]:
    """The file objects of ``file_ids``; 404 names the first missing one (in request order)."""
    found = await ctx.store.docs.get_many(ctx.tenant, Kind.FILE, "", file_ids)
    for i, file_id in enumerate(file_ids):
        if file_id not in found:
            raise NotFoundError.of(NAMES[Kind.FILE], file_id, f"{param}[{i}]")
    return [found[file_id].doc for file_id in file_ids]


async def add_files(
    ctx: Ctx,
    vector_store: Json,
    specs: list[FileSpec],
    batch: Json | None = None,
    param: str = "file_ids",
) -> list[Json]:
    """Attach files (and create ``batch`` with them); their ingestion starts in the background."""
    store_id = vector_store["id"]
    # Checked as sent, so that a 404 names the missing file's index in the request.
    sent = [spec.file_id for spec in specs]
    by_id = dict(zip(sent, await check_files(ctx, sent, param), strict=True))
    specs = list({spec.file_id: spec for spec in specs}.values())
    files = [by_id[spec.file_id] for spec in specs]
    attached = await ctx.store.docs.get_many(
        ctx.tenant, Kind.VECTOR_STORE_FILE, store_id, [spec.file_id for spec in specs]
    )
    earlier = [attached.get(spec.file_id) for spec in specs]
    route = route_of(ctx.options)
    created = now()
    store_tally = Tally()
    batch_tallies: dict[str, Tally] = defaultdict(Tally)
    ops: list[list[WriteOp]] = []
    docs: list[Json] = []
    jobs: list[ingestion.IngestJob] = []
    for spec, file, found in zip(specs, files, earlier, strict=True):
        before = None if found is None else found.doc
        job_id = new_id("ingest")
        doc: Json = {
            "id": spec.file_id,
            "object": "vector_store.file",
            "usage_bytes": 0,
            "created_at": created,
            "vector_store_id": store_id,
            "status": "in_progress",
            "last_error": None,
            "chunking_strategy": spec.params.as_strategy(),
            "attributes": spec.attributes,
            "_job": job_id,
        }
        if route is not None:
            doc["_route"] = route  # no secrets: what lets another worker resume the job
        if batch is not None:
            doc["batch_id"] = batch["id"]
            batch_tallies[batch["id"]].move(None, doc)
        store_tally.move(before, doc)
        if counted(before) and before and before.get("batch_id"):
            batch_tallies[before["batch_id"]].move(before, None)
        job = ingestion.IngestJob(
            job_id=job_id,
            vector_store_id=store_id,
            file_id=spec.file_id,
            filename=file["filename"],
            file_bytes=int(file["bytes"]),
            params=spec.params,
            embedding_model=vector_store["_embedding_model"],
        )
        ops.append(
            [
                Put(file_key(ctx.tenant, store_id, spec.file_id), doc),
                Put(membership_key(ctx.tenant, spec.file_id, store_id), {"id": store_id}),
                *register(ingestion.work_ref(ctx.tenant, job), ctx.config.run_lease_seconds),
            ]
        )
        docs.append(doc)
        jobs.append(job)
    groups = [
        [op for file_ops in ops[i : i + WRITE_GROUP] for op in file_ops]
        for i in range(0, len(ops), WRITE_GROUP)
    ]
    if batch is not None:
        batch["file_counts"] = batch_tallies.pop(batch["id"]).applied(empty_counts())
        groups[0].insert(0, Put(batch_key(ctx.tenant, store_id, batch["id"]), batch))
    for group in groups:
        await ctx.store.docs.write(group)
    # Counts move before any job starts, so a job's own move never runs ahead of them.
    await apply_to_store(ctx, store_id, store_tally)
    for old_batch, tally in batch_tallies.items():
        await apply_to_batch(ctx, store_id, old_batch, tally)
    for job in jobs:
        ingestion.start(ctx, job)
    return docs
