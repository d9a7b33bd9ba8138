"""The response object, in OpenAI's shape, and how it is shown to a caller."""

from __future__ import annotations

from typing import Any

from assistants.ids import new_id, now
from assistants.turns.events import TokenUsage
from storage.base import Json

ACTIVE = frozenset({"queued", "in_progress"})
INCLUDE_SEARCH_RESULTS = "file_search_call.results"


def new_response(body: dict[str, Any], settings: Json) -> Json:
    """A response about to execute; ``settings`` are the resolved model, tools and the like."""
    background = bool(body.get("background"))
    return {
        "id": new_id("resp"),
        "object": "response",
        "created_at": now(),
        "status": "queued" if background else "in_progress",
        "background": background,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": settings["instructions"],
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": settings["model"],
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True)
        if body.get("parallel_tool_calls") is not None
        else True,
        "previous_response_id": body.get("previous_response_id"),
        "prompt": body.get("prompt"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": settings.get("reasoning"),
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store") is not False,
        "temperature": settings.get("temperature"),
        "text": settings["text"],
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": settings["tools"],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": settings.get("top_p"),
        "truncation": body.get("truncation") or "disabled",
        "usage": None,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
        "conversation": settings.get("conversation"),
    }


def usage_object(usage: TokenUsage) -> Json:
    return {
        "input_tokens": usage.prompt,
        "input_tokens_details": {"cached_tokens": usage.cached},
        "output_tokens": usage.completion,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": usage.total,
    }


def present_item(item: Json, include: list[str] | None) -> Json:
    """A stored item as the caller sees it: search results only when included."""
    if item.get("type") == "file_search_call" and INCLUDE_SEARCH_RESULTS not in (include or ()):
        return {**item, "results": None}
    return item


# Fields the spec types as plain strings: left out when unset rather than shown as null.
_OMIT_WHEN_NONE = (
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "conversation",
    "prompt",
    "usage",
)


def present(response: Json, include: list[str] | None = None) -> Json:
    shown = {
        k: v
        for k, v in response.items()
        if not k.startswith("_") and not (v is None and k in _OMIT_WHEN_NONE)
    }
    shown["output"] = [present_item(item, include) for item in response["output"]]
    return shown
