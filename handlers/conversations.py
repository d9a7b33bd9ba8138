"""Conversations: ``/v1/conversations`` and their items (a thread id is a conversation id too)."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.conversations import service
from handlers.registry import operation


def _include(call: Call) -> list[str] | None:
    return call.query.get("include")


@operation("createConversation")
async def create_conversation(call: Call) -> Any:
    return await service.create_conversation(await call.ctx(), call.body)


@operation("getConversation")
async def get_conversation(call: Call) -> Any:
    return await service.get_conversation(await call.ctx(), call.path["conversation_id"])


@operation("updateConversation")
async def update_conversation(call: Call) -> Any:
    return await service.update_conversation(
        await call.ctx(), call.path["conversation_id"], call.body or {}
    )


@operation("deleteConversation")
async def delete_conversation(call: Call) -> Any:
    return await service.delete_conversation(await call.ctx(), call.path["conversation_id"])


@operation("createConversationItems")
async def create_items(call: Call) -> Any:
    return await service.create_items(
        await call.ctx(), call.path["conversation_id"], call.body or {}, _include(call)
    )


@operation("listConversationItems")
async def list_items(call: Call) -> Any:
    return await service.list_items(await call.ctx(), call.path["conversation_id"], call.query)


@operation("getConversationItem")
async def get_item(call: Call) -> Any:
    return await service.get_item(
        await call.ctx(), call.path["conversation_id"], call.path["item_id"], _include(call)
    )


@operation("deleteConversationItem")
async def delete_item(call: Call) -> Any:
    return await service.delete_item(
        await call.ctx(), call.path["conversation_id"], call.path["item_id"]
    )
