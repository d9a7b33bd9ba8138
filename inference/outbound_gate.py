"""Where the inference layer's outbound connections meet the operator's outbound policy.

Every provider call passes `OutboundGate.check`, and every call LiteLLM sends itself, then
`with_client`:
- `check`: every URL among the call's arguments (`api_base`, and any other parameter holding an
  http(s) URL, e.g. `LLM-PARAM-aws-bedrock-runtime-endpoint`), resolved now, whatever the provider;
- `with_client`: for an OpenAI-compatible call to a caller's base URL that LiteLLM sends itself
  (the direct relay is off or cannot take it), hands LiteLLM `client=`: an `AsyncOpenAI` on this
  gate's policy client, which checks every connection again at connect time, on the address it
  connects to (so DNS rebinding cannot pass); for an Anthropic call, LiteLLM's own
  `AsyncHTTPHandler` around the same policy client. The direct relay sends on that client itself.
  LiteLLM's other providers connect with clients of their own that cannot be handed a transport
  (one hook per provider), so for them the check before the call is what holds.

Outbound HTTP code in `inference/` (the direct relay, the model listing) sends through
`gate.http_client()`: one policy-bound `httpx.AsyncClient` per event loop (on the aiohttp
transport, see `http_client`), pooled, so the check costs once per connection and no lookup at
all for an IP host. Never build another client for a caller's URL. The one exception is the
provider URL the operator configured (`OPENAI_API_BASE` and the like, used when the caller names
none): the policy governs callers' choices, so those calls go through `gate.operator_client()`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from inference.errors import DestinationRefused
from inference.routing import NO_KEY
from outbound import OutboundPolicy, OutboundRefused, Resolver, system_resolver
from outbound.resolve import checked_addresses, url_destination

if TYPE_CHECKING:
    import httpx
    import openai
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

OPENAI_CLIENTS = 64
"""OpenAI SDK clients kept per event loop (one per base URL, key and organization in use)."""
CHECK_TTL = 30.0
"""Seconds an allowed host name stays allowed for the check before a call (not at connect)."""
_CHECKS_KEPT = 1024


class OutboundGate:
    """The operator's policy applied to LiteLLM calls; `None` as policy turns all checks off."""

    def __init__(
        self,
        policy: OutboundPolicy | None,
        resolver: Resolver = system_resolver,
        timeout: float = 600.0,
        max_connections: int = 1000,
    ) -> None:
        self.policy = policy
        self._resolver = resolver
        self._timeout = timeout
        self._max_connections = max_connections
        self._allowed_until: dict[tuple[str, int], float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: httpx.AsyncClient | None = None
        self._operator: httpx.AsyncClient | None = None
        self._openai: OrderedDict[tuple[str, str, str | None], openai.AsyncOpenAI] = OrderedDict()
        self._handler: AsyncHTTPHandler | None = None

    async def check(self, kwargs: dict[str, Any]) -> None:
        """DestinationRefused when the policy refuses a URL among the LiteLLM arguments."""
        if self.policy is None:
            return
        for value in kwargs.values():
            if isinstance(value, str):
                destination = url_destination(value)
                if destination is not None:
                    await self._check(*destination)

    def with_client(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """`kwargs` with the policy-bound OpenAI client when LiteLLM would send with its own."""
        if self.policy is None:
            return kwargs
        api_base = kwargs.get("api_base")
        if isinstance(api_base, str):
            provider = _provider(kwargs)
            if provider == "openai":
                return {**kwargs, "client": self._openai_client(api_base, kwargs)}
            if provider == "anthropic":
                return {**kwargs, "client": self._litellm_handler()}
        return kwargs

    def http_client(self) -> httpx.AsyncClient:
        """The policy-bound client of the running event loop (made on first use)."""
        self._own_loop()
        if self._http is None:
            from inference.http_client import provider_client

            self._http = provider_client(
                self._timeout,
                max_connections=self._max_connections,
                policy=self.policy,
                resolver=self._resolver,
            )
        return self._http

    def operator_client(self) -> httpx.AsyncClient:
        """The client for the server's own configured provider URL (its environment, not a
        caller's choice), which the policy does not judge: same pool limits, no checks."""
        if self.policy is None:
            return self.http_client()
        self._own_loop()
        if self._operator is None:
            from inference.http_client import provider_client

            self._operator = provider_client(
                self._timeout, max_connections=self._max_connections, resolver=self._resolver
            )
        return self._operator

    def _own_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Clients of another (finished) loop cannot be reused, nor closed from here.
            self._http = self._operator = None
            self._loop = loop
            self._openai.clear()
            self._handler = None

    def _litellm_handler(self) -> AsyncHTTPHandler:
        """LiteLLM's HTTP handler sending through the policy client (for its own providers)."""
        http = self.http_client()
        if self._handler is None:
            from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

            self._handler = AsyncHTTPHandler(timeout=self._timeout)
            self._handler.client = http  # not owned: closed with the gate's client
        return self._handler

    async def aclose(self) -> None:
        if self._loop is asyncio.get_running_loop():
            for client in (self._http, self._operator):
                if client is not None:
                    await client.aclose()
        self._http = self._operator = None
        self._handler = None
        self._openai.clear()

    async def _check(self, host: str, port: int) -> None:
        assert self.policy is not None
        key = (host.lower(), port)
        if self._allowed_until.get(key, 0.0) > time.monotonic():
            return
        try:
            await checked_addresses(self.policy, host, port, self._resolver)
        except OutboundRefused as refused:
            raise DestinationRefused(refused.message) from None
        except OSError:
            return  # the name does not resolve: the provider call reports that failure itself
        if len(self._allowed_until) >= _CHECKS_KEPT:
            self._allowed_until.clear()
        self._allowed_until[key] = time.monotonic() + CHECK_TTL

    def _openai_client(self, api_base: str, kwargs: dict[str, Any]) -> openai.AsyncOpenAI:
        http = self.http_client()
        api_key = str(kwargs.get("api_key") or NO_KEY)
        organization = kwargs.get("organization")
        key = (api_base, api_key, organization if isinstance(organization, str) else None)
        client = self._openai.get(key)
        if client is None:
            import openai

            # Keys never come from the server's environment here: the URL is the caller's.
            client = openai.AsyncOpenAI(
                api_key=api_key,
                base_url=api_base,
                organization=key[2],
                http_client=http,  # type: ignore[arg-type]  # the SDK takes httpx clients too
                max_retries=0,
            )
            if len(self._openai) >= OPENAI_CLIENTS:
                self._openai.popitem(last=False)
            self._openai[key] = client
        else:
            self._openai.move_to_end(key)
        return client


def _provider(kwargs: dict[str, Any]) -> str | None:
    """The LiteLLM provider a call names (`openai` is sent with the OpenAI SDK)."""
    provider = kwargs.get("custom_llm_provider")
    if isinstance(provider, str):
        return provider
    prefix, slash, _ = str(kwargs.get("model", "")).partition("/")
    return prefix if slash else None


def refusal_in(exc: BaseException) -> OutboundRefused | None:
    """The `OutboundRefused` that caused `exc` (LiteLLM and the OpenAI SDK wrap it), if any."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 16:
        if isinstance(current, OutboundRefused):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None
