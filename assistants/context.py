"""What domain operations work with: the tenant's store, inference, background work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from storage.base import Store

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


@dataclass(frozen=True)
class DomainConfig:
    default_embedding_model: str = "text-embedding-3-small"
    run_lease_seconds: float = 30.0
    mcp_timeout_seconds: float = 30.0


class Ctx:
    """The tenant's store, inference and services, and the request's provider ``options``.

    ``options_of`` makes the options on first read instead (most operations never read them,
    and reading a request's headers into them is a good part of a small request's cost).
    """

    def __init__(
        self,
        store: Store,
        tenant: str,
        inference: Any = None,  # inference.base.Inference
        options: Any = None,  # inference.options.ProviderOptions of the request
        config: DomainConfig | None = None,
        spawn: Spawn | None = None,
        services: dict[str, Any] | None = None,
        *,
        options_of: Callable[[], Any] | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.inference = inference
        self._options = options
        self._options_of = options_of
        self.config = config if config is not None else DomainConfig()
        self.spawn = spawn
        self.services = services if services is not None else {}

    @property
    def options(self) -> Any:
        if self._options_of is not None:
            self._options, self._options_of = self._options_of(), None
        return self._options

    @options.setter
    def options(self, value: Any) -> None:
        self._options, self._options_of = value, None

    @property
    def embedding_model(self) -> str:
        requested = getattr(self.options, "embedding_model", None)
        return requested or self.config.default_embedding_model
