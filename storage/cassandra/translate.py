"""Map cassandra-driver exceptions to ``storage.errors``.

The messages are written for clients: no driver traces, hosts or credentials. The driver's own
text goes to the server log only (at warning level, without a stack trace for the expected
"database is down" family).
"""

from __future__ import annotations

import logging

from cassandra import (
    AuthenticationFailed,
    CoordinationFailure,
    DriverException,
    OperationTimedOut,
    ReadTimeout,
    RequestExecutionException,
    RequestValidationException,
    Unauthorized,
    Unavailable,
    WriteTimeout,
)
from cassandra.cluster import NoHostAvailable
from cassandra.connection import ConnectionException
from cassandra.protocol import ErrorMessage

from storage.errors import StorageError, StorageUnavailable, TenantAuthError

log = logging.getLogger(__name__)

# How long a client should wait before retrying when the database is down or overloaded.
RETRY_AFTER_SECONDS = 5
# CAS_WRITE_UNKNOWN (protocol v5): an LWT's proposal reached some replicas but not a quorum (lost
# to a concurrent proposal, or replicas went away); the driver 3.x has no class for it.
CAS_WRITE_UNKNOWN = 0x1700


def translate(exc: BaseException, *, tenant_auth: bool = False) -> StorageError:
    """The storage error for a driver exception.

    ``tenant_auth``: refused credentials are the tenant's (astra mode: 401) rather than the
    operator's configuration (cassandra mode: a server error).
    """
    if isinstance(exc, StorageError):
        return exc
    if _is_auth_failure(exc):
        log.warning("database refused the credentials: %s", type(exc).__name__)
        if tenant_auth:
            return TenantAuthError("the database refused the astra-api-token")
        return StorageError("the database refused the configured credentials")
    if isinstance(exc, NoHostAvailable):
        log.warning("no database host available: %s", _short(exc))
        return StorageUnavailable(
            "the database is unreachable; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, (OperationTimedOut, ReadTimeout, WriteTimeout)):
        log.warning("database request timed out: %s", _short(exc))
        return StorageUnavailable(
            "the database did not answer in time; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, Unavailable):
        log.warning("not enough replicas: %s", _short(exc))
        return StorageUnavailable(
            "not enough database replicas are up; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, ErrorMessage) and exc.code == CAS_WRITE_UNKNOWN:
        log.warning("conditional write outcome unknown: %s", _short(exc))
        return StorageUnavailable(
            "the database could not confirm a write; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, (CoordinationFailure, ConnectionException)):
        log.warning("database request failed: %s", _short(exc))
        return StorageUnavailable(
            "the database failed the request; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, RequestValidationException):
        # A statement the server rejects is a bug (or a schema out of date), not an outage.
        log.error("database rejected a statement: %s", _short(exc))
        return StorageError("the database rejected a request")
    if isinstance(exc, (RequestExecutionException, DriverException)):
        log.warning("database error: %s", _short(exc))
        return StorageUnavailable(
            "the database failed the request; retry later", retry_after=RETRY_AFTER_SECONDS
        )
    log.error("unexpected error from the database driver: %s", _short(exc))
    return StorageError("unexpected database error")


def _is_auth_failure(exc: BaseException) -> bool:
    if isinstance(exc, (AuthenticationFailed, Unauthorized)):
        return True
    if isinstance(exc, NoHostAvailable):
        errors = getattr(exc, "errors", None) or {}
        return bool(errors) and all(
            isinstance(e, (AuthenticationFailed, Unauthorized)) for e in errors.values()
        )
    return False


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:500] + "..."
