"""Request and response validators, used by the gate (``app.gate``) for each operation.

Bodies are validated with a compiled 2020-12 validator (the dialect of OpenAI's 3.1 spec),
parameters with compiled draft-4 validators (Connexion's dialect for them, which the spec fixes
target); each is compiled once per schema. Failures raise ``InvalidRequest`` with ``param`` naming
the offending field, as OpenAI does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema_rs
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers, QueryParams
from starlette.types import Message, Receive, Scope

from app.errors import InvalidRequest, PayloadTooLarge
from app.json_body import TOO_DEEP, Resolve, integers_as_int, parse_body
from app.schema_errors import describe, invalid_from, param_path
from app.schemas import Registries

BODY_KEY = "assistants.body"
MAX_JSON_BODY = 64 * 1024 * 1024

_RUST_DRAFTS = {
    Draft202012Validator: jsonschema_rs.Draft202012Validator,
    Draft4Validator: jsonschema_rs.Draft4Validator,
}


class CompiledSchema:
    """A Rust validator answers the common case (valid) fast; the Python one explains errors.

    ``$ref``s into the spec resolve through ``registries`` (``app.schemas``); a schema the Rust
    validator cannot compile is checked by the Python one alone.
    """

    def __init__(self, schema: dict, kind: type, registries: Registries | None = None) -> None:
        self.schema = schema
        self.kind = kind
        self._registries = registries
        self._python: Any = None
        options = {"registry": registries.rust} if registries is not None else {}
        try:
            self._rust: Any = _RUST_DRAFTS[kind](schema, **options)
        except (ValueError, jsonschema_rs.ValidationError, RecursionError):
            self._rust = None

    def first_error(self, instance: Any) -> ValidationError | None:
        if self._rust is not None and self._rust.is_valid(instance):
            return None
        if self._python is None:
            options = {"registry": self._registries.python} if self._registries else {}
            self._python = self.kind(self.schema, **options)
        try:
            return best_match(self._python.iter_errors(instance))
        except RecursionError:
            # Bodies nest at most MAX_DEPTH levels, but a recursive schema may still go deeper.
            raise InvalidRequest(TOO_DEEP) from None


_compiled: dict[tuple[int, type], CompiledSchema] = {}


def compiled(schema: dict, kind: type, registries: Registries | None = None) -> CompiledSchema:
    # Keyed by identity: the gate builds each operation's schemas once, so each is one
    # long-lived dict (compiled there first, with the registries). The entry keeps the schema
    # alive so its id stays unique.
    entry = _compiled.get((id(schema), kind))
    if entry is None or entry.schema is not schema:
        entry = CompiledSchema(schema, kind, registries)
        _compiled[(id(schema), kind)] = entry
    return entry


class BodyValidator:
    """A request body check: ``wrap_receive`` reads, validates and replays the body.

    Made once per operation and content type with the body ``schema``; ``resolve`` follows the
    schema's ``$ref``s for checks that walk it (``SpecSchemas.resolve``).
    """

    def __init__(
        self,
        *,
        schema: dict,
        required: bool = False,
        nullable: bool = False,
        resolve: Resolve | None = None,
    ) -> None:
        self.schema = schema
        self._resolve: Resolve = resolve or _itself
        self._required = required
        self._nullable = nullable

    async def wrap_receive(self, receive: Receive, *, scope: Scope, encoding: str) -> Receive:
        """The ``receive`` that replays the checked body; ``encoding``: the request's charset."""
        raise NotImplementedError


class JsonBodyValidator(BodyValidator):
    """Parses and validates a JSON body once, and hands the parsed body to the dispatcher."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled = compiled(self.schema, Draft202012Validator)

    async def wrap_receive(self, receive: Receive, *, scope: Scope, encoding: str) -> Receive:
        messages: deque[Message] = deque()
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
        raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        scope.setdefault("extensions", {})[BODY_KEY] = self._checked(raw, encoding)

        async def replay() -> Message:
            if messages:
                return messages.popleft()
            return await receive()

        return replay

    def _checked(self, raw: bytes, encoding: str) -> Any:
        if not raw or raw.isspace():
            # An optional body may be left out (``POST /threads`` creates an empty thread).
            if self._required:
                raise InvalidRequest("A request body is required.")
            return None
        parsed = parse_body(raw, encoding)
        body = parsed.value
        if body is not None or not self._nullable:
            error = self._compiled.first_error(body)
            if error is not None:
                raise invalid_from(error)
        if parsed.integral_floats:
            body = integers_as_int(body, self.schema, self._resolve)
        return body


def _itself(schema: Any) -> Any:
    return schema


class CachedParameterValidator:
    """An operation's path and query parameters, checked with compiled draft-4 validators."""

    def __init__(self, parameters: Iterable[dict], registries: Registries | None = None) -> None:
        self._registries = registries
        self._path = [p for p in parameters if p.get("in") == "path"]
        self._query = [p for p in parameters if p.get("in") == "query"]
        for param in (*self._path, *self._query):
            compiled(param.get("schema", param), Draft4Validator, registries)

    def validate(self, scope: Scope, path_params: dict[str, str]) -> None:
        """Raise ``InvalidRequest`` naming the first parameter that breaks the spec."""
        query = QueryParams(scope.get("query_string", b"")) if self._query else None
        for param in self._query:
            self.validate_query_parameter(param, query)
        for param in self._path:
            value = path_params.get(param["name"].replace("-", "_"))
            self.validate_parameter("path", value, param)

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

    def validate_query_parameter(self, param: dict, query: Any) -> str | None:
        name = param["name"]
        schema = param.get("schema", {})
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


class NonConformingResponse(Exception):
    """What a handler answered breaks the spec: a server bug, answered as a 500 (and logged)."""


class JsonResponseValidator:
    """Checks what handlers answer against the spec, before it is serialized."""

    def __init__(self, schema: dict, *, nullable: bool = False) -> None:
        self._compiled = compiled(schema, Draft202012Validator)
        self._nullable = nullable

    def validate(self, body: Any) -> None:
        if body is None and self._nullable:
            return
        error = self._compiled.first_error(body)
        if error is not None:
            where = param_path(error.absolute_path) or "body"
            raise NonConformingResponse(
                f"Response does not conform to the spec at {where}: {error.message}"
            )


def content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value and value.isdigit() else None
