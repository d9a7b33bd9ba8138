"""One thing at a time writes into a thread: its active run, or a response continuing it.

The lock is a document per thread, written by compare-and-set just before its holder (a run, or
a stored response whose conversation is the thread). A lock whose holder is not visible yet is
held, not stale, until it is older than a lease: a request that found it and took it over would
start a second writer next to the first. A run holds it until it ends (settled when its worker
died); a response while its lease is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from assistants.context import Ctx
from assistants.errors import ConflictError, NotFoundError
from assistants.run_state.lifecycle import cancel, lock_key, run_key, settle_if_dead, work_of
from assistants.run_state.objects import ACTIVE
from assistants.work.leases import lease_expired
from storage.base import Delete, Stored
from storage.errors import StorageError, VersionConflict


async def active_holder(ctx: Ctx, thread_id: str, lock: Stored | None = None) -> str | None:
    """The id of the run or response writing into the thread now, if any."""
    if lock is None:
        lock = await ctx.store.docs.get(lock_key(ctx.tenant, thread_id))
        if lock is None:
            return None
    young = time.time() - lock.doc.get("at", 0) < work_of(ctx).lease_seconds
    response_id = lock.doc.get("response_id")
    if response_id is not None:
        alive = young or not await lease_expired(ctx.store, ctx.tenant, response_id)
        return str(response_id) if alive else None
    run_id = lock.doc["run_id"]
    holder = await ctx.store.docs.get(run_key(ctx.tenant, thread_id, run_id))
    if holder is None:
        return str(run_id) if young else None
    current = await settle_if_dead(ctx.store, ctx.tenant, holder.doc, holder.version)
    return str(run_id) if current["status"] in ACTIVE else None


def _kind(holder_id: str) -> str:
    return "response" if holder_id.startswith("resp_") else "run"


async def claim_thread(ctx: Ctx, thread_id: str, holder_id: str) -> None:
    """Take the thread's lock for a run or a response, or fail if another one holds it."""
    key = lock_key(ctx.tenant, thread_id)
    field = f"{_kind(holder_id)}_id"
    claim = {"id": thread_id, field: holder_id, "at": time.time()}
    for _ in range(3):
        try:
            await ctx.store.docs.put(key, claim, expected_version=0)
            return
        except VersionConflict:
            lock = await ctx.store.docs.get(key)
            if lock is None:
                continue
            holder = await active_holder(ctx, thread_id, lock)
            if holder is not None:
                raise ConflictError(
                    f"Thread {thread_id} already has an active {_kind(holder)} {holder}.",
                    param="thread_id",
                ) from None
            try:
                await ctx.store.docs.put(key, claim, expected_version=lock.version)
                return
            except VersionConflict:
                continue
    raise ConflictError(
        f"Thread {thread_id} already has an active {_kind(holder_id)}.", param="thread_id"
    )


async def refuse_if_busy(ctx: Ctx, thread_id: str) -> None:
    """As OpenAI: no new messages while a run (here: or a response) of the thread is active."""
    holder = await active_holder(ctx, thread_id)
    if holder is not None:
        raise ConflictError(
            f"Can't add messages to {thread_id} while a {_kind(holder)} {holder} is active.",
            param="thread_id",
        )


async def release_thread(ctx: Ctx, thread_id: str, holder_id: str) -> None:
    """Drop the thread's lock if this run or response still holds it."""
    key = lock_key(ctx.tenant, thread_id)
    try:
        lock = await ctx.store.docs.get(key)
        if lock is not None and holder_id in (lock.doc.get("run_id"), lock.doc.get("response_id")):
            await ctx.store.docs.write([Delete(key)])
    except StorageError:
        pass  # a lock left behind is judged by its holder's state (a lease, a run's status)


async def stop_thread_writer(ctx: Ctx, thread_id: str, wait_seconds: float = 10.0) -> None:
    """Cancel the thread's active run (or a response executing here) and wait until it stopped
    writing (thread deletion)."""
    lock = await ctx.store.docs.get(lock_key(ctx.tenant, thread_id))
    if lock is None:
        return
    holder = str(lock.doc.get("run_id") or lock.doc.get("response_id"))
    if "run_id" in lock.doc:
        with contextlib.suppress(ConflictError, NotFoundError):
            await cancel(ctx, thread_id, holder)
    else:
        work_of(ctx).request_cancel(holder)
    running = work_of(ctx).running.get(holder)
    if running is not None:
        await asyncio.wait({running.task}, timeout=wait_seconds)
        return
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and await active_holder(ctx, thread_id) == holder:
        await asyncio.sleep(0.1)
