"""The one translator: every error kind leaves as OpenAI's envelope with the right status."""

from __future__ import annotations

import pytest

from app.errors import to_api_error
from assistants.errors import ConflictError, InvalidInput, NotFoundError
from inference.errors import ContextLengthExceeded, ProviderTimeout, RateLimited
from storage.errors import DatabaseNotReady, StorageUnavailable, TenantAuthError

SERVER, INVALID = "server_error", "invalid_request_error"


@pytest.mark.parametrize(
    ("error", "status", "kind", "code"),
    [
        (StorageUnavailable("no answer", retry_after=2), 503, SERVER, "service_unavailable"),
        (DatabaseNotReady("resuming", retry_after=30), 503, SERVER, "service_unavailable"),
        (TenantAuthError("token refused"), 401, INVALID, "invalid_api_key"),
        (NotFoundError.of("thread", "thread_x"), 404, INVALID, None),
        (InvalidInput("bad", param="limit"), 400, INVALID, None),
        (ConflictError("busy"), 400, INVALID, None),
        (RateLimited("slow down", retry_after=3), 429, "requests", "rate_limit_exceeded"),
        (ContextLengthExceeded("too long"), 400, INVALID, "context_length_exceeded"),
        (ProviderTimeout("late"), 504, SERVER, "upstream_timeout"),
        (RuntimeError("boom at /secret/path"), 500, SERVER, None),
    ],
)
def test_translation(error, status, kind, code):
    api_error = to_api_error(error)
    envelope = api_error.envelope()["error"]
    assert api_error.status == status
    assert envelope["type"] == kind and envelope["code"] == code
    assert set(envelope) == {"message", "type", "param", "code"}
    if isinstance(error, (StorageUnavailable, RateLimited)):
        assert int(api_error.headers["Retry-After"]) >= 1
    if isinstance(error, RuntimeError):
        assert "/secret/path" not in envelope["message"]
