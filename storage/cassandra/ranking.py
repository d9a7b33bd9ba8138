"""Ordering hits from several vector stores, and keyword relevance from per-term postings."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from storage.base import Hit

# BM25's term-frequency saturation; chunks are windows of a fixed number of tokens, so document
# length normalization (BM25's b) is left out.
BM25_K1 = 1.2

ChunkRef = tuple[str, str, int]  # vector store id, file id, chunk index


def ranked(hits: Sequence[Hit], limit: int) -> list[Hit]:
    """Best first; ties by (vector_store_id, file_id, index), as every backend orders them."""
    ordered = sorted(hits, key=lambda h: (-h.score, h.vector_store_id, h.file_id, h.index))
    return ordered[:limit]


def bm25(postings: Mapping[str, Mapping[ChunkRef, int]], chunks: int) -> dict[ChunkRef, float]:
    """BM25 scores from ``term -> {chunk: term frequency}`` over a corpus of ``chunks`` chunks."""
    scores: dict[ChunkRef, float] = {}
    total = max(chunks, max((len(p) for p in postings.values()), default=0))
    for found in postings.values():
        df = len(found)
        if not df:
            continue
        idf = math.log(1.0 + (total - df + 0.5) / (df + 0.5))
        for ref, tf in found.items():
            tf = max(1, tf)
            scores[ref] = scores.get(ref, 0.0) + idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
    return scores
