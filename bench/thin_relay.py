"""Thin relays for chat_relay.py's side-by-side: the least a relay server does.

``--mode litellm``: ``POST /v1/chat/completions`` calls ``litellm.acompletion`` with the request's
body at the upstream (``--upstream``, an OpenAI-compatible base URL) and answers its result, or
relays its chunks as SSE (``chunk.model_dump_json()``): the least a LiteLLM-based server does.
``--mode bytes``: forwards the request's body to the upstream with aiohttp and its answer's bytes
back as they arrive, parsing nothing: the floor of any relay on this stack (uvicorn, asyncio).
No validation, storage or auth in either.

    python -m bench.thin_relay --port N --upstream http://127.0.0.1:M/v1 [--mode bytes]
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import AsyncIterator
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def create_app(upstream: str) -> Any:
    import litellm
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    litellm.suppress_debug_info = True

    async def chat(request: Request) -> Response:
        body = json.loads(await request.body())
        stream = bool(body.pop("stream", False))
        result = await litellm.acompletion(
            **body,
            stream=stream,
            api_base=upstream,
            api_key="sk-bench",
            custom_llm_provider="openai",
            max_retries=0,
        )
        if not stream:
            return JSONResponse(result.model_dump())

        async def relay() -> AsyncIterator[bytes]:
            async for chunk in result:
                yield b"data: " + chunk.model_dump_json().encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(relay(), media_type="text/event-stream")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/health", health, methods=["GET"]),
        ]
    )


def create_byte_relay(upstream: str) -> Any:
    """A bare ASGI app: bytes in, bytes out (one aiohttp session, made on the first request)."""
    import aiohttp

    sessions: list[aiohttp.ClientSession] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/v1/health":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        if not sessions:
            sessions.append(aiohttp.ClientSession())
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
        url = upstream + "/chat/completions"
        async with sessions[0].post(url, data=body, headers=headers) as answer:
            kind = answer.headers.get("content-type", "application/json").encode()
            start = {"type": "http.response.start", "status": answer.status}
            await send({**start, "headers": [(b"content-type", kind)]})
            async for piece in answer.content.iter_any():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--mode", choices=["litellm", "bytes"], default="litellm")
    args = parser.parse_args()
    build = create_app if args.mode == "litellm" else create_byte_relay
    uvicorn.run(
        build(args.upstream),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
