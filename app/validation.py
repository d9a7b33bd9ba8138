"""Request and response validators plugged into Connexion's validation middleware.

Connexion 3.3 compiles a draft-4 validator on every request and reports failures as problem+json
without naming the field. These validate bodies with a cached 2020-12 validator (the dialect of
OpenAI's 3.1 spec), parameters with cached draft-4 validators, and raise ``InvalidRequest`` with
``param`` naming the offending field, as OpenAI does.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema_rs
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    ParameterValidator,
)
from connexion.validators.json import NonConformingResponseBody
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers, QueryParams
from starlette.types import Receive, Scope

from app.errors import InvalidRequest, PayloadTooLarge
from app.json_body import TOO_DEEP, integers_as_int, parse_body
from app.schema_errors import describe, invalid_from, param_path

BODY_KEY = "assistants.body"
MAX_JSON_BODY = 64 * 1024 * 1024

_RUST_DRAFTS = {
    Draft202012Validator: jsonschema_rs.Draft202012Validator,
    Draft4Validator: jsonschema_rs.Draft4Validator,
}


class CompiledSchema:
    """A Rust validator answers the common case (valid) fast; the Python one explains errors.

    Recursive schemas (Connexion inlines ``$ref``s, so they become cyclic) only work with the
    Python validator, which walks them lazily.
    """

    def __init__(self, schema: dict, kind: type) -> None:
        self.schema = schema
        self.kind = kind
        self._python: Any = None
        try:
            self._rust: Any = _RUST_DRAFTS[kind](schema)
        except (ValueError, jsonschema_rs.ValidationError, RecursionError):
            self._rust = None

    def first_error(self, instance: Any) -> ValidationError | None:
        if self._rust is not None and self._rust.is_valid(instance):
            return None
        if self._python is None:
            self._python = self.kind(self.schema)
        try:
            return best_match(self._python.iter_errors(instance))
        except RecursionError:
            # Bodies nest at most MAX_DEPTH levels, but a recursive schema may still go deeper.
            raise InvalidRequest(TOO_DEEP) from None


_compiled: dict[tuple[int, type], CompiledSchema] = {}


def compiled(schema: dict, kind: type) -> CompiledSchema:
    # Keyed by identity: Connexion resolves the spec once, so each operation's schema is one
    # long-lived dict. The entry keeps the schema alive so its id stays unique.
    entry = _compiled.get((id(schema), kind))
    if entry is None or entry.schema is not schema:
        entry = CompiledSchema(schema, kind)
        _compiled[(id(schema), kind)] = entry
    return entry


class JsonBodyValidator(AbstractRequestBodyValidator):
    """Parses and validates a JSON body once, and hands the parsed body to the dispatcher."""

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        messages: deque[dict] = deque()
        size = 0
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            messages.append(message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BODY:
                raise PayloadTooLarge("The request body is too large.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        scope.setdefault("extensions", {})[BODY_KEY] = self._checked(b"".join(chunks))

        async def replay() -> dict:
            if messages:
                return messages.popleft()
            return await receive()

        return replay, scope

    def _checked(self, raw: bytes) -> Any:
        if not raw.strip():
            # An optional body may be left out (``POST /threads`` creates an empty thread).
            if self._required:
                raise InvalidRequest("A request body is required.")
            return None
        parsed = parse_body(raw, self._encoding)
        body = parsed.value
        if body is not None or not self._nullable:
            error = compiled(self._schema, Draft202012Validator).first_error(body)
            if error is not None:
                raise invalid_from(error)
        if parsed.integral_floats:
            body = integers_as_int(body, self._schema)
        return body


class CachedParameterValidator(ParameterValidator):
    """Connexion's parameter checks with compiled validators and a named ``param``."""

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict, param_name: str | None = None
    ) -> str | None:
        name = param.get("name")
        if value is None:
            if param.get("required"):
                raise InvalidRequest(
                    f"Missing required {parameter_type} parameter: '{name}'.", param=name
                )
            return None
        schema = param.get("schema", param)
        error = compiled(schema, Draft4Validator).first_error(value)
        if error is not None:
            raise InvalidRequest(f"Invalid value for '{name}': {describe(error)}", param=name)
        return None

    def validate_query_parameter(self, param: dict, request: Any) -> str | None:
        name = param["name"]
        schema = param.get("schema", {})
        query = QueryParams(request.scope.get("query_string", b""))
        if schema.get("type") == "array":
            values: Sequence[str] = query.getlist(name) or query.getlist(name + "[]")
            if not values:
                return self.validate_parameter("query", None, param)
            value: Any = [_coerce(v, schema.get("items", {})) for v in values]
        else:
            raw = query.get(name)
            value = None if raw is None else _coerce(raw, schema)
        return self.validate_parameter("query", value, param)


def _coerce(raw: str, schema: dict) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    try:
        if "integer" in kinds:
            return int(raw)
        if "number" in kinds:
            return float(raw)
    except ValueError:
        return raw
    if "boolean" in kinds and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


class JsonResponseValidator(AbstractResponseBodyValidator):
    """Checks what handlers answer against the spec; a mismatch is a server bug (500)."""

    def _parse(self, stream: Iterable[bytes]) -> Any:
        raw = b"".join(stream)
        return json.loads(raw) if raw else None

    def _validate(self, body: Any) -> None:
        error = compiled(self._schema, Draft202012Validator).first_error(body)
        if error is not None:
            where = param_path(error.absolute_path) or "body"
            raise NonConformingResponseBody(
                detail=f"Response does not conform to the spec at {where}: {error.message}"
            )


def content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value and value.isdigit() else None
