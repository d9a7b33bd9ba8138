"""Assistants: ``/v1/assistants``."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.resources import assistants
from handlers.registry import operation


@operation("createAssistant")
async def create_assistant(call: Call) -> Any:
    return await assistants.create_assistant(await call.ctx(), call.body)


@operation("getAssistant")
async def get_assistant(call: Call) -> Any:
    return await assistants.get_assistant(await call.ctx(), call.path["assistant_id"])


@operation("modifyAssistant")
async def modify_assistant(call: Call) -> Any:
    return await assistants.modify_assistant(
        await call.ctx(), call.path["assistant_id"], call.body or {}
    )


@operation("deleteAssistant")
async def delete_assistant(call: Call) -> Any:
    return await assistants.delete_assistant(await call.ctx(), call.path["assistant_id"])


@operation("listAssistants")
async def list_assistants(call: Call) -> Any:
    return await assistants.list_assistants(await call.ctx(), call.query)
