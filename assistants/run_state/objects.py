"""The run, run step and assistant message objects, in OpenAI's shapes."""

from __future__ import annotations

from typing import Any

from assistants.ids import new_id, now
from storage.base import Json

INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
RUN_EXPIRY_SECONDS = 600
ACTIVE = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
TERMINAL = frozenset({"completed", "incomplete", "failed", "cancelled", "expired"})


def new_run(thread_id: str, assistant: Json, body: dict[str, Any], tools: list[Json]) -> Json:
    created = now()
    instructions = body.get("instructions")
    if instructions is None:
        instructions = assistant.get("instructions") or ""
    if body.get("additional_instructions"):
        instructions = f"{instructions}\n\n{body['additional_instructions']}".strip()
    run: Json = {
        "id": new_id("run"),
        "object": "thread.run",
        "created_at": created,
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created + RUN_EXPIRY_SECONDS,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": body.get("model") or assistant["model"],
        "instructions": instructions,
        "tools": tools,
        "metadata": body.get("metadata") or {},
        "usage": None,
        "temperature": _pick(body, assistant, "temperature", 1.0),
        "top_p": _pick(body, assistant, "top_p", 1.0),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy")
        or {"type": "auto", "last_messages": None},
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "response_format": _pick(body, assistant, "response_format", "auto"),
    }
    if body.get("reasoning_effort") or assistant.get("reasoning_effort"):
        run["reasoning_effort"] = body.get("reasoning_effort") or assistant.get("reasoning_effort")
    return run


def _pick(body: dict[str, Any], assistant: Json, field: str, default: Any) -> Any:
    if body.get(field) is not None:
        return body[field]
    if assistant.get(field) is not None:
        return assistant[field]
    return default


def new_step(run: Json, step_type: str, details: Json) -> Json:
    return {
        "id": new_id("step"),
        "object": "thread.run.step",
        "created_at": now(),
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": step_type,
        "status": "in_progress",
        "step_details": details,
        "last_error": None,
        "expired_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "metadata": {},
        "usage": None,
    }


def new_assistant_message(run: Json) -> Json:
    return {
        "id": new_id("msg"),
        "object": "thread.message",
        "created_at": now(),
        "thread_id": run["thread_id"],
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": run["assistant_id"],
        "run_id": run["id"],
        "attachments": [],
        "metadata": {},
    }


def usage(prompt: int, completion: int) -> Json:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def present_step(step: dict[str, Any], include: list[str] | None) -> dict[str, Any]:
    """Search result contents appear only when the request includes them, as with OpenAI."""
    if include and INCLUDE_CONTENT in include:
        return step
    details = step["step_details"]
    if details["type"] != "tool_calls":
        return step
    calls = []
    for call in details["tool_calls"]:
        if call["type"] == "file_search" and call["file_search"].get("results"):
            results = [
                {k: v for k, v in r.items() if k != "content"}
                for r in call["file_search"]["results"]
            ]
            call = {**call, "file_search": {**call["file_search"], "results": results}}
        calls.append(call)
    return {**step, "step_details": {"type": "tool_calls", "tool_calls": calls}}
