"""Which provider, endpoint and credentials a call uses, as LiteLLM keyword arguments.

Precedence, most specific first: `LLM-PARAM-*` (or `EMBEDDING-PARAM-*`) values, then the plain
headers (`api-key` over the bearer, `base-url`, `api-version`, `custom-llm-provider`), then the
server's environment, which LiteLLM reads itself when no key is passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from inference.base import ChatRequest
from inference.options import ProviderOptions
from inference.param_values import is_denied, is_secret

NO_KEY = "no-key"
"""The key sent to a caller-chosen base URL that came without one: server keys never go there."""

DEFAULT_PROVIDER_FOR_BASE_URL = "openai"


@dataclass(frozen=True, slots=True)
class Route:
    """LiteLLM keyword arguments for one call, and the secrets in them (to scrub from errors)."""

    kwargs: dict[str, Any]
    secrets: tuple[str, ...]


def chat_route(model: str, options: ProviderOptions, providers: frozenset[str]) -> Route:
    return _route(model, options, options.llm_params, options.llm_secrets, providers)


def chat_arguments(
    request: ChatRequest,
    options: ProviderOptions,
    providers: frozenset[str],
    *,
    timeout: float,
    drop_params: bool,
) -> Route:
    """The `acompletion` arguments of a chat call (route, body extras, parameters) and the
    secrets among them."""
    route = chat_route(request.model, options, providers)
    kwargs = {
        **route.kwargs,
        **safe_extra(request.extra),
        **request.params(),
        "model": request.model,
        "messages": request.messages,
        "timeout": timeout,
        "max_retries": 0,  # the OpenAI SDK's own retries would multiply ours
        "drop_params": drop_params,
    }
    return Route(kwargs=kwargs, secrets=(*route.secrets, *options.secret_values()))


def embedding_route(model: str, options: ProviderOptions, providers: frozenset[str]) -> Route:
    return _route(model, options, options.embedding_params, options.embedding_secrets, providers)


def has_provider_prefix(model: str, providers: frozenset[str]) -> bool:
    prefix, slash, _ = model.partition("/")
    return bool(slash) and prefix in providers


def _route(
    model: str,
    options: ProviderOptions,
    params: Mapping[str, Any],
    secrets: Mapping[str, SecretStr],
    providers: frozenset[str],
) -> Route:
    kwargs = dict(params)
    revealed = {name: value.get_secret_value() for name, value in secrets.items()}
    api_key = revealed.pop("api_key", None)
    kwargs.update(revealed)
    api_base = kwargs.pop("api_base", None) or options.base_url
    provider = kwargs.pop("custom_llm_provider", None) or options.custom_llm_provider
    api_version = kwargs.pop("api_version", None) or options.api_version
    # Explicit provider credentials (AWS keys, Vertex credentials...) replace the generic key.
    if api_key is None and not revealed and options.api_key is not None:
        api_key = options.api_key.get_secret_value()
    if api_base:
        kwargs["api_base"] = api_base
        if provider is None and not has_provider_prefix(model, providers):
            provider = DEFAULT_PROVIDER_FOR_BASE_URL
        if api_key is None and not revealed:
            api_key = NO_KEY
    if provider:
        kwargs["custom_llm_provider"] = provider
    if api_version:
        kwargs["api_version"] = api_version
    if api_key is not None:
        kwargs["api_key"] = api_key
    secret_values = tuple(revealed.values()) + ((api_key,) if api_key and api_key != NO_KEY else ())
    return Route(kwargs=kwargs, secrets=secret_values)


_ROUTING_KEYS = frozenset({"api_key", "api_base", "base_url", "custom_llm_provider", "api_version"})


def safe_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    """Body extras minus anything choosing the endpoint or credentials or steering the server."""
    return {
        k: v
        for k, v in extra.items()
        if k not in _ROUTING_KEYS and not is_denied(k) and not is_secret(k)
    }
