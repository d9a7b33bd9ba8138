"""A chat call as LiteLLM would send it to an OpenAI-compatible provider, for the direct relay.

LiteLLM still decides everything about the request: the provider and endpoint
(`get_llm_provider`), the credentials, which parameters the provider takes and how they map
(`get_optional_params`), and the body (the provider config's `transform_request`). Only sending it
and reading the answer happen outside LiteLLM, and only for providers whose LiteLLM stream handling
is the plain OpenAI one (OpenAI, any OpenAI-compatible base URL, vLLM, DeepSeek, Together, ...):
`prepare` answers None for every other case, which then goes through `litellm.acompletion`.
"""

from __future__ import annotations

import inspect
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from inference.errors import ProviderAuthError

# acompletion keyword arguments that choose the endpoint or steer the call, not the provider body.
_CALL_KEYS = frozenset(
    {"model", "messages", "api_key", "api_base", "custom_llm_provider", "timeout", "drop_params"}
)
# Set by LiteLLM for calls it must handle itself (JSON mode emulation, functions in the prompt).
_LITELLM_ONLY = ("json_mode", "functions_unsupported_model", "fake_stream")
_MAPPED_CALLS = 1024
ORGANIZATION_HEADER = "OpenAI-Organization"
"""Sent to provider `openai` (any base URL) when the server has an organization configured."""


@dataclass(frozen=True, slots=True)
class WireCall:
    """One HTTP request to the provider: the URL, headers (with credentials) and JSON body."""

    url: str
    headers: dict[str, str]
    body: bytes
    model: str
    provider: str
    to_caller_url: bool = True
    """The caller chose the endpoint (the outbound policy judges it); else the operator did."""


class _Plan:
    """LiteLLM's pieces, looked up once (the import is lazy, so this is built on first use)."""

    def __init__(self, litellm: ModuleType) -> None:
        from litellm.llms.base_llm.chat.transformation import BaseConfig
        from litellm.llms.openai.chat.gpt_transformation import OpenAIGPTConfig
        from litellm.responses.bridge_check import (
            _resolve_openai_api_base,
            responses_api_bridge_check,
        )
        from litellm.secret_managers.main import get_secret_str
        from litellm.utils import (
            ProviderConfigManager,
            get_non_default_completion_params,
            get_optional_params,
            validate_and_fix_openai_messages,
            validate_chat_completion_tool_choice,
            validate_openai_optional_params,
        )

        self.litellm = litellm
        self.openai_config = OpenAIGPTConfig
        self.base_config = BaseConfig
        self.config_for = ProviderConfigManager.get_provider_chat_config
        self.optional_params = get_optional_params
        self.non_default = get_non_default_completion_params
        self.fix_messages = validate_and_fix_openai_messages
        self.fix_tool_choice = validate_chat_completion_tool_choice
        self.fix_stop = validate_openai_optional_params
        self.bridge_check = responses_api_bridge_check
        self.openai_base = _resolve_openai_api_base
        self.secret = get_secret_str
        self.named = frozenset(inspect.signature(get_optional_params).parameters) - {
            "model",
            "custom_llm_provider",
            "stream",
            "drop_params",
            "messages",
            "kwargs",
        }
        self.providers = frozenset(str(getattr(p, "value", p)) for p in litellm.LlmProviders)
        self._bridged: dict[tuple[str, str, str], tuple[bool, str]] = {}
        self._mapped: OrderedDict[str, str] = OrderedDict()

    def mapped_params(self, **arguments: Any) -> dict[str, Any]:
        """`get_optional_params(**arguments)`, kept per distinct arguments.

        Its answer depends on the model, the provider and the parameters only (it leaves the
        messages out of the mapping), and it costs ~0.2 ms per call: the answer is kept as JSON
        text and decoded afresh for each call (the request transformation edits it).
        """
        messages = arguments.pop("messages")
        try:
            key = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return dict(self.optional_params(messages=messages, **arguments))
        kept = self._mapped.get(key)
        if kept is not None:
            self._mapped.move_to_end(key)
            cached: dict[str, Any] = json.loads(kept)
            return cached
        mapped = dict(self.optional_params(messages=messages, **arguments))
        try:
            self._mapped[key] = json.dumps(mapped)
        except (TypeError, ValueError):
            return mapped
        if len(self._mapped) > _MAPPED_CALLS:
            self._mapped.popitem(last=False)
        return mapped

    def bridged(self, model: str, provider: str, api_base: str, tools: Any) -> tuple[bool, str]:
        """Whether LiteLLM sends this model to the Responses API, and the model name it uses.

        Without tools the answer depends only on the model and endpoint: it is kept.
        """
        key = (model, provider, api_base)
        if not tools and key in self._bridged:
            return self._bridged[key]
        info, name = self.bridge_check(
            model=model, custom_llm_provider=provider, tools=tools, api_base=api_base
        )
        answer = (info.get("mode") == "responses", name)
        if not tools:
            self._bridged[key] = answer
        return answer

    def relays_openai_stream(self, config: Any, model: str, provider: str, stream: bool) -> bool:
        kind = type(config)
        return (
            isinstance(config, self.openai_config)
            and kind.get_model_response_iterator is self.openai_config.get_model_response_iterator
            and kind.sign_request is self.base_config.sign_request
            and not config.has_custom_stream_wrapper
            and not config.uses_async_transform_request
            and not config.should_fake_stream(
                model=model, stream=stream, custom_llm_provider=provider
            )
        )


_plans: dict[int, _Plan] = {}


def _plan(litellm: ModuleType) -> _Plan:
    plan = _plans.get(id(litellm))
    if plan is None:
        plan = _plans[id(litellm)] = _Plan(litellm)
    return plan


def prepare(litellm: ModuleType, kwargs: Mapping[str, Any], *, stream: bool) -> WireCall | None:
    """The request LiteLLM would send for these `acompletion` arguments, or None when the call
    needs LiteLLM itself (a provider with its own wire format or stream handling)."""
    plan = _plan(litellm)
    model, provider, dynamic_key, api_base = _provider_of(litellm, kwargs)
    if provider not in plan.providers:
        return None
    config = plan.config_for(model=model, provider=litellm.LlmProviders(provider))
    if config is None or not plan.relays_openai_stream(config, model, provider, stream):
        return None
    api_key = kwargs.get("api_key") or dynamic_key
    if provider == "openai":
        api_base, api_key = _openai_endpoint(plan, api_base, api_key)
    if not api_base:
        return None
    bridged, model = plan.bridged(model, provider, api_base, kwargs.get("tools"))
    if bridged:
        return None  # LiteLLM sends this model to the Responses API

    drop = bool(kwargs.get("drop_params"))
    messages = plan.fix_messages(messages=[dict(m) for m in kwargs["messages"]])
    named = {k: v for k, v in kwargs.items() if k in plan.named}
    if "tool_choice" in named:
        named["tool_choice"] = plan.fix_tool_choice(tool_choice=named["tool_choice"], model=model)
    if "stop" in named:
        named["stop"] = plan.fix_stop(stop=named["stop"])
    special: dict[str, Any] = plan.non_default(
        {k: v for k, v in kwargs.items() if k not in plan.named and k not in _CALL_KEYS}
    )
    messages = list(
        config.translate_developer_role_to_system_role(
            messages=messages,
            model=model,
            custom_llm_provider=provider,
            api_base=api_base,
            model_info={},
        )
    )
    optional = plan.mapped_params(
        model=model,
        custom_llm_provider=provider,
        stream=stream,
        drop_params=drop,
        messages=messages,
        **named,
        **special,
    )
    if any(optional.get(key) for key in _LITELLM_ONLY):
        return None
    extra_body = optional.pop("extra_body", None)
    extra_headers = optional.pop("extra_headers", None)
    litellm_params = {"custom_llm_provider": provider, "api_base": api_base, "drop_params": drop}
    headers = config.validate_environment(
        headers=dict(extra_headers or {}),
        model=model,
        messages=messages,
        optional_params=optional,
        litellm_params=litellm_params,
        api_key=api_key,
        api_base=api_base,
    )
    if provider == "openai":
        _add_organization(plan, headers)
    url = config.get_complete_url(
        api_base=api_base,
        api_key=api_key,
        model=model,
        optional_params=optional,
        litellm_params=litellm_params,
        stream=stream,
    )
    body = config.transform_request(
        model=model,
        messages=messages,
        optional_params=optional,
        litellm_params=litellm_params,
        headers=headers,
    )
    if extra_body:
        body.update(
            config.transform_extra_body(
                extra_body=extra_body, request=body, model=model, litellm_params=litellm_params
            )
        )
    return wire_call(
        url,
        headers,
        body,
        model=model,
        provider=provider,
        stream=stream,
        to_caller_url=bool(kwargs.get("api_base")),
    )


def wire_call(
    url: str,
    headers: Mapping[str, Any],
    body: dict[str, Any],
    *,
    model: str,
    provider: str,
    stream: bool,
    to_caller_url: bool,
) -> WireCall:
    """The call as sent: a streamed one asks for a stream, a plain one has no stream options."""
    if stream:
        body["stream"] = True
    else:
        body.pop("stream", None)
        body.pop("stream_options", None)
    return WireCall(
        url=url,
        headers={str(k): str(v) for k, v in headers.items()},
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        model=model,
        provider=provider,
        to_caller_url=to_caller_url,
    )


# aembedding arguments the direct embeddings call understands; any other goes to LiteLLM.
_EMBEDDING_KEYS = frozenset(
    {
        "model",
        "api_key",
        "api_base",
        "custom_llm_provider",
        "timeout",
        "max_retries",
        "drop_params",
        "dimensions",
        "allowed_openai_params",
    }
)


@dataclass(frozen=True, slots=True)
class EmbeddingWire:
    """The embeddings endpoint of an OpenAI(-compatible) provider; `call` makes one batch's request.

    Vectors are asked for as base64 (little-endian float32), as OpenAI's own SDK does: decoding
    that costs microseconds, where parsing ~200,000 JSON floats into SDK objects took seconds.
    """

    url: str
    headers: dict[str, str]
    fields: dict[str, Any]
    model: str
    provider: str
    to_caller_url: bool

    def call(self, inputs: list[Any], *, base64: bool = True) -> WireCall:
        fields = {**self.fields, "input": inputs}
        if base64:
            fields["encoding_format"] = "base64"
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        return WireCall(self.url, self.headers, body, self.model, self.provider, self.to_caller_url)


def prepare_embedding(litellm: ModuleType, kwargs: Mapping[str, Any]) -> EmbeddingWire | None:
    """The endpoint LiteLLM would call for these `aembedding` arguments when the provider is
    OpenAI or an OpenAI-compatible base URL; None for any other provider or argument."""
    if not _EMBEDDING_KEYS.issuperset(kwargs):
        return None
    plan = _plan(litellm)
    model, provider, dynamic_key, api_base = _provider_of(litellm, kwargs)
    if provider != "openai":
        return None
    api_base, api_key = _openai_endpoint(plan, api_base, kwargs.get("api_key") or dynamic_key)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    _add_organization(plan, headers)
    fields: dict[str, Any] = {"model": model}
    if kwargs.get("dimensions") is not None:
        fields["dimensions"] = kwargs["dimensions"]
    url = api_base.rstrip("/") + "/embeddings"
    return EmbeddingWire(url, headers, fields, model, provider, bool(kwargs.get("api_base")))


def _provider_of(
    litellm: ModuleType, kwargs: Mapping[str, Any]
) -> tuple[str, str, str | None, str | None]:
    """LiteLLM's (model, provider, key it found, base URL) for a call's arguments."""
    found: tuple[str, str, str | None, str | None] = litellm.get_llm_provider(
        model=kwargs["model"],
        custom_llm_provider=kwargs.get("custom_llm_provider"),
        api_base=kwargs.get("api_base"),
        api_key=kwargs.get("api_key"),
    )
    return found


def _openai_endpoint(plan: _Plan, api_base: str | None, api_key: str | None) -> tuple[str, str]:
    """The base URL and key LiteLLM's OpenAI provider uses (its settings, then the server's env)."""
    litellm = plan.litellm
    key = api_key or litellm.api_key or litellm.openai_key or plan.secret("OPENAI_API_KEY")
    if not key:
        raise ProviderAuthError(
            "No API key for this provider: send one (bearer, `api-key` or "
            "`LLM-PARAM-api-key`) or configure it in the server's environment."
        )
    return str(plan.openai_base(api_base)), str(key)


def _add_organization(plan: _Plan, headers: dict[str, Any]) -> None:
    organization = plan.litellm.organization or plan.secret("OPENAI_ORGANIZATION")
    if organization:
        headers.setdefault(ORGANIZATION_HEADER, organization)
