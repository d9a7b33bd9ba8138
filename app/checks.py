"""One operation's request and response checks, compiled from the spec on its first request.

What the spec says about an operation is turned once into ready validators: its security, its
parameters, the body validator per content type, the response schema per status and content
type. A request then pays only for running them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from fnmatch import fnmatch
from typing import Any

from jsonschema import Draft202012Validator
from starlette.types import Receive, Scope

from app.errors import InvalidRequest
from app.operations import OperationInfo
from app.schemas import SpecSchemas
from app.uploads import StreamingMultipartValidator
from app.validation import (
    BodyValidator,
    CachedParameterValidator,
    JsonBodyValidator,
    JsonResponseValidator,
    NonConformingResponse,
    compiled,
)

logger = logging.getLogger("assistants.checks")

# Request body validators by media type range (most specific range first, as OpenAPI says).
BODY_VALIDATORS: dict[str, type[BodyValidator]] = {
    "multipart/form-data": StreamingMultipartValidator,
    "*/*json": JsonBodyValidator,
}
JSON_RESPONSES = ("*/*json",)
_CHECKED_IN = ("path", "query")
_MAX_MIMES = 256


def media_match(mime: str, ranges: Iterable[str]) -> str | None:
    """The most specific media range of `ranges` that `mime` falls in (`type/*` before `*/x`)."""
    for key in sorted(ranges, key=lambda k: ("*" not in k, k), reverse=True):
        if fnmatch(mime, key):
            return key
    return None


def split_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header; other parameters are ignored.

    As HTTP writes it: spaces around `;` and `=`, any case for the name, a quoted value.
    """
    if value is None:
        return None, None
    mime, _, parameters = value.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, raw = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"') or None
    return mime.strip(), charset


def _nullable(definition: dict[str, Any]) -> bool:
    schema = definition.get("schema", definition)
    return bool(schema.get("nullable", False) or definition.get("x-nullable", False))


class OperationChecks:
    """The compiled checks of one operation."""

    def __init__(
        self, info: OperationInfo, schemas: SpecSchemas, default_security: list[Any]
    ) -> None:
        operation = info.spec
        registries = schemas.registries
        self.operation_id = info.operation_id
        security = operation.get("security", default_security)
        self.secured = bool(security) and all(requirement for requirement in security)
        checked = [schemas.standalone(p) for p in info.parameters if p.get("in") in _CHECKED_IN]
        self.parameters = CachedParameterValidator(checked, registries) if checked else None
        body = operation.get("requestBody") or {}
        content: dict[str, Any] = body.get("content", {})
        self.has_body = bool(body)
        self.consumes = list(content)
        self._consumes_lower = [c.lower() for c in self.consumes]
        self.required = bool(body.get("required", False))
        self.bodies: dict[str, BodyValidator] = {}
        for mime, media in content.items():
            validator = BODY_VALIDATORS.get(media_match(mime, BODY_VALIDATORS) or "")
            schema = media.get("schema") if isinstance(media, dict) else None
            if validator is None or not schema:
                continue
            standalone = schemas.standalone(schema)
            compiled(standalone, Draft202012Validator, registries)
            self.bodies[mime] = validator(
                schema=standalone,
                required=self.required,
                nullable=_nullable(media),
                resolve=schemas.resolve,
            )
        self._responses: dict[str, Any] = operation.get("responses", {})
        self.produces = [ct for r in self._responses.values() for ct in r.get("content", {})]
        self._produces_lower = [p.lower() for p in self.produces]
        self._schemas = schemas
        self._response_validators: dict[tuple[int, str], JsonResponseValidator | None] = {}
        self._mimes: dict[tuple[str, str], str | None] = {}

    def _matched(self, kind: str, mime: str, ranges: list[str]) -> str | None:
        key = (kind, mime)
        if key not in self._mimes:
            if len(self._mimes) >= _MAX_MIMES:
                self._mimes.clear()  # the media types come from clients: keep a bounded few
            self._mimes[key] = media_match(mime, ranges)
        return self._mimes[key]

    async def check_request(
        self, scope: Scope, receive: Receive, path_params: dict[str, str], content_type: str | None
    ) -> Receive:
        """Validate parameters, content type and body; the `receive` that replays the body."""
        if self.parameters is not None:
            self.parameters.validate(scope, path_params)
        mime, encoding = split_content_type(content_type)
        if mime is None:
            mime = self.consumes[0] if self.consumes else "application/octet-stream"
        if self.consumes and self._matched("in", mime.lower(), self._consumes_lower) is None:
            raise InvalidRequest(f"Invalid Content-type ({mime}), expected {self.consumes}")
        if not self.has_body:
            return receive
        key = self._matched("body", mime, self.consumes)
        validator = self.bodies.get(key) if key is not None else None
        if validator is None:
            return receive
        return await validator.wrap_receive(receive, scope=scope, encoding=encoding or "utf-8")

    def check_response(self, status: int, content_type: str | None) -> JsonResponseValidator | None:
        """Check the response's content type; the validator of its JSON body, if the spec has
        a schema for it. Raises `NonConformingResponse`."""
        mime = split_content_type(content_type)[0] or "text/plain"
        if (
            status < 400
            and self.produces
            and self._matched("out", mime.lower(), self._produces_lower) is None
        ):
            raise NonConformingResponse(
                f"Invalid Response Content-type ({mime}), expected {self.produces}"
            )
        key = (status, mime)
        if key not in self._response_validators:
            self._response_validators[key] = self._response_validator(status, mime)
        return self._response_validators[key]

    def _response_validator(self, status: int, mime: str) -> JsonResponseValidator | None:
        if media_match(mime, JSON_RESPONSES) is None:
            return None
        definition = self._responses.get(str(status), self._responses.get("default", {}))
        content = definition.get("content", definition)
        media = content.get(mime, content)
        schema = media.get("schema") if isinstance(media, dict) else None
        if not schema:
            return None
        standalone = self._schemas.standalone(schema)
        compiled(standalone, Draft202012Validator, self._schemas.registries)
        return JsonResponseValidator(standalone, nullable=_nullable(definition))
