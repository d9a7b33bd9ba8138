"""OpenAI chat.completion bodies and chat.completion.chunk SSE streams for a `Reply`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from tests.upstream.errors import error_body
from tests.upstream.faults import Faults
from tests.upstream.replies import Reply

FINGERPRINT = "fp_upstream"


class CutStream(Exception):
    """Raised inside the response generator to make the server drop the connection mid-stream."""


def completion_body(reply: Reply, model: str, n: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [call.as_dict() for call in reply.tool_calls]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {"index": i, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
            for i in range(n)
        ],
        "usage": reply.usage(),
    }


def chunk_deltas(reply: Reply) -> list[tuple[dict[str, Any], str | None]]:
    """(delta, finish_reason) of each chunk: role, one per word or tool-call piece, the end."""
    deltas: list[tuple[dict[str, Any], str | None]] = [
        ({"role": "assistant", "content": "", "refusal": None}, None)
    ]
    for piece in reply.reasoning.split(" ") if reply.reasoning else []:
        deltas.append(({reply.reasoning_field: piece + " "}, None))
    if reply.tool_calls:
        for index, call in enumerate(reply.tool_calls):
            head = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            deltas.append(({"tool_calls": [head]}, None))
            for piece in _pieces(call.arguments, 8):
                deltas.append(
                    ({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None)
                )
    else:
        words = (reply.content or "").split(" ")
        for i, word in enumerate(words):
            deltas.append(({"content": word if i == len(words) - 1 else word + " "}, None))
    deltas.append(({}, reply.finish_reason))
    return deltas


async def sse_stream(
    reply: Reply, model: str, body: dict[str, Any], faults: Faults
) -> AsyncIterator[bytes]:
    """The SSE events of a streamed reply, with chunk delays, usage and mid-stream faults."""
    stream_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    n = int(body.get("n") or 1)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def event(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        chunk: dict[str, Any] = {
            "id": stream_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }
        if include_usage:
            chunk["usage"] = usage
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    deltas = chunk_deltas(reply)
    fail_at = (
        min(4, len(deltas) - 1) if faults.midstream else -1
    )  # after up to 3 content chunks, before the end
    for number, (delta, finish) in enumerate(deltas):
        if number and faults.chunk_delay_s:
            await asyncio.sleep(faults.chunk_delay_s)
        if number == fail_at:
            if faults.fail == "drop":
                raise CutStream("injected connection drop")
            failure = error_body(
                "The upstream failed mid-stream (injected).", "server_error", "server_error"
            )
            yield b"data: " + json.dumps(failure).encode() + b"\n\n"
            return
        yield event(
            [
                {"index": i, "delta": delta, "logprobs": None, "finish_reason": finish}
                for i in range(n)
            ]
        )
    if include_usage:
        yield event([], reply.usage())
    yield b"data: [DONE]\n\n"


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
