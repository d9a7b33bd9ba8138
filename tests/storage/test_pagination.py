"""Contract: OpenAI cursor pagination and attribute filters of ``docs.list`` on every backend.

``after=X`` gives the items after X in the requested order; ``before=X`` the items before X in the
requested order, the ones closest to X (the previous page), still returned in the requested order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest

from storage.base import Key, Kind, PageQuery, Put, Store

NewId = Callable[[str], str]


async def put_all(store: Store, keys_docs: list[tuple[Key, dict[str, object]]]) -> None:
    await asyncio.gather(*(store.docs.put(key, doc) for key, doc in keys_docs))


async def messages(store: Store, tenant: str, thread: str, new_id: NewId, n: int) -> list[str]:
    """``n`` messages in ``thread``; their ids in creation (ascending) order."""
    ids = [new_id("msg") for _ in range(n)]
    await put_all(store, [(Key(tenant, Kind.MESSAGE, thread, i), {"id": i}) for i in ids])
    return ids


async def page_ids(
    store: Store,
    tenant: str,
    kind: Kind,
    parent: str,
    filters: Mapping[str, str] | None = None,
    **query: object,
) -> tuple[list[str], bool]:
    page = await store.docs.list(tenant, kind, parent, PageQuery(**query), filters)  # type: ignore[arg-type]
    assert all(item.doc.get("id", item.id) == item.id for item in page.items)
    return [item.id for item in page.items], page.has_more


@pytest.fixture
async def thread_of_25(store: Store, tenant: str, new_id: NewId) -> tuple[str, list[str]]:
    thread = new_id("thread")
    return thread, await messages(store, tenant, thread, new_id, 25)


async def test_default_is_newest_first_twenty(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    assert await page_ids(store, tenant, Kind.MESSAGE, thread) == (ids[::-1][:20], True)


async def test_after_walks_forward_in_both_orders(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    for order, expected in (("asc", ids), ("desc", ids[::-1])):
        seen: list[str] = []
        after = None
        while True:
            page, has_more = await page_ids(
                store, tenant, Kind.MESSAGE, thread, order=order, limit=7, after=after
            )
            seen += page
            assert has_more == (len(seen) < 25)
            if not has_more:
                break
            after = page[-1]
        assert seen == expected


async def test_before_returns_the_previous_page_in_requested_order(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    # desc + before: newer than the cursor, the closest ones, newest first.
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="desc", limit=3, before=ids[10]
    ) == ([ids[13], ids[12], ids[11]], True)
    # asc + before: older than the cursor, the closest ones, oldest first.
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="asc", limit=3, before=ids[10]
    ) == ([ids[7], ids[8], ids[9]], True)
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="asc", limit=3, before=ids[2]
    ) == ([ids[0], ids[1]], False)
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="desc", limit=5, before=ids[21]
    ) == (ids[22:][::-1], False)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, order="desc", before=ids[24]) == (
        [],
        False,
    )


async def test_before_walks_backward_in_both_orders(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    for order, expected in (("asc", ids), ("desc", ids[::-1])):
        # Start from the last page of the order and page back towards its beginning.
        last, _ = await page_ids(store, tenant, Kind.MESSAGE, thread, order=order, limit=100)
        seen = [last[-1]]
        while True:
            page, has_more = await page_ids(
                store, tenant, Kind.MESSAGE, thread, order=order, limit=6, before=seen[0]
            )
            seen = page + seen
            assert has_more == (len(seen) < 25)
            if not has_more:
                break
        assert seen == expected


async def test_after_and_before_together_bound_the_page(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="asc", after=ids[3], before=ids[8]
    ) == (ids[4:8], False)
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="desc", after=ids[20], before=ids[5], limit=4
    ) == ([ids[19], ids[18], ids[17], ids[16]], True)


async def test_cursor_need_not_exist(
    store: Store, tenant: str, thread_of_25: tuple[str, list[str]]
) -> None:
    thread, ids = thread_of_25
    await store.docs.delete(Key(tenant, Kind.MESSAGE, thread, ids[12]))
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="asc", limit=2, after=ids[12]
    ) == (ids[13:15], True)
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, order="asc", limit=2, before=ids[12]
    ) == (ids[10:12], True)


async def test_limit_edges(store: Store, tenant: str, new_id: NewId) -> None:
    thread = new_id("thread")
    ids = await messages(store, tenant, thread, new_id, 100)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, limit=1) == ([ids[-1]], True)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, limit=1, order="asc") == (
        [ids[0]],
        True,
    )
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, limit=100, order="asc") == (
        ids,
        False,
    )
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, limit=100, order="asc", after=ids[0]
    ) == (ids[1:], False)
    extra = new_id("msg")
    await store.docs.put(Key(tenant, Kind.MESSAGE, thread, extra), {"id": extra})
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, limit=100) == (
        [extra, *ids[::-1][:99]],
        True,
    )


async def test_exact_fit_has_no_more(store: Store, tenant: str, new_id: NewId) -> None:
    thread = new_id("thread")
    ids = await messages(store, tenant, thread, new_id, 20)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread) == (ids[::-1], False)
    assert await page_ids(store, tenant, Kind.MESSAGE, new_id("thread")) == ([], False)


async def test_lists_only_the_kind_and_parent(store: Store, tenant: str, new_id: NewId) -> None:
    thread, other = new_id("thread"), new_id("thread")
    mine = await messages(store, tenant, thread, new_id, 3)
    await messages(store, tenant, other, new_id, 3)
    run = new_id("run")
    await store.docs.put(Key(tenant, Kind.RUN, thread, run), {"id": run})
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, order="asc") == (mine, False)
    assert await page_ids(store, tenant, Kind.RUN, thread) == ([run], False)


async def test_message_run_id_filter_with_pagination(
    store: Store, tenant: str, new_id: NewId
) -> None:
    thread = new_id("thread")
    ids = [new_id("msg") for _ in range(30)]
    runs = ["run_a" if n % 3 == 0 else "run_b" if n % 3 == 1 else None for n in range(30)]
    await put_all(
        store,
        [
            (Key(tenant, Kind.MESSAGE, thread, i), {"id": i, "run_id": r})
            for i, r in zip(ids, runs, strict=True)
        ],
    )
    run_a = [i for i, r in zip(ids, runs, strict=True) if r == "run_a"]
    only_a = {"run_id": "run_a"}
    first, more = await page_ids(store, tenant, Kind.MESSAGE, thread, only_a, order="asc", limit=4)
    assert (first, more) == (run_a[:4], True)
    rest, more = await page_ids(
        store, tenant, Kind.MESSAGE, thread, only_a, order="asc", limit=10, after=first[-1]
    )
    assert (rest, more) == (run_a[4:], False)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, only_a, limit=4) == (
        run_a[::-1][:4],
        True,
    )
    assert await page_ids(
        store, tenant, Kind.MESSAGE, thread, only_a, order="desc", limit=2, before=run_a[5]
    ) == ([run_a[7], run_a[6]], True)
    assert await page_ids(store, tenant, Kind.MESSAGE, thread, {"run_id": "run_z"}) == ([], False)


async def test_file_purpose_filter(store: Store, tenant: str, new_id: NewId) -> None:
    purposes = ["assistants", "batch", "assistants", "vision", "assistants"]
    ids = [new_id("file") for _ in purposes]
    await put_all(
        store,
        [
            (Key(tenant, Kind.FILE, "", i), {"id": i, "purpose": p})
            for i, p in zip(ids, purposes, strict=True)
        ],
    )
    assistants = [i for i, p in zip(ids, purposes, strict=True) if p == "assistants"]
    assert await page_ids(
        store, tenant, Kind.FILE, "", {"purpose": "assistants"}, order="asc", limit=2
    ) == (assistants[:2], True)
    assert await page_ids(
        store, tenant, Kind.FILE, "", {"purpose": "assistants"}, after=assistants[2]
    ) == (assistants[:2][::-1], False)
    assert await page_ids(store, tenant, Kind.FILE, "", {"purpose": "batch"}) == ([ids[1]], False)


async def test_vector_store_file_filters_follow_updates(
    store: Store, tenant: str, new_id: NewId
) -> None:
    vs = new_id("vs")
    batch = new_id("vsfb")
    ids = [new_id("file") for _ in range(8)]
    docs = {
        i: {"id": i, "status": "in_progress", "batch_id": batch if n < 5 else None}
        for n, i in enumerate(ids)
    }
    await store.docs.write(
        [Put(Key(tenant, Kind.VECTOR_STORE_FILE, vs, i), d) for i, d in docs.items()]
    )

    async def listed(filters: dict[str, str], **query: object) -> tuple[list[str], bool]:
        return await page_ids(store, tenant, Kind.VECTOR_STORE_FILE, vs, filters, **query)

    assert await listed({"batch_id": batch}, order="asc") == (ids[:5], False)
    assert await listed({"status": "in_progress"}, order="asc", limit=3) == (ids[:3], True)
    for done in (ids[1], ids[3], ids[6]):
        await store.docs.put(
            Key(tenant, Kind.VECTOR_STORE_FILE, vs, done), {**docs[done], "status": "completed"}
        )
    assert await listed({"status": "completed"}, order="asc") == ([ids[1], ids[3], ids[6]], False)
    both = {"batch_id": batch, "status": "completed"}
    assert await listed(both, order="asc") == ([ids[1], ids[3]], False)
    assert await listed(both, order="desc", limit=1) == ([ids[3]], True)
    assert await listed(both, order="desc", limit=1, after=ids[3]) == ([ids[1]], False)
    assert await listed({"batch_id": batch, "status": "in_progress"}, order="asc") == (
        [ids[0], ids[2], ids[4]],
        False,
    )
    await store.docs.delete(Key(tenant, Kind.VECTOR_STORE_FILE, vs, ids[1]))
    assert await listed(both) == ([ids[3]], False)


@pytest.mark.parametrize(
    ("kind", "filters"),
    [(Kind.MESSAGE, {"status": "x"}), (Kind.THREAD, {"run_id": "x"}), (Kind.FILE, {"nope": "x"})],
)
async def test_filtering_on_other_attributes_is_refused(
    store: Store, tenant: str, kind: Kind, filters: dict[str, str]
) -> None:
    with pytest.raises(ValueError):
        await store.docs.list(tenant, kind, "", PageQuery(), filters)
