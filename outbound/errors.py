"""The one error of the outbound policy: a destination it refuses."""

from __future__ import annotations

from typing import ClassVar

SHOWN_HOST_CHARS = 80
"""A refused host is quoted up to this many characters (a caller chose it; it may be long)."""


class OutboundRefused(Exception):
    """The operator's outbound policy refuses a destination; nothing was sent to it.

    `status`, `type` and `code` are what the server answers (OpenAI's envelope). The message names
    the host and the reason, never a URL (its path, query or user info may hold a secret) nor the
    address it resolved to.
    """

    status: ClassVar[int] = 400
    type: ClassVar[str] = "invalid_request_error"
    code: ClassVar[str] = "outbound_refused"

    def __init__(self, host: str, reason: str, *, allowable: bool = True) -> None:
        shown = host if len(host) <= SHOWN_HOST_CHARS else host[:SHOWN_HOST_CHARS] + "..."
        self.host = host
        self.reason = reason
        hint = " The operator can allow it with ASSISTANTS_OUTBOUND_ALLOW." if allowable else ""
        self.message = (
            f"The server's outbound policy refuses connections to {shown!r} ({reason}).{hint}"
        )
        super().__init__(self.message)
