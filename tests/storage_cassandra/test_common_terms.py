"""The per-store memory of terms too common to rank by, keyed by the store's chunk count."""

from __future__ import annotations

from storage.cassandra.common_terms import CommonTerms


def test_terms_are_remembered_at_one_chunk_count_only() -> None:
    memory = CommonTerms()
    assert memory.known("t", "vs") == (None, frozenset())
    memory.learn("t", "vs", 600, ["the", "river"])
    memory.learn("t", "vs", 600, ["harbour"])
    assert memory.known("t", "vs") == (600, frozenset({"the", "river", "harbour"}))
    assert memory.known("other", "vs") == (None, frozenset())
    memory.learn("t", "vs", 601, ["river"])  # the store changed: what was known is dropped
    assert memory.known("t", "vs") == (601, frozenset({"river"}))
    memory.forget("t", "vs")
    assert memory.known("t", "vs") == (None, frozenset())


def test_least_recently_searched_stores_are_dropped_first() -> None:
    memory = CommonTerms(max_stores=2)
    memory.learn("t", "a", 1, ["x"])
    memory.learn("t", "b", 1, ["x"])
    memory.known("t", "a")
    memory.learn("t", "c", 1, ["x"])
    assert memory.known("t", "b") == (None, frozenset())
    assert memory.known("t", "a")[1] == {"x"} and memory.known("t", "c")[1] == {"x"}
