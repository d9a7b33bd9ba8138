"""Keyword terms of chunk texts and queries, the same for every backend.

A term is a run of letters and digits, case-folded, with diacritics removed (what SQLite's FTS5
``unicode61 remove_diacritics 2`` tokenizer does). Queries drop a few very common English words:
they match nearly every chunk, say nothing about relevance and make a keyword search slow.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence

MAX_QUERY_TERMS = 16  # Cassandra reads one SAI posting list per term
MAX_TERM_LENGTH = 64  # longer "words" (base64, hashes) are not searchable terms

_WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have"),
        *("in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were"),
        *("what", "when", "where", "which", "who", "why", "will", "with"),
    }
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def text_terms(text: str) -> Counter[str]:
    """Term frequencies of a chunk's text."""
    return Counter(t for t in _WORD.findall(_fold(text)) if len(t) <= MAX_TERM_LENGTH)


def query_terms(query: str) -> list[str]:
    """The distinct searchable terms of a query, in order of first appearance."""
    terms: dict[str, None] = {}
    for term in _WORD.findall(_fold(query)):
        if term not in STOPWORDS and len(term) <= MAX_TERM_LENGTH:
            terms.setdefault(term)
    return list(terms)[:MAX_QUERY_TERMS]


def searchable_terms(
    query: str, limit: int, vector_store_ids: Sequence[str], file_ids: Collection[str] | None
) -> list[str]:
    """The query's terms, or none when a keyword search could find nothing (every backend)."""
    if limit < 1 or not vector_store_ids or (file_ids is not None and not file_ids):
        return []
    return query_terms(query)
