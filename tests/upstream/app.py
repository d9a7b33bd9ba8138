"""The upstream's Starlette application: routes, request logging and fault handling."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.upstream.anthropic import (
    anthropic_error,
    anthropic_error_body,
    message_body,
    message_stream,
    openai_body,
)
from tests.upstream.completions import completion_body, sse_stream
from tests.upstream.embeddings import MAX_DIMENSIONS, embeddings_body
from tests.upstream.errors import error_body, fault_response
from tests.upstream.faults import FlakyCounter, context_window, parse_faults
from tests.upstream.log import RecordedRequest, RequestLog
from tests.upstream.replies import build_reply

MODELS = ("fake-model", "gpt-4o-mini", "fake-embed-384", "text-embedding-3-small")


def create_app(log: RequestLog) -> Starlette:
    flaky = FlakyCounter()

    async def record(request: Request) -> tuple[dict[str, Any], RecordedRequest]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        recorded = RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        log.append(recorded)
        return body if isinstance(body, dict) else {}, recorded

    async def injected(body: dict[str, Any], recorded: RecordedRequest) -> Response | None:
        """Apply the delay and up-front failure the request asks for; None to carry on."""
        model = str(body.get("model", ""))
        faults = parse_faults(model, recorded.headers)
        if faults.delay_s:
            await asyncio.sleep(faults.delay_s)
        key = recorded.api_key or ""
        if key.startswith("sk-invalid"):
            return fault_response("401", faults, model, key)
        status = flaky.status_for(model, body)
        if status is not None:
            return fault_response(str(status), faults, model, key)
        if faults.fail and not faults.midstream:
            return fault_response(faults.fail, faults, model, key)
        return None

    async def chat(request: Request) -> Response:
        body, recorded = await record(request)
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return JSONResponse(
                error_body("model and messages are required", "invalid_request_error", None), 400
            )
        failure = await injected(body, recorded)
        if failure is not None:
            return failure
        reply = build_reply(body)
        model = str(body["model"])
        if body.get("prompt_cache_key"):
            reply = replace(reply, cached=True)
        if "reasoning-field" in model:  # streams its thinking as `reasoning`, as some do
            reply = replace(reply, reasoning_field="reasoning")
        window = context_window(model)
        if window is not None and reply.prompt_tokens > window:
            refused = fault_response("context", parse_faults(model, recorded.headers), model, None)
            if refused is not None:
                return refused
        response: Response
        if body.get("stream"):
            faults = parse_faults(model, recorded.headers)
            response = StreamingResponse(
                sse_stream(reply, model, body, faults),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
            )
        else:
            response = JSONResponse(completion_body(reply, model, int(body.get("n") or 1)))
        cookie = recorded.headers.get("x-upstream-set-cookie")
        if cookie:
            response.set_cookie("upstream_session", cookie)
        return response

    async def messages(request: Request) -> Response:
        """Anthropic's Messages API, answering by the same rules as chat completions."""
        body, recorded = await record(request)
        if not recorded.headers.get("anthropic-version"):
            message = "anthropic-version: header is required"
            return JSONResponse(anthropic_error_body(400, message), 400)
        if not body.get("model") or not isinstance(body.get("messages"), list):
            message = "model and messages are required"
            return JSONResponse(anthropic_error_body(400, message), 400)
        if not isinstance(body.get("max_tokens"), int):
            return JSONResponse(anthropic_error_body(400, "max_tokens: Field required"), 400)
        failure = await injected(body, recorded)
        if failure is not None:
            assert isinstance(failure, JSONResponse)
            return anthropic_error(failure)
        model = str(body["model"])
        reply = build_reply(openai_body(body))
        if body.get("stream"):
            faults = parse_faults(model, recorded.headers)
            return StreamingResponse(
                message_stream(reply, model, faults),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        return JSONResponse(message_body(reply, model))

    async def embeddings(request: Request) -> Response:
        body, recorded = await record(request)
        if not body.get("model") or "input" not in body:
            return JSONResponse(
                error_body("model and input are required", "invalid_request_error", None), 400
            )
        dims = body.get("dimensions")
        if isinstance(dims, int) and not 1 <= dims <= MAX_DIMENSIONS:
            # Like a real provider: a model has a largest number of dimensions.
            message = f"dimensions must be between 1 and {MAX_DIMENSIONS}"
            return JSONResponse(error_body(message, "invalid_request_error", "dimensions"), 400)
        if "floats-only" in str(body["model"]) and body.get("encoding_format") == "base64":
            # Like OpenAI-compatible servers that return floats only.
            message = "encoding_format 'base64' is not supported"
            refusal = error_body(message, "invalid_request_error", "encoding_format")
            return JSONResponse(refusal, 400)
        failure = await injected(body, recorded)
        return failure or JSONResponse(embeddings_body(body))

    async def models(request: Request) -> Response:
        await record(request)
        created = int(time.time())
        data = [
            {"id": m, "object": "model", "created": created, "owned_by": "upstream"} for m in MODELS
        ]
        return JSONResponse({"object": "list", "data": data})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
