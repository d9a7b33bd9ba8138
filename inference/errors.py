"""The inference package's own errors: what went wrong with a provider, never an HTTP exception.

Each class carries the HTTP status, OpenAI error `type` and `code` that the server's one error
translator uses, and a message that is safe to show the client (provider keys are scrubbed out
before an error is built).
"""

from __future__ import annotations

from typing import ClassVar


class InferenceError(Exception):
    """Base of every provider failure; `status`, `type`, `code` follow OpenAI's envelope."""

    status: ClassVar[int] = 502
    type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, param={self.param!r}, code={self.code!r})"


class ProviderAuthError(InferenceError):
    """The provider rejected the credentials (or none were given)."""

    status = 401
    type = "invalid_request_error"
    default_code = "invalid_api_key"


class ProviderPermissionDenied(ProviderAuthError):
    """The credentials are valid but not allowed to do this."""

    status = 403
    type = "invalid_request_error"
    default_code = "permission_denied"


class ModelNotFound(InferenceError):
    """No provider serves this model name (or the provider says it does not exist)."""

    status = 404
    type = "invalid_request_error"
    default_code = "model_not_found"

    def __init__(
        self, message: str, *, param: str | None = "model", code: str | None = None
    ) -> None:
        super().__init__(message, param=param, code=code)


class RateLimited(InferenceError):
    """The provider asked us to slow down; `retry_after` is its hint in seconds, if any."""

    status = 429
    type = "requests"
    default_code = "rate_limit_exceeded"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.retry_after = retry_after


class QuotaExceeded(InferenceError):
    """The account is out of credit or quota: retrying will not help."""

    status = 429
    type = "insufficient_quota"
    default_code = "insufficient_quota"


class ContextLengthExceeded(InferenceError):
    """The messages (plus the requested completion) do not fit the model's context window."""

    status = 400
    type = "invalid_request_error"
    default_code = "context_length_exceeded"

    def __init__(
        self, message: str, *, param: str | None = "messages", code: str | None = None
    ) -> None:
        super().__init__(message, param=param, code=code)


class BadProviderRequest(InferenceError):
    """The provider refused the request's content or parameters (`param` names one if known)."""

    status = 400
    type = "invalid_request_error"


class ProviderUnavailable(InferenceError):
    """The provider failed (5xx), could not be reached, or broke off a stream."""

    status = 502
    type = "server_error"
    default_code = "upstream_error"
    retryable = True


class ProviderTimeout(InferenceError):
    """The provider did not answer within the configured timeout."""

    status = 504
    type = "server_error"
    default_code = "upstream_timeout"


class DestinationRefused(InferenceError):
    """The operator's outbound policy refuses the provider address a caller chose (`outbound`)."""

    status = 400
    type = "invalid_request_error"
    default_code = "outbound_refused"
