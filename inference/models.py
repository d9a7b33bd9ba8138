"""The model list: configured models, the provider's `/models` (base URL), LiteLLM's registry.

Only the providers a request can reach are listed: the one its credentials or base URL are for,
and those the server's environment has keys for. Each piece is cached: the registry by provider
(built once), the merged list per set of providers, a provider's own list for a minute.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from inference.options import ProviderOptions
from inference.routing import DEFAULT_PROVIDER_FOR_BASE_URL, NO_KEY

if TYPE_CHECKING:
    import httpx

# The registry has no creation dates; a fixed one keeps the objects stable between calls.
REGISTRY_CREATED = 1_700_000_000
_LISTED_MODES = frozenset({"chat", "completion", "embedding", "responses"})
PROVIDER_LIST_TTL = 60.0
"""Seconds a provider's own `/models` answer is reused (per base URL and key)."""
_CACHED_LISTS = 256


def model_object(model_id: str, owned_by: str, created: int = REGISTRY_CREATED) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def registry_models(litellm: ModuleType) -> dict[str, list[dict[str, Any]]]:
    """Chat, completion and embedding models of LiteLLM's local cost map, by provider."""
    entries: dict[str, dict[str, Any]] = litellm.model_cost
    grouped: dict[str, list[dict[str, Any]]] = {}
    for name, info in entries.items():
        if isinstance(info, dict) and info.get("mode") in _LISTED_MODES and name != "sample_spec":
            owner = str(info.get("litellm_provider") or "litellm")
            grouped.setdefault(owner, []).append(model_object(name, owner))
    return grouped


def server_providers(litellm: ModuleType) -> tuple[str, ...]:
    """The providers whose key is in the server's environment (`<PROVIDER>_API_KEY`)."""
    from litellm.utils import _infer_valid_provider_from_env_vars

    return tuple(str(getattr(p, "value", p)) for p in _infer_valid_provider_from_env_vars())


def caller_provider(options: ProviderOptions) -> str | None:
    """The provider a request's own credentials or base URL are for, if it sent any."""
    provider = options.llm_params.get("custom_llm_provider") or options.custom_llm_provider
    reachable = (
        options.api_key is not None
        or "api_key" in options.llm_secrets
        or bool(options.llm_params.get("api_base") or options.base_url)
    )
    if not reachable:
        return None
    return str(provider) if provider else DEFAULT_PROVIDER_FOR_BASE_URL


class ModelCatalog:
    """LiteLLM's registry by provider and the merged lists built from it, kept for reuse."""

    def __init__(self, by_provider: dict[str, list[dict[str, Any]]], server: Iterable[str]):
        self._by_provider = by_provider
        self._server = tuple(server)
        self._lists: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def registry(self, caller: str | None) -> list[dict[str, Any]]:
        """The registry's models of the caller's provider, then of the server's providers."""
        providers = tuple(dict.fromkeys(p for p in (caller, *self._server) if p))
        listed = self._lists.get(providers)
        if listed is None:
            listed = merge_models(*(self._by_provider.get(p, ()) for p in providers))
            self._lists[providers] = listed
        return listed


class ProviderLists:
    """Providers' own `/models` answers, per base URL and key, for `PROVIDER_LIST_TTL`."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = (
            OrderedDict()
        )

    async def get(
        self, options: ProviderOptions, client: httpx.AsyncClient, timeout: float
    ) -> list[dict[str, Any]]:
        if not options.base_url:
            return []
        key = options.api_key.get_secret_value() if options.api_key is not None else NO_KEY
        # Only a digest of the key is kept, and it only finds the same caller's own answer.
        slot = (options.base_url, hashlib.sha256(key.encode()).hexdigest())
        cached = self._cache.get(slot)
        now = time.monotonic()
        if cached is not None and now - cached[0] < PROVIDER_LIST_TTL:
            return cached[1]
        models = await provider_models(options.base_url, key, client, timeout)
        self._cache[slot] = (now, models)
        self._cache.move_to_end(slot)
        while len(self._cache) > _CACHED_LISTS:
            self._cache.popitem(last=False)
        return models


async def provider_models(
    base_url: str, key: str, client: httpx.AsyncClient, timeout: float
) -> list[dict[str, Any]]:
    """GET <base-url>/models with the request's key; any failure but a refusal: an empty list.

    `client` is the engine's policy-bound client: a refused base URL raises `OutboundRefused`.
    """
    import httpx

    url = base_url.rstrip("/") + "/models"
    try:
        headers = {"Authorization": f"Bearer {key}"}
        response = await client.get(url, headers=headers, timeout=timeout)
        response.raise_for_status()
        return [
            model_object(
                str(m["id"]),
                str(m.get("owned_by") or "provider"),
                int(m.get("created") or REGISTRY_CREATED),
            )
            for m in response.json()["data"]
            if isinstance(m, dict) and m.get("id")
        ]
    except (httpx.HTTPError, ValueError, TypeError, KeyError, AttributeError):
        return []  # the listing is best-effort: the registry and configured models still answer


def merge_models(*groups: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Concatenate model lists, keeping the first object for each id."""
    seen: set[str] = set()
    merged: list[dict[str, Any]] = []
    for group in groups:
        for model in group:
            if model["id"] not in seen:
                seen.add(model["id"])
                merged.append(model)
    return merged
