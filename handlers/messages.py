"""Messages: ``/v1/threads/{thread_id}/messages``."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.resources import messages
from handlers.registry import operation


@operation("createMessage")
async def create_message(call: Call) -> Any:
    return await messages.create_message(await call.ctx(), call.path["thread_id"], call.body)


@operation("getMessage")
async def get_message(call: Call) -> Any:
    return await messages.get_message(
        await call.ctx(), call.path["thread_id"], call.path["message_id"]
    )


@operation("modifyMessage")
async def modify_message(call: Call) -> Any:
    return await messages.modify_message(
        await call.ctx(), call.path["thread_id"], call.path["message_id"], call.body or {}
    )


@operation("deleteMessage")
async def delete_message(call: Call) -> Any:
    return await messages.delete_message(
        await call.ctx(), call.path["thread_id"], call.path["message_id"]
    )


@operation("listMessages")
async def list_messages(call: Call) -> Any:
    return await messages.list_messages(await call.ctx(), call.path["thread_id"], call.query)
