"""Ingestion jobs as durable work (kind ``ingest``): an interrupted job resumes or fails quickly.

A job is registered with ``assistants.work`` and leased in the same batch as its vector store
file; the worker executing it renews the lease and unregisters it when the job ends. When a
worker dies, the lease runs out (``RUN_LEASE_SECONDS``) and a sweeper hands the job to
``IngestSettler``:

* **Resume** on this worker, under a new job id, when the job needs no credential: the request
  that added the file carried no provider key or secret parameter (a server started with
  ``ASSISTANTS_API_KEYS`` whose provider key is the server's own, from its environment, or a
  provider that needs none). The file keeps only the non-secret route to the provider
  (``base-url``, API version, provider, non-secret embedding parameters) as ``_route``. The new
  job drops the chunks the first one wrote before writing its own, so nothing is duplicated.
* **Fail** otherwise, with a ``last_error`` that says why: provider keys came with the request
  and are never stored, so no other worker can embed on the caller's behalf.

In astra mode (a database per tenant, no sweeper) reading a store, file or batch with files in
progress settles that store's jobs the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from assistants.context import Ctx, DomainConfig
from assistants.ids import new_id
from assistants.ingest import ChunkingParams
from assistants.pagination import walk
from assistants.vector_stores import ingestion
from assistants.vector_stores.records import file_key, store_key, update_doc
from assistants.vector_stores.transitions import settle, transition
from assistants.work.leases import WorkRef, lease_expired, register
from assistants.work.service import SERVICE as WORK
from assistants.work.service import Settled, WorkService
from inference.options import ProviderOptions
from storage.base import Json, Key, Kind, Store

log = logging.getLogger("assistants.ingestion")

KIND = ingestion.KIND
CANNOT_RESUME = {
    "code": "server_error",
    "message": "server_error: ingestion was interrupted and cannot resume on another worker, "
    "because the provider credentials of the request that added the file are not stored; "
    "add the file again",
}


def route_of(options: Any) -> Json | None:
    """The non-secret way to the embedding provider; ``None`` when a credential is needed."""
    if options is None:
        return {}
    if not isinstance(options, ProviderOptions) or options.secret_values():
        return None
    return {
        "base_url": options.base_url,
        "api_version": options.api_version,
        "custom_llm_provider": options.custom_llm_provider,
        "embedding_params": options.embedding_params,
    }


@dataclass
class IngestSettler:
    inference: Any
    services: dict[str, Any]
    config: DomainConfig

    async def settle(self, store: Store, ref: WorkRef) -> Settled:
        vector_store_id, _, file_id = ref.parent.partition("/")
        ctx = Ctx(store, ref.tenant, self.inference, None, self.config, None, self.services)
        found = await store.docs.get(file_key(ref.tenant, vector_store_id, file_id))
        doc = None if found is None else found.doc
        if doc is None or doc.get("_job") != ref.id or doc["status"] != "in_progress":
            return Settled.FINISHED
        if doc.get("_deleted"):
            return Settled.FINISHED
        if not await lease_expired(store, ref.tenant, ref.id):
            return Settled.ACTIVE
        if doc.get("_route") is None:
            change = settle(ref.id, "failed", 0, CANNOT_RESUME)
            if (await transition(ctx, vector_store_id, file_id, change)).after is not None:
                await store.chunks.delete_file(ref.tenant, vector_store_id, file_id)
            return Settled.FINISHED
        await self._resume(ctx, vector_store_id, file_id, ref.id, doc["_route"])
        return Settled.FINISHED

    async def _resume(
        self, ctx: Ctx, vector_store_id: str, file_id: str, old_job: str, route: Json
    ) -> None:
        job_id = new_id("ingest")

        def claim(doc: Json) -> Json | None:
            if doc.get("_job") != old_job or doc["status"] != "in_progress":
                return None  # another worker resumed it first, or it ended
            return {**doc, "_job": job_id}

        claimed = await update_doc(ctx.store, file_key(ctx.tenant, vector_store_id, file_id), claim)
        if claimed.after is None:
            return
        vector_store = await ctx.store.docs.get(store_key(ctx.tenant, vector_store_id))
        file = await ctx.store.docs.get(Key(ctx.tenant, Kind.FILE, "", file_id))
        if vector_store is None or file is None:
            return  # deleted meanwhile: the job would stop at its first check anyway
        job = ingestion.IngestJob(
            job_id=job_id,
            vector_store_id=vector_store_id,
            file_id=file_id,
            filename=file.doc["filename"],
            file_bytes=int(file.doc["bytes"]),
            params=ChunkingParams.from_strategy(claimed.after["chunking_strategy"]),
            embedding_model=vector_store.doc["_embedding_model"],
        )
        ref = ingestion.work_ref(ctx.tenant, job)
        await ctx.store.docs.write(register(ref, self.config.run_lease_seconds))
        ctx.options = ProviderOptions(**route)
        log.info("resuming interrupted ingestion of %s as %s", file_id, job_id)
        ingestion.start(ctx, job)


async def reap_stale(ctx: Ctx, vector_store_id: str) -> None:
    """Settle the in-progress files of ``vector_store_id`` whose worker died (astra mode)."""
    work: WorkService | None = ctx.services.get(WORK)
    if work is None or work.sweeping or KIND not in work.settlers:
        return  # the sweeper settles them
    settler = work.settlers[KIND]
    in_progress = walk(
        ctx.store, ctx.tenant, Kind.VECTOR_STORE_FILE, vector_store_id, {"status": "in_progress"}
    )
    async for item in in_progress:
        job_id = item.doc.get("_job", "")
        if job_id and not work.executing(job_id):
            ref = WorkRef(KIND, ctx.tenant, job_id, f"{vector_store_id}/{item.id}")
            await settler.settle(ctx.store, ref)
