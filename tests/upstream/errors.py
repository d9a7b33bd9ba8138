"""OpenAI-shaped error responses for the faults the upstream can inject."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from tests.upstream.faults import Faults

_STATUS = {
    "401": 401,
    "404": 404,
    "429": 429,
    "400": 400,
    "context": 400,
    "500": 500,
    "502": 502,
    "503": 503,
}


def error_body(
    message: str, type_: str, code: str | None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def fault_response(
    fail: str, faults: Faults, model: str, api_key: str | None
) -> JSONResponse | None:
    """The error response a `fail` kind asks for, or None when it is not an up-front failure."""
    status = _STATUS.get(fail) or (int(fail) if fail.isdigit() else None)
    if status is None:
        return None
    headers: dict[str, str] = {}
    if fail == "401":
        # Quotes the whole key (OpenAI masks most of it) so tests can prove the server scrubs it.
        body = error_body(
            f"Incorrect API key provided: {api_key}.", "invalid_request_error", "invalid_api_key"
        )
    elif fail == "404":
        body = error_body(
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )
    elif fail == "429":
        headers["retry-after"] = faults.retry_after
        body = error_body(
            f"Rate limit reached for {model}. Please try again in {faults.retry_after}s.",
            "requests",
            "rate_limit_exceeded",
        )
    elif fail == "context":
        body = error_body(
            "This model's maximum context length is 128 tokens. However, your messages "
            "resulted in 4096 tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            "context_length_exceeded",
            "messages",
        )
    elif status == 400:
        body = error_body(
            "Invalid value for 'messages': injected bad request.",
            "invalid_request_error",
            None,
            "messages",
        )
    else:
        body = error_body(f"The upstream had an injected error ({status}).", "server_error", None)
    return JSONResponse(body, status_code=status, headers=headers)
