"""Terms too common to rank by, remembered per vector store while its chunk count stays the same.

Learning that a term is in more than ``TERM_POSTINGS`` chunks costs reading that many postings,
and in a large store most words of a query are such terms: every search would read them again
(12 of a 16-term query on the 10,000-chunk bench store). The store's chunk count
(``vector_store_counts``, moved by every add and delete, whichever process makes it) versions
what is remembered: a search that reads another count reads the remembered terms again too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

MAX_STORES = 1024  # least recently searched stores are forgotten first

StoreKey = tuple[str, str]  # tenant, vector store id


class CommonTerms:
    def __init__(self, max_stores: int = MAX_STORES) -> None:
        self._max = max_stores
        self._known: OrderedDict[StoreKey, tuple[int, set[str]]] = OrderedDict()

    def known(self, tenant: str, store: str) -> tuple[int | None, frozenset[str]]:
        """(the chunk count they were learned at, the terms); (None, empty) when none are."""
        found = self._known.get((tenant, store))
        if found is None:
            return None, frozenset()
        self._known.move_to_end((tenant, store))
        return found[0], frozenset(found[1])

    def learn(self, tenant: str, store: str, chunks: int, terms: Iterable[str]) -> None:
        """Remember ``terms`` as too common at ``chunks``; another count starts afresh."""
        key = (tenant, store)
        found = self._known.get(key)
        if found is None or found[0] != chunks:
            found = self._known[key] = (chunks, set())
        found[1].update(terms)
        self._known.move_to_end(key)
        while len(self._known) > self._max:
            self._known.popitem(last=False)

    def forget(self, tenant: str, store: str) -> None:
        self._known.pop((tenant, store), None)
