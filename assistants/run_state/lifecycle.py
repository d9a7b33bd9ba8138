"""A run as durable work: its registry entry and lease, its thread's lock, its settling.

A run executes one round at a time as work of the ``WorkService``; between rounds (waiting for
tool outputs) it stays registered without a lease. A run whose worker died is failed (or
expired, or cancelled if a cancel was asked) by any worker's sweeper or when it is next read.
"""

from __future__ import annotations

import contextlib
from typing import Any

from assistants.context import Ctx
from assistants.errors import ConflictError, NotFoundError
from assistants.ids import now
from assistants.pagination import walk
from assistants.run_state.objects import ACTIVE
from assistants.work.leases import WorkRef, lease_expired, register, unregister
from assistants.work.service import Settled, WorkService
from storage.base import Delete, Json, Key, Kind, Put, Store, WriteOp
from storage.errors import StorageError, VersionConflict

KIND = "run"
THREAD_LOCKS = "active_run"  # SYSTEM documents of the tenant: the active run of each thread
INTERRUPTED = "The run was interrupted: the server process executing it stopped."


def work_of(ctx: Ctx) -> WorkService:
    service: WorkService = ctx.services["work"]
    return service


def ref(tenant: str, run: Json) -> WorkRef:
    return WorkRef(KIND, tenant, run["id"], run["thread_id"])


def run_key(tenant: str, thread_id: str, run_id: str) -> Key:
    return Key(tenant, Kind.RUN, thread_id, run_id)


def lock_key(tenant: str, thread_id: str) -> Key:
    return Key(tenant, Kind.SYSTEM, THREAD_LOCKS, thread_id)


def registration(tenant: str, run: Json, lease_seconds: float) -> list[Put]:
    """Writes that make a new run known to the sweepers (batched with the run itself)."""
    return register(ref(tenant, run), lease_seconds)


async def release(store: Store, tenant: str, run: Json) -> None:
    """A finished run leaves the registry, its lease and its thread's lock."""
    with contextlib.suppress(StorageError):
        lock = await store.docs.get(lock_key(tenant, run["thread_id"]))
        ops: list[WriteOp] = [*unregister(ref(tenant, run))]
        if lock is not None and lock.doc.get("run_id") == run["id"]:
            ops.append(Delete(lock_key(tenant, run["thread_id"])))
        await store.docs.write(ops)


async def settle_if_dead(store: Store, tenant: str, run: Json, version: int) -> Json:
    """Fail a run whose worker died, expire one that waited too long; return the run as it is."""
    status = run["status"]
    changes: dict[str, Any] | None = None
    if status == "requires_action" and now() > run["expires_at"]:
        changes = {"status": "expired", "required_action": None}
    elif status in ("queued", "in_progress", "cancelling") and await lease_expired(
        store, tenant, run["id"]
    ):
        if status == "cancelling":
            changes = {"status": "cancelled", "cancelled_at": now()}
        elif now() > run["expires_at"]:
            changes = {"status": "expired"}
        else:
            changes = {
                "status": "failed",
                "failed_at": now(),
                "last_error": {"code": "server_error", "message": INTERRUPTED},
            }
    if changes is None:
        return run
    settled = {**run, **changes}
    try:
        await store.docs.put(
            run_key(tenant, run["thread_id"], run["id"]), settled, expected_version=version
        )
    except VersionConflict:
        return run
    await _close_parts(store, tenant, settled)
    await release(store, tenant, settled)
    return settled


async def _close_parts(store: Store, tenant: str, run: Json) -> None:
    """The message and steps a dead worker left in progress end with their run."""
    status, stamp = run["status"], now()
    ops: list[WriteOp] = []
    messages = walk(store, tenant, Kind.MESSAGE, run["thread_id"], {"run_id": run["id"]})
    async for item in messages:
        if item.doc["status"] == "in_progress":
            closed = {
                **item.doc,
                "status": "incomplete",
                "incomplete_at": stamp,
                "incomplete_details": {"reason": f"run_{status}"},
            }
            ops.append(Put(Key(tenant, Kind.MESSAGE, run["thread_id"], item.id), closed))
    async for item in walk(store, tenant, Kind.RUN_STEP, run["id"]):
        if item.doc["status"] == "in_progress":
            stamp_field = {"failed": "failed_at", "cancelled": "cancelled_at"}.get(
                status, "expired_at"
            )
            closed = {**item.doc, "status": status, stamp_field: stamp}
            ops.append(Put(Key(tenant, Kind.RUN_STEP, run["id"], item.id), closed))
    if ops:
        await store.docs.write(ops)


async def cancel(ctx: Ctx, thread_id: str, run_id: str) -> Json:
    """Ask a run to stop: an executing run becomes ``cancelling`` (its worker ends it), a
    waiting one ``cancelled`` at once."""
    for _ in range(5):
        stored = await ctx.store.docs.get(run_key(ctx.tenant, thread_id, run_id))
        if stored is None:
            raise NotFoundError.of("run", run_id)
        run = stored.doc
        status = run["status"]
        if status not in ACTIVE:
            raise ConflictError(f"Cannot cancel run with status '{status}'.", param="run_id")
        if status == "cancelling":
            return run
        executing = status in ("queued", "in_progress")
        changes: dict[str, Any] = (
            {"status": "cancelling"}
            if executing
            else {"status": "cancelled", "cancelled_at": now(), "required_action": None}
        )
        updated = {**run, **changes}
        try:
            await ctx.store.docs.put(
                run_key(ctx.tenant, thread_id, run_id), updated, expected_version=stored.version
            )
        except VersionConflict:
            continue
        if executing:
            work_of(ctx).request_cancel(run_id)
        else:
            await release(ctx.store, ctx.tenant, updated)
        return updated
    raise ConflictError("The run changed while it was being cancelled; retry.")


class RunSettler:
    async def settle(self, store: Store, work: WorkRef) -> Settled:
        stored = await store.docs.get(run_key(work.tenant, work.parent, work.id))
        if stored is None or stored.doc["status"] not in ACTIVE:
            return Settled.FINISHED
        settled = await settle_if_dead(store, work.tenant, stored.doc, stored.version)
        return Settled.ACTIVE if settled["status"] in ACTIVE else Settled.FINISHED
