"""Provider failures as `inference.errors`, with keys scrubbed out.

LiteLLM's (and the OpenAI SDK's) exceptions go through `map_exception`; the direct relay's HTTP
error answers through `from_response` and errors sent inside a stream through `from_stream_error`.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from inference.errors import (
    BadProviderRequest,
    ContextLengthExceeded,
    InferenceError,
    ModelNotFound,
    ProviderAuthError,
    ProviderPermissionDenied,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from inference.redact import scrub

# LiteLLM prefixes provider messages with its own labels, e.g.
# "litellm.AuthenticationError: AuthenticationError: OpenAIException - <provider message>".
_LABEL = re.compile(r"^\s*(?:litellm\.\w+:\s*|\w*(?:Error|Exception)(?::|\s+-)\s*)")
_TAILS = (
    " Original exception:",
    " Received Model Group",
    " LiteLLM Retried:",
    ", LiteLLM Max Retries",
)
_UNKNOWN_PROVIDER = "LLM Provider NOT provided"
_MAX_TEXT = 1000  # characters of a non-JSON error body quoted back
_QUOTA = re.compile(r"insufficient_quota|exceeded your current quota", re.IGNORECASE)
# The OpenAI SDK's "no key" error reaches us from LiteLLM as a 500.
_NO_KEY = re.compile(r"missing credentials|api_key client option must be set", re.IGNORECASE)


def map_exception(
    exc: BaseException, *, model: str, timeout: float, secrets: Iterable[str]
) -> InferenceError | None:
    """The `InferenceError` for a provider failure; None when `exc` is not one (it is a bug)."""
    if isinstance(exc, InferenceError):
        return exc
    # Imported here so that importing this module stays cheap; LiteLLM is loaded by then.
    import httpx
    import openai
    from litellm import exceptions as lx

    secret_list = list(secrets)
    message = _clean(str(getattr(exc, "message", "") or exc), secret_list)
    if isinstance(exc, (openai.APITimeoutError, TimeoutError, httpx.TimeoutException)):
        return ProviderTimeout(f"The provider did not answer within {timeout:g} seconds.")
    if isinstance(exc, lx.ContextWindowExceededError):
        return ContextLengthExceeded(message or "The messages exceed the model's context window.")
    if isinstance(exc, lx.LiteLLMUnknownProvider) or _UNKNOWN_PROVIDER in str(exc):
        return ModelNotFound(
            f"The model `{model}` is not served by any known provider: prefix it with a provider "
            "(e.g. `anthropic/...`), or send a `custom-llm-provider` or `base-url` header."
        )
    if isinstance(exc, lx.ContentPolicyViolationError):
        return BadProviderRequest(
            message or "The provider refused the content.", code="content_policy_violation"
        )
    if isinstance(exc, lx.UnsupportedParamsError):
        return BadProviderRequest(
            message or "A parameter is not supported.", code="unsupported_parameter"
        )
    if _NO_KEY.search(message):
        return ProviderAuthError(
            "No API key for this provider: send one (bearer, `api-key` or `LLM-PARAM-api-key`) "
            "or configure it in the server's environment."
        )
    if isinstance(exc, lx.PaymentRequiredError):
        return QuotaExceeded(message or "The provider account is out of credit.")
    if isinstance(exc, openai.APIStatusError):
        return _by_status(exc, message)
    if isinstance(exc, (openai.APIError, httpx.TransportError, ConnectionError)):
        return ProviderUnavailable(message or "The provider could not be reached.")
    return None


def _by_status(exc: Any, message: str) -> InferenceError:
    body = exc.body if isinstance(getattr(exc, "body", None), dict) else {}
    if not body and message.startswith("{"):
        # LiteLLM quotes some providers' error bodies (Anthropic's) as the message.
        body, message = _quoted_body(message)
    response = getattr(exc, "response", None)
    headers = (
        getattr(exc, "litellm_response_headers", None)
        or getattr(response, "headers", None)
        or getattr(exc, "headers", None)
        or {}
    )
    return by_status(int(getattr(exc, "status_code", 0) or 0), body, message, headers)


def _quoted_body(message: str) -> tuple[dict[str, Any], str]:
    try:
        body = json.loads(message)
    except ValueError:
        return {}, message
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return {}, message
    return body, error["message"]


def from_response(
    status: int, content: bytes, headers: Mapping[str, str], secrets: Iterable[str]
) -> InferenceError:
    """The `InferenceError` for a provider's HTTP error answer (OpenAI's error body or not)."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    text = error.get("message") if isinstance(error, dict) else error
    if not isinstance(text, str) or not text:
        text = body.get("message") if isinstance(body.get("message"), str) else ""
    if not text:
        text = content[:_MAX_TEXT].decode(errors="replace").strip()
    return by_status(status, body, _clean(text, list(secrets)), headers)


def from_stream_error(payload: Any, secrets: Iterable[str]) -> InferenceError:
    """The error a provider sent as an event of an already open stream."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        # vLLM and others put the fields at the top: {"object": "error", "message": ...}
        error = payload if isinstance(payload, dict) and payload.get("object") == "error" else {}
    message = _clean(str(error.get("message") or "The provider failed mid-stream."), list(secrets))
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if code == "context_length_exceeded":
        return ContextLengthExceeded(message)
    return ProviderUnavailable(message)


def by_status(
    status: int, body: Mapping[str, Any], message: str, headers: Mapping[str, str]
) -> InferenceError:
    """The error for an HTTP status and OpenAI-style error body; `message` is already clean."""
    nested = body.get("error")
    error: Mapping[str, Any] = nested if isinstance(nested, dict) else body
    param = error.get("param") if isinstance(error.get("param"), str) else None
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if status == 401:
        return ProviderAuthError(message or "The provider rejected the API key.")
    if status == 403:
        return ProviderPermissionDenied(message or "The provider denied access.")
    if status == 404:
        return ModelNotFound(message or "The provider does not know this model.")
    if status == 408:
        return ProviderTimeout(message or "The provider timed out.")
    if status == 402 or (
        status == 429 and (code == "insufficient_quota" or _QUOTA.search(message))
    ):
        return QuotaExceeded(message or "The provider account is out of quota.")
    if status == 429:
        return RateLimited(
            message or "The provider rate-limited the request.", retry_after=_retry_after(headers)
        )
    if code == "context_length_exceeded":
        return ContextLengthExceeded(message, param=param or "messages")
    if 400 <= status < 500:
        return BadProviderRequest(
            message or "The provider rejected the request.", param=param, code=code
        )
    return ProviderUnavailable(message or f"The provider failed ({status}).")


def _clean(message: str, secrets: list[str]) -> str:
    previous = None
    while previous != message:
        previous, message = message, _LABEL.sub("", message, count=1)
    for tail in _TAILS:
        message = message.split(tail, 1)[0]
    return scrub(message.strip(), secrets)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from the response's `retry-after-ms` or `retry-after` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(email.utils.mktime_tz(parsed) - time.time(), 0.0) if parsed else None
