"""The request path between the edge and the handlers: route, authenticate, validate, dispatch.

One pass over the request: the operation table finds the operation (``app.operations``), the
operation's compiled checks (``app.checks``, built on its first request) authenticate the caller
and validate parameters and body, and the dispatcher runs the handler and checks its answer.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.types import Receive, Scope, Send

from app.auth import bearer_info
from app.checks import OperationChecks
from app.dispatch import Dispatcher, error_response, unrouted_error
from app.errors import Unauthorized, to_api_error
from app.headers import RequestHeaders
from app.operations import OperationInfo, OperationTable
from app.schemas import SpecSchemas

OPERATION_KEY = "assistants.operation_id"
NO_CREDENTIALS = (
    "You didn't provide a valid API key. Provide it in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


class _Caller:
    """What the bearer-info function reads of a request."""

    __slots__ = ("headers", "scope")

    def __init__(self, scope: Scope, headers: RequestHeaders) -> None:
        self.scope = scope
        self.headers = headers


class Gate:
    def __init__(
        self,
        dispatcher: Dispatcher,
        table: OperationTable,
        spec: dict[str, Any],
        *,
        validate_responses: bool,
    ) -> None:
        self.dispatcher = dispatcher
        self.table = table
        self.validate_responses = validate_responses
        self._schemas = SpecSchemas(spec)
        self._security: list[Any] = spec.get("security", [])
        self._checks: dict[str, OperationChecks] = {}

    def checks(self, info: OperationInfo) -> OperationChecks:
        """The operation's compiled checks (compiled now if this is its first request)."""
        checks = self._checks.get(info.operation_id)
        if checks is None:
            checks = OperationChecks(info, self._schemas, self._security)
            self._checks[info.operation_id] = checks
        return checks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routed = self.table.route(scope["method"], scope["path"])
        info = routed.info
        if info is None:
            path = scope["path"]
            if path.endswith("/") and len(path) > 1 and self.table.knows(path[:-1]):
                # As Starlette's router did: a trailing slash redirects to the path without it.
                url = URL(scope=scope).replace(path=path.rstrip("/"))
                await RedirectResponse(str(url), 307)(scope, receive, send)
                return
            error = unrouted_error(scope["method"], path, routed.allowed)
            await error_response(error)(scope, receive, send)
            return
        scope["extensions"][OPERATION_KEY] = info.operation_id
        scope["path_params"] = routed.params
        headers = RequestHeaders(scope=scope)
        try:
            checks = self.checks(info)
            token_info = _authenticate(scope, headers) if checks.secured else {}
            receive = await checks.check_request(
                scope, receive, routed.params, headers.get("content-type")
            )
        except Exception as exc:  # a refused request leaves as OpenAI's error envelope
            await error_response(to_api_error(exc))(scope, receive, send)
            return
        await self.dispatcher.serve(
            info,
            checks if self.validate_responses else None,
            token_info,
            headers,
            scope,
            receive,
            send,
        )


def _authenticate(scope: Scope, headers: RequestHeaders) -> dict[str, Any]:
    """The token info of the request's bearer credential; 401 without a valid one."""
    parts = (headers.get("authorization") or "").split(maxsplit=1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise Unauthorized(NO_CREDENTIALS)
    info = bearer_info(parts[1], _Caller(scope, headers))
    if info is None:
        raise Unauthorized(NO_CREDENTIALS)
    return info
