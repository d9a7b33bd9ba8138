"""Plain OpenAI chat calls prepared without LiteLLM, while LiteLLM is still being imported.

The server imports LiteLLM in the background once it listens (seconds of CPU). Until that
finishes, `prepare` builds the direct relay's `WireCall` for the chat calls LiteLLM would send
unchanged, so they need not wait: provider `openai` (a caller's `base-url` with an unprefixed or
`openai/` model, or OpenAI itself with an `openai/` model), a model name LiteLLM maps to its
plain OpenAI chat config, text messages, function tools and the parameters every OpenAI model
takes as they are. Anything else answers None and waits for LiteLLM: reasoning models whose
parameters it remaps, models it sends to the Responses API or renames, other providers, Azure,
JSON mode, images, developer messages, `user`, extras. When in doubt, None.

The body is built in LiteLLM's order, so the bytes are the ones `openai_wire.prepare` makes
through LiteLLM; tests/inference/test_early_wire.py compares the two over every model name
LiteLLM knows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from inference.openai_wire import ORGANIZATION_HEADER, WireCall, wire_call

PROVIDERS = frozenset({"openai"})
"""The provider names routing (`routing.chat_arguments`) needs for the calls taken here: the only
provider prefix they may carry is `openai/`, and a bare name has none."""

_OPENAI = "openai"
_PREFIX = "openai/"
_DEFAULT_BASE = "https://api.openai.com/v1"
_ENDPOINT = "chat/completions"

# The engine's acompletion arguments that choose the endpoint or steer the call, not the body.
_CALL_KEYS = frozenset(
    {"model", "messages", "timeout", "max_retries", "drop_params", "api_key", "api_base"}
)
# Parameters LiteLLM passes to every OpenAI model as they are, in the order its body lists them
# (its `get_optional_params` signature); `stream` is the call's own.
_BODY_ORDER = (
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "seed",
    "tools",
    "tool_choice",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
)
_PARAMS = frozenset(_BODY_ORDER) - {"stream"}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
# Model names LiteLLM treats specially for provider `openai`, matched loosely (a false match only
# waits): o-series and gpt-5+ reasoning models (parameters remapped, Responses API bridging),
# `*-latest` aliases it renames, audio / realtime / search / codex / research / computer-use / pro
# models (own configs or Responses-only), Claude names (prompt-cache handling).
_SPECIAL = re.compile(
    r"^o\d|gpt-(?:[5-9]|\d\d)|latest|audio|realtime|search|codex|research|computer|pro\b|"
    r"claude|responses",
    re.IGNORECASE,
)
# Environment switches that change LiteLLM's routing or parameters for every call.
_LITELLM_SWITCHES = (
    "USE_LITELLM_PROXY",
    "LITELLM_ROUTE_ALL_CHAT_OPENAI_TO_RESPONSES",
    "LITELLM_MODIFY_PARAMS",
)

_ROLES = frozenset({"system", "user", "assistant", "tool"})
_MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id"})
_TOOL_CHOICES = frozenset({"auto", "none", "required"})
_FUNCTION_KEYS = frozenset({"name", "description", "parameters", "strict"})
# LiteLLM rewrites tool schemas holding these (regexes Python cannot compile are dropped;
# top-level combinators are flattened for api.openai.com).
_SCHEMA_REWRITTEN = frozenset({"pattern", "patternProperties"})
_TOP_LEVEL_REWRITTEN = frozenset({"allOf", "anyOf", "oneOf", "enum", "const", "not"})
_MAX_STOPS = 4  # LiteLLM truncates longer stop lists
_MAX_SCHEMA_NODES = 10_000


def prepare(
    kwargs: Mapping[str, Any], *, stream: bool, env: Mapping[str, str] = os.environ
) -> WireCall | None:
    """The call LiteLLM would send for these `acompletion` arguments, or None when this module
    cannot be sure of it (the call then waits for LiteLLM)."""
    if any(env.get(name) for name in _LITELLM_SWITCHES):
        return None
    if not set(kwargs) <= _CALL_KEYS | _PARAMS | {"custom_llm_provider"}:
        return None
    model = _openai_model(kwargs.get("model"), kwargs.get("custom_llm_provider"))
    if model is None:
        return None
    messages = _messages(kwargs.get("messages"))
    if messages is None:
        return None
    params = {k: kwargs[k] for k in _PARAMS if kwargs.get(k) is not None}
    if not _params_plain(params):
        return None
    endpoint = _endpoint(kwargs.get("api_base"), kwargs.get("api_key"), env)
    if endpoint is None:
        return None
    url, headers = endpoint
    if stream:
        params["stream"] = True
    body: dict[str, Any] = {"model": model, "messages": messages}
    body.update((k, params[k]) for k in _BODY_ORDER if k in params)
    if not body.get("tools"):
        body.pop("tool_choice", None)
    try:
        return wire_call(
            url,
            headers,
            body,
            model=model,
            provider=_OPENAI,
            stream=stream,
            to_caller_url=bool(kwargs.get("api_base")),
        )
    except (TypeError, ValueError, RecursionError):
        return None  # a value JSON cannot carry: LiteLLM's path decides what to do with it


def _openai_model(model: Any, provider: Any) -> str | None:
    """The model name sent to provider `openai`, if the call goes there under a plain name."""
    if not isinstance(model, str) or provider not in (None, _OPENAI):
        return None
    if model.startswith(_PREFIX):
        model = model[len(_PREFIX) :]
    elif provider is None:
        return None  # LiteLLM infers the provider from the name
    if not _NAME.fullmatch(model) or _SPECIAL.search(model):
        return None
    return model


def _messages(messages: Any) -> list[dict[str, Any]] | None:
    """The messages as LiteLLM sends them (None fields left out), if all are plain text."""
    if not isinstance(messages, list) or not messages:
        return None
    out: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            return None
        kept = {k: v for k, v in message.items() if v is not None}
        role = kept.get("role")
        if not isinstance(role, str) or role not in _ROLES or not kept.keys() <= _MESSAGE_KEYS:
            return None
        if not _text(kept.get("content")) or not _list_of_dicts(kept.get("tool_calls", [])):
            return None
        out.append(kept)
    return out


def _text(content: Any) -> bool:
    if content is None or isinstance(content, str):
        return True
    return isinstance(content, list) and all(
        isinstance(part, dict)
        and part.keys() == {"type", "text"}
        and part["type"] == "text"
        and isinstance(part["text"], str)
        for part in content
    )


def _list_of_dicts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _params_plain(params: Mapping[str, Any]) -> bool:
    stop = params.get("stop")
    if isinstance(stop, list) and (
        len(stop) > _MAX_STOPS or not all(isinstance(s, str) for s in stop)
    ):
        return False
    if stop is not None and not isinstance(stop, (str, list)):
        return False
    tools = params.get("tools")
    if tools is not None and not (
        isinstance(tools, list) and tools and all(_function_tool(t) for t in tools)
    ):
        return False
    choice = params.get("tool_choice")
    if isinstance(choice, str):
        return choice in _TOOL_CHOICES
    return choice is None or _named_function(choice)


def _function_tool(tool: Any) -> bool:
    if not isinstance(tool, dict) or tool.keys() != {"type", "function"}:
        return False
    function = tool["function"]
    if tool["type"] != "function" or not isinstance(function, dict):
        return False
    if not function.keys() <= _FUNCTION_KEYS or not isinstance(function.get("name"), str):
        return False
    parameters = function.get("parameters")
    if parameters is None:
        return True
    return (
        isinstance(parameters, dict)
        and not parameters.keys() & _TOP_LEVEL_REWRITTEN
        and not _has_key(parameters, _SCHEMA_REWRITTEN)
    )


def _has_key(value: Any, names: frozenset[str]) -> bool:
    """Whether any dict within `value` has one of `names` as a key; True for a structure too
    large to be sure of (a cyclic one built in code)."""
    pending = [value]
    for _ in range(_MAX_SCHEMA_NODES):
        if not pending:
            return False
        item = pending.pop()
        if isinstance(item, dict):
            if item.keys() & names:
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _named_function(choice: Any) -> bool:
    return (
        isinstance(choice, dict)
        and choice.keys() == {"type", "function"}
        and choice["type"] == "function"
        and isinstance(choice["function"], dict)
        and choice["function"].keys() == {"name"}
        and isinstance(choice["function"]["name"], str)
    )


def _endpoint(
    api_base: Any, api_key: Any, env: Mapping[str, str]
) -> tuple[str, dict[str, str]] | None:
    """The URL and headers as LiteLLM builds them for provider `openai`; None when unsure."""
    if api_base is None:
        api_base = _env(env, "OPENAI_BASE_URL") or _env(env, "OPENAI_API_BASE") or _DEFAULT_BASE
    key = api_key or _env(env, "OPENAI_API_KEY")
    if not isinstance(api_base, str) or not isinstance(key, str) or not key:
        return None  # no key: LiteLLM's path reports it
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return None
    base = api_base.rstrip("/")
    url = base if _ENDPOINT in base else f"{base}/{_ENDPOINT}"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    organization = _env(env, "OPENAI_ORGANIZATION")
    if organization:
        headers[ORGANIZATION_HEADER] = organization
    return url, headers


def _env(env: Mapping[str, str], name: str) -> str | None:
    """A variable as LiteLLM reads it (`get_secret_str`): "true" / "false" count as unset."""
    value = env.get(name)
    if value is None or value.strip().lower() in ("true", "false"):
        return None
    return value
