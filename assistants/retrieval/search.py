"""Search over vector stores: semantic (the query embedded with each store's model) and keyword.

Used by ``POST /vector_stores/{id}/search`` and by runs' file_search. By default both searches run
concurrently and their results are fused by reciprocal rank (``fusion``); ``ranker: "none"`` keeps
the semantic ranking alone. Attribute filters are evaluated against the vector store files'
attributes to give the allowed file ids, which the chunk index then searches within. Every
searched store counts as active (``last_active_at``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput
from assistants.ids import now
from assistants.lookups import fetch_doc
from assistants.pagination import walk
from assistants.retrieval.filters import Predicate, compile_filter
from assistants.retrieval.fusion import Ranking, fuse, parse_ranking
from assistants.vector_stores.records import is_expired, store_key
from assistants.vector_stores.service import touch
from storage.base import Hit, Json, Kind
from storage.errors import StorageUnavailable

log = logging.getLogger(__name__)

MAX_RESULTS = 50


@dataclass(frozen=True, slots=True)
class SearchResult:
    vector_store_id: str
    file_id: str
    filename: str
    score: float  # fused rank score, or cosine similarity with ranker "none", in [0, 1]
    texts: tuple[str, ...]  # the chunk(s) of the file that matched
    attributes: dict[str, Any] = field(default_factory=dict)
    chunk_index: int = 0

    def as_item(self) -> Json:
        """The ``VectorStoreSearchResultItem`` of the search endpoint."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "score": self.score,
            "attributes": self.attributes,
            "content": [{"type": "text", "text": text} for text in self.texts],
        }


def _queries(query: str | list[str]) -> list[str]:
    queries = [query] if isinstance(query, str) else list(query)
    if not queries or not all(isinstance(q, str) and q.strip() for q in queries):
        raise InvalidInput("Invalid 'query': expected a non-empty string.", param="query")
    return queries


async def _files(ctx: Ctx, store_id: str, predicate: Predicate) -> dict[str, Json]:
    """The completed files of a store whose attributes pass the filter."""
    allowed: dict[str, Json] = {}
    files = walk(ctx.store, ctx.tenant, Kind.VECTOR_STORE_FILE, store_id, {"status": "completed"})
    async for item in files:
        if not item.doc.get("_deleted") and predicate(item.doc.get("attributes") or {}):
            allowed[item.id] = item.doc
    return allowed


async def _stores(ctx: Ctx, store_ids: list[str], strict: bool) -> list[Json]:
    if strict:
        stores = await asyncio.gather(
            *(fetch_doc(ctx.store, ctx.tenant, Kind.VECTOR_STORE, s) for s in store_ids)
        )
        for store in stores:
            if is_expired(store):
                raise InvalidInput(
                    f"Vector store {store['id']} is expired.", param="vector_store_id"
                )
        return list(stores)
    found = await asyncio.gather(*(ctx.store.docs.get(store_key(ctx.tenant, s)) for s in store_ids))
    return [f.doc for f in found if f is not None and not is_expired(f.doc)]


async def _semantic(
    ctx: Ctx, by_model: dict[str, list[str]], queries: list[str], limit: int, file_ids: Any
) -> list[list[Hit]]:
    """Per query, the best chunks by cosine across every store (stores grouped by model)."""
    per_query: list[list[Hit]] = [[] for _ in queries]
    for model, store_ids in by_model.items():
        embedded: Any = await ctx.inference.embed(queries, model=model, options=ctx.options)
        found = await asyncio.gather(
            *(
                ctx.store.chunks.search(ctx.tenant, store_ids, vector, limit, file_ids=file_ids)
                for vector in embedded.vectors
            )
        )
        for hits, more in zip(per_query, found, strict=True):
            hits.extend(more)
    return [_by_score(hits)[:limit] for hits in per_query]


async def _keyword(
    ctx: Ctx, store_ids: list[str], queries: list[str], limit: int, file_ids: Any
) -> list[list[Hit]]:
    try:
        return list(
            await asyncio.gather(
                *(
                    ctx.store.chunks.keyword_search(
                        ctx.tenant, store_ids, q, limit, file_ids=file_ids
                    )
                    for q in queries
                )
            )
        )
    except StorageUnavailable:
        # e.g. Cassandra still building the term index of a table made by an older release:
        # rank semantically meanwhile (a real outage fails the semantic search as well).
        log.warning("keyword search unavailable; ranking by embeddings alone")
        return []


async def _ranked_hits(
    ctx: Ctx,
    by_model: dict[str, list[str]],
    queries: list[str],
    limit: int,
    file_ids: Any,
    ranking: Ranking,
) -> list[Hit]:
    if not ranking.hybrid:
        semantic = await _semantic(ctx, by_model, queries, limit, file_ids)
        return [hit for hits in semantic for hit in hits]
    store_ids = [s for ids in by_model.values() for s in ids]
    semantic, keyword = await asyncio.gather(
        _semantic(ctx, by_model, queries, limit, file_ids),
        _keyword(ctx, store_ids, queries, limit, file_ids),
    )
    return fuse(
        [(ranking.embedding_weight, hits) for hits in semantic]
        + [(ranking.text_weight, hits) for hits in keyword]
    )


def _by_score(hits: list[Hit]) -> list[Hit]:
    return sorted(hits, key=lambda h: (-h.score, h.vector_store_id, h.file_id, h.index))


async def search(
    ctx: Ctx,
    vector_store_ids: Sequence[str],
    query: str | list[str],
    max_num_results: int = 10,
    filters: dict[str, Any] | None = None,
    ranking_options: dict[str, Any] | None = None,
    *,
    strict: bool = True,
) -> list[SearchResult]:
    """The best chunks for ``query`` (one or several queries) across the stores, best first.

    Raises ``InvalidInput`` for a blank query or out-of-range options. With ``strict``, a store
    the tenant does not have raises ``NotFoundError`` and an expired one ``InvalidInput``;
    without (runs: an assistant may name a store deleted since), such stores are skipped.
    """
    if not 1 <= max_num_results <= MAX_RESULTS:
        raise InvalidInput(
            f"Invalid 'max_num_results': must be between 1 and {MAX_RESULTS}.",
            param="max_num_results",
        )
    queries = _queries(query)
    ranking = parse_ranking(ranking_options)
    predicate = compile_filter(filters) if filters is not None else None
    stores = await _stores(ctx, list(dict.fromkeys(vector_store_ids)), strict)
    if not stores:
        return []
    # Marking the stores active does not depend on the results: it is written meanwhile.
    touching = asyncio.get_running_loop().create_task(_touch_all(ctx, stores))
    try:
        results = await _search_stores(ctx, stores, queries, max_num_results, predicate, ranking)
    except BaseException:
        touching.cancel()
        await asyncio.gather(touching, return_exceptions=True)
        raise
    await touching
    return results


async def _search_stores(
    ctx: Ctx,
    stores: list[Json],
    queries: list[str],
    max_num_results: int,
    predicate: Predicate | None,
    ranking: Ranking,
) -> list[SearchResult]:
    store_ids = [store["id"] for store in stores]
    by_model: dict[str, list[str]] = defaultdict(list)
    for store in stores:
        by_model[store["_embedding_model"]].append(store["id"])
    known: dict[tuple[str, str], Json] = {}
    if predicate is not None:
        for store_id in store_ids:
            for file_id, doc in (await _files(ctx, store_id, predicate)).items():
                known[(store_id, file_id)] = doc
        if not known:
            return []
    allowed = None if predicate is None else {file_id for _, file_id in known}
    # Some hits may belong to files still being indexed: ask for a few more than needed.
    limit = min(max_num_results + 10, 2 * MAX_RESULTS)
    hits = await _ranked_hits(ctx, by_model, queries, limit, allowed, ranking)
    results = await _results(ctx, hits, known, predicate is not None, ranking.threshold)
    return results[:max_num_results]


async def _results(
    ctx: Ctx, hits: list[Hit], known: dict[tuple[str, str], Json], filtered: bool, threshold: float
) -> list[SearchResult]:
    best: dict[tuple[str, str, int], Hit] = {}
    for hit in hits:
        key = (hit.vector_store_id, hit.file_id, hit.index)
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    ranked = _by_score(list(best.values()))
    ranked = [hit for hit in ranked if _clamp(hit.score) >= threshold]
    missing = list({(h.vector_store_id, h.file_id) for h in ranked} - known.keys())
    if filtered:
        ranked = [h for h in ranked if (h.vector_store_id, h.file_id) in known]
    else:
        by_store: dict[str, list[str]] = defaultdict(list)
        for store_id, file_id in missing:
            by_store[store_id].append(file_id)
        found = await asyncio.gather(
            *(
                ctx.store.docs.get_many(ctx.tenant, Kind.VECTOR_STORE_FILE, store_id, file_ids)
                for store_id, file_ids in by_store.items()
            )
        )
        for store_id, files in zip(by_store, found, strict=True):
            for file_id, stored in files.items():
                if _searchable(stored.doc):
                    known[(store_id, file_id)] = stored.doc
        ranked = [h for h in ranked if (h.vector_store_id, h.file_id) in known]
    return [
        SearchResult(
            vector_store_id=hit.vector_store_id,
            file_id=hit.file_id,
            filename=str(hit.metadata.get("filename", "")),
            score=_clamp(hit.score),
            texts=(hit.text,),
            attributes=dict(known[(hit.vector_store_id, hit.file_id)].get("attributes") or {}),
            chunk_index=hit.index,
        )
        for hit in ranked
    ]


def _searchable(doc: Json) -> bool:
    return doc["status"] == "completed" and not doc.get("_deleted")


def _clamp(score: float) -> float:
    return min(1.0, max(0.0, float(score)))


async def _touch_all(ctx: Ctx, stores: list[Json]) -> None:
    moment = now()
    # A store already marked active this second (its doc was just read) needs no write.
    stale = [store["id"] for store in stores if (store.get("last_active_at") or 0) < moment]
    await asyncio.gather(*(touch(ctx, store_id) for store_id in stale))
