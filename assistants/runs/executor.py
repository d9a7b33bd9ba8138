"""One round of a run: retrieval, one model turn, and what its answer becomes.

The turn engine streams the model call; this adapter maps its events to the Assistants stream
(``thread.message.*``, ``thread.run.step.*``) and persists the message and steps. A round ends
with the answer stored (the run completes or becomes incomplete), with tool calls to be answered
(``requires_action``), or with the run cancelled or failed. Every transition is persisted before
its event is published, so a GET never shows an older state than a stream.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from assistants.context import Ctx
from assistants.ids import now
from assistants.run_state.lifecycle import ref, release, run_key, work_of
from assistants.run_state.objects import new_assistant_message, new_step, usage
from assistants.runs.prompt import build_messages
from assistants.runs.retrieval_step import file_search_sources
from assistants.turns import citations
from assistants.turns.engine import TurnCancelled, run_turn
from assistants.turns.events import TextDelta, ToolCallDelta, TurnEvent, TurnResult
from assistants.work.leases import drop_lease
from assistants.work.service import WorkService
from inference.base import ChatRequest
from inference.errors import InferenceError, RateLimited
from storage.base import Json, Key, Kind, Put
from storage.errors import StorageError, VersionConflict

logger = logging.getLogger("assistants.runs")


class RunCancelled(Exception):
    """The run was asked to stop."""


async def start_round(ctx: Ctx, run: Json, version: int | None = None) -> None:
    """Execute the next round of ``run`` (status queued, its lease just written) in this process.

    With ``version`` (the one the caller just wrote) the round starts from ``run`` instead of
    reading it back; a change made in between still wins its compare-and-set.
    """
    work = work_of(ctx)
    key = run_key(ctx.tenant, run["thread_id"], run["id"])

    async def execute(cancel: asyncio.Event) -> None:
        round_ = RunRound(ctx, run["id"], run["thread_id"], work, cancel)
        if version is not None:
            round_.run, round_.version = dict(run), version
        await round_.execute()

    async def cancel_written() -> bool:
        stored = await ctx.store.docs.get(key)
        return stored is None or stored.doc["status"] == "cancelling"

    work.start(ctx.store, ref(ctx.tenant, run), execute, cancel_written)


class RunRound:
    def __init__(
        self, ctx: Ctx, run_id: str, thread_id: str, work: WorkService, cancel: asyncio.Event
    ) -> None:
        self.ctx = ctx
        self.run_id = run_id
        self.thread_id = thread_id
        self.work = work
        self.cancel = cancel
        self.run: Json = {}
        self.version = 0
        self.message: Json | None = None
        self.message_step: Json | None = None
        self.tool_step: Json | None = None
        self.sources: list[citations.Source] = []
        self.text: list[str] = []

    # persistence -------------------------------------------------------------------------------

    def _key(self, kind: Kind, parent: str, object_id: str) -> Key:
        return Key(self.ctx.tenant, kind, parent, object_id)

    async def _load(self) -> None:
        stored = await self.ctx.store.docs.get(
            run_key(self.ctx.tenant, self.thread_id, self.run_id)
        )
        if stored is None:
            raise RunCancelled()
        self.run, self.version = dict(stored.doc), stored.version

    async def _save_run(self, **changes: Any) -> None:
        """Compare-and-set the run; a concurrent cancel wins, a concurrent metadata edit merges."""
        while True:
            updated = {**self.run, **changes}
            try:
                self.version = await self.ctx.store.docs.put(
                    run_key(self.ctx.tenant, self.thread_id, self.run_id),
                    updated,
                    expected_version=self.version,
                )
                self.run = updated
                return
            except VersionConflict:
                previous = self.run
                await self._load()
                if self.run["status"] == "cancelling" and changes.get("status") != "cancelled":
                    raise RunCancelled() from None
                self.run = {**previous, "metadata": self.run["metadata"]}

    async def _put(self, *docs: tuple[Kind, str, Json]) -> None:
        await self.ctx.store.docs.write(
            [Put(self._key(kind, parent, doc["id"]), doc) for kind, parent, doc in docs]
        )

    def publish(self, name: str, data: Any) -> None:
        self.work.events.publish(self.run_id, name, data)

    # the round ---------------------------------------------------------------------------------

    async def execute(self) -> None:
        if not self.run:
            await self._load()
        if self.run["status"] not in ("queued", "in_progress"):
            return
        try:
            first_round = self.run["started_at"] is None
            await self._save_run(status="in_progress", started_at=self.run["started_at"] or now())
            self.publish("thread.run.in_progress", self.run)
            await self._round(first_round)
        except (RunCancelled, TurnCancelled):
            await self._cancelled()
        except InferenceError as exc:
            code = "rate_limit_exceeded" if isinstance(exc, RateLimited) else "server_error"
            await self._failed(code, str(exc))
        except asyncio.CancelledError:
            # The process is shutting down: leave the run to the lease sweeper of another worker.
            raise
        except Exception:
            logger.exception("run %s failed", self.run_id)
            await self._failed("server_error", "The server had an error while running.")

    async def _round(self, first_round: bool) -> None:
        self.sources = await file_search_sources(self.ctx, self.run, self.publish)
        messages, _ = await build_messages(
            self.ctx.store,
            self.ctx.tenant,
            self.run,
            citations.sources_block(self.sources),
            first_round=first_round,
        )
        result = await run_turn(
            self.ctx.inference, self.ctx.options, self._request(messages), self, self.cancel
        )
        await self._finish(result)

    def _request(self, messages: list[dict[str, Any]]) -> ChatRequest:
        run = self.run
        functions = [t for t in run["tools"] if t["type"] == "function"]
        tool_choice = run.get("tool_choice")
        if isinstance(tool_choice, dict) and tool_choice.get("type") != "function":
            tool_choice = None  # file_search / code_interpreter are not the model's to call
        response_format = run.get("response_format")
        spent = (run.get("usage") or {}).get("completion_tokens", 0)
        budget = run.get("max_completion_tokens")
        return ChatRequest(
            model=run["model"],
            messages=messages,
            tools=[{"type": "function", "function": t["function"]} for t in functions] or None,
            tool_choice=tool_choice if functions else None,
            parallel_tool_calls=run.get("parallel_tool_calls") if functions else None,
            response_format=response_format if isinstance(response_format, dict) else None,
            temperature=run.get("temperature"),
            top_p=run.get("top_p"),
            max_completion_tokens=max(1, budget - spent) if budget else None,
            reasoning_effort=run.get("reasoning_effort"),
            stream_options={"include_usage": True},
        )

    # the turn's events -------------------------------------------------------------------------

    async def emit(self, event: TurnEvent) -> None:
        if isinstance(event, TextDelta):
            await self._text_delta(event.text)
        elif isinstance(event, ToolCallDelta):
            await self._tool_delta(event)

    async def _text_delta(self, piece: str) -> None:
        if self.message is None:
            self.message = new_assistant_message(self.run)
            self.message_step = new_step(
                self.run,
                "message_creation",
                {
                    "type": "message_creation",
                    "message_creation": {"message_id": self.message["id"]},
                },
            )
            await self._put(
                (Kind.MESSAGE, self.thread_id, self.message),
                (Kind.RUN_STEP, self.run_id, self.message_step),
            )
            self.publish("thread.run.step.created", self.message_step)
            self.publish("thread.run.step.in_progress", self.message_step)
            self.publish("thread.message.created", self.message)
            self.publish("thread.message.in_progress", self.message)
        self.text.append(piece)
        self.publish(
            "thread.message.delta",
            {
                "id": self.message["id"],
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": piece}}]},
            },
        )

    async def _tool_delta(self, delta: ToolCallDelta) -> None:
        if self.tool_step is None:
            self.tool_step = new_step(
                self.run, "tool_calls", {"type": "tool_calls", "tool_calls": []}
            )
            await self._put((Kind.RUN_STEP, self.run_id, self.tool_step))
            self.publish("thread.run.step.created", self.tool_step)
            self.publish("thread.run.step.in_progress", self.tool_step)
        piece: dict[str, Any] = {"index": delta.index, "type": "function"}
        if delta.call_id:
            piece["id"] = delta.call_id
        function: dict[str, str] = {}
        if delta.name:
            function["name"] = delta.name
        function["arguments"] = delta.arguments
        piece["function"] = function
        self.publish(
            "thread.run.step.delta",
            {
                "id": self.tool_step["id"],
                "object": "thread.run.step.delta",
                "delta": {"step_details": {"type": "tool_calls", "tool_calls": [piece]}},
            },
        )

    # endings -----------------------------------------------------------------------------------

    async def _finish(self, result: TurnResult) -> None:
        total = self.run.get("usage") or usage(0, 0)
        run_usage = usage(
            total["prompt_tokens"] + result.usage.prompt,
            total["completion_tokens"] + result.usage.completion,
        )
        round_usage = usage(result.usage.prompt, result.usage.completion)
        truncated = result.truncated
        if self.message is not None:
            await self._complete_message(result.text, truncated, round_usage)
        if result.tool_calls and not truncated:
            await self._require_action(result, run_usage)
            return
        if truncated:
            await self._save_run(
                status="incomplete",
                incomplete_details={"reason": "max_completion_tokens"},
                completed_at=None,
                usage=run_usage,
            )
            self.publish("thread.run.incomplete", self.run)
        else:
            await self._save_run(status="completed", completed_at=now(), usage=run_usage)
            self.publish("thread.run.completed", self.run)
        await release(self.ctx.store, self.ctx.tenant, self.run)

    async def _complete_message(self, text: str, truncated: bool, round_usage: Json) -> None:
        assert self.message is not None and self.message_step is not None
        found = citations.marker_annotations(text, self.sources)
        finished_at = now()
        self.message = {
            **self.message,
            "content": [citations.text_content(text, found)],
            "status": "incomplete" if truncated else "completed",
            "incomplete_details": {"reason": "max_tokens"} if truncated else None,
            "completed_at": None if truncated else finished_at,
            "incomplete_at": finished_at if truncated else None,
        }
        self.message_step = {
            **self.message_step,
            "status": "completed",
            "completed_at": finished_at,
            "usage": round_usage,
        }
        await self._put(
            (Kind.MESSAGE, self.thread_id, self.message),
            (Kind.RUN_STEP, self.run_id, self.message_step),
        )
        if found:
            annotated = [{**a, "index": i} for i, a in enumerate(found)]
            self.publish(
                "thread.message.delta",
                {
                    "id": self.message["id"],
                    "object": "thread.message.delta",
                    "delta": {
                        "content": [
                            {
                                "index": 0,
                                "type": "text",
                                "text": {"value": "", "annotations": annotated},
                            }
                        ]
                    },
                },
            )
        self.publish(
            "thread.message.incomplete" if truncated else "thread.message.completed", self.message
        )
        self.publish("thread.run.step.completed", self.message_step)

    async def _require_action(self, result: TurnResult, run_usage: Json) -> None:
        assert self.tool_step is not None
        calls = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments, "output": None},
            }
            for call in result.tool_calls
        ]
        self.tool_step = {
            **self.tool_step,
            "step_details": {"type": "tool_calls", "tool_calls": calls},
            "usage": usage(result.usage.prompt, result.usage.completion),
        }
        await self._put((Kind.RUN_STEP, self.run_id, self.tool_step))
        required = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in result.tool_calls
        ]
        await self._save_run(
            status="requires_action",
            required_action={
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": required},
            },
            usage=run_usage,
        )
        self.publish("thread.run.requires_action", self.run)
        # The run waits for tool outputs: no lease while nothing executes it.
        try:
            await drop_lease(self.ctx.store, self.ctx.tenant, self.run_id)
        except StorageError:
            logger.warning("run %s: lease not dropped", self.run_id)

    async def _close_open_parts(self, status: str, error: Json | None = None) -> None:
        stamp = now()
        stamp_field = {"cancelled": "cancelled_at", "failed": "failed_at"}[status]
        for step in (self.message_step, self.tool_step):
            if step is not None and step["status"] == "in_progress":
                closed = {**step, "status": status, stamp_field: stamp, "last_error": error}
                await self._put((Kind.RUN_STEP, self.run_id, closed))
                self.publish(f"thread.run.step.{status}", closed)
        if self.message is not None and self.message["status"] == "in_progress":
            # The message keeps what was streamed and says why it ended, as OpenAI's does.
            text = "".join(self.text)
            self.message = {
                **self.message,
                "status": "incomplete",
                "incomplete_at": stamp,
                "incomplete_details": {"reason": f"run_{status}"},
                "content": [citations.text_content(text, [])] if text else [],
            }
            await self._put((Kind.MESSAGE, self.thread_id, self.message))
            self.publish("thread.message.incomplete", self.message)

    async def _cancelled(self) -> None:
        await self._close_open_parts("cancelled")
        await self._save_run(status="cancelled", cancelled_at=now(), required_action=None)
        self.publish("thread.run.cancelled", self.run)
        await release(self.ctx.store, self.ctx.tenant, self.run)

    async def _failed(self, code: str, message: str) -> None:
        error = {"code": code, "message": message}
        try:
            await self._close_open_parts("failed", error)
            await self._save_run(status="failed", failed_at=now(), last_error=error)
        except RunCancelled:
            await self._cancelled()
            return
        # No `error` event after it: the SDKs raise on one, and this terminal event says it all.
        self.publish("thread.run.failed", self.run)
        await release(self.ctx.store, self.ctx.tenant, self.run)
