"""One round of a run: retrieval, one streamed model call, and what its answer becomes.

A round ends with the answer stored (the run completes or becomes incomplete), with tool calls
to be answered (``requires_action``), or with the run cancelled or failed. Every transition is
persisted before its event is published, so a GET never shows an older state than a stream.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.ids import now
from assistants.runs import citations
from assistants.runs.objects import new_assistant_message, new_step, usage
from assistants.runs.prompt import build_messages
from assistants.runs.retrieval_step import file_search_sources
from inference.base import ChatRequest
from inference.errors import InferenceError, RateLimited
from storage.base import Json, Key, Kind, Put
from storage.errors import VersionConflict

logger = logging.getLogger("assistants.runs")


class RunCancelled(Exception):
    """The run was asked to stop."""


@dataclass
class ToolCallDraft:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class RoundOutput:
    text: str = ""
    tool_calls: dict[int, ToolCallDraft] = field(default_factory=dict)
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RunRound:
    def __init__(self, ctx: Ctx, run_id: str, thread_id: str, hooks: Any) -> None:
        self.ctx = ctx
        self.run_id = run_id
        self.thread_id = thread_id
        self.hooks = hooks  # the RunManager: publish(), cancel_requested(), finished()
        self.run: Json = {}
        self.version = 0
        self.message: Json | None = None
        self.message_step: Json | None = None
        self.tool_step: Json | None = None
        self.sources: list[citations.Source] = []

    # persistence -------------------------------------------------------------------------------

    def _key(self, kind: Kind, parent: str, object_id: str) -> Key:
        return Key(self.ctx.tenant, kind, parent, object_id)

    async def _load(self) -> None:
        stored = await self.ctx.store.docs.get(self._key(Kind.RUN, self.thread_id, self.run_id))
        if stored is None:
            raise RunCancelled()
        self.run, self.version = dict(stored.doc), stored.version

    async def _save_run(self, **changes: Any) -> None:
        """Compare-and-set the run; a concurrent cancel wins, a concurrent metadata edit merges."""
        while True:
            updated = {**self.run, **changes}
            try:
                self.version = await self.ctx.store.docs.put(
                    self._key(Kind.RUN, self.thread_id, self.run_id),
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

    def _emit(self, name: str, data: Any) -> None:
        self.hooks.publish(self.run_id, name, data)

    # the round ---------------------------------------------------------------------------------

    async def execute(self) -> None:
        await self._load()
        if self.run["status"] not in ("queued", "in_progress"):
            return
        try:
            first_round = self.run["started_at"] is None
            await self._save_run(status="in_progress", started_at=self.run["started_at"] or now())
            self._emit("thread.run.in_progress", self.run)
            await self._round(first_round)
        except RunCancelled:
            await self._cancelled()
        except InferenceError as exc:
            code = "rate_limit_exceeded" if isinstance(exc, RateLimited) else "server_error"
            await self._failed(code, str(exc), exc)
        except asyncio.CancelledError:
            # The process is shutting down: leave the run to the lease sweeper of another worker.
            raise
        except Exception as exc:
            logger.exception("run %s failed", self.run_id)
            await self._failed("server_error", "The server had an error while running.", exc)

    async def _round(self, first_round: bool) -> None:
        self.sources = await file_search_sources(self.ctx, self.run, self)
        messages, _ = await build_messages(
            self.ctx.store,
            self.ctx.tenant,
            self.run,
            citations.sources_block(self.sources),
            first_round=first_round,
        )
        request = self._request(messages)
        output = await self._stream(request)
        await self._finish(output)

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

    async def _stream(self, request: ChatRequest) -> RoundOutput:
        output = RoundOutput()
        stream = self.ctx.inference.chat_stream(request, self.ctx.options)
        consume = asyncio.ensure_future(self._consume(stream, output))
        cancelled = asyncio.ensure_future(self.hooks.cancel_requested(self.run_id))
        try:
            done, _ = await asyncio.wait({consume, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cancelled.cancel()
        if consume not in done:
            consume.cancel()
            await asyncio.gather(consume, return_exceptions=True)
            await stream.aclose()  # the provider connection is released now, not at GC
            raise RunCancelled()
        consume.result()
        return output

    async def _consume(self, stream: Any, output: RoundOutput) -> None:
        async for chunk in stream:
            if chunk.get("usage"):
                output.prompt_tokens = chunk["usage"].get("prompt_tokens") or 0
                output.completion_tokens = chunk["usage"].get("completion_tokens") or 0
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    await self._text_delta(delta["content"], output)
                for call in delta.get("tool_calls") or []:
                    await self._tool_delta(call, output)
                if choice.get("finish_reason"):
                    output.finish_reason = choice["finish_reason"]

    async def _text_delta(self, piece: str, output: RoundOutput) -> None:
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
            self._emit("thread.run.step.created", self.message_step)
            self._emit("thread.run.step.in_progress", self.message_step)
            self._emit("thread.message.created", self.message)
            self._emit("thread.message.in_progress", self.message)
        output.text += piece
        self._emit(
            "thread.message.delta",
            {
                "id": self.message["id"],
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": piece}}]},
            },
        )

    async def _tool_delta(self, call: dict[str, Any], output: RoundOutput) -> None:
        if self.tool_step is None:
            self.tool_step = new_step(
                self.run, "tool_calls", {"type": "tool_calls", "tool_calls": []}
            )
            await self._put((Kind.RUN_STEP, self.run_id, self.tool_step))
            self._emit("thread.run.step.created", self.tool_step)
            self._emit("thread.run.step.in_progress", self.tool_step)
        index = int(call.get("index") or 0)
        draft = output.tool_calls.setdefault(index, ToolCallDraft())
        function = call.get("function") or {}
        if call.get("id") and not draft.id:
            draft.id = call["id"]
        draft.name += function.get("name") or ""
        draft.arguments += function.get("arguments") or ""
        piece: dict[str, Any] = {"index": index, "type": "function"}
        if call.get("id"):
            piece["id"] = call["id"]
        piece["function"] = {
            key: function[key] for key in ("name", "arguments") if function.get(key) is not None
        }
        self._emit(
            "thread.run.step.delta",
            {
                "id": self.tool_step["id"],
                "object": "thread.run.step.delta",
                "delta": {"step_details": {"type": "tool_calls", "tool_calls": [piece]}},
            },
        )

    async def _finish(self, output: RoundOutput) -> None:
        total = self.run.get("usage") or usage(0, 0)
        run_usage = usage(
            total["prompt_tokens"] + output.prompt_tokens,
            total["completion_tokens"] + output.completion_tokens,
        )
        round_usage = usage(output.prompt_tokens, output.completion_tokens)
        truncated = output.finish_reason == "length"
        if self.message is not None:
            await self._complete_message(output.text, truncated, round_usage)
        if output.tool_calls and not truncated:
            await self._require_action(output, run_usage)
            return
        if truncated:
            await self._save_run(
                status="incomplete",
                incomplete_details={"reason": "max_completion_tokens"},
                completed_at=None,
                usage=run_usage,
            )
            self._emit("thread.run.incomplete", self.run)
        else:
            await self._save_run(status="completed", completed_at=now(), usage=run_usage)
            self._emit("thread.run.completed", self.run)
        await self.hooks.finished(self.ctx, self.run)

    async def _complete_message(self, text: str, truncated: bool, round_usage: Json) -> None:
        assert self.message is not None and self.message_step is not None
        found = citations.annotations(text, self.sources)
        finished_at = now()
        self.message = {
            **self.message,
            "content": [{"type": "text", "text": {"value": text, "annotations": found}}],
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
            self._emit(
                "thread.message.delta",
                {
                    "id": self.message["id"],
                    "object": "thread.message.delta",
                    "delta": {
                        "content": [
                            {
                                "index": 0,
                                "type": "text",
                                "text": {
                                    "value": "",
                                    "annotations": [{**a, "index": i} for i, a in enumerate(found)],
                                },
                            }
                        ]
                    },
                },
            )
        self._emit(
            "thread.message.incomplete" if truncated else "thread.message.completed", self.message
        )
        self._emit("thread.run.step.completed", self.message_step)

    async def _require_action(self, output: RoundOutput, run_usage: Json) -> None:
        assert self.tool_step is not None
        seen: set[str] = set()
        calls = []
        for index in sorted(output.tool_calls):
            draft = output.tool_calls[index]
            call_id = draft.id if draft.id and draft.id not in seen else None
            call_id = call_id or f"call_{secrets.token_hex(12)}"
            seen.add(call_id)
            arguments = draft.arguments or "{}"
            calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": draft.name, "arguments": arguments, "output": None},
                }
            )
        self.tool_step = {
            **self.tool_step,
            "step_details": {"type": "tool_calls", "tool_calls": calls},
            "usage": usage(output.prompt_tokens, output.completion_tokens),
        }
        await self._put((Kind.RUN_STEP, self.run_id, self.tool_step))
        required = [
            {
                "id": c["id"],
                "type": "function",
                "function": {
                    "name": c["function"]["name"],
                    "arguments": c["function"]["arguments"],
                },
            }
            for c in calls
        ]
        await self._save_run(
            status="requires_action",
            required_action={
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": required},
            },
            usage=run_usage,
        )
        self._emit("thread.run.requires_action", self.run)
        await self.hooks.paused(self.ctx, self.run)

    # endings -----------------------------------------------------------------------------------

    async def _close_open_parts(self, status: str, error: Json | None = None) -> None:
        stamp = now()
        stamp_field = {"cancelled": "cancelled_at", "failed": "failed_at"}[status]
        for step in (self.message_step, self.tool_step):
            if step is not None and step["status"] == "in_progress":
                closed = {**step, "status": status, stamp_field: stamp, "last_error": error}
                await self._put((Kind.RUN_STEP, self.run_id, closed))
                self._emit(f"thread.run.step.{status}", closed)
        if self.message is not None and self.message["status"] == "in_progress":
            self.message = {**self.message, "status": "incomplete", "incomplete_at": stamp}
            await self._put((Kind.MESSAGE, self.thread_id, self.message))

    async def _cancelled(self) -> None:
        await self._close_open_parts("cancelled")
        await self._save_run(status="cancelled", cancelled_at=now(), required_action=None)
        self._emit("thread.run.cancelled", self.run)
        await self.hooks.finished(self.ctx, self.run)

    async def _failed(self, code: str, message: str, exc: BaseException) -> None:
        error = {"code": code, "message": message}
        try:
            await self._close_open_parts("failed", error)
            await self._save_run(status="failed", failed_at=now(), last_error=error)
        except RunCancelled:
            await self._cancelled()
            return
        self._emit("thread.run.failed", self.run)
        envelope = {"message": message, "type": "server_error", "param": None, "code": code}
        self._emit("error", {"error": envelope})
        await self.hooks.finished(self.ctx, self.run)
