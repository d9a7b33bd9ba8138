"""The items of a conversation: read in order, appended in one write, listed a page at a time.

A conversation (``conv_...``) keeps its items as ``CONVERSATION_ITEM`` documents. An Assistants
thread (``thread_...``) is a conversation too: its messages are its message items (so a response
in a thread is readable with the Assistants API) and its other items (function calls and their
outputs, reasoning, system messages) are ``CONVERSATION_ITEM`` documents under the thread.
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistants.context import Ctx
from assistants.errors import NotFoundError
from assistants.items.order import order_key, ordered_query
from assistants.items.thread_items import MESSAGE_ROLES, item_of_message, message_of_item
from assistants.pagination import walk
from storage.base import Delete, Json, Key, Kind, Page, PageQuery, Put, Stored, WriteOp


def is_thread(conversation_id: str) -> bool:
    return conversation_id.startswith("thread_")


@dataclass(frozen=True)
class History:
    ctx: Ctx
    conversation_id: str

    def _item_key(self, item_id: str) -> Key:
        key = order_key(item_id)
        return Key(self.ctx.tenant, Kind.CONVERSATION_ITEM, self.conversation_id, key)

    def _message_key(self, message_id: str) -> Key:
        return Key(self.ctx.tenant, Kind.MESSAGE, self.conversation_id, message_id)

    async def _stream(self) -> AsyncIterator[Json]:
        """Every item in order (for a thread, messages and other items merged by time)."""
        store, tenant = self.ctx.store, self.ctx.tenant
        items = (
            s.doc async for s in walk(store, tenant, Kind.CONVERSATION_ITEM, self.conversation_id)
        )
        if not is_thread(self.conversation_id):
            async for item in items:
                yield item
            return
        messages = walk(store, tenant, Kind.MESSAGE, self.conversation_id)
        merged = _merge(
            [m.doc async for m in messages],
            [i async for i in items],
        )
        for item in merged:
            yield item

    async def items(self) -> list[Json]:
        return [item async for item in self._stream()]

    def append(
        self, items: Sequence[Json], message_extra: dict[str, Any] | None = None
    ) -> list[WriteOp]:
        """Writes that append ``items`` (batch them with the response that made them)."""
        ops: list[WriteOp] = []
        for item in items:
            if (
                is_thread(self.conversation_id)
                and item["type"] == "message"
                and item["role"] in MESSAGE_ROLES
            ):
                extra = message_extra if item["role"] == "assistant" else None
                message = message_of_item(item, self.conversation_id, extra)
                ops.append(Put(self._message_key(item["id"]), message))
            else:
                ops.append(Put(self._item_key(item["id"]), item))
        return ops

    async def page(self, query: PageQuery) -> Page:
        if not is_thread(self.conversation_id):
            return await self.ctx.store.docs.list(
                self.ctx.tenant, Kind.CONVERSATION_ITEM, self.conversation_id, ordered_query(query)
            )
        everything = await self.items()
        return _page_of(everything, query)

    async def get(self, item_id: str) -> Json:
        found = await self.ctx.store.docs.get(self._item_key(item_id))
        if found is None and is_thread(self.conversation_id):
            message = await self.ctx.store.docs.get(self._message_key(item_id))
            if message is not None:
                return item_of_message(message.doc)
        if found is None:
            raise NotFoundError(f"Item with id '{item_id}' not found.", param="item_id")
        return found.doc

    async def delete(self, item_id: str) -> None:
        await self.get(item_id)
        await self.ctx.store.docs.write(
            [Delete(self._item_key(item_id)), Delete(self._message_key(item_id))]
        )


def _merge(messages: list[Json], items: list[Json]) -> list[Json]:
    as_items = [item_of_message(m) for m in messages]
    return list(heapq.merge(as_items, items, key=lambda item: order_key(item["id"])))


def _page_of(items: list[Json], query: PageQuery) -> Page:
    ordered = items if query.order == "asc" else list(reversed(items))
    if query.after:
        cut = order_key(query.after)
        ordered = [
            i
            for i in ordered
            if (order_key(i["id"]) > cut if query.order == "asc" else order_key(i["id"]) < cut)
        ]
    if query.before:
        cut = order_key(query.before)
        ordered = [
            i
            for i in ordered
            if (order_key(i["id"]) < cut if query.order == "asc" else order_key(i["id"]) > cut)
        ]
    chosen = ordered[: query.limit]
    return Page([Stored(i["id"], i, 0) for i in chosen], len(ordered) > query.limit)
