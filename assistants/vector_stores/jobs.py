"""This process's ingestion: the fair concurrency gate, the per-file process limits and extraction
children, and the jobs started without the durable work service (library use), so that callers
can wait for them."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.vector_stores.fair import FairGate
from assistants.vector_stores.isolate import Children, ProcessLimits

MAX_PARALLEL_JOBS = 4
SERVICE = "ingestion.worker"


@dataclass
class Worker:
    gate: FairGate = field(default_factory=lambda: FairGate(MAX_PARALLEL_JOBS))
    process: ProcessLimits = field(default_factory=ProcessLimits)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    children: Children = field(init=False)

    def __post_init__(self) -> None:
        self.children = Children(self.process)

    def start(self, ctx: Ctx, coro: Coroutine[Any, Any, Any]) -> None:
        if ctx.spawn is not None:
            ctx.spawn(coro)
            return
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for the jobs started without ``ctx.spawn``."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def worker_of(ctx: Ctx) -> Worker:
    worker = ctx.services.get(SERVICE)
    if worker is None:
        worker = ctx.services[SERVICE] = Worker()
    return worker
