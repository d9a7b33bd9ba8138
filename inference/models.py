"""The model list: configured models, the provider's `/models` (base URL), LiteLLM's registry."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from inference.options import ProviderOptions
from inference.routing import NO_KEY

if TYPE_CHECKING:
    import httpx

# The registry has no creation dates; a fixed one keeps the objects stable between calls.
REGISTRY_CREATED = 1_700_000_000
_LISTED_MODES = frozenset({"chat", "completion", "embedding", "responses"})


def model_object(model_id: str, owned_by: str, created: int = REGISTRY_CREATED) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def registry_models(litellm: ModuleType) -> list[dict[str, Any]]:
    """Chat, completion and embedding models of LiteLLM's local cost map, as model objects."""
    entries: dict[str, dict[str, Any]] = litellm.model_cost
    return [
        model_object(name, str(info.get("litellm_provider") or "litellm"))
        for name, info in entries.items()
        if isinstance(info, dict) and info.get("mode") in _LISTED_MODES and name != "sample_spec"
    ]


async def provider_models(
    options: ProviderOptions, timeout: float, client: httpx.AsyncClient
) -> list[dict[str, Any]]:
    """GET <base-url>/models with the request's key; any failure but a refusal: an empty list.

    `client` is the engine's policy-bound client: a refused base URL raises `OutboundRefused`.
    """
    if not options.base_url:
        return []
    import httpx

    key = options.api_key.get_secret_value() if options.api_key is not None else NO_KEY
    url = options.base_url.rstrip("/") + "/models"
    try:
        response = await client.get(
            url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        )
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
