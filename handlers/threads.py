"""Threads: ``/v1/threads`` (listing is the astra-assistants extension)."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.resources import threads
from handlers.registry import operation


@operation("createThread")
async def create_thread(call: Call) -> Any:
    return await threads.create_thread(await call.ctx(), call.body)


@operation("getThread")
async def get_thread(call: Call) -> Any:
    return await threads.get_thread(await call.ctx(), call.path["thread_id"])


@operation("modifyThread")
async def modify_thread(call: Call) -> Any:
    return await threads.modify_thread(await call.ctx(), call.path["thread_id"], call.body or {})


@operation("deleteThread")
async def delete_thread(call: Call) -> Any:
    return await threads.delete_thread(await call.ctx(), call.path["thread_id"])


@operation("listThreads")
async def list_threads(call: Call) -> Any:
    return await threads.list_threads(await call.ctx(), call.query)
