"""The chat messages a run sends to the model: instructions, sources, thread, this run's rounds."""

from __future__ import annotations

from typing import Any

from assistants.ingest.tokenizer import count_tokens
from assistants.pagination import walk
from storage.base import Json, Kind, Store

Message = dict[str, Any]


async def all_children(store: Store, tenant: str, kind: Kind, parent: str) -> list[Json]:
    return [item.doc async for item in walk(store, tenant, kind, parent)]


def _content(message: Json) -> Any:
    parts: list[dict[str, Any]] = []
    for block in message["content"]:
        if block["type"] == "text":
            parts.append({"type": "text", "text": block["text"]["value"]})
        elif block["type"] == "image_url":
            parts.append({"type": "image_url", "image_url": dict(block["image_url"])})
    if all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _round_messages(steps: list[Json], messages_by_id: dict[str, Json]) -> list[Message]:
    """This run's earlier rounds: its answers, and its tool calls with their outputs."""
    out: list[Message] = []
    for step in steps:
        details = step["step_details"]
        if details["type"] == "message_creation":
            message = messages_by_id.get(details["message_creation"]["message_id"])
            if message is not None and message["content"]:
                out.append({"role": "assistant", "content": _content(message)})
        else:
            calls = [c for c in details["tool_calls"] if c["type"] == "function"]
            if not calls:
                continue
            out.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {
                                "name": c["function"]["name"],
                                "arguments": c["function"]["arguments"],
                            },
                        }
                        for c in calls
                    ],
                }
            )
            out += [
                {"role": "tool", "tool_call_id": c["id"], "content": c["function"]["output"] or ""}
                for c in calls
                if c["function"].get("output") is not None
            ]
    return out


def _tokens(message: Message) -> int:
    content = message.get("content")
    text = content if isinstance(content, str) else str(content or "")
    return count_tokens(text) + 4


async def build_messages(
    store: Store, tenant: str, run: Json, sources: str | None, first_round: bool = False
) -> tuple[list[Message], bool]:
    """The prompt, and whether it had to be cut to fit ``max_prompt_tokens``.

    In a run's first round there are no earlier rounds to replay, so its steps are not read.
    """
    thread_messages = await all_children(store, tenant, Kind.MESSAGE, run["thread_id"])
    steps = [] if first_round else await all_children(store, tenant, Kind.RUN_STEP, run["id"])
    history = [m for m in thread_messages if m.get("run_id") != run["id"]]
    strategy = run.get("truncation_strategy") or {}
    if strategy.get("type") == "last_messages" and strategy.get("last_messages"):
        history = history[-int(strategy["last_messages"]) :]
    system = "\n\n".join(part for part in (run.get("instructions"), sources) if part)
    head: list[Message] = [{"role": "system", "content": system}] if system else []
    body: list[Message] = [{"role": m["role"], "content": _content(m)} for m in history]
    tail = _round_messages(steps, {m["id"]: m for m in thread_messages})
    truncated = False
    budget = run.get("max_prompt_tokens")
    if budget:
        fixed = sum(_tokens(m) for m in head + tail)
        sizes = [_tokens(m) for m in body]
        while body and fixed + sum(sizes) > budget:
            body.pop(0)
            sizes.pop(0)
            truncated = True
    return head + body + tail, truncated


def last_user_text(messages: list[Message]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            content = message["content"]
            if isinstance(content, str):
                return content
            return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""
