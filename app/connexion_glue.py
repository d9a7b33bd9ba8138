"""Connexion 3.3 set up for OpenAI's spec: the parts that need more than options.

* The composed spec is a 3.1 document; Connexion checks for 3.0 and re-validates the whole spec on
  load (seconds for 1 MB). ``ComposedSpecification`` skips that check: the spec is composed and
  tested by ``openapi/``.
* Connexion routes and validates, but never calls a handler: ``app.dispatch.Dispatcher`` does, so
  every operationId resolves to one placeholder here.
* Connexion's problem+json errors become OpenAI's envelope.
"""

from __future__ import annotations

import logging
from typing import Any

from connexion import ConnexionMiddleware
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException
from connexion.json_schema import resolve_refs
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.main import API
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.resolver import Resolver
from connexion.spec import OpenAPISpecification
from starlette.exceptions import HTTPException

from app.auth import STATE_KEY
from app.errors import ApiError, InvalidRequest, Unauthorized, to_api_error
from app.uploads import StreamingMultipartValidator
from app.validation import CachedParameterValidator, JsonBodyValidator, JsonResponseValidator

logger = logging.getLogger("assistants.connexion")


class ComposedSpecification(OpenAPISpecification):
    def __init__(self, raw_spec: dict, *, base_uri: str = "") -> None:
        # Connexion keeps a deep copy of the raw spec for cloning (only the Swagger UI clones);
        # the composed spec is ours and never mutated afterwards, so a reference does.
        self._raw_spec = raw_spec
        self._set_defaults(raw_spec)
        self._spec = resolve_refs(raw_spec, base_uri=base_uri)
        self._base_uri = base_uri

    @classmethod
    def _validate_spec(cls, spec: dict) -> None:
        """The composed spec is checked by the project's tests, not at every start."""


def _not_called(*_: Any, **__: Any) -> None:
    raise RuntimeError("operations are dispatched by app.dispatch, not by Connexion")


VALIDATORS = {
    "parameter": CachedParameterValidator,
    "body": MediaTypeDict(
        {
            "*/*json": JsonBodyValidator,
            "multipart/form-data": StreamingMultipartValidator,
        }
    ),
    "response": MediaTypeDict({"*/*json": JsonResponseValidator}),
}


class SpecMiddleware(ConnexionMiddleware):
    def add_spec(self, spec: dict, *, base_path: str, validate_responses: bool) -> None:
        specification = ComposedSpecification(spec)
        options = self.options.replace(
            resolver=Resolver(function_resolver=lambda _operation_id: _not_called),
            validate_responses=validate_responses,
            validator_map=VALIDATORS,
            strict_validation=False,
            auth_all_paths=False,
        )
        self.apis.append(API(specification, base_path=base_path, **options.__dict__))


def middlewares(validate_responses: bool) -> list[Any]:
    stack: list[Any] = [
        ServerErrorMiddleware,
        ExceptionMiddleware,
        RoutingMiddleware,
        SecurityMiddleware,
        RequestValidationMiddleware,
    ]
    if validate_responses:
        stack.append(ResponseValidationMiddleware)
    return stack


def _respond(error: ApiError) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=error.status,
        body=error.body(),
        mimetype="application/json",
        headers=error.headers,
    )


def problem_to_error(exc: ProblemException) -> ApiError:
    if exc.status == 401:
        return Unauthorized(
            "You didn't provide a valid API key. Provide it in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    if exc.status in (400, 415):
        return InvalidRequest(str(exc.detail or exc.title))
    if exc.status >= 500:
        logger.error("server problem: %s", exc.detail)
        return ApiError("The server had an error while processing your request.")
    error = ApiError(str(exc.detail or exc.title))
    error.status = exc.status
    error.type = "invalid_request_error"
    return error


def add_error_handlers(middleware: ConnexionMiddleware) -> None:
    def on_api_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        return _respond(to_api_error(exc))

    def on_problem(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        return _respond(problem_to_error(exc))

    def on_http(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        from app.dispatch import unrouted_error

        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            scope = request.scope
            return _respond(unrouted_error(scope[STATE_KEY], scope["method"], scope["path"]))
        error = ApiError(str(exc.detail))
        error.status = exc.status_code
        return _respond(error)

    middleware.add_error_handler(ApiError, on_api_error)
    middleware.add_error_handler(ProblemException, on_problem)
    middleware.add_error_handler(HTTPException, on_http)
    middleware.add_error_handler(Exception, on_api_error)
