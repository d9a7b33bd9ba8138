"""OpenAI's ``chunking_strategy``: ``auto`` (800 tokens, 400 overlap) or ``static`` with bounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistants.ingest.errors import InvalidChunkingStrategy

MIN_CHUNK_TOKENS = 100
MAX_CHUNK_TOKENS = 4096
_PARAM = "chunking_strategy"


@dataclass(frozen=True, slots=True)
class ChunkingParams:
    """Validated chunk size and overlap; the defaults are OpenAI's ``auto`` strategy."""

    max_chunk_size_tokens: int = 800
    chunk_overlap_tokens: int = 400

    def __post_init__(self) -> None:
        size, overlap = self.max_chunk_size_tokens, self.chunk_overlap_tokens
        if not _is_int(size) or not MIN_CHUNK_TOKENS <= size <= MAX_CHUNK_TOKENS:
            raise InvalidChunkingStrategy(
                f"max_chunk_size_tokens must be an integer between {MIN_CHUNK_TOKENS} and "
                f"{MAX_CHUNK_TOKENS}, got {size!r}.",
                param=f"{_PARAM}.static.max_chunk_size_tokens",
            )
        if not _is_int(overlap) or overlap < 0:
            raise InvalidChunkingStrategy(
                f"chunk_overlap_tokens must be a non-negative integer, got {overlap!r}.",
                param=f"{_PARAM}.static.chunk_overlap_tokens",
            )
        if overlap * 2 > size:
            raise InvalidChunkingStrategy(
                f"chunk_overlap_tokens ({overlap}) must not exceed half of "
                f"max_chunk_size_tokens ({size}).",
                param=f"{_PARAM}.static.chunk_overlap_tokens",
            )

    @classmethod
    def from_strategy(cls, strategy: Mapping[str, Any] | None) -> ChunkingParams:
        """Parse a request's ``chunking_strategy``; ``None`` means ``auto``."""
        if strategy is None:
            return AUTO_CHUNKING
        kind = strategy.get("type")
        if kind == "auto":
            return AUTO_CHUNKING
        if kind != "static":
            raise InvalidChunkingStrategy(
                f"Invalid chunking strategy type {kind!r}; expected 'auto' or 'static'.",
                param=f"{_PARAM}.type",
            )
        static = strategy.get("static")
        if not isinstance(static, Mapping):
            raise InvalidChunkingStrategy(
                "A static chunking strategy needs a 'static' object.", param=f"{_PARAM}.static"
            )
        for field in ("max_chunk_size_tokens", "chunk_overlap_tokens"):
            if field not in static:
                raise InvalidChunkingStrategy(
                    f"Missing required parameter: '{_PARAM}.static.{field}'.",
                    param=f"{_PARAM}.static.{field}",
                )
        return cls(static["max_chunk_size_tokens"], static["chunk_overlap_tokens"])

    def as_strategy(self) -> dict[str, Any]:
        """The shape a vector store file reports; OpenAI reports ``auto`` as these static values."""
        return {
            "type": "static",
            "static": {
                "max_chunk_size_tokens": self.max_chunk_size_tokens,
                "chunk_overlap_tokens": self.chunk_overlap_tokens,
            },
        }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


AUTO_CHUNKING = ChunkingParams()
