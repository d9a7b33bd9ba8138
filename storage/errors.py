"""Storage's own errors. The HTTP layer maps them; storage never raises HTTP errors."""

from __future__ import annotations


class StorageError(Exception):
    """Base class. ``str(error)`` is safe to show to a client (no secrets, no driver traces)."""


class StorageUnavailable(StorageError):
    """The database is down, overloaded or timed out; the request may be retried later."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WriteOutcomeUnknown(StorageUnavailable):
    """A conditional write may or may not have been applied (its answer was lost or timed out)."""


class VersionConflict(StorageError):
    """A compare-and-set write found another version than expected."""


class BlobNotFound(StorageError):
    """No bytes are stored under that blob id."""


class TenantAuthError(StorageError):
    """The tenant credential was refused by the database service (astra mode)."""


class DatabaseNotReady(StorageUnavailable):
    """The tenant's database exists but is hibernated, resuming or being created."""
