"""OpenAI's error envelope, and the one translator from any exception to it.

``{"error": {"message", "type", "param", "code"}}`` with the status codes OpenAI uses. Storage and
inference raise their own errors; ``to_api_error`` maps them here, walking the exception's MRO.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from assistants import errors as domain_errors
from assistants.errors import clipped
from inference import errors as inference_errors
from outbound import OutboundRefused
from storage import errors as storage_errors

logger = logging.getLogger("assistants.errors")

# Messages quote values clipped already; this bounds whatever else an error may carry.
MAX_MESSAGE = 4096
MAX_PARAM = 256


class ApiError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        message = clipped(message, MAX_MESSAGE)
        super().__init__(message)
        self.message = message
        self.param = None if param is None else clipped(param, MAX_PARAM)
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})

    def envelope(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def body(self) -> bytes:
        return json.dumps(self.envelope()).encode()


class InvalidRequest(ApiError):
    status = 400
    type = "invalid_request_error"


class Unauthorized(ApiError):
    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class NotFound(ApiError):
    status = 404
    type = "invalid_request_error"


class MethodNotAllowed(ApiError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    type = "invalid_request_error"
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class RateLimited(ApiError):
    status = 429
    type = "requests"
    code = "rate_limit_exceeded"


class InternalError(ApiError):
    status = 500
    type = "server_error"


class NotImplementedOperation(ApiError):
    status = 501
    type = "invalid_request_error"
    code = "not_implemented"


class BadGateway(ApiError):
    status = 502
    type = "server_error"
    code = "upstream_error"


class ServiceUnavailable(ApiError):
    status = 503
    type = "server_error"
    code = "service_unavailable"


class GatewayTimeout(ApiError):
    status = 504
    type = "server_error"
    code = "upstream_timeout"


def _retry_headers(seconds: float | int | None) -> dict[str, str]:
    return {"Retry-After": str(max(1, round(seconds)))} if seconds else {}


def _storage_unavailable(exc: storage_errors.StorageUnavailable) -> ApiError:
    return ServiceUnavailable(str(exc), headers=_retry_headers(exc.retry_after or 1))


def _tenant_auth(exc: storage_errors.TenantAuthError) -> ApiError:
    return Unauthorized(str(exc) or "The database refused the tenant's token.")


def _version_conflict(exc: storage_errors.VersionConflict) -> ApiError:
    return Conflict(str(exc) or "The object was changed concurrently; retry the request.")


def _blob_missing(exc: storage_errors.BlobNotFound) -> ApiError:
    return NotFound(str(exc) or "No content is stored for that file.")


def _domain(kind: type[ApiError]) -> Callable[[domain_errors.DomainError], ApiError]:
    def translate(exc: domain_errors.DomainError) -> ApiError:
        return kind(exc.message, param=exc.param, code=exc.code)

    return translate


def _inference(exc: inference_errors.InferenceError) -> ApiError:
    error = ApiError(exc.message, param=exc.param, code=exc.code)
    error.status, error.type = exc.status, exc.type
    if isinstance(exc, inference_errors.RateLimited) and exc.retry_after:
        error.headers.update(_retry_headers(exc.retry_after))
    return error


def _outbound_refused(exc: OutboundRefused) -> ApiError:
    return InvalidRequest(exc.message, code=exc.code)


_TRANSLATORS: dict[type, Callable[[Any], ApiError]] = {
    inference_errors.InferenceError: _inference,
    OutboundRefused: _outbound_refused,
    domain_errors.NotFoundError: _domain(NotFound),
    domain_errors.InvalidInput: _domain(InvalidRequest),
    domain_errors.ConflictError: _domain(InvalidRequest),
    storage_errors.StorageUnavailable: _storage_unavailable,
    storage_errors.TenantAuthError: _tenant_auth,
    storage_errors.VersionConflict: _version_conflict,
    storage_errors.BlobNotFound: _blob_missing,
}


def register(kind: type, translate: Callable[[Any], ApiError]) -> None:
    _TRANSLATORS[kind] = translate


def to_api_error(exc: BaseException) -> ApiError:
    """The ApiError to answer for ``exc``; unknown exceptions become a logged 500."""
    if isinstance(exc, ApiError):
        return exc
    for kind in type(exc).__mro__:
        translate = _TRANSLATORS.get(kind)
        if translate is not None:
            return translate(exc)
    logger.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
    return InternalError("The server had an error while processing your request.")
