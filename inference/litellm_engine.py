"""`Inference` on LiteLLM: routing, credentials, translation, retries, error mapping.

Chat and embeddings calls to OpenAI-compatible providers are prepared by LiteLLM and sent by the
direct relay (`openai_wire`, `direct`), which streams without rebuilding objects per chunk and
takes vectors as base64; every other call goes through `litellm.acompletion` / `aembedding`.
While LiteLLM is still being imported, plain OpenAI chat calls are prepared without it
(`early_wire`) and sent by the same relay.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable
from types import ModuleType
from typing import Any, TypeVar

from inference import early_wire
from inference.base import ChatChunk, ChatRequest, ChatResult, EmbeddingInput, EmbeddingResult
from inference.chunks import plain_completion
from inference.direct import DirectRelay
from inference.error_mapping import map_exception
from inference.errors import BadProviderRequest, DestinationRefused, InferenceError
from inference.loader import LiteLLMLoader, ProcessLoader, warm_in_background
from inference.models import (
    ModelCatalog,
    ProviderLists,
    caller_provider,
    merge_models,
    model_object,
    registry_models,
    server_providers,
)
from inference.normalize import chunk_dict, completion_dict, embedding_vectors, usage_dict
from inference.openai_wire import EmbeddingWire, WireCall, prepare, prepare_embedding
from inference.options import ProviderOptions
from inference.outbound_gate import OutboundGate, refusal_in
from inference.retry import call_with_retries
from inference.routing import Route, chat_arguments, embedding_route
from inference.settings import InferenceSettings
from outbound import Resolver, system_resolver

logger = logging.getLogger("assistants.inference")

Prepared = TypeVar("Prepared", WireCall, EmbeddingWire)


class LiteLLMEngine:
    """The LiteLLM-backed `Inference`: settings and caches; credentials come with each call."""

    def __init__(
        self,
        settings: InferenceSettings | None = None,
        resolver: Resolver = system_resolver,
        loader: LiteLLMLoader | None = None,
    ) -> None:
        self.settings = settings or InferenceSettings()
        self._loader = loader or ProcessLoader()
        self._providers: frozenset[str] | None = None
        self._catalog: ModelCatalog | None = None
        self._provider_lists = ProviderLists()
        # Every outbound connection of this engine is made or checked here (see outbound_gate).
        self.outbound = OutboundGate(
            self.settings.outbound,
            resolver,
            self.settings.timeout,
            max_connections=self.settings.max_connections,
        )
        self._direct = DirectRelay(
            self.settings, self.outbound.http_client, self.outbound.operator_client
        )
        self._floats_only: set[str] = set()  # embeddings endpoints that refused base64 vectors

    def warm(self) -> None:
        """Import and configure LiteLLM now (blocking, seconds): run it in a thread at startup."""
        self._loader.load()

    def warm_in_background(self) -> threading.Thread:
        """`warm()` in a daemon thread, for callers without an event loop at hand."""
        return warm_in_background(self._loader)

    async def aclose(self) -> None:
        """Close this engine's own provider connections (those of the running event loop)."""
        await self.outbound.aclose()

    async def chat(self, request: ChatRequest, options: ProviderOptions) -> ChatResult:
        early = await self._early_wire(request, options, stream=False)
        if early is not None:
            return completion_dict(plain_completion(await self._direct.complete(*early)))
        litellm = await self._litellm()
        kwargs, secrets = await self._chat_kwargs(litellm, request, options)
        kwargs.pop("stream_options", None)  # providers reject it on non-streamed calls
        wire = self._wire(litellm, kwargs, secrets, stream=False)
        if wire is not None:
            return completion_dict(plain_completion(await self._direct.complete(wire, secrets)))
        kwargs = self.outbound.with_client(kwargs)
        response = await call_with_retries(
            self.settings, lambda: self._call(litellm.acompletion, kwargs, request.model, secrets)
        )
        return completion_dict(response)

    async def chat_stream(
        self, request: ChatRequest, options: ProviderOptions
    ) -> AsyncGenerator[ChatChunk, None]:
        early = await self._early_wire(request, options, stream=True)
        if early is not None:
            async for relayed in self._direct.stream(*early):
                yield relayed
            return
        litellm = await self._litellm()
        kwargs, secrets = await self._chat_kwargs(litellm, request, options)
        wire = self._wire(litellm, kwargs, secrets, stream=True)
        if wire is not None:
            async for relayed in self._direct.stream(wire, secrets):
                yield relayed
            return
        kwargs = self.outbound.with_client(kwargs)
        kwargs["stream"] = True
        # Opening the stream is retried like a plain call: nothing has reached the client yet.
        stream = await call_with_retries(
            self.settings, lambda: self._call(litellm.acompletion, kwargs, request.model, secrets)
        )
        try:
            while True:
                try:
                    chunk = await stream.__anext__()
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    raise self._mapped(exc, request.model, secrets) from None
                yield chunk_dict(chunk)
        finally:
            # Releases the provider connection when the consumer stops early (client gone, cancel).
            await stream.aclose()

    async def embed(
        self,
        inputs: EmbeddingInput,
        model: str | None,
        options: ProviderOptions,
        dimensions: int | None = None,
    ) -> EmbeddingResult:
        items = _input_list(inputs)
        if not items:
            raise BadProviderRequest("The input must contain at least one item.", param="input")
        litellm = await self._litellm()
        name = model or options.embedding_model or self.settings.default_embedding_model
        route = embedding_route(name, options, self._provider_names(litellm))
        base = {
            **route.kwargs,
            "model": name,
            "timeout": self.settings.timeout,
            "max_retries": 0,
            "drop_params": self.settings.drop_params,
        }
        if dimensions is not None:
            # LiteLLM refuses `dimensions` for OpenAI-compatible models it does not know.
            base.update(dimensions=dimensions, allowed_openai_params=["dimensions"])
        secrets = (*route.secrets, *options.secret_values())
        await self.outbound.check(base)
        wire = self._embedding_wire(litellm, base, secrets)
        if wire is None:
            base = self.outbound.with_client(base)
        size = max(self.settings.embedding_batch_size, 1)
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        gate = asyncio.Semaphore(max(self.settings.embedding_concurrency, 1))

        async def one(batch: list[Any]) -> Any:
            async with gate:
                if wire is not None:
                    return await self._direct_embeddings(wire, batch, secrets)
                return await call_with_retries(
                    self.settings,
                    lambda: self._call(litellm.aembedding, {**base, "input": batch}, name, secrets),
                )

        responses = (
            [await one(batches[0])]
            if len(batches) == 1
            else await _all_or_first_error(one, batches)
        )
        vectors: list[list[float]] = []
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        for response in responses:
            vectors.extend(
                vector
                for _, vector in sorted(embedding_vectors(response), key=lambda pair: pair[0])
            )
            for key, value in usage_dict(response).items():
                usage[key] += value
        dims = len(vectors[0]) if vectors else (dimensions or 0)
        return EmbeddingResult(model=name, vectors=vectors, dimensions=dims, usage=usage)

    async def list_models(self, options: ProviderOptions) -> list[dict[str, Any]]:
        """Configured models, the provider's own (base URL), then LiteLLM's registry for the
        providers the caller or the server has credentials for."""
        if self._catalog is None:
            litellm = await self._litellm()
            self._catalog = ModelCatalog(registry_models(litellm), server_providers(litellm))
        configured = [model_object(m, "system") for m in self.settings.models]
        try:
            provided = await self._provider_lists.get(
                options, self.outbound.http_client(), self.settings.provider_models_timeout
            )
        except Exception as exc:
            refused = refusal_in(exc)
            if refused is None:
                raise
            raise DestinationRefused(refused.message) from None
        return merge_models(configured, provided, self._catalog.registry(caller_provider(options)))

    async def count_tokens(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> int:
        litellm = await self._litellm()

        def count() -> int:
            return int(litellm.token_counter(model=model, messages=messages, tools=tools))

        try:
            # Tokenizing is CPU work (tiktoken or a Hugging Face tokenizer): off the event loop.
            return await asyncio.to_thread(count)
        except Exception as exc:
            raise BadProviderRequest(
                f"Cannot count tokens for model '{model}'.", param="model"
            ) from exc

    async def _litellm(self) -> ModuleType:
        if self._loader.is_loaded():
            return self._loader.load()
        # In a worker thread, so the event loop keeps serving during the seconds-long import.
        return await asyncio.to_thread(self._loader.load)

    def _provider_names(self, litellm: ModuleType) -> frozenset[str]:
        if self._providers is None:
            self._providers = frozenset(str(getattr(p, "value", p)) for p in litellm.provider_list)
        return self._providers

    async def _early_wire(
        self, request: ChatRequest, options: ProviderOptions, *, stream: bool
    ) -> tuple[WireCall, tuple[str, ...]] | None:
        """The direct relay's call and its secrets while LiteLLM is not loaded yet, for a plain
        OpenAI chat call (`early_wire`); None: the call waits for LiteLLM."""
        if self.settings.relay != "direct" or self._loader.is_loaded():
            return None
        call = self._chat_arguments(early_wire.PROVIDERS, request, options)
        wire = early_wire.prepare(call.kwargs, stream=stream)
        if wire is None:
            return None
        await self.outbound.check(call.kwargs)
        return wire, call.secrets

    async def _chat_kwargs(
        self, litellm: ModuleType, request: ChatRequest, options: ProviderOptions
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        call = self._chat_arguments(self._provider_names(litellm), request, options)
        # Checked here; the OpenAI client for LiteLLM's own sending is added only where it sends.
        await self.outbound.check(call.kwargs)
        return call.kwargs, call.secrets

    def _chat_arguments(
        self, providers: frozenset[str], request: ChatRequest, options: ProviderOptions
    ) -> Route:
        return chat_arguments(
            request,
            options,
            providers,
            timeout=self.settings.timeout,
            drop_params=self.settings.drop_params,
        )

    def _wire(
        self,
        litellm: ModuleType,
        kwargs: dict[str, Any],
        secrets: tuple[str, ...],
        *,
        stream: bool,
    ) -> WireCall | None:
        """The request for the direct relay, or None when LiteLLM makes this call itself."""
        return self._direct_or_none(
            lambda: prepare(litellm, kwargs, stream=stream), kwargs, secrets
        )

    def _embedding_wire(
        self, litellm: ModuleType, kwargs: dict[str, Any], secrets: tuple[str, ...]
    ) -> EmbeddingWire | None:
        """The endpoint for direct embeddings calls, or None when LiteLLM makes them itself."""
        return self._direct_or_none(lambda: prepare_embedding(litellm, kwargs), kwargs, secrets)

    def _direct_or_none(
        self, make: Callable[[], Prepared | None], kwargs: dict[str, Any], secrets: tuple[str, ...]
    ) -> Prepared | None:
        """`make()` for the direct relay; None when it is off or LiteLLM's internals fail it."""
        if self.settings.relay != "direct":
            return None
        try:
            return make()
        except InferenceError:
            raise
        except Exception as exc:
            mapped = map_exception(
                exc, model=kwargs["model"], timeout=self.settings.timeout, secrets=secrets
            )
            if mapped is not None:
                raise mapped from None
            # A LiteLLM internal this module relies on changed: its own path still works.
            logger.warning("direct relay unavailable for this call (%s)", type(exc).__name__)
            return None

    async def _direct_embeddings(
        self, wire: EmbeddingWire, batch: list[Any], secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        """One batch, its vectors asked for as base64 unless this endpoint refused that once
        (then as floats, the provider's default, which is what LiteLLM asks for)."""
        if wire.url in self._floats_only:
            return await self._direct.embeddings(wire.call(batch, base64=False), secrets)
        try:
            return await self._direct.embeddings(wire.call(batch), secrets)
        except BadProviderRequest as refused:
            if not _about_encoding(refused):
                raise
            answer = await self._direct.embeddings(wire.call(batch, base64=False), secrets)
            self._floats_only.add(wire.url)
            return answer

    async def _call(
        self,
        fn: Callable[..., Awaitable[Any]],
        kwargs: dict[str, Any],
        model: str,
        secrets: Iterable[str],
    ) -> Any:
        try:
            return await fn(**kwargs)
        except Exception as exc:
            # `from None`: the original's message may quote the key, and tracebacks print chains.
            raise self._mapped(exc, model, secrets) from None

    def _mapped(self, exc: Exception, model: str, secrets: Iterable[str]) -> Exception:
        refused = refusal_in(exc)
        if refused is not None:  # checked at connect time, under LiteLLM's wrappers
            return DestinationRefused(refused.message)
        mapped: InferenceError | None = map_exception(
            exc, model=model, timeout=self.settings.timeout, secrets=secrets
        )
        return mapped if mapped is not None else exc


def _about_encoding(error: BadProviderRequest) -> bool:
    """Whether a provider's refusal is of the `encoding_format` (a server without base64)."""
    text = f"{error.param or ''} {error.message}".lower()
    return "encoding_format" in text or "base64" in text


def _input_list(inputs: EmbeddingInput) -> list[Any]:
    if isinstance(inputs, str):
        return [inputs]
    items = list(inputs)
    if items and all(isinstance(x, int) for x in items):
        return [items]  # one token array
    return items


async def _all_or_first_error(
    fn: Callable[[Any], Coroutine[Any, Any, Any]], batches: list[Any]
) -> list[Any]:
    """Run fn over batches concurrently, results in order; the first failure cancels the rest."""
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks.extend(group.create_task(fn(batch)) for batch in batches)
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
