"""``chunking_strategy`` parsing and OpenAI's bounds on static chunking."""

from __future__ import annotations

import pytest

from assistants.errors import InvalidInput
from assistants.ingest import AUTO_CHUNKING, ChunkingParams, InvalidChunkingStrategy


def static(size: object, overlap: object) -> dict:
    return {
        "type": "static",
        "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap},
    }


def test_auto_is_800_and_400():
    assert (AUTO_CHUNKING.max_chunk_size_tokens, AUTO_CHUNKING.chunk_overlap_tokens) == (800, 400)
    assert ChunkingParams.from_strategy(None) is AUTO_CHUNKING
    assert ChunkingParams.from_strategy({"type": "auto"}) is AUTO_CHUNKING


def test_auto_reports_itself_as_static():
    assert AUTO_CHUNKING.as_strategy() == static(800, 400)


@pytest.mark.parametrize(("size", "overlap"), [(100, 0), (100, 50), (4096, 2048), (1200, 200)])
def test_valid_static_strategies(size, overlap):
    params = ChunkingParams.from_strategy(static(size, overlap))
    assert (params.max_chunk_size_tokens, params.chunk_overlap_tokens) == (size, overlap)
    assert params.as_strategy() == static(size, overlap)


@pytest.mark.parametrize(
    ("size", "overlap", "param", "words"),
    [
        (99, 0, "max_chunk_size_tokens", "between 100 and 4096"),
        (4097, 0, "max_chunk_size_tokens", "between 100 and 4096"),
        (True, 0, "max_chunk_size_tokens", "integer"),
        (800.0, 0, "max_chunk_size_tokens", "integer"),
        (800, -1, "chunk_overlap_tokens", "non-negative"),
        (800, 401, "chunk_overlap_tokens", "half"),
        (101, 51, "chunk_overlap_tokens", "half"),
    ],
)
def test_invalid_static_strategies(size, overlap, param, words):
    with pytest.raises(InvalidChunkingStrategy, match=words) as caught:
        ChunkingParams.from_strategy(static(size, overlap))
    assert caught.value.param == f"chunking_strategy.static.{param}"
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize(
    ("strategy", "param"),
    [
        ({"type": "dynamic"}, "chunking_strategy.type"),
        ({"type": "static"}, "chunking_strategy.static"),
        (
            {"type": "static", "static": {"max_chunk_size_tokens": 800}},
            "chunking_strategy.static.chunk_overlap_tokens",
        ),
    ],
)
def test_malformed_strategies(strategy, param):
    with pytest.raises(InvalidChunkingStrategy) as caught:
        ChunkingParams.from_strategy(strategy)
    assert caught.value.param == param
