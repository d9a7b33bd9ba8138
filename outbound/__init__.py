"""The operator's policy for outbound connections whose destination a caller chooses.

Callers choose where the server connects: a provider `base-url` (and `LLM-PARAM-api-base`...),
soon an MCP `server_url`. One policy, from `ASSISTANTS_OUTBOUND_ALLOW` / `ASSISTANTS_OUTBOUND_DENY`
(comma-separated host names, IP addresses or CIDR networks), decides which addresses they may
reach; `policy.py` says how. By default link-local and cloud metadata addresses are refused, and
with `ASSISTANTS_API_KEYS` set loopback and private ranges too. A refusal is `OutboundRefused`
(400 `outbound_refused`), raised before a byte is sent to the refused address.

The check runs after DNS resolution, at connect time: a client made here resolves the host
itself, judges every address, and connects to the address it judged. How to make one:

- httpx (providers, any new relay): `policy_client(policy, timeout=..., follow_redirects=...)`,
  or `policy_transport(policy, limits=...)` for your own `httpx.AsyncClient(transport=...)`, or
  `guard_transport(httpx.AsyncHTTPTransport(...), policy)` for a transport you configure. Never
  mount a proxy or set `trust_env=True` on such a client (the proxy would be judged instead).
  Create one client per event loop and reuse it: the check then costs once per connection.
- MCP (the `mcp` SDK uses httpx2): `mcp_http_client(policy, headers, timeout, auth)` is a client
  for `streamable_http_client(url, http_client=...)`, and `functools.partial(mcp_http_client,
  policy)` an `httpx_client_factory` for `sse_client(url, httpx_client_factory=...)`. Redirects
  are connections too, and are checked the same way.
- aiohttp: a connector from `aiohttp_resolver.policy_connector(policy)` (a resolver judging
  every name, no DNS cache), plus `check_literal(policy, host)` before each request, since aiohttp
  connects to an IP host without asking its resolver; no proxy (`trust_env=False`). The
  inference layer's provider client is built so (`inference/provider_http.py`).
- A client you do not create (LiteLLM's, for a provider it connects to itself): call
  `await check_url(policy, url)` before handing it the URL. That check resolves the name now and
  cannot see what the other client resolves later; prefer handing it a client made here.

This package imports nothing of the server (`app/`, `handlers/`, `assistants/`, `storage/`,
`inference/`): the inference layer and the domain both use it; `app/errors.py` maps the error.
"""

from outbound.clients import guard_transport, mcp_http_client, policy_client, policy_transport
from outbound.errors import OutboundRefused
from outbound.policy import Entries, OutboundPolicy
from outbound.resolve import (
    Resolver,
    check_literal,
    check_url,
    checked_addresses,
    system_resolver,
)

__all__ = [
    "Entries",
    "OutboundPolicy",
    "OutboundRefused",
    "Resolver",
    "check_literal",
    "check_url",
    "checked_addresses",
    "guard_transport",
    "mcp_http_client",
    "policy_client",
    "policy_transport",
    "system_resolver",
]
