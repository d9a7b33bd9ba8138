"""The domain's own errors; the HTTP layer maps them to OpenAI's envelope."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


class NotFoundError(DomainError):
    """No such object for this tenant (another tenant's object is reported the same way)."""

    @classmethod
    def of(cls, kind: str, object_id: str, param: str | None = None) -> NotFoundError:
        return cls(f"No {kind} found with id '{object_id}'.", param=param)


class InvalidInput(DomainError):
    """The request is well-formed but not acceptable (limits, states, references)."""


class ConflictError(DomainError):
    """The object is in a state that does not allow the operation."""
