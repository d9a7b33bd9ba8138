"""Handlers declare the operationId they serve next to the function: ``@operation("getThing")``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.call import Call

Handler = Callable[["Call"], Awaitable[Any]]

_HANDLERS: dict[str, Handler] = {}


def operation(operation_id: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if operation_id in _HANDLERS and _HANDLERS[operation_id] is not handler:
            raise RuntimeError(f"two handlers for {operation_id}")
        _HANDLERS[operation_id] = handler
        return handler

    return register


def handlers() -> dict[str, Handler]:
    """Every registered handler, after importing all handler modules."""
    import handlers as package

    package.load_all()
    return dict(_HANDLERS)
