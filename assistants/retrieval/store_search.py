"""``POST /vector_stores/{id}/search``: the search results page of one store."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.retrieval import search
from storage.base import Json


async def search_vector_store(ctx: Ctx, vector_store_id: str, body: dict[str, Any]) -> Json:
    query = body["query"]
    results = await search(
        ctx,
        [vector_store_id],
        query,
        max_num_results=body.get("max_num_results", 10),
        filters=body.get("filters"),
        ranking_options=body.get("ranking_options"),
    )
    # rewrite_query is accepted; queries are used as given, and reported so.
    return {
        "object": "vector_store.search_results.page",
        "search_query": [query] if isinstance(query, str) else list(query),
        "data": [result.as_item() for result in results],
        "has_more": False,
        "next_page": None,
    }
