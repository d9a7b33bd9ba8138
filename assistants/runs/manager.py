"""Runs executing in this process: their tasks, event streams, cancellation and leases.

Each executing run holds a lease in storage that this process renews; a run whose lease ran out
(its worker died) is failed by the sweeper of any worker, or when it is next read. A cancel
written by another worker is noticed by polling the run while it executes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.ids import now
from assistants.runs.events import RunEvents
from assistants.runs.objects import ACTIVE
from storage.base import Delete, Json, Key, Kind, PageQuery, Put, Store
from storage.errors import StorageError, VersionConflict

logger = logging.getLogger("assistants.runs")

SYSTEM_TENANT = "__system__"
REGISTRY = "active_runs"  # SYSTEM documents under this parent: every run not yet finished
LEASES = "run_lease"  # SYSTEM documents of the tenant: when each executing run's lease ends
THREAD_LOCKS = "active_run"  # SYSTEM documents of the tenant: the active run of each thread
INTERRUPTED = "The run was interrupted: the server process executing it stopped."


@dataclass
class Running:
    task: asyncio.Task[Any]
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


def lease_key(tenant: str, run_id: str) -> Key:
    return Key(tenant, Kind.SYSTEM, LEASES, run_id)


def registry_key(run_id: str) -> Key:
    return Key(SYSTEM_TENANT, Kind.SYSTEM, REGISTRY, run_id)


def lock_key(tenant: str, thread_id: str) -> Key:
    return Key(tenant, Kind.SYSTEM, THREAD_LOCKS, thread_id)


class RunManager:
    def __init__(self, lease_seconds: float = 30.0, poll_seconds: float = 0.5) -> None:
        self.events = RunEvents()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.running: dict[str, Running] = {}
        self._sweeper: asyncio.Task[Any] | None = None

    # hooks used by the executor ----------------------------------------------------------------

    def publish(self, run_id: str, name: str, data: Any) -> None:
        self.events.publish(run_id, name, data)

    async def cancel_requested(self, run_id: str) -> None:
        running = self.running.get(run_id)
        if running is not None:
            await running.cancel.wait()
        else:
            await asyncio.Event().wait()

    async def paused(self, ctx: Ctx, run: Json) -> None:
        """The run waits for tool outputs: no lease while nothing executes it."""
        with contextlib.suppress(StorageError):
            await ctx.store.docs.delete(lease_key(ctx.tenant, run["id"]))

    async def finished(self, ctx: Ctx, run: Json) -> None:
        await release(ctx.store, ctx.tenant, run)

    # starting and stopping ---------------------------------------------------------------------

    async def start(self, ctx: Ctx, run: Json) -> None:
        """Execute the next round of ``run`` (status queued, its lease just written)."""
        from assistants.runs.executor import RunRound

        round_ = RunRound(ctx, run["id"], run["thread_id"], self)

        async def execute() -> None:
            watcher = asyncio.ensure_future(self._watch(ctx, run))
            try:
                await round_.execute()
            finally:
                watcher.cancel()
                self.running.pop(run["id"], None)
                self.events.close(run["id"])

        task = asyncio.get_running_loop().create_task(execute(), name=f"run-{run['id']}")
        self.running[run["id"]] = Running(task)

    async def _watch(self, ctx: Ctx, run: Json) -> None:
        """Renew the lease, and notice a cancel written by another worker."""
        renewed = time.monotonic()
        key = Key(ctx.tenant, Kind.RUN, run["thread_id"], run["id"])
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                if time.monotonic() - renewed > self.lease_seconds / 3:
                    await renew_lease(ctx.store, ctx.tenant, run["id"], self.lease_seconds)
                    renewed = time.monotonic()
                stored = await ctx.store.docs.get(key)
            except StorageError:
                continue
            if stored is None or stored.doc["status"] == "cancelling":
                self.request_cancel(run["id"])

    def request_cancel(self, run_id: str) -> None:
        running = self.running.get(run_id)
        if running is not None:
            running.cancel.set()

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for running in list(self.running.values()):
            running.task.cancel()
        tasks = [r.task for r in self.running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    # the sweeper -------------------------------------------------------------------------------

    def start_sweeper(self, store: Store, every: float | None = None) -> None:
        interval = every or max(1.0, self.lease_seconds / 3)

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.sweep(store)
                except StorageError as exc:
                    logger.warning("run sweep skipped: %s", exc)
                except Exception:
                    logger.exception("run sweep failed")

        self._sweeper = asyncio.get_running_loop().create_task(loop(), name="run-sweeper")

    async def sweep(self, store: Store) -> None:
        after = None
        while True:
            page = await store.docs.list(
                SYSTEM_TENANT, Kind.SYSTEM, REGISTRY, PageQuery(100, "asc", after=after)
            )
            for item in page.items:
                if item.id in self.running:
                    continue
                entry = item.doc
                stored = await store.docs.get(
                    Key(entry["tenant"], Kind.RUN, entry["thread_id"], item.id)
                )
                if stored is None or stored.doc["status"] not in ACTIVE:
                    await store.docs.delete(registry_key(item.id))
                    continue
                await settle_if_dead(store, entry["tenant"], stored.doc, stored.version)
            if not page.has_more:
                return
            after = page.items[-1].id


async def renew_lease(store: Store, tenant: str, run_id: str, seconds: float) -> None:
    await store.docs.put(
        lease_key(tenant, run_id),
        {"id": run_id, "until": time.time() + seconds, "pid": os.getpid()},
    )


async def register(store: Store, tenant: str, run: Json, lease_seconds: float) -> list[Put]:
    """Writes that make a new run known to the sweepers (batched with the run itself)."""
    return [
        Put(
            registry_key(run["id"]),
            {"id": run["id"], "tenant": tenant, "thread_id": run["thread_id"]},
        ),
        Put(
            lease_key(tenant, run["id"]),
            {"id": run["id"], "until": time.time() + lease_seconds, "pid": os.getpid()},
        ),
    ]


async def release(store: Store, tenant: str, run: Json) -> None:
    """A finished run leaves the registry, its lease and its thread's lock."""
    with contextlib.suppress(StorageError):
        lock = await store.docs.get(lock_key(tenant, run["thread_id"]))
        ops: list[Any] = [Delete(registry_key(run["id"])), Delete(lease_key(tenant, run["id"]))]
        if lock is not None and lock.doc.get("run_id") == run["id"]:
            ops.append(Delete(lock_key(tenant, run["thread_id"])))
        await store.docs.write(ops)


async def settle_if_dead(store: Store, tenant: str, run: Json, version: int) -> Json:
    """Fail a run whose worker died, expire one that waited too long; return the run as it is."""
    status = run["status"]
    changes: dict[str, Any] | None = None
    if status == "requires_action" and now() > run["expires_at"]:
        changes = {"status": "expired", "required_action": None}
    elif status in ("queued", "in_progress", "cancelling"):
        lease = await store.docs.get(lease_key(tenant, run["id"]))
        if lease is None or lease.doc["until"] < time.time():
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
            Key(tenant, Kind.RUN, run["thread_id"], run["id"]), settled, expected_version=version
        )
    except VersionConflict:
        return run
    await release(store, tenant, settled)
    return settled
