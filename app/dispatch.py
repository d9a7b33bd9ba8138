"""The innermost step: calls the handler registered for the routed operationId.

The gate (``app.gate``) has already routed, authenticated and validated the request; this only
builds the ``Call``, runs the handler, checks what it answers against the spec and sends it.
Operations of the spec without a handler answer 501.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.auth import STATE_KEY
from app.call import Call
from app.checks import OperationChecks
from app.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    NotImplementedOperation,
    to_api_error,
)
from app.headers import RequestHeaders
from app.json_out import json_bytes
from app.operations import OperationInfo, query_values
from app.uploads import FORM_KEY
from app.validation import BODY_KEY, NonConformingResponse
from handlers.registry import Handler

logger = logging.getLogger("assistants.dispatch")
_JSON = "application/json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_bytes(body), status, headers, media_type=_JSON)


def error_response(error: ApiError) -> Response:
    return Response(error.body(), error.status, error.headers, media_type=_JSON)


class Dispatcher:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers

    async def serve(
        self,
        info: OperationInfo,
        checks: OperationChecks | None,
        token_info: dict[str, Any],
        headers: RequestHeaders,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Answer a routed, validated request; `checks` validate the answer (None: do not)."""
        handler = self.handlers.get(info.operation_id)
        if handler is None:
            error = NotImplementedOperation(
                f"The operation {info.operation_id} is not implemented by this server."
            )
            await error_response(error)(scope, receive, send)
            return
        extensions = scope["extensions"]
        request = Request(scope, receive)
        call = Call(
            operation_id=info.operation_id,
            request=request,
            headers=headers,
            state=scope[STATE_KEY],
            tenant=token_info.get("sub", ""),
            path=scope["path_params"],
            query=query_values(info, request.query_params.getlist) if info.query else {},
            body=extensions.get(BODY_KEY),
            server_key=bool(token_info.get("server_key")),
        )
        try:
            response = await self._respond(handler, call, checks)
        finally:
            form = extensions.pop(FORM_KEY, None)
            if form is not None:
                await form.close()
        await response(scope, receive, send)

    async def _respond(
        self, handler: Handler, call: Call, checks: OperationChecks | None
    ) -> Response:
        try:
            result = await handler(call)
        except Exception as exc:  # every failure leaves as OpenAI's error envelope
            return _checked(error_response(to_api_error(exc)), checks)
        if isinstance(result, Response):
            return _checked(result, checks)
        body, status = result if isinstance(result, tuple) else (result, 200)
        if checks is not None:
            try:
                validator = checks.check_response(status, _JSON)
                if validator is not None:
                    validator.validate(body)
            except NonConformingResponse as exc:
                return _nonconforming(exc, checks)
        return json_response(body, status)


def _checked(response: Response, checks: OperationChecks | None) -> Response:
    """`response`, or a 500 when it breaks the spec (its JSON body is parsed only when the
    spec has a schema for it: error answers mostly)."""
    if checks is None:
        return response
    try:
        content_type = response.headers.get("content-type")
        validator = checks.check_response(response.status_code, content_type)
        body = getattr(response, "body", None)
        if validator is not None and body is not None:
            validator.validate(json.loads(body) if body else None)
    except NonConformingResponse as exc:
        return _nonconforming(exc, checks)
    return response


def _nonconforming(exc: NonConformingResponse, checks: OperationChecks) -> Response:
    logger.error("%s: %s", checks.operation_id, exc)
    return error_response(InternalError("The server had an error while processing your request."))


def unrouted_error(method: str, path: str, allowed: frozenset[str]) -> ApiError:
    """404 for a path outside the spec, 405 (with `Allow`) for a known path and another method."""
    if allowed:
        return MethodNotAllowed(
            f"Method {method} is not allowed for {path}.",
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    return NotFound(f"Invalid URL ({method} {path})", code="unknown_url")
