"""An Assistants thread message read as a conversation item, and an item written as a message."""

from __future__ import annotations

from typing import Any

from assistants.ids import now
from storage.base import Json

MESSAGE_ROLES = ("user", "assistant")


def item_of_message(message: Json) -> Json:
    """A ``thread.message`` as a ``message`` item (text, images)."""
    role = message["role"]
    parts: list[Json] = []
    for block in message.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            text = block["text"]["value"]
            if role == "assistant":
                parts.append(
                    {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                )
            else:
                parts.append({"type": "input_text", "text": text})
        elif kind == "image_url":
            image = block["image_url"]
            parts.append(
                {"type": "input_image", "image_url": image["url"], "file_id": None,
                 "detail": image.get("detail") or "auto"}
            )  # fmt: skip
        elif kind == "image_file":
            image = block["image_file"]
            parts.append(
                {"type": "input_image", "image_url": None, "file_id": image["file_id"],
                 "detail": image.get("detail") or "auto"}
            )  # fmt: skip
    status = message.get("status") or "completed"
    return {
        "id": message["id"],
        "type": "message",
        "role": role,
        "status": status,
        "content": parts,
    }


def message_of_item(item: Json, thread_id: str, extra: dict[str, Any] | None = None) -> Json:
    """A ``message`` item (role user or assistant) as a ``thread.message``."""
    content: list[Json] = []
    for part in item["content"]:
        kind = part["type"]
        if kind in ("input_text", "output_text"):
            content.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
        elif kind == "refusal":
            content.append({"type": "text", "text": {"value": part["refusal"], "annotations": []}})
        elif kind == "input_image" and part.get("image_url"):
            image = {"url": part["image_url"], "detail": part.get("detail") or "auto"}
            content.append({"type": "image_url", "image_url": image})
        elif kind == "input_image" and part.get("file_id"):
            image = {"file_id": part["file_id"], "detail": part.get("detail") or "auto"}
            content.append({"type": "image_file", "image_file": image})
    created = now()
    complete = item.get("status", "completed") == "completed"
    return {
        "id": item["id"],
        "object": "thread.message",
        "created_at": created,
        "thread_id": thread_id,
        "status": "completed" if complete else "incomplete",
        "incomplete_details": None if complete else {"reason": "max_tokens"},
        "completed_at": created if complete else None,
        "incomplete_at": None if complete else created,
        "role": item["role"],
        "content": content,
        "assistant_id": None,
        "run_id": None,
        "attachments": [],
        "metadata": {},
        **(extra or {}),
    }
