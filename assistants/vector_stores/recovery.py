"""No vector store file stays ``in_progress`` after its job died.

* At process start, ``resume_pending_ingestion`` fails the files of every job whose worker is
  gone (its heartbeat is stale). Jobs are not re-run: the tenant's provider credentials came with
  the request that started them and are not stored, so a restart cannot embed on their behalf.
* Reading a store, a file or a batch with files in progress checks those files' jobs (at most
  once per ``RECHECK_SECONDS`` per store and process) and fails the dead ones. That covers a
  worker that dies while others keep serving, and astra mode, where one process cannot list
  every tenant's database at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from assistants.context import Ctx
from assistants.pagination import walk
from assistants.vector_stores.jobs import (
    JOBS,
    STALE_AFTER_SECONDS,
    SYSTEM_TENANT,
    Liveness,
    job_key,
    worker_of,
)
from assistants.vector_stores.transitions import settle, transition
from storage.base import Json, Kind, Store, StoreProvider
from storage.errors import StorageError

log = logging.getLogger("assistants.ingestion")

INTERRUPTED = {"code": "server_error", "message": "server_error: ingestion was interrupted"}
RECHECK_SECONDS = 10.0
_RECHECKED = "ingestion.rechecked"


async def _fail_job(ctx: Ctx, job: Json) -> None:
    change = settle(job["id"], "failed", 0, INTERRUPTED)
    await transition(ctx, job["vector_store_id"], job["file_id"], change)
    await ctx.store.chunks.delete_file(ctx.tenant, job["vector_store_id"], job["file_id"])
    await ctx.store.docs.delete(job_key(job["id"]))


async def _all_jobs(store: Store) -> list[Json]:
    return [item.doc async for item in walk(store, SYSTEM_TENANT, Kind.SYSTEM, JOBS)]


async def fail_dead_jobs(store: Store, services: dict[str, Any] | None = None) -> int:
    """Fail the files of every dead job in ``store``; return how many."""
    me = (services or {}).get("ingestion.worker")
    alive = Liveness(store, me)
    failed = 0
    for job in await _all_jobs(store):
        if await alive.dead(job, job["id"]):
            await _fail_job(Ctx(store=store, tenant=job["tenant"]), job)
            failed += 1
    return failed


async def resume_pending_ingestion(
    provider: StoreProvider,
    spawn: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
) -> int:
    """At start: fail interrupted ingestion jobs; with ``spawn``, look again once they go stale.

    Jobs whose worker beat recently (a process that just died, or another live process) are
    left alone now; the second look, ``STALE_AFTER_SECONDS`` later, fails those that are dead.
    """
    try:
        store = await provider.for_request(None, None)
    except StorageError:
        log.info("no shared store to recover ingestion jobs from (astra mode): checked on read")
        return 0
    failed = await fail_dead_jobs(store)
    if failed:
        log.warning("failed %d interrupted ingestion jobs", failed)
    if spawn is not None:

        async def later() -> None:
            await asyncio.sleep(STALE_AFTER_SECONDS + 1)
            await fail_dead_jobs(store)

        spawn(later())
    return failed


async def reap_stale(ctx: Ctx, vector_store_id: str, force: bool = False) -> None:
    """Fail the in-progress files of ``vector_store_id`` whose jobs died."""
    checked: dict[tuple[str, str], float] = ctx.services.setdefault(_RECHECKED, {})
    at = time.monotonic()
    key = (ctx.tenant, vector_store_id)
    if not force and at - checked.get(key, -RECHECK_SECONDS) < RECHECK_SECONDS:
        return
    checked[key] = at
    if len(checked) > 10_000:
        checked.clear()
    alive = Liveness(ctx.store, worker_of(ctx))
    in_progress = walk(
        ctx.store, ctx.tenant, Kind.VECTOR_STORE_FILE, vector_store_id, {"status": "in_progress"}
    )
    async for item in in_progress:
        job_id = item.doc.get("_job", "")
        if alive.mine(item.doc.get("_worker"), job_id):
            continue
        found = await ctx.store.docs.get(job_key(job_id))
        job = None if found is None else found.doc
        if await alive.dead(job, job_id):
            change = settle(job_id, "failed", 0, INTERRUPTED)
            if (await transition(ctx, vector_store_id, item.id, change)).after is not None:
                await ctx.store.chunks.delete_file(ctx.tenant, vector_store_id, item.id)
            if job is not None:
                await ctx.store.docs.delete(job_key(job_id))
