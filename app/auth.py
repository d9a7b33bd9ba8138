"""Who is calling: the tenant a request acts for, derived from its credential.

Without ``ASSISTANTS_API_KEYS``: the tenant is the SHA-256 of the ``astra-api-token`` header if
given, else of the bearer token. With server keys: the bearer must be one of them (401 otherwise,
whatever else is sent; the provider key then travels in ``api-key``), and the tenant is that
server key together with the ``astra-api-token`` if one is sent, so the users of one server key
are kept apart. ``astra`` mode: the Astra token also selects the tenant's own database.
Only the hash is ever kept; the credential itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

ASTRA_TOKEN_HEADER = "astra-api-token"
STATE_KEY = "assistants.state"


def tenant_of(credential: str, user: str | None = None) -> str:
    digest = hashlib.sha256(credential.encode())
    if user:
        # A separator no header value can hold, so ("ab", "c") and ("a", "bc") differ.
        digest.update(b"\n" + user.encode())
    return digest.hexdigest()


def _allowed(credential: str, keys: frozenset[str]) -> bool:
    # Compare every key in constant time, so timing does not reveal a prefix match.
    return any(hmac.compare_digest(credential.encode(), key.encode()) for key in keys)


def bearer_info(token: str, request: Any) -> dict[str, Any] | None:
    """Connexion's ``x-bearerInfoFunc`` for ApiKeyAuth: token info, or None for 401."""
    scope = request.scope
    state = scope.get(STATE_KEY)
    keys: frozenset[str] = state.api_keys if state is not None else frozenset()
    astra_token = request.headers.get(ASTRA_TOKEN_HEADER)
    if keys:
        if not token or not _allowed(token, keys):
            return None
        return {"sub": tenant_of(token, astra_token), "server_key": True}
    credential = astra_token or token
    if not credential:
        return None
    return {"sub": tenant_of(credential), "server_key": False}
