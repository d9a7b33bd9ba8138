"""Operations of the Conversations API, for conversations and for Assistants threads alike."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.ids import new_id, now
from assistants.items.history import History, is_thread
from assistants.lookups import deleted
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query
from assistants.resources import threads
from assistants.responses.inputs import new_items
from assistants.responses.objects import present_item
from assistants.run_state.thread_lock import refuse_if_busy
from storage.base import Delete, DeleteChildren, Json, Key, Kind, Put, WriteOp
from storage.errors import VersionConflict

MAX_ITEMS_PER_CALL = 20


def _key(ctx: Ctx, conversation_id: str) -> Key:
    kind = Kind.THREAD if is_thread(conversation_id) else Kind.CONVERSATION
    return Key(ctx.tenant, kind, "", conversation_id)


def _as_conversation(doc: Json) -> Json:
    return {
        "id": doc["id"],
        "object": "conversation",
        "created_at": doc["created_at"],
        "metadata": doc.get("metadata") or {},
    }


async def _load(ctx: Ctx, conversation_id: str) -> tuple[Json, int]:
    stored = await ctx.store.docs.get(_key(ctx, conversation_id))
    if stored is None:
        raise NotFoundError(
            f"Conversation with id '{conversation_id}' not found.", param="conversation_id"
        )
    return stored.doc, stored.version


def _checked_count(items: Any) -> list[Any]:
    items = list(items or [])
    if len(items) > MAX_ITEMS_PER_CALL:
        raise InvalidInput(
            f"Invalid 'items': at most {MAX_ITEMS_PER_CALL} items can be added at a time, "
            f"got {len(items)}.",
            param="items",
        )
    return items


async def create_conversation(ctx: Ctx, body: dict[str, Any] | None) -> Json:
    body = body or {}
    conversation: Json = {
        "id": new_id("conv"),
        "object": "conversation",
        "created_at": now(),
        "metadata": checked_metadata(body.get("metadata")),
    }
    history = History(ctx, conversation["id"])
    items = await new_items(ctx, _checked_count(body.get("items")), [])
    ops: list[WriteOp] = [Put(_key(ctx, conversation["id"]), conversation)]
    ops += history.append(items)
    await ctx.store.docs.write(ops)
    return conversation


async def get_conversation(ctx: Ctx, conversation_id: str) -> Json:
    doc, _ = await _load(ctx, conversation_id)
    return _as_conversation(doc)


async def update_conversation(ctx: Ctx, conversation_id: str, body: dict[str, Any]) -> Json:
    for _ in range(5):
        doc, version = await _load(ctx, conversation_id)
        updated = {**doc, "metadata": checked_metadata(body.get("metadata"))}
        try:
            await ctx.store.docs.put(_key(ctx, conversation_id), updated, expected_version=version)
            return _as_conversation(updated)
        except VersionConflict:
            continue
    raise InvalidInput("The conversation changed while it was being updated; retry.")


async def delete_conversation(ctx: Ctx, conversation_id: str) -> Json:
    await _load(ctx, conversation_id)
    if is_thread(conversation_id):
        await threads.delete_thread(ctx, conversation_id)
    else:
        await ctx.store.docs.write(
            [
                Delete(_key(ctx, conversation_id)),
                DeleteChildren(ctx.tenant, Kind.CONVERSATION_ITEM, conversation_id),
            ]
        )
    return deleted(conversation_id, "conversation")


async def create_items(
    ctx: Ctx, conversation_id: str, body: dict[str, Any], include: list[str] | None
) -> Json:
    await _load(ctx, conversation_id)
    if is_thread(conversation_id):
        await refuse_if_busy(ctx, conversation_id)
    history = History(ctx, conversation_id)
    raw = _checked_count(body.get("items"))
    if not raw:
        raise InvalidInput("Invalid 'items': expected at least one item.", param="items")
    items = await new_items(ctx, raw, await history.items())
    await ctx.store.docs.write(history.append(items))
    data = [present_item(item, include) for item in items]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
        "has_more": False,
    }


async def list_items(ctx: Ctx, conversation_id: str, query: dict[str, Any]) -> Json:
    await _load(ctx, conversation_id)
    include = query.get("include")
    page = await History(ctx, conversation_id).page(page_query(query))
    return list_response(page, lambda item: present_item(item, include))


async def get_item(ctx: Ctx, conversation_id: str, item_id: str, include: list[str] | None) -> Json:
    await _load(ctx, conversation_id)
    return present_item(await History(ctx, conversation_id).get(item_id), include)


async def delete_item(ctx: Ctx, conversation_id: str, item_id: str) -> Json:
    doc, _ = await _load(ctx, conversation_id)
    await History(ctx, conversation_id).delete(item_id)
    return _as_conversation(doc)
