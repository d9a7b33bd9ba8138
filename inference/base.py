"""The inference interface (`Inference`) and the records it carries."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeAlias

from inference.options import ProviderOptions

ChatResult: TypeAlias = dict[str, Any]
"""An OpenAI `chat.completion` object as a dict."""

ChatChunk: TypeAlias = dict[str, Any]
"""An OpenAI `chat.completion.chunk` object as a dict."""

EmbeddingInput: TypeAlias = str | Sequence[str] | Sequence[int] | Sequence[Sequence[int]]
"""One text, many texts, one token array or many token arrays (as in OpenAI's embeddings API)."""

_NOT_PARAMS = frozenset({"model", "messages", "extra"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    """A chat completion request in OpenAI's terms; only the fields set reach the provider."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    user: str | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    reasoning_effort: str | None = None
    stream_options: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Other provider parameters of the request body, passed as LiteLLM keyword arguments."""

    def params(self) -> dict[str, Any]:
        """The named optional parameters that are set (`extra` is not included)."""
        out: dict[str, Any] = {}
        for f in _PARAM_FIELDS:
            value = getattr(self, f)
            if value is not None:
                out[f] = value
        return out


_PARAM_FIELDS = tuple(f.name for f in fields(ChatRequest) if f.name not in _NOT_PARAMS)


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """Embedding vectors in input order."""

    model: str
    vectors: list[list[float]]
    dimensions: int
    usage: dict[str, int]


class Inference(Protocol):
    """The one door to LLM providers; implementations raise only `InferenceError`s."""

    async def chat(self, request: ChatRequest, options: ProviderOptions) -> ChatResult:
        """A non-streamed chat completion."""
        ...

    def chat_stream(
        self, request: ChatRequest, options: ProviderOptions
    ) -> AsyncGenerator[ChatChunk, None]:
        """Chunks as the provider sends them; a later failure raises from the iterator.

        A consumer that stops early must `aclose()` it, which releases the provider connection.
        """
        ...

    async def embed(
        self,
        inputs: EmbeddingInput,
        model: str | None,
        options: ProviderOptions,
        dimensions: int | None = None,
    ) -> EmbeddingResult:
        """Embeddings of `inputs`, batched, in order (`model` None: the options' or default)."""
        ...

    async def list_models(self, options: ProviderOptions) -> list[dict[str, Any]]:
        """OpenAI model objects: configured, the provider's own and LiteLLM's registry."""
        ...

    async def count_tokens(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> int:
        """The prompt tokens of a chat request, counted the way LiteLLM counts for ``model``."""
        ...
