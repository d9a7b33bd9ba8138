"""Contract: single-document calls (get, put, compare-and-set, delete) on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from storage.base import Key, Kind, PageQuery, Store
from storage.errors import VersionConflict

NewId = Callable[[str], str]

ROUND_TRIPS: dict[str, Any] = {
    "unicode": "héllo wörld ✓ 日本語 😀👩‍👩‍👧 עברית مرحبا",
    "rtl_mark": "\u200f\u05e9\u05dc\u05d5\u05dd\u200e abc",
    "empty_string": "",
    "empty_list": [],
    "empty_object": {},
    "null": None,
    "true": True,
    "false": False,
    "int": 1234567890123,
    "negative": -7,
    "float": 0.1 + 0.2,
    "tiny_float": 1e-300,
    "big_float": 1.7976931348623157e308,
    "nested_metadata": {"a": {"b": {"c": ["x", 1, None, {"d": "😀"}]}}, "k": "v"},
    "list_of_objects": [{"type": "text", "text": {"value": "hi", "annotations": []}}],
    "lone_surrogate": "broken \ud83d pair",
    "quotes_and_escapes": 'a "quoted" \\ back\\slash \n newline \t tab \u0000 nul',
}


async def test_get_missing_is_none(store: Store, tenant: str, new_id: NewId) -> None:
    assert await store.docs.get(Key(tenant, Kind.ASSISTANT, "", new_id("asst"))) is None


@pytest.mark.parametrize("field", sorted(ROUND_TRIPS))
async def test_field_round_trips(store: Store, tenant: str, new_id: NewId, field: str) -> None:
    key = Key(tenant, Kind.ASSISTANT, "", new_id("asst"))
    doc = {"id": key.id, "object": "assistant", field: ROUND_TRIPS[field]}
    await store.docs.put(key, doc)
    stored = await store.docs.get(key)
    assert stored is not None
    assert stored.id == key.id
    assert stored.doc == doc
    page = await store.docs.list(tenant, Kind.ASSISTANT, "", PageQuery())
    assert [item.doc for item in page.items] == [doc]


async def test_large_value_round_trips(store: Store, tenant: str, new_id: NewId) -> None:
    key = Key(tenant, Kind.MESSAGE, new_id("thread"), new_id("msg"))
    text = "a😀b" * (1024 * 1024 // 6)  # about 1 MB of UTF-8
    doc = {"content": [{"type": "text", "text": {"value": text}}], "metadata": {}}
    await store.docs.put(key, doc)
    stored = await store.docs.get(key)
    assert stored is not None and stored.doc == doc


async def test_put_overwrites_and_counts_versions(store: Store, tenant: str, new_id: NewId) -> None:
    key = Key(tenant, Kind.THREAD, "", new_id("thread"))
    assert await store.docs.put(key, {"n": 1}) == 1
    assert await store.docs.put(key, {"n": 2}) == 2
    assert await store.docs.put(key, {"n": 3, "extra": True}) == 3
    stored = await store.docs.get(key)
    assert stored is not None
    assert (stored.doc, stored.version) == ({"n": 3, "extra": True}, 3)


async def test_compare_and_set(store: Store, tenant: str, new_id: NewId) -> None:
    key = Key(tenant, Kind.RUN, new_id("thread"), new_id("run"))
    assert await store.docs.put(key, {"status": "queued"}, expected_version=0) == 1
    with pytest.raises(VersionConflict):
        await store.docs.put(key, {"status": "again"}, expected_version=0)
    assert await store.docs.put(key, {"status": "in_progress"}, expected_version=1) == 2
    with pytest.raises(VersionConflict):
        await store.docs.put(key, {"status": "stale"}, expected_version=1)
    stored = await store.docs.get(key)
    assert stored is not None
    assert (stored.doc, stored.version) == ({"status": "in_progress"}, 2)


async def test_compare_and_set_on_missing_document(
    store: Store, tenant: str, new_id: NewId
) -> None:
    key = Key(tenant, Kind.SYSTEM, "leases", new_id("lease"))
    with pytest.raises(VersionConflict):
        await store.docs.put(key, {"owner": "a"}, expected_version=3)
    assert await store.docs.get(key) is None


async def test_concurrent_compare_and_set_has_one_winner(
    store: Store, tenant: str, new_id: NewId
) -> None:
    key = Key(tenant, Kind.SYSTEM, "leases", new_id("lease"))
    await store.docs.put(key, {"owner": None}, expected_version=0)

    async def claim(owner: str) -> bool:
        try:
            await store.docs.put(key, {"owner": owner}, expected_version=1)
        except VersionConflict:
            return False
        return True

    results = await asyncio.gather(*(claim(f"worker-{i}") for i in range(8)))
    assert sum(results) == 1
    stored = await store.docs.get(key)
    assert stored is not None and stored.version == 2
    assert stored.doc["owner"] == f"worker-{results.index(True)}"


async def test_delete_reports_whether_it_existed(store: Store, tenant: str, new_id: NewId) -> None:
    key = Key(tenant, Kind.FILE, "", new_id("file"))
    assert await store.docs.delete(key) is False
    await store.docs.put(key, {"purpose": "assistants"})
    assert await store.docs.delete(key) is True
    assert await store.docs.get(key) is None
    assert await store.docs.delete(key) is False
    assert await store.docs.put(key, {"purpose": "assistants"}, expected_version=0) == 1


async def test_kind_and_parent_are_part_of_the_key(
    store: Store, tenant: str, new_id: NewId
) -> None:
    shared = new_id("obj")
    thread_a, thread_b = new_id("thread"), new_id("thread")
    keys = [
        Key(tenant, Kind.MESSAGE, thread_a, shared),
        Key(tenant, Kind.MESSAGE, thread_b, shared),
        Key(tenant, Kind.RUN, thread_a, shared),
    ]
    for n, key in enumerate(keys):
        await store.docs.put(key, {"n": n})
    for n, key in enumerate(keys):
        stored = await store.docs.get(key)
        assert stored is not None and stored.doc == {"n": n} and stored.version == 1


async def test_tenants_are_isolated(
    store: Store, tenant: str, other_tenant: str, new_id: NewId
) -> None:
    thread = new_id("thread")
    mine = Key(tenant, Kind.MESSAGE, thread, new_id("msg"))
    theirs = Key(other_tenant, mine.kind, mine.parent, mine.id)
    await store.docs.put(mine, {"owner": "a", "run_id": "run_1"})
    assert await store.docs.get(theirs) is None
    page = await store.docs.list(other_tenant, Kind.MESSAGE, thread, PageQuery())
    assert page.items == [] and not page.has_more
    filtered = await store.docs.list(
        other_tenant, Kind.MESSAGE, thread, PageQuery(), {"run_id": "run_1"}
    )
    assert filtered.items == []
    assert await store.docs.delete(theirs) is False
    assert await store.docs.put(theirs, {"owner": "b"}) == 1
    stored = await store.docs.get(mine)
    assert stored is not None and stored.doc == {"owner": "a", "run_id": "run_1"}
    assert stored.version == 1


async def test_get_many_reads_the_parents_documents_that_exist(
    store: Store, tenant: str, new_id: NewId
) -> None:
    store_id, other_store = new_id("vs"), new_id("vs")
    ids = [new_id("file") for _ in range(150)]  # more than one read's worth of ids
    docs = {i: {"id": i, "status": "completed", "n": n} for n, i in enumerate(ids)}
    await asyncio.gather(
        *(
            store.docs.put(Key(tenant, Kind.VECTOR_STORE_FILE, store_id, i), d)
            for i, d in docs.items()
        )
    )
    large = {"id": ids[0], "status": "completed", "text": "a😀b" * (1024 * 1024 // 6)}
    await store.docs.put(Key(tenant, Kind.VECTOR_STORE_FILE, store_id, ids[0]), large)
    docs[ids[0]] = large
    # The same id under another parent, and a deleted one, are not this parent's.
    await store.docs.put(Key(tenant, Kind.VECTOR_STORE_FILE, other_store, ids[1]), {"x": 1})
    assert await store.docs.delete(Key(tenant, Kind.VECTOR_STORE_FILE, store_id, ids[2]))
    del docs[ids[2]]
    missing = new_id("file")

    found = await store.docs.get_many(
        tenant, Kind.VECTOR_STORE_FILE, store_id, [*ids, missing, ids[3], ids[2]]
    )

    assert {i: s.doc for i, s in found.items()} == docs
    assert all(s.id == i for i, s in found.items())
    assert found[ids[0]].version == 2 and found[ids[4]].version == 1
    assert await store.docs.get_many(tenant, Kind.VECTOR_STORE_FILE, store_id, []) == {}
    other = await store.docs.get_many(tenant, Kind.VECTOR_STORE_FILE, other_store, ids[:3])
    assert {i: s.doc for i, s in other.items()} == {ids[1]: {"x": 1}}
