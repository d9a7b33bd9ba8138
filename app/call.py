"""What a handler receives: the parsed request, the caller's tenant and the process state."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from app.auth import ASTRA_TOKEN_HEADER
from app.headers import RequestHeaders
from app.state import AppState
from assistants.context import Ctx

if TYPE_CHECKING:
    from storage.base import Store


@dataclass
class Call:
    operation_id: str
    request: Request
    headers: RequestHeaders
    state: AppState
    tenant: str
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    server_key: bool = False
    _store: Store | None = field(default=None, repr=False)

    async def store(self) -> Store:
        """The tenant's store (in astra mode, the tenant's own database)."""
        if self._store is None:
            provider = self.state.store_provider
            if provider is None:
                raise RuntimeError("no store is configured")
            self._store = await provider.for_request(
                self.headers.get(ASTRA_TOKEN_HEADER), self.headers.get("astra-db-id")
            )
        return self._store

    async def ctx(self) -> Ctx:
        """The domain's view of this request (its provider options are read when first used)."""
        state = self.state
        return Ctx(
            await self.store(),
            self.tenant,
            state.inference,
            config=state.domain_config,
            spawn=state.spawn,
            services=state.services,
            options_of=lambda: self.provider_options,
        )

    @cached_property
    def provider_options(self) -> Any:
        """LLM provider credentials and options from the request's headers."""
        from inference.options import options_from_headers

        return options_from_headers(self.headers, self.state.api_keys)
