"""Runs and run steps: ``/v1/threads/{thread_id}/runs`` and ``/v1/threads/runs``."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.runs import service
from handlers.registry import operation
from handlers.sse import run_event_stream


def _streamed(call: Call, ctx: Any, run: dict, queue: Any) -> Any:
    if queue is None:
        return run
    events = service.work(ctx).events
    return run_event_stream(queue, lambda: events.unsubscribe(run["id"], queue))


@operation("createRun")
async def create_run(call: Call) -> Any:
    ctx = await call.ctx()
    run, queue = await service.create_run(ctx, call.path["thread_id"], call.body)
    return _streamed(call, ctx, run, queue)


@operation("createThreadAndRun")
async def create_thread_and_run(call: Call) -> Any:
    ctx = await call.ctx()
    run, queue, _thread = await service.create_thread_and_run(ctx, call.body)
    return _streamed(call, ctx, run, queue)


@operation("getRun")
async def get_run(call: Call) -> Any:
    return await service.get_run(await call.ctx(), call.path["thread_id"], call.path["run_id"])


@operation("listRuns")
async def list_runs(call: Call) -> Any:
    return await service.list_runs(await call.ctx(), call.path["thread_id"], call.query)


@operation("modifyRun")
async def modify_run(call: Call) -> Any:
    return await service.modify_run(
        await call.ctx(), call.path["thread_id"], call.path["run_id"], call.body or {}
    )


@operation("cancelRun")
async def cancel_run(call: Call) -> Any:
    return await service.cancel_run(await call.ctx(), call.path["thread_id"], call.path["run_id"])


@operation("submitToolOuputsToRun")
async def submit_tool_outputs(call: Call) -> Any:
    ctx = await call.ctx()
    run, queue = await service.submit_tool_outputs(
        ctx, call.path["thread_id"], call.path["run_id"], call.body
    )
    return _streamed(call, ctx, run, queue)


@operation("listRunSteps")
async def list_run_steps(call: Call) -> Any:
    return await service.list_steps(
        await call.ctx(), call.path["thread_id"], call.path["run_id"], call.query
    )


@operation("getRunStep")
async def get_run_step(call: Call) -> Any:
    return await service.get_step(
        await call.ctx(),
        call.path["thread_id"],
        call.path["run_id"],
        call.path["step_id"],
        call.query,
    )
