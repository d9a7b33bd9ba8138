"""Checks shared by assistants and runs on ``tools``, ``tool_resources`` and sampling fields.

``checked_function`` is the check of one function tool that every API offering function tools
calls (Assistants here, Responses too), so they refuse the same names and parameter schemas.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from assistants.errors import InvalidInput, clipped_schema_message, quoted

MAX_TOOLS = 128
MAX_FUNCTION_NAME = 64
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_FAST: dict[str, Any] = {}
_DRAFTS: dict[str, type[Validator]] = {
    kind.META_SCHEMA["$schema"].rstrip("#"): kind
    for kind in (
        Draft4Validator,
        Draft6Validator,
        Draft7Validator,
        Draft201909Validator,
        Draft202012Validator,
    )
}


def checked_function(function: dict[str, Any], param: str) -> dict[str, Any]:
    """One function definition (``name``, ``parameters``) checked as OpenAI checks it.

    ``param`` is where the definition sits in the request (``tools[0].function``).
    """
    name = function.get("name")
    where = f"{param}.name"
    if not isinstance(name, str):
        raise InvalidInput(f"Missing required parameter: '{where}'.", param=where)
    if not name:
        raise InvalidInput(
            f"Invalid '{where}': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param=where,
        )
    if len(name) > MAX_FUNCTION_NAME:
        raise InvalidInput(
            f"Invalid '{where}': string too long. Expected a string with maximum length "
            f"{MAX_FUNCTION_NAME}, but got a string with length {len(name)} instead.",
            param=where,
        )
    if not FUNCTION_NAME.fullmatch(name):
        raise InvalidInput(
            f"Invalid '{where}': string does not match pattern. Expected a string that matches "
            f"the pattern '^[a-zA-Z0-9_-]+$', but got {quoted(name)}.",
            param=where,
        )
    if "parameters" in function:
        _check_parameters(function["parameters"], name, f"{param}.parameters")
    return dict(function)


def _check_parameters(parameters: Any, name: str, param: str) -> None:
    """``parameters`` must be a valid JSON Schema (checked against its metaschema)."""
    problem: str | None = "expected a JSON Schema object"
    if isinstance(parameters, dict):
        kind = _draft_of(parameters)
        if _fast_metaschema(kind).is_valid(parameters):
            return
        problem = _schema_problem(parameters, kind)
    if problem is None:
        return
    raise InvalidInput(
        f"Invalid schema for function '{name}': {problem}.",
        param=param,
        code="invalid_function_parameters",
    )


def _draft_of(schema: dict[str, Any]) -> type[Validator]:
    """The draft a schema declares with ``$schema``; 2020-12 when it names none this knows.

    The choice is made here, from known drafts only: a validator left to read ``$schema`` itself
    would fetch an unknown URI from the network.
    """
    declared = schema.get("$schema")
    if isinstance(declared, str):
        return _DRAFTS.get(declared.rstrip("#"), Draft202012Validator)
    return Draft202012Validator


def _fast_metaschema(kind: type[Validator]) -> Any:
    """A compiled (Rust) validator of ``kind``'s metaschema, made on first use."""
    uri = kind.META_SCHEMA["$schema"]
    if uri not in _FAST:
        _FAST[uri] = jsonschema_rs.validator_for(kind.META_SCHEMA)
    return _FAST[uri]


def _schema_problem(schema: dict[str, Any], kind: type[Validator]) -> str | None:
    try:
        error = best_match(kind(kind.META_SCHEMA).iter_errors(schema))
    except RecursionError:
        return "the schema nests too deeply"
    if error is None:
        return None
    where = ", ".join(repr(part) for part in error.absolute_path)
    return f"In context=({where}), {clipped_schema_message(error.message, error.instance)}"


def checked_tools(tools: Any, param: str = "tools") -> list[dict[str, Any]]:
    if tools is None:
        return []
    if len(tools) > MAX_TOOLS:
        raise InvalidInput(
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{MAX_TOOLS}, but got an array with length {len(tools)} instead.",
            param=param,
        )
    names: set[str] = set()
    for index, tool in enumerate(tools):
        if tool.get("type") == "function":
            function = checked_function(tool.get("function") or {}, f"{param}[{index}].function")
            name = function["name"]
            if name in names:
                raise InvalidInput(
                    f"Invalid '{param}': duplicate function name {quoted(name)}.",
                    param=f"{param}[{index}].function.name",
                )
            names.add(name)
        if tool.get("type") == "file_search":
            options = tool.get("file_search") or {}
            limit = options.get("max_num_results")
            if limit is not None and not 1 <= limit <= 50:
                raise InvalidInput(
                    "Invalid 'max_num_results': must be between 1 and 50.",
                    param=f"{param}[{index}].file_search.max_num_results",
                )
    return [dict(tool) for tool in tools]


def checked_sampling(body: dict[str, Any]) -> None:
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise InvalidInput(
            f"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, "
            f"but got {temperature} instead.",
            param="temperature",
        )
    top_p = body.get("top_p")
    if top_p is not None and not 0 <= top_p <= 1:
        raise InvalidInput(
            f"Invalid 'top_p': expected a value between 0 and 1, but got {top_p} instead.",
            param="top_p",
        )


def vector_store_ids(tool_resources: dict[str, Any] | None) -> list[str]:
    if not tool_resources:
        return []
    return list((tool_resources.get("file_search") or {}).get("vector_store_ids") or [])
