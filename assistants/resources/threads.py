"""Threads: create (with messages), retrieve, modify, delete (cascading), list."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput
from assistants.ids import new_id, now
from assistants.lookups import deleted, fetch
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query, walk
from assistants.resources.messages import (
    attach_for_search,
    check_message_files,
    message_key,
    new_message,
)
from assistants.resources.tool_resources import resolve_tool_resources
from assistants.run_state.thread_lock import stop_thread_writer
from storage.base import Delete, DeleteChildren, Json, Key, Kind, Put, WriteOp

MAX_INITIAL_MESSAGES = 32


def thread_key(ctx: Ctx, thread_id: str) -> Key:
    return Key(ctx.tenant, Kind.THREAD, "", thread_id)


async def build_thread(ctx: Ctx, body: dict[str, Any]) -> tuple[Json, list[Json]]:
    """A new thread and its initial messages, checked but not stored."""
    body = body or {}
    requested = body.get("messages") or []
    if len(requested) > MAX_INITIAL_MESSAGES:
        raise InvalidInput(
            f"Invalid 'messages': at most {MAX_INITIAL_MESSAGES} messages when creating a thread.",
            param="messages",
        )
    thread: Json = {
        "id": new_id("thread"),
        "object": "thread",
        "created_at": now(),
        "tool_resources": await resolve_tool_resources(ctx, body.get("tool_resources")) or {},
        "metadata": checked_metadata(body.get("metadata")),
    }
    messages = [
        new_message(ctx, thread["id"], item, f"messages[{index}]")
        for index, item in enumerate(requested)
    ]
    for index, message in enumerate(messages):
        await check_message_files(ctx, message, f"messages[{index}]")
    return thread, messages


async def store_thread(ctx: Ctx, thread: Json, messages: list[Json]) -> None:
    """The thread and its messages appear together or not at all."""
    ops: list[WriteOp] = [Put(thread_key(ctx, thread["id"]), thread)]
    ops += [Put(message_key(ctx, thread["id"], m["id"]), m) for m in messages]
    await ctx.store.docs.write(ops)
    await attach_for_search(ctx, thread["id"], messages)


async def create_thread(ctx: Ctx, body: dict[str, Any] | None) -> Json:
    thread, messages = await build_thread(ctx, body or {})
    await store_thread(ctx, thread, messages)
    if any(message["attachments"] for message in messages):
        # Attachments for file_search gave the thread a vector store: answer with it.
        return (await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread["id"])).doc
    return thread


async def get_thread(ctx: Ctx, thread_id: str) -> Json:
    return (await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)).doc


async def modify_thread(ctx: Ctx, thread_id: str, body: dict[str, Any]) -> Json:
    stored = await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    thread = dict(stored.doc)
    if "tool_resources" in body:
        thread["tool_resources"] = await resolve_tool_resources(ctx, body["tool_resources"]) or {}
    if "metadata" in body:
        thread["metadata"] = checked_metadata(body["metadata"])
    await ctx.store.docs.put(thread_key(ctx, thread_id), thread)
    return thread


async def _run_ids(ctx: Ctx, thread_id: str) -> list[str]:
    return [item.id async for item in walk(ctx.store, ctx.tenant, Kind.RUN, thread_id)]


async def delete_thread(ctx: Ctx, thread_id: str) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    # A run still going would write its message and steps under the deleted thread.
    await stop_thread_writer(ctx, thread_id)
    ops: list[WriteOp] = [
        Delete(thread_key(ctx, thread_id)),
        DeleteChildren(ctx.tenant, Kind.MESSAGE, thread_id),
        DeleteChildren(ctx.tenant, Kind.RUN, thread_id),
        DeleteChildren(ctx.tenant, Kind.CONVERSATION_ITEM, thread_id),  # read as a conversation
    ]
    ops += [
        DeleteChildren(ctx.tenant, Kind.RUN_STEP, run_id)
        for run_id in await _run_ids(ctx, thread_id)
    ]
    await ctx.store.docs.write(ops)
    return deleted(thread_id, "thread")


async def list_threads(ctx: Ctx, query: dict[str, Any]) -> Json:
    page = await ctx.store.docs.list(ctx.tenant, Kind.THREAD, "", page_query(query))
    return list_response(page)
