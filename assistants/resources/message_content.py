"""Message content as OpenAI stores it: a string or request parts become typed content blocks.

Images are referenced, never fetched here: an ``image_url`` must be http(s) or a ``data:image/``
URL, and an ``image_file`` must be a file of the caller (checked by ``check_image_files``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from assistants.context import Ctx
from assistants.errors import InvalidInput, quoted
from assistants.lookups import fetch
from storage.base import Kind

MAX_TEXT = 256_000
MAX_ATTACHMENTS = 10


def content_blocks(content: Any, param: str = "content") -> list[dict[str, Any]]:
    if isinstance(content, str):
        _check_length(content, param)
        return [text_block(content)]
    blocks = []
    for index, part in enumerate(content):
        kind = part.get("type")
        if kind == "text":
            _check_length(part["text"], f"{param}[{index}].text")
            blocks.append(text_block(part["text"]))
        elif kind == "image_url":
            image = dict(part["image_url"])
            _check_image_url(image.get("url"), f"{param}[{index}].image_url.url")
            image.setdefault("detail", "auto")
            blocks.append({"type": "image_url", "image_url": image})
        elif kind == "image_file":
            image = dict(part["image_file"])
            image.setdefault("detail", "auto")
            blocks.append({"type": "image_file", "image_file": image})
        else:
            raise InvalidInput(f"Invalid content part type '{kind}'.", param=f"{param}[{index}]")
    return blocks


def _check_image_url(url: Any, param: str) -> None:
    if not isinstance(url, str):
        raise InvalidInput(f"Missing required parameter: '{param}'.", param=param)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https") and parts.netloc:
        return
    if parts is not None and parts.scheme.lower() == "data":
        if url[5:].lower().startswith("image/"):
            return
        raise InvalidInput(
            f"Invalid '{param}': Expected a data URL with an image MIME type (e.g. "
            f"'data:image/png;base64,...'), but got {quoted(url, 40)}.",
            param=param,
        )
    raise InvalidInput(
        f"Invalid '{param}': Expected an http, https or data URL, but got {quoted(url)}.",
        param=param,
    )


async def check_image_files(ctx: Ctx, blocks: list[dict[str, Any]], param: str = "content") -> None:
    """Each ``image_file`` names a file of the caller (another tenant's answers 404 too)."""
    for index, block in enumerate(blocks):
        if block.get("type") == "image_file":
            file_id = block["image_file"].get("file_id")
            await fetch(
                ctx.store, ctx.tenant, Kind.FILE, file_id,
                param=f"{param}[{index}].image_file.file_id",
            )  # fmt: skip


def text_block(value: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": value, "annotations": []}}


def _check_length(text: str, param: str) -> None:
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{MAX_TEXT}, but got a string with length {len(text)} instead.",
            param=param,
        )


def checked_attachments(attachments: Any, param: str = "attachments") -> list[dict[str, Any]]:
    if not attachments:
        return []
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(
            f"Invalid '{param}': at most {MAX_ATTACHMENTS} attachments per message.", param=param
        )
    checked = []
    for index, item in enumerate(attachments):
        if not item.get("file_id"):
            raise InvalidInput(
                f"Missing required parameter: '{param}[{index}].file_id'.",
                param=f"{param}[{index}].file_id",
            )
        checked.append({"file_id": item["file_id"], "tools": list(item.get("tools") or [])})
    return checked


def plain_text(blocks: list[dict[str, Any]]) -> str:
    """The text of a message's content, for prompts and search queries."""
    return "\n".join(b["text"]["value"] for b in blocks if b.get("type") == "text")
