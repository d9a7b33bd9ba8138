"""OpenAI's list responses and cursor parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from assistants.errors import InvalidInput
from storage.base import Json, Kind, Page, PageQuery, Store, Stored


def page_query(query: Mapping[str, Any], max_limit: int = 100) -> PageQuery:
    limit = int(query.get("limit", 20))
    if not 1 <= limit <= max_limit:
        raise InvalidInput(
            f"Invalid 'limit': integer must be between 1 and {max_limit}, got {limit}.",
            param="limit",
        )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidInput("Invalid 'order': must be 'asc' or 'desc'.", param="order")
    return PageQuery(
        limit=limit,
        order=order,
        after=query.get("after") or None,
        before=query.get("before") or None,
    )


def list_response(page: Page, present: Callable[[Json], Json] = lambda doc: doc) -> Json:
    data = [present(item.doc) for item in page.items]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }


async def walk(
    store: Store,
    tenant: str,
    kind: Kind,
    parent: str,
    filters: Mapping[str, str] | None = None,
) -> AsyncIterator[Stored]:
    """Every child of ``parent`` in creation order, read page by page (never all at once)."""
    after = None
    while True:
        page = await store.docs.list(
            tenant, kind, parent, PageQuery(limit=100, order="asc", after=after), filters
        )
        for item in page.items:
            yield item
        if not page.has_more:
            return
        after = page.items[-1].id
