"""Normalisations that make OpenAI's 3.1 document usable by the server's validators.

Each function edits the document in place and is idempotent. They keep the document valid
OpenAPI 3.1.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

# Operations that answer with server-sent events when the request has ``stream: true``.
STREAMING_OPERATIONS = frozenset(
    {
        "createChatCompletion",
        "createCompletion",
        "createRun",
        "createThreadAndRun",
        "submitToolOuputsToRun",
        "createResponse",
        "getResponse",  # with stream=true: a background response streamed again
    }
)
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def walk(node: Any, visit: Callable[[dict], None]) -> None:
    """Call ``visit`` on every mapping of the document, parents before children."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            visit(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in spec.get("paths", {}).items():
        for method in _HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def drop_code_samples(spec: dict) -> None:
    """``x-oaiMeta`` holds code samples (with ``{{``) and is half the document's size."""
    walk(spec, lambda node: node.pop("x-oaiMeta", None))


def _nullable_to_null_branch(node: dict) -> None:
    if node.pop("nullable", None) is not True:
        return
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    elif isinstance(kind, list):
        if "null" not in kind:
            kind.append("null")
    elif "anyOf" in node or "oneOf" in node:
        branches: list[Any] = node.get("anyOf") or node.get("oneOf") or []
        if not any(b.get("type") == "null" for b in branches if isinstance(b, dict)):
            branches.append({"type": "null"})
    elif "$ref" in node:
        node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]


def nullable_to_null_branches(spec: dict) -> None:
    """3.0's ``nullable`` is ignored by 3.1/2020-12 validators: spell the null out."""
    walk(spec, _nullable_to_null_branch)


def _dedupe_required(node: dict) -> None:
    required = node.get("required")
    if isinstance(required, list) and len(set(map(str, required))) != len(required):
        node["required"] = list(dict.fromkeys(required))


def dedupe_required(spec: dict) -> None:
    walk(spec, _dedupe_required)


def _draft4_bounds(node: dict) -> None:
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(exclusive)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            node[inclusive] = value
            node[exclusive] = True


def parameter_bounds_for_draft4(spec: dict) -> None:
    """Parameters are checked with draft 4 (as Connexion did): exclusive bounds are booleans."""
    for _, _, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            if isinstance(parameter, dict) and "schema" in parameter:
                walk(parameter["schema"], _draft4_bounds)
    for parameter in spec.get("components", {}).get("parameters", {}).values():
        if "schema" in parameter:
            walk(parameter["schema"], _draft4_bounds)


SSE_EVENT = {
    "type": "object",
    "description": "One server-sent event: its name (run streams) and its data, a JSON object "
    "of the operation's stream type, an error envelope, or [DONE].",
    "required": ["data"],
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
}


def event_stream_responses(spec: dict) -> None:
    """Streaming operations answer ``text/event-stream``, each event described by SSE_EVENT.

    The upstream spec puts the chunk schema directly under ``text/event-stream``, which SSE-aware
    validators read as the schema of the event object itself, not of its data.
    """
    for _, _, operation in operations(spec):
        if operation.get("operationId") not in STREAMING_OPERATIONS:
            continue
        ok = operation.setdefault("responses", {}).setdefault("200", {"description": "OK"})
        ok.setdefault("content", {})["text/event-stream"] = {"schema": dict(SSE_EVENT)}


def nullable_list_cursors(spec: dict) -> None:
    """OpenAI answers ``first_id``/``last_id`` null for an empty list; its spec says string."""
    for schema in spec.get("components", {}).get("schemas", {}).values():
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        for name in ("first_id", "last_id"):
            cursor = properties.get(name)
            if isinstance(cursor, dict) and cursor.get("type") == "string":
                cursor["type"] = ["string", "null"]


def error_envelopes(spec: dict) -> None:
    """Errors are OpenAI's envelope ``{"error": {...}}`` (ErrorResponse); a few operations say
    the bare ``Error`` object, which no OpenAI error body is."""
    bare = {"$ref": "#/components/schemas/Error"}
    for _, _, operation in operations(spec):
        for code, response in operation.get("responses", {}).items():
            if code.startswith("2"):
                continue
            for media in (response.get("content") or {}).values():
                if media.get("schema") == bare:
                    media["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}


ONE_OF_AS_ANY_OF_PATHS = ("/responses", "/conversations")
_REF = "#/components/schemas/"


def _refs(node: Any) -> list[str]:
    """The component schemas that ``node`` names by ``$ref``."""
    found: list[str] = []

    def collect(item: dict) -> None:
        ref = item.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            found.append(ref[len(_REF) :])

    walk(node, collect)
    return found


def _one_of_to_any_of(node: dict) -> None:
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
        node.pop("discriminator", None)


def responses_one_of_as_any_of(spec: dict) -> None:
    """OpenAI's Responses and Conversations schemas say ``oneOf`` where they mean "any of".

    A plain input message ``{"role": "user", "content": [{"type": "input_text", ...}]}`` is both
    an EasyInputMessage and an InputMessage item, so ``oneOf`` refuses what OpenAI accepts. Every
    schema these operations reach (by ``$ref``, transitively) says ``anyOf`` instead.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    pending: list[str] = []
    for path, _, operation in operations(spec):
        if path.startswith(ONE_OF_AS_ANY_OF_PATHS):
            walk(operation, _one_of_to_any_of)
            pending += _refs(operation)
            # JSON only, as the SDKs send (Connexion logs a warning per request otherwise).
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                content.pop("application/x-www-form-urlencoded", None)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        walk(schemas[name], _one_of_to_any_of)
        pending += _refs(schemas[name])


# The read-only fields of a thread object, which the SDKs send when a ``Thread`` is passed back.
THREAD_READ_ONLY = {
    "id": {"type": "string", "description": "Ignored: the new thread gets its own id."},
    "object": {"type": "string", "enum": ["thread"], "description": "Ignored."},
    "created_at": {"type": "integer", "description": "Ignored."},
}


def thread_passed_back(spec: dict) -> None:
    """``createThreadAndRun(thread=<Thread>)``: accept the read-only fields of a thread object.

    Users of the astra-assistants client pass a ``Thread`` they read back as ``thread``; the
    openai SDK sends its ``id``, ``object`` and ``created_at``, which ``CreateThreadRequest``
    (closed with ``additionalProperties: false``) refuses. The server ignores them.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    create, run = schemas.get("CreateThreadRequest"), schemas.get("CreateThreadAndRunRequest")
    if not isinstance(create, dict) or not isinstance(run, dict):
        return
    passed = copy.deepcopy(create)
    passed.setdefault("properties", {}).update(copy.deepcopy(THREAD_READ_ONLY))
    schemas["CreateThreadAndRunThread"] = passed
    thread = run.setdefault("properties", {}).get("thread") or {}
    run["properties"]["thread"] = {
        **thread,
        "$ref": "#/components/schemas/CreateThreadAndRunThread",
    }


def mcp_approval_response_fields(spec: dict) -> None:
    """The approval response schemas require a ``request_id`` they do not define; the SDKs
    (and OpenAI) send ``approval_request_id`` only."""
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("MCPApprovalResponse", "MCPApprovalResponseResource"):
        schema = schemas.get(name)
        if schema and "request_id" not in schema.get("properties", {}):
            schema["required"] = [r for r in schema.get("required", []) if r != "request_id"]


ALL_FIXES: tuple[Callable[[dict], None], ...] = (
    drop_code_samples,
    nullable_to_null_branches,
    dedupe_required,
    parameter_bounds_for_draft4,
    event_stream_responses,
    nullable_list_cursors,
    responses_one_of_as_any_of,
    error_envelopes,
    thread_passed_back,
    mcp_approval_response_fields,
)
