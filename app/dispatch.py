"""The innermost ASGI app: calls the handler registered for the routed operationId.

Connexion's middlewares have already routed, authenticated and validated the request; this only
builds the ``Call``, runs the handler and turns what it returns into a response. Operations of the
spec without a handler answer 501; paths outside the spec 404, known paths with another method 405.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.auth import STATE_KEY
from app.call import Call
from app.errors import ApiError, MethodNotAllowed, NotFound, NotImplementedOperation, to_api_error
from app.json_out import json_bytes
from app.operations import query_values
from app.state import AppState
from app.uploads import FORM_KEY
from app.validation import BODY_KEY
from handlers.registry import Handler

ROUTING_KEY = "connexion_routing"
OPERATION_KEY = "assistants.operation_id"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_bytes(body), status, headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    return Response(error.body(), error.status, error.headers, media_type="application/json")


def unrouted_error(state: AppState, method: str, path: str) -> ApiError:
    allowed = state.operations.allowed_methods(path)
    if allowed and method not in allowed:
        return MethodNotAllowed(
            f"Method {method} is not allowed for {path}.",
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    return NotFound(f"Invalid URL ({method} {path})", code="unknown_url")


def to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        body, status = result
        return json_response(body, status)
    return json_response(result)


class Dispatcher:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        extensions = scope.setdefault("extensions", {})
        operation_id = extensions.get(ROUTING_KEY, {}).get("operation_id")
        state: AppState = scope[STATE_KEY]
        if operation_id is None:
            error = unrouted_error(state, scope["method"], scope["path"])
            await error_response(error)(scope, receive, send)
            return
        extensions[OPERATION_KEY] = operation_id
        handler = self.handlers.get(operation_id)
        if handler is None:
            error = NotImplementedOperation(
                f"The operation {operation_id} is not implemented by this server."
            )
            await error_response(error)(scope, receive, send)
            return
        response = await self._run(handler, operation_id, state, scope, receive)
        await response(scope, receive, send)

    async def _run(
        self, handler: Handler, operation_id: str, state: AppState, scope: Scope, receive: Receive
    ) -> Response:
        extensions = scope["extensions"]
        token_info = extensions.get("connexion_context", {}).get("token_info") or {}
        request = Request(scope, receive)
        info = state.operations.by_id[operation_id]
        call = Call(
            operation_id=operation_id,
            request=request,
            state=state,
            tenant=token_info.get("sub", ""),
            path=dict(scope.get("path_params", {})),
            query=query_values(info, request.query_params.getlist),
            body=extensions.get(BODY_KEY),
            server_key=bool(token_info.get("server_key")),
        )
        try:
            return to_response(await handler(call))
        except Exception as exc:  # every failure leaves as OpenAI's error envelope
            return error_response(to_api_error(exc))
        finally:
            form = extensions.pop(FORM_KEY, None)
            if form is not None:
                await form.close()
