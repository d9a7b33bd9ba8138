"""Messages of a thread: create, retrieve, modify, delete, list (both orders, by run)."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.ids import new_id, now
from assistants.lookups import deleted, fetch
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query
from assistants.resources.message_content import (
    check_image_files,
    checked_attachments,
    content_blocks,
)
from assistants.run_state.thread_lock import refuse_if_busy
from assistants.vector_stores.service import attach_files_to_thread
from storage.base import Json, Key, Kind, Put


def message_key(ctx: Ctx, thread_id: str, message_id: str) -> Key:
    return Key(ctx.tenant, Kind.MESSAGE, thread_id, message_id)


def new_message(ctx: Ctx, thread_id: str, body: dict[str, Any], param: str = "") -> Json:
    """A message object from a create-message request (not yet stored)."""
    prefix = f"{param}." if param else ""
    created = now()
    return {
        "id": new_id("msg"),
        "object": "thread.message",
        "created_at": created,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": created,
        "incomplete_at": None,
        "role": body["role"],
        "content": content_blocks(body["content"], f"{prefix}content"),
        "assistant_id": None,
        "run_id": None,
        "attachments": checked_attachments(body.get("attachments"), f"{prefix}attachments"),
        "metadata": checked_metadata(body.get("metadata"), f"{prefix}metadata"),
    }


async def check_message_files(ctx: Ctx, message: Json, param: str = "") -> None:
    """The files a new message refers to (attachments, image files) are the caller's."""
    prefix = f"{param}." if param else ""
    for index, attachment in enumerate(message["attachments"]):
        await fetch(
            ctx.store, ctx.tenant, Kind.FILE, attachment["file_id"],
            param=f"{prefix}attachments[{index}].file_id",
        )  # fmt: skip
    await check_image_files(ctx, message["content"], f"{prefix}content")


async def attach_for_search(ctx: Ctx, thread_id: str, messages: list[Json]) -> None:
    """Files attached with file_search go into the thread's own vector store, as with OpenAI."""
    file_ids = [
        attachment["file_id"]
        for message in messages
        for attachment in message["attachments"]
        if any(tool.get("type") == "file_search" for tool in attachment["tools"])
    ]
    if file_ids:
        await attach_files_to_thread(ctx, thread_id, file_ids)


async def create_message(ctx: Ctx, thread_id: str, body: dict[str, Any]) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    await refuse_if_busy(ctx, thread_id)
    message = new_message(ctx, thread_id, body)
    await check_message_files(ctx, message)
    await ctx.store.docs.write([Put(message_key(ctx, thread_id, message["id"]), message)])
    await attach_for_search(ctx, thread_id, [message])
    return message


async def get_message(ctx: Ctx, thread_id: str, message_id: str) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    return (await fetch(ctx.store, ctx.tenant, Kind.MESSAGE, message_id, thread_id)).doc


async def modify_message(ctx: Ctx, thread_id: str, message_id: str, body: dict[str, Any]) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    stored = await fetch(ctx.store, ctx.tenant, Kind.MESSAGE, message_id, thread_id)
    message = dict(stored.doc)
    if "metadata" in body:
        message["metadata"] = checked_metadata(body["metadata"])
    if "content" in body:
        message["content"] = content_blocks(body["content"])
        await check_image_files(ctx, message["content"])
    await ctx.store.docs.put(message_key(ctx, thread_id, message_id), message)
    return message


async def delete_message(ctx: Ctx, thread_id: str, message_id: str) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    await fetch(ctx.store, ctx.tenant, Kind.MESSAGE, message_id, thread_id)
    await ctx.store.docs.delete(message_key(ctx, thread_id, message_id))
    return deleted(message_id, "thread.message")


async def list_messages(ctx: Ctx, thread_id: str, query: dict[str, Any]) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    filters = {"run_id": query["run_id"]} if query.get("run_id") else None
    page = await ctx.store.docs.list(
        ctx.tenant, Kind.MESSAGE, thread_id, page_query(query), filters
    )
    return list_response(page)
