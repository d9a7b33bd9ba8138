"""Who is calling: the tenant a request acts for, derived from its credential.

``cassandra`` and ``sqlite`` modes: the tenant is the SHA-256 of the ``astra-api-token`` header if
given, else of the bearer token; with ``ASSISTANTS_API_KEYS`` set that credential must be one of
them. ``astra`` mode: the tenant is the Astra token's own database, so the token is the tenant too.
Only the hash is ever kept; the credential itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

ASTRA_TOKEN_HEADER = "astra-api-token"
STATE_KEY = "assistants.state"


def tenant_of(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def _allowed(credential: str, keys: frozenset[str]) -> bool:
    # Compare every key in constant time, so timing does not reveal a prefix match.
    return any(hmac.compare_digest(credential.encode(), key.encode()) for key in keys)


def bearer_info(token: str, request: Any) -> dict[str, Any] | None:
    """Connexion's ``x-bearerInfoFunc`` for ApiKeyAuth: token info, or None for 401."""
    scope = request.scope
    state = scope.get(STATE_KEY)
    keys: frozenset[str] = state.api_keys if state is not None else frozenset()
    astra_token = request.headers.get(ASTRA_TOKEN_HEADER)
    credential = astra_token or token
    if not credential:
        return None
    if keys and not _allowed(credential, keys):
        return None
    return {"sub": tenant_of(credential), "server_key": bool(keys) and _allowed(token, keys)}
