"""Chat completions: ``POST /v1/chat/completions``, streamed (SSE) or not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from app.call import Call
from app.errors import to_api_error
from app.json_out import json_bytes
from handlers.registry import operation
from inference.requests import chat_request_from_body, openai_completion


def _sse(data: Any) -> bytes:
    # A chunk relayed unchanged keeps the provider's own JSON text: no second serialization.
    raw = getattr(data, "raw", None)
    if raw is None:
        raw = json_bytes(data)
    return b"data: " + raw + b"\n\n"


@operation("createChatCompletion")
async def create_chat_completion(call: Call) -> Any:
    request = chat_request_from_body(call.body)
    engine = call.state.inference
    if not call.body.get("stream"):
        return openai_completion(await engine.chat(request, call.provider_options))
    chunks = engine.chat_stream(request, call.provider_options).__aiter__()
    # Fail before the first byte when the provider refuses at once: a real status code then.
    first = await anext(chunks, None)

    async def relay() -> AsyncIterator[bytes]:
        try:
            if first is not None:
                yield _sse(first)
            async for chunk in chunks:
                yield _sse(chunk)
        except Exception as exc:  # after the first byte, a failure can only be an event
            yield _sse(to_api_error(exc).envelope())
            return
        finally:
            # A client that disconnects stops this generator: free the provider connection now.
            await chunks.aclose()
        yield b"data: [DONE]\n\n"

    return StreamingResponse(
        relay(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
