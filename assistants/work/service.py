"""The work executing in this process, its leases, and the sweeper of work whose worker died.

``start`` runs a unit of work as an asyncio task while a watcher renews its lease every third of
the lease time and asks the work's ``poll`` (for example: was a cancel written by another worker?).
Every worker sweeps the registry: work that no process holds a live lease on is handed to the
``Settler`` of its kind, which fails, expires or resumes it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from assistants.work.events import EventHub
from assistants.work.leases import REGISTRY, SYSTEM_TENANT, WorkRef, renew, unregister
from storage.base import Kind, PageQuery, Store
from storage.errors import StorageError

logger = logging.getLogger("assistants.work")

SERVICE = "work"


class Settled(enum.Enum):
    ACTIVE = "active"  # still executing or waiting somewhere: keep it registered
    FINISHED = "finished"  # ended (now or before): forget it


class Settler(Protocol):
    async def settle(self, store: Store, ref: WorkRef) -> Settled:
        """Settle work that this process does not execute: end it if its lease ran out."""
        ...


Execute = Callable[[asyncio.Event], Awaitable[None]]
Poll = Callable[[], Awaitable[bool]]


@dataclass
class Running:
    task: asyncio.Task[None]
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


class WorkService:
    def __init__(self, lease_seconds: float = 30.0, poll_seconds: float = 0.5) -> None:
        self.events = EventHub()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.running: dict[str, Running] = {}
        self.settlers: dict[str, Settler] = {}
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def sweeping(self) -> bool:
        return self._sweeper is not None

    def executing(self, work_id: str) -> bool:
        return work_id in self.running

    def start(
        self,
        store: Store,
        ref: WorkRef,
        execute: Execute,
        poll: Poll | None = None,
        leased: bool = True,
    ) -> asyncio.Task[None]:
        """Execute ``ref`` here: its lease was just written; ``execute`` gets the cancel event.

        Work that is not ``leased`` (nothing of it is stored) is only tracked, for cancels.
        """
        cancel = asyncio.Event()

        async def run() -> None:
            watcher = (
                asyncio.ensure_future(self._watch(store, ref, cancel, poll)) if leased else None
            )
            try:
                await execute(cancel)
            finally:
                if watcher is not None:
                    watcher.cancel()
                self.running.pop(ref.id, None)
                self.events.close(ref.id)

        task = asyncio.get_running_loop().create_task(run(), name=f"{ref.kind}-{ref.id}")
        self.running[ref.id] = Running(task, cancel)
        return task

    def request_cancel(self, work_id: str) -> None:
        running = self.running.get(work_id)
        if running is not None:
            running.cancel.set()

    async def _watch(
        self, store: Store, ref: WorkRef, cancel: asyncio.Event, poll: Poll | None
    ) -> None:
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                if time.monotonic() - renewed > self.lease_seconds / 3:
                    await renew(store, ref.tenant, ref.id, self.lease_seconds)
                    renewed = time.monotonic()
                if poll is not None and await poll():
                    cancel.set()
            except StorageError:
                continue

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        tasks = [running.task for running in self.running.values()]
        for task in tasks:
            task.cancel()
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
                    logger.warning("work sweep skipped: %s", exc)
                except Exception:
                    logger.exception("work sweep failed")

        self._sweeper = asyncio.get_running_loop().create_task(loop(), name="work-sweeper")

    async def sweep(self, store: Store) -> None:
        after = None
        while True:
            page = await store.docs.list(
                SYSTEM_TENANT, Kind.SYSTEM, REGISTRY, PageQuery(100, "asc", after=after)
            )
            for item in page.items:
                if item.id in self.running:
                    continue
                ref = WorkRef.of(item.doc)
                settler = self.settlers.get(ref.kind)
                if settler is None:
                    continue  # a kind this version does not know: leave it to one that does
                if await settler.settle(store, ref) is Settled.FINISHED:
                    await store.docs.write(unregister(ref))
            if not page.has_more:
                return
            after = page.items[-1].id
