"""Process state, created by the lifespan and reachable from every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from app.operations import OperationTable
from app.settings import Settings
from assistants.context import DomainConfig

if TYPE_CHECKING:
    from storage.base import StoreProvider


@dataclass
class AppState:
    settings: Settings
    operations: OperationTable
    api_keys: frozenset[str]
    store_provider: StoreProvider | None = None
    inference: Any = None
    services: dict[str, Any] = field(default_factory=dict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # The app is all the process serves (`run.py`), so it may tune what is process-wide (the
    # garbage collector); not when it shares the process (tests, an embedding program).
    owns_process: bool = False

    @cached_property
    def domain_config(self) -> DomainConfig:
        """What the domain needs of the settings (made once, read by every request)."""
        settings = self.settings
        return DomainConfig(
            default_embedding_model=settings.default_embedding_model,
            run_lease_seconds=settings.run_lease_seconds,
            mcp_timeout_seconds=settings.mcp_timeout_seconds,
        )

    def spawn(self, coro: Any, name: str | None = None) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, holding a reference until it finishes."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task
