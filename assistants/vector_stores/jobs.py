"""Durable records of ingestion jobs, and how to tell a live job from one whose process died.

A job record (``Kind.SYSTEM``, parent ``ingest_jobs``) is written with its vector store file and
deleted when the job ends. Records live under one reserved tenant so that a restarted process can
find every interrupted job with one list. Each process is a *worker* with a random id: while it
has jobs, it refreshes a heartbeat record per store every ``HEARTBEAT_SECONDS``. A job is dead
when its worker is this process but no longer runs it, or when its worker's heartbeat (or, with
none yet, the job itself) is older than ``STALE_AFTER_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.vector_stores.fair import FairGate
from assistants.vector_stores.isolate import ProcessLimits
from storage.base import Json, Key, Kind, Store

log = logging.getLogger("assistants.ingestion")

SYSTEM_TENANT = "_system"  # real tenants are SHA-256 hex digests, so this never collides
JOBS = "ingest_jobs"
WORKERS = "ingest_workers"
HEARTBEAT_SECONDS = 15.0
STALE_AFTER_SECONDS = 60.0
MAX_PARALLEL_JOBS = 4
SERVICE = "ingestion.worker"


def job_key(job_id: str) -> Key:
    return Key(SYSTEM_TENANT, Kind.SYSTEM, JOBS, job_id)


def worker_key(worker_id: str) -> Key:
    return Key(SYSTEM_TENANT, Kind.SYSTEM, WORKERS, worker_id)


def job_record(ctx: Ctx, worker: Worker, job_id: str, vector_store_id: str, file_id: str) -> Json:
    # No credentials here: a job cannot be re-run after a restart, only failed.
    return {
        "id": job_id,
        "tenant": ctx.tenant,
        "vector_store_id": vector_store_id,
        "file_id": file_id,
        "worker": worker.id,
        "created_at": time.time(),
    }


@dataclass
class Worker:
    """This process's ingestion state: its id, running jobs, the concurrency gate, heartbeats."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    gate: FairGate = field(default_factory=lambda: FairGate(MAX_PARALLEL_JOBS))
    process: ProcessLimits = field(default_factory=ProcessLimits)
    jobs: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _stores: dict[int, tuple[Store, int]] = field(default_factory=dict)
    _beating: asyncio.Task[Any] | None = None

    def start(self, ctx: Ctx, job_id: str, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` (the job) in the background, heartbeating its store while it runs."""
        self.jobs.add(job_id)
        store, count = self._stores.get(id(ctx.store), (ctx.store, 0))
        self._stores[id(ctx.store)] = (store, count + 1)

        async def tracked() -> None:
            try:
                await coro
            finally:
                self.jobs.discard(job_id)
                store, count = self._stores.pop(id(ctx.store), (ctx.store, 1))
                if count > 1:
                    self._stores[id(ctx.store)] = (store, count - 1)

        self._spawn(ctx, tracked(), wait=True)
        if self._beating is None or self._beating.done():
            self._beating = self._spawn(ctx, self._beat(), wait=False)

    def _spawn(self, ctx: Ctx, coro: Coroutine[Any, Any, Any], wait: bool) -> asyncio.Task[Any]:
        if ctx.spawn is not None:
            return ctx.spawn(coro)
        task = asyncio.get_running_loop().create_task(coro)
        if wait:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return task

    async def _beat(self) -> None:
        while self._stores:
            for store, _ in list(self._stores.values()):
                try:
                    await store.docs.put(
                        worker_key(self.id), {"id": self.id, "heartbeat_at": time.time()}
                    )
                except Exception:  # a missed beat only risks a late job being failed
                    log.warning("ingestion heartbeat failed", exc_info=True)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def drain(self) -> None:
        """Wait for the jobs started without ``ctx.spawn``, then stop the heartbeat."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if self._beating is not None:
            self._beating.cancel()
            await asyncio.gather(self._beating, return_exceptions=True)


def worker_of(ctx: Ctx) -> Worker:
    worker = ctx.services.get(SERVICE)
    if worker is None:
        worker = ctx.services[SERVICE] = Worker()
    return worker


class Liveness:
    """Answers "is this job still running somewhere?", reading each worker's heartbeat once."""

    def __init__(self, store: Store, me: Worker | None, at: float | None = None) -> None:
        self._store = store
        self._me = me
        self._at = time.time() if at is None else at
        self._beats: dict[str, float | None] = {}

    def mine(self, worker_id: str | None, job_id: str) -> bool:
        """Whether this process runs the job right now (known without reading anything)."""
        return self._me is not None and worker_id == self._me.id and job_id in self._me.jobs

    async def dead(self, job: Json | None, job_id: str) -> bool:
        if job is None:
            return True  # the record is written with the file: no record, no job
        if self._me is not None and job["worker"] == self._me.id:
            return job_id not in self._me.jobs
        worker_id = job["worker"]
        if worker_id not in self._beats:
            found = await self._store.docs.get(worker_key(worker_id))
            self._beats[worker_id] = None if found is None else found.doc["heartbeat_at"]
        last = max(self._beats[worker_id] or 0.0, job["created_at"])
        return self._at - last > STALE_AFTER_SECONDS
