"""A create request's context: stored history, new input items, and the files they name."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.files.content import media_type_for, open_content
from assistants.ingest import IngestError, extract_text
from assistants.items.history import History, is_thread
from assistants.pagination import walk
from assistants.responses.executor import response_key
from assistants.responses.items import FileContents, input_list, stored_item
from storage.base import Json, Key, Kind

MAX_CHAIN = 1000
MAX_IMAGE_BYTES = 20 * 1024 * 1024


async def chain_items(ctx: Ctx, previous_id: str) -> list[Json]:
    """The input and output items of a response chain, oldest first."""
    chain: list[Json] = []
    response_id: str | None = previous_id
    while response_id and len(chain) < MAX_CHAIN:
        stored = await ctx.store.docs.get(response_key(ctx.tenant, response_id))
        if stored is None:
            if response_id == previous_id:
                raise NotFoundError(
                    f"Previous response with id '{previous_id}' not found.",
                    param="previous_response_id",
                )
            break
        chain.append(stored.doc)
        response_id = stored.doc.get("previous_response_id")
    items: list[Json] = []
    for response in reversed(chain):
        items += await input_items(ctx, response["id"])
        items += response["output"]
    return items


async def input_items(ctx: Ctx, response_id: str) -> list[Json]:
    return [s.doc async for s in walk(ctx.store, ctx.tenant, Kind.INPUT_ITEM, response_id)]


async def conversation_of(ctx: Ctx, value: Any) -> History:
    conversation_id = value if isinstance(value, str) else (value or {}).get("id")
    if not conversation_id:
        raise InvalidInput("Invalid 'conversation': expected an id.", param="conversation")
    kind = Kind.THREAD if is_thread(conversation_id) else Kind.CONVERSATION
    if await ctx.store.docs.get(Key(ctx.tenant, kind, "", conversation_id)) is None:
        raise NotFoundError(
            f"Conversation with id '{conversation_id}' not found.", param="conversation"
        )
    return History(ctx, conversation_id)


async def new_items(ctx: Ctx, value: Any, known: list[Json]) -> list[Json]:
    """The request's input in stored shape; ``item_reference``s resolve against ``known``."""
    by_id = {item["id"]: item for item in known}
    items: list[Json] = []
    for index, raw in enumerate(input_list(value)):
        param = f"input[{index}]"
        if raw.get("type") == "item_reference":
            found = by_id.get(raw.get("id"))
            if found is None:
                raise NotFoundError(f"Item with id '{raw.get('id')}' not found.", param=param)
            items.append(found)
            continue
        items.append(stored_item(raw, param))
    return items


def check_tool_outputs(context: list[Json]) -> None:
    """Every function_call_output answers a function_call that comes before it."""
    calls: set[str] = set()
    for item in context:
        if item["type"] == "function_call":
            calls.add(item["call_id"])
        elif item["type"] == "function_call_output" and item["call_id"] not in calls:
            raise InvalidInput(
                f"No tool call found for function call output with call_id {item['call_id']}.",
                param="input",
            )


async def file_contents(ctx: Ctx, items: list[Json]) -> FileContents:
    """Images (as data URLs) and the text of other files that message items name by file_id."""
    wanted: dict[str, str] = {}
    for item in items:
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if part["type"] in ("input_image", "input_file") and part.get("file_id"):
                wanted[part["file_id"]] = part["type"]
    contents = FileContents()
    for file_id, kind in wanted.items():
        try:
            opened = await open_content(ctx, file_id)
        except NotFoundError:
            raise NotFoundError(f"No such File object: {file_id}", param="input") from None
        data = b"".join([piece async for piece in opened.pieces])
        if kind == "input_image":
            if len(data) > MAX_IMAGE_BYTES:
                raise InvalidInput(f"Image file {file_id} is too large.", param="input")
            media = media_type_for(opened.filename)
            encoded = base64.b64encode(data).decode()
            contents.images[file_id] = f"data:{media};base64,{encoded}"
        else:
            try:
                extracted = await asyncio.to_thread(extract_text, data, opened.filename)
            except IngestError as exc:
                raise InvalidInput(f"File {file_id}: {exc}", param="input") from None
            name = opened.filename.replace('"', "'")
            contents.texts[file_id] = f'<file name="{name}">\n{extracted.text}\n</file>'
    return contents
