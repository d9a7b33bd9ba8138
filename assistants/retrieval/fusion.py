"""Ranking options and reciprocal-rank fusion of semantic and keyword results.

OpenAI's file_search is hybrid: chunks found by embedding similarity and chunks found by their
words are merged by reciprocal-rank fusion (RRF), weighted by ``ranking_options.hybrid_search``
(``embedding_weight``, ``text_weight``; 1 and 1 when not given). ``ranker: "none"`` turns
re-ranking off: results are ranked by cosine similarity alone, as the plain vector search does.

A fused score is ``sum(weight / (RRF_K + rank))`` over the result lists, divided by its largest
possible value (rank 1 in every list), so it lies in (0, 1] like a similarity and
``score_threshold`` applies to it: a chunk ranked first both semantically and by keywords scores
1, one ranked first by one of two equally weighted lists 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistants.errors import InvalidInput
from storage.base import Hit

RRF_K = 60
RANKERS = frozenset({"auto", "none", "default-2024-11-15", "default_2024_08_21"})

ChunkKey = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Ranking:
    threshold: float = 0.0
    hybrid: bool = True
    embedding_weight: float = 1.0
    text_weight: float = 1.0


def parse_ranking(options: dict[str, Any] | None, param: str = "ranking_options") -> Ranking:
    """``ranking_options`` (named ``param`` in errors) as given by a request or a tool;
    raises ``InvalidInput``."""
    options = options or {}
    ranker = options.get("ranker") or "auto"
    if ranker not in RANKERS:
        raise InvalidInput(
            f"Invalid '{param}.ranker': expected one of {', '.join(sorted(RANKERS))}.",
            param=f"{param}.ranker",
        )
    threshold = options.get("score_threshold") or 0.0
    if not _number(threshold) or not 0 <= threshold <= 1:
        raise InvalidInput(
            f"Invalid '{param}.score_threshold': expected a number between 0 and 1.",
            param=f"{param}.score_threshold",
        )
    weights = options.get("hybrid_search") or {}
    if not isinstance(weights, dict):
        weights = {"embedding_weight": None}
    embedding = weights.get("embedding_weight", 1.0)
    text = weights.get("text_weight", 1.0)
    if not (_number(embedding) and _number(text) and embedding >= 0 and text >= 0):
        raise InvalidInput(
            f"Invalid '{param}.hybrid_search': weights must be numbers of at least 0.",
            param=f"{param}.hybrid_search",
        )
    if embedding == 0 and text == 0:
        raise InvalidInput(
            f"Invalid '{param}.hybrid_search': at least one weight must be above 0.",
            param=f"{param}.hybrid_search",
        )
    hybrid = ranker != "none" and text > 0
    return Ranking(float(threshold), hybrid, float(embedding), float(text))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fuse(lists: Sequence[tuple[float, Sequence[Hit]]]) -> list[Hit]:
    """Reciprocal-rank fusion of ``(weight, hits best first)`` lists; scores as described above.

    A hit keeps the text and metadata of its first appearance; order is by fused score, then
    (vector_store_id, file_id, index).
    """
    fused: dict[ChunkKey, float] = {}
    first: dict[ChunkKey, Hit] = {}
    best_possible = 0.0
    for weight, hits in lists:
        if weight <= 0 or not hits:
            continue
        best_possible += weight / (RRF_K + 1)
        seen: set[ChunkKey] = set()
        for rank, hit in enumerate(hits, start=1):
            key = (hit.vector_store_id, hit.file_id, hit.index)
            if key in seen:  # a list ranks each chunk once
                continue
            seen.add(key)
            first.setdefault(key, hit)
            fused[key] = fused.get(key, 0.0) + weight / (RRF_K + rank)
    if not fused:
        return []
    ordered = sorted(fused, key=lambda key: (-fused[key], key))
    return [replace(first[key], score=min(1.0, fused[key] / best_possible)) for key in ordered]
