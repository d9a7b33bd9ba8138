"""A thin LiteLLM relay, for chat_relay.py's side-by-side: the least a LiteLLM-based server does.

``POST /v1/chat/completions`` calls ``litellm.acompletion`` with the request's body at the
upstream (``--upstream``, an OpenAI-compatible base URL) and answers its result, or relays its
chunks as SSE (``chunk.model_dump_json()``). No validation, storage or auth.

    python -m bench.thin_relay --port N --upstream http://127.0.0.1:M/v1
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


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.upstream),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
