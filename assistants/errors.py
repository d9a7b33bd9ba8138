"""The domain's own errors; the HTTP layer maps them to OpenAI's envelope."""

from __future__ import annotations

QUOTE_LIMIT = 100


def clipped(text: str, limit: int = QUOTE_LIMIT) -> str:
    """At most ``limit`` characters of ``text``, so no error echoes a whole oversized value."""
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as an error message quotes it: its repr, clipped."""
    return clipped(repr(value), limit)


def clipped_schema_message(message: str, instance: object) -> str:
    """A jsonschema message, which starts with the whole offending value, with it quoted short."""
    whole = repr(instance)
    if message.startswith(whole):
        return quoted(instance) + message[len(whole) :]
    return clipped(message, 300)


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
        return cls(f"No {kind} found with id '{clipped(object_id)}'.", param=param)


class InvalidInput(DomainError):
    """The request is well-formed but not acceptable (limits, states, references)."""


class ConflictError(DomainError):
    """The object is in a state that does not allow the operation."""
