"""Sending a prepared `WireCall` to an OpenAI-compatible provider and reading its answer.

Streams are parsed line by line and each chunk is decoded once (`chunks.relayed_chunk`); nothing
is rebuilt per chunk. Opening a call is retried like any call; failures become `inference.errors`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from inference.chunks import MalformedChunk, StreamChunk, relayed_chunk
from inference.error_mapping import from_response, from_stream_error
from inference.errors import (
    DestinationRefused,
    InferenceError,
    ProviderTimeout,
    ProviderUnavailable,
)
from inference.openai_wire import WireCall
from inference.outbound_gate import refusal_in
from inference.retry import call_with_retries
from inference.settings import InferenceSettings
from inference.sse import sse_events

if TYPE_CHECKING:
    import httpx

_DONE = b"[DONE]"
_DRAIN_SECONDS = 1.0
_ERROR_EVENT = b"error"


class DirectRelay:
    """Calls providers through the outbound gate's pooled clients of the running event loop,
    which it also closes: `client()` judges each connection by the outbound policy (a caller's
    URL), `operator_client()` does not (the provider URL the operator configured)."""

    def __init__(
        self,
        settings: InferenceSettings,
        client: Callable[[], httpx.AsyncClient],
        operator_client: Callable[[], httpx.AsyncClient],
    ) -> None:
        self.settings = settings
        self.client = client
        self.operator_client = operator_client

    async def complete(self, call: WireCall, secrets: Iterable[str]) -> dict[str, Any]:
        """A non-streamed completion body, as the provider sent it."""
        return await self._answer(call, list(secrets), "choices")

    async def embeddings(self, call: WireCall, secrets: Iterable[str]) -> dict[str, Any]:
        """An embeddings answer body, as the provider sent it."""
        return await self._answer(call, list(secrets), "data")

    async def _answer(self, call: WireCall, secret_list: list[str], field: str) -> dict[str, Any]:
        """The JSON body of a plain (not streamed) call, which must hold `field`."""

        async def attempt() -> httpx.Response:
            response = await self._send(call, secret_list, stream=False)
            if response.status_code >= 400:
                raise from_response(
                    response.status_code, response.content, response.headers, secret_list
                )
            return response

        response = await call_with_retries(self.settings, attempt)
        try:
            body = json.loads(response.content)
        except ValueError:
            raise ProviderUnavailable("The provider's answer is not JSON.") from None
        if not isinstance(body, dict) or field not in body:
            raise from_stream_error(body, secret_list)
        return body

    async def stream(
        self, call: WireCall, secrets: Iterable[str]
    ) -> AsyncGenerator[StreamChunk, None]:
        """The provider's chunks as they arrive; opening is retried, later failures raise."""
        secret_list = list(secrets)
        response = await call_with_retries(self.settings, lambda: self._open(call, secret_list))
        first = True
        try:
            body = _body(response)
            async for event, data in sse_events(body):
                if data == _DONE:
                    await _drain(body)
                    return
                chunk = relayed_chunk(data, first=first)
                if event == _ERROR_EVENT or _is_error(chunk):
                    raise from_stream_error(chunk, secret_list)
                first = False
                yield chunk
        except MalformedChunk as exc:
            raise ProviderUnavailable(str(exc)) from None
        except InferenceError:
            raise
        except Exception as exc:
            raise self._transport_error(exc, "The provider broke off the stream") from None
        finally:
            # Also when the consumer stops early: the connection is released at once.
            await response.aclose()

    async def _open(self, call: WireCall, secrets: list[str]) -> httpx.Response:
        response = await self._send(call, secrets, stream=True)
        failed = response.status_code >= 400
        if failed or "json" in response.headers.get("content-type", ""):
            # An error, or a JSON answer where a stream was asked for (some servers report
            # failures so): nothing to relay.
            try:
                content = await response.aread()
            except Exception as exc:
                raise self._transport_error(exc, "The provider broke off its answer") from None
            finally:
                await response.aclose()
            if failed:
                raise from_response(response.status_code, content, response.headers, secrets)
            raise from_stream_error(_json_or_none(content), secrets)
        return response

    async def _send(self, call: WireCall, secrets: list[str], *, stream: bool) -> httpx.Response:
        client = self.client() if call.to_caller_url else self.operator_client()
        request = client.build_request("POST", call.url, content=call.body, headers=call.headers)
        try:
            return await client.send(request, stream=stream)
        except Exception as exc:
            raise self._transport_error(exc, "The provider could not be reached") from None

    def _transport_error(self, exc: Exception, what: str) -> Exception:
        import httpx

        refused = refusal_in(exc)
        if refused is not None:  # judged at connect time: nothing was sent
            return DestinationRefused(refused.message)
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout(
                f"The provider did not answer within {self.settings.timeout:g} seconds."
            )
        if isinstance(exc, httpx.HTTPError):
            return ProviderUnavailable(f"{what} ({type(exc).__name__}).")
        return exc


def _is_error(chunk: dict[str, Any]) -> bool:
    """An error in place of a chunk: `{"error": ...}` (OpenAI) or `"object": "error"` (vLLM)."""
    return ("error" in chunk and not chunk.get("choices")) or chunk.get("object") == "error"


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes: straight from the transport unless they need decoding (gzip...)."""
    stream = response.stream
    if "content-encoding" in response.headers or not isinstance(stream, AsyncIterable):
        return response.aiter_bytes()
    return aiter(stream)


async def _drain(body: AsyncIterator[bytes]) -> None:
    """Read what follows `[DONE]` (the end of the chunked body), so the connection goes back to
    the pool instead of being closed; a provider that keeps sending loses it."""
    import httpx

    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for _ in body:
                pass
    except (TimeoutError, httpx.HTTPError):
        return  # the answer itself is complete; only the connection is not reused
