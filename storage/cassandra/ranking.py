"""Merging scored candidates from several vector stores into one exact top-k."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from storage.base import Hit

# Scores from the server are float32; candidates this close to the k-th are re-scored too, so a
# float32 rounding cannot push a true top-k member out.
NEAR_TIE = 1e-5
MAX_EXTRA_FINALISTS = 32


@dataclass(frozen=True, slots=True)
class Candidate:
    score: float
    store: str
    file_id: str
    index: int
    cql: Any  # the ChunkCql of the store's table, to read the row back

    def order(self) -> tuple[float, str, str, int]:
        return (-self.score, self.store, self.file_id, self.index)


def finalists(candidates: Sequence[Candidate], limit: int) -> list[Candidate]:
    """The best ``limit`` candidates, plus up to ``MAX_EXTRA_FINALISTS`` within ``NEAR_TIE``."""
    best = sorted(candidates, key=Candidate.order)
    if len(best) <= limit:
        return best
    floor = best[limit - 1].score - NEAR_TIE
    extra = [c for c in best[limit : limit + MAX_EXTRA_FINALISTS] if c.score >= floor]
    return best[:limit] + extra


def exact_score(embedding: np.ndarray, unit_query: np.ndarray) -> float:
    norm = float(np.linalg.norm(embedding))
    if norm == 0.0:
        return 0.0
    return float(np.dot(embedding, unit_query) / norm)


def ranked(hits: Sequence[Hit], limit: int) -> list[Hit]:
    """Best first; ties by (vector_store_id, file_id, index), as every backend orders them."""
    ordered = sorted(hits, key=lambda h: (-h.score, h.vector_store_id, h.file_id, h.index))
    return ordered[:limit]
