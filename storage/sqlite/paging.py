"""OpenAI cursor pagination as one indexed SQL range scan.

Ids are time-ordered, so creation order is id order. For a page of ``limit`` items:

* ``order`` is the order of the returned page (``desc``: newest first).
* ``after=X``: the items after X in that order (``desc``: older than X), closest to X first.
* ``before=X``: the items that come before X in that order (``desc``: newer than X). The page is the
  ``limit`` items closest to X - the previous page - still returned in the requested order; the
  scan runs from X away from it and the rows are reversed.
* both: the items strictly between them, starting right after ``after``.
* ``has_more``: more items exist beyond the page, in the direction the scan moved (one extra row,
  ``LIMIT limit + 1``, tells).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.base import PageQuery


def page_sql(
    tenant: str, kind: str, parent: str, query: PageQuery, filters: Mapping[str, str]
) -> tuple[str, list[Any]]:
    """The SELECT (id, version, body) for one page; ``filters`` keys must be validated columns."""
    if query.limit < 1:
        raise ValueError("limit must be at least 1")
    if query.order not in ("asc", "desc"):
        raise ValueError("order must be 'asc' or 'desc'")
    ascending = query.order == "asc"
    where = ["tenant = ?", "kind = ?", "parent = ?"]
    params: list[Any] = [tenant, kind, parent]
    for column in sorted(filters):
        where.append(f"{column} = ?")
        params.append(filters[column])
    if query.after is not None:
        where.append("id > ?" if ascending else "id < ?")
        params.append(query.after)
    if query.before is not None:
        where.append("id < ?" if ascending else "id > ?")
        params.append(query.before)
    scan_ascending = ascending != _scans_backwards(query)
    sql = (
        f"SELECT id, version, body FROM documents WHERE {' AND '.join(where)} "
        f"ORDER BY id {'ASC' if scan_ascending else 'DESC'} LIMIT ?"
    )
    params.append(query.limit + 1)
    return sql, params


def shape_page(rows: list[Any], query: PageQuery) -> tuple[list[Any], bool]:
    """Cut the extra row off, report whether it existed, and put the page in the requested order."""
    has_more = len(rows) > query.limit
    items = rows[: query.limit]
    if _scans_backwards(query):
        items.reverse()
    return items, has_more


def _scans_backwards(query: PageQuery) -> bool:
    return query.before is not None and query.after is None
