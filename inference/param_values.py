"""`LLM-PARAM-<name>` / `EMBEDDING-PARAM-<name>` headers as LiteLLM arguments: names and types."""

from __future__ import annotations

import json
import re
from typing import Any

_INT = re.compile(r"[-+]?\d+")
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")
# Not every name with "key" or "token" in it is a secret: `prompt_cache_key`, `max_tokens`.
_SECRET_NAME = re.compile(
    r"api_key|access_key|private_key|secret|password|passphrase|credential|(?:^|_)token$"
)

# Parameters LiteLLM expects as strings even when they look like numbers (e.g. api_version "2024").
STRING_PARAMS = frozenset(
    {
        "api_base",
        "api_version",
        "aws_region_name",
        "aws_profile_name",
        "aws_role_name",
        "aws_session_name",
        "aws_bedrock_runtime_endpoint",
        "custom_llm_provider",
        "deployment_id",
        "organization",
        "project",
        "region_name",
        "user",
        "vertex_location",
        "vertex_project",
    }
)

# Names that would let a caller steer the server rather than the provider call: its retries and
# timeouts, LiteLLM's callbacks, mocks and costs, or the fields the server sets from the body.
DENIED_PARAMS = frozenset(
    {
        "callbacks",
        "success_callback",
        "failure_callback",
        "logger_fn",
        "client",
        "shared_session",
        "mock_response",
        "mock_tool_calls",
        "mock_timeout",
        "mock_delay",
        "num_retries",
        "max_retries",
        "timeout",
        "stream_timeout",
        "cache",
        "caching",
        "input_cost_per_token",
        "output_cost_per_token",
        "model",
        "messages",
        "input",
        "stream",
        "encoding_format",  # vectors stay floats here; the HTTP layer encodes them
        "fallbacks",
        "context_window_fallback_dict",
    }
)

_ALIASES = {"base_url": "api_base"}


def param_name(raw: str) -> str:
    """`Max-Tokens` -> `max_tokens`; `base_url` -> `api_base` (LiteLLM's name for it)."""
    name = raw.strip().lower().replace("-", "_")
    return _ALIASES.get(name, name)


def is_denied(name: str) -> bool:
    return name in DENIED_PARAMS or name.startswith("litellm_") or not name


def is_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def typed_value(name: str, raw: str) -> Any:
    """The value LiteLLM expects: bools, null, numbers and JSON parsed where they look like it."""
    if name in STRING_PARAMS or is_secret(name):
        return raw
    text = raw.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text[:1] in ("{", "[", '"'):
        try:
            return json.loads(text)
        except ValueError:
            return raw
    return raw
