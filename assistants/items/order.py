"""Items of every type stored under one parent, listed in the order they were made."""

from __future__ import annotations

from dataclasses import replace

from storage.base import PageQuery


def order_key(item_id: str) -> str:
    """The storage id of an item: its id without the type prefix (``msg_``, ``fc_``, ...).

    Ids are ``<prefix>_<time-ordered suffix>``, so items of every type stored under one parent
    list in the order they were made, whatever their prefixes.
    """
    return item_id.partition("_")[2] or item_id


def ordered_query(query: PageQuery) -> PageQuery:
    """A page query whose item-id cursors are storage ids."""
    return replace(
        query,
        after=order_key(query.after) if query.after else None,
        before=order_key(query.before) if query.before else None,
    )
