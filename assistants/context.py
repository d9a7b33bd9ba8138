"""What domain operations work with: the tenant's store, inference, background work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from storage.base import Store

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


@dataclass(frozen=True)
class DomainConfig:
    default_embedding_model: str = "text-embedding-3-small"
    run_lease_seconds: float = 30.0
    mcp_timeout_seconds: float = 30.0


@dataclass
class Ctx:
    store: Store
    tenant: str
    inference: Any = None  # inference.base.Inference
    options: Any = None  # inference.options.ProviderOptions of the request
    config: DomainConfig = field(default_factory=DomainConfig)
    spawn: Spawn | None = None
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def embedding_model(self) -> str:
        requested = getattr(self.options, "embedding_model", None)
        return requested or self.config.default_embedding_model
