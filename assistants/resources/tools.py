"""Checks shared by assistants and runs on ``tools``, ``tool_resources`` and sampling fields."""

from __future__ import annotations

from typing import Any

from assistants.errors import InvalidInput

MAX_TOOLS = 128


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
            name = tool.get("function", {}).get("name")
            if name in names:
                raise InvalidInput(
                    f"Invalid '{param}': duplicate function name '{name}'.",
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
