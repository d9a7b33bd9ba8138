"""A request's headers, read once by the gate and handed to the handler's ``Call``."""

from __future__ import annotations

from starlette.datastructures import Headers


class RequestHeaders(Headers):
    """Starlette's headers, whose ``get`` finds a missing name without raising ``KeyError``.

    ``Mapping.get`` catches the ``KeyError`` of ``__getitem__``, and most lookups on the request
    path are for headers a request does not send (``astra-api-token``, ``astra-db-id``).
    """

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = self.getlist(key)
        return found[0] if found else default
