"""Contract: ``docs.write`` batches and the cascades the API builds from them, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from storage.base import Chunk, Delete, DeleteChildren, Key, Kind, PageQuery, Put, Store
from storage.errors import BlobNotFound

NewId = Callable[[str], str]


async def ids_of(store: Store, tenant: str, kind: Kind, parent: str) -> list[str]:
    page = await store.docs.list(tenant, kind, parent, PageQuery(limit=100, order="asc"))
    return [item.id for item in page.items]


async def bytes_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_write_applies_every_op(store: Store, tenant: str, new_id: NewId) -> None:
    thread = new_id("thread")
    a, b, c = (Key(tenant, Kind.MESSAGE, thread, new_id("msg")) for _ in range(3))
    await store.docs.put(b, {"v": "old"})
    await store.docs.write([Put(a, {"v": "a"}), Put(b, {"v": "b"}), Put(c, {"v": "c"}), Delete(a)])
    assert await store.docs.get(a) is None
    stored_b = await store.docs.get(b)
    assert stored_b is not None and (stored_b.doc, stored_b.version) == ({"v": "b"}, 2)
    stored_c = await store.docs.get(c)
    assert stored_c is not None and (stored_c.doc, stored_c.version) == ({"v": "c"}, 1)
    await store.docs.write([])


async def test_failed_write_applies_nothing(store: Store, tenant: str, new_id: NewId) -> None:
    thread = new_id("thread")
    good, bad = (
        Key(tenant, Kind.MESSAGE, thread, new_id("msg")),
        Key(tenant, Kind.MESSAGE, thread, new_id("msg")),
    )
    with pytest.raises((TypeError, ValueError)):
        await store.docs.write([Put(good, {"ok": True}), Put(bad, {"not json": object()})])
    assert await store.docs.get(good) is None
    assert await store.docs.get(bad) is None


async def test_thread_cascade(store: Store, tenant: str, new_id: NewId) -> None:
    thread, kept = new_id("thread"), new_id("thread")
    runs = [new_id("run") for _ in range(2)]
    ops: list[Put] = [Put(Key(tenant, Kind.THREAD, "", t), {"id": t}) for t in (thread, kept)]
    for parent in (thread, kept):
        ops += [Put(Key(tenant, Kind.MESSAGE, parent, new_id("msg")), {}) for _ in range(3)]
    ops += [Put(Key(tenant, Kind.RUN, thread, r), {"id": r}) for r in runs]
    ops += [Put(Key(tenant, Kind.RUN_STEP, r, new_id("step")), {}) for r in runs for _ in range(2)]
    await store.docs.write(ops)
    kept_messages = await ids_of(store, tenant, Kind.MESSAGE, kept)

    await store.docs.write(
        [
            Delete(Key(tenant, Kind.THREAD, "", thread)),
            DeleteChildren(tenant, Kind.MESSAGE, thread),
            DeleteChildren(tenant, Kind.RUN, thread),
            *(DeleteChildren(tenant, Kind.RUN_STEP, r) for r in runs),
        ]
    )
    assert await store.docs.get(Key(tenant, Kind.THREAD, "", thread)) is None
    assert await ids_of(store, tenant, Kind.MESSAGE, thread) == []
    assert await ids_of(store, tenant, Kind.RUN, thread) == []
    for run in runs:
        assert await ids_of(store, tenant, Kind.RUN_STEP, run) == []
    assert await ids_of(store, tenant, Kind.THREAD, "") == [kept]
    assert await ids_of(store, tenant, Kind.MESSAGE, kept) == kept_messages
    assert len(kept_messages) == 3


async def test_vector_store_cascade(store: Store, tenant: str, new_id: NewId) -> None:
    vs, kept = new_id("vs"), new_id("vs")
    file_id = new_id("file")
    for store_id in (vs, kept):
        await store.docs.write(
            [
                Put(Key(tenant, Kind.VECTOR_STORE, "", store_id), {"id": store_id}),
                Put(
                    Key(tenant, Kind.VECTOR_STORE_FILE, store_id, file_id),
                    {"status": "completed", "batch_id": "b"},
                ),
                Put(Key(tenant, Kind.FILE_BATCH, store_id, new_id("vsfb")), {}),
            ]
        )
        await store.chunks.add(
            tenant, store_id, [Chunk(file_id, i, f"text {i}", [1.0, float(i)]) for i in range(3)], 2
        )

    await store.docs.write(
        [
            Delete(Key(tenant, Kind.VECTOR_STORE, "", vs)),
            DeleteChildren(tenant, Kind.VECTOR_STORE_FILE, vs),
            DeleteChildren(tenant, Kind.FILE_BATCH, vs),
        ]
    )
    await store.chunks.delete_store(tenant, vs)
    assert await ids_of(store, tenant, Kind.VECTOR_STORE, "") == [kept]
    assert await ids_of(store, tenant, Kind.VECTOR_STORE_FILE, vs) == []
    assert await ids_of(store, tenant, Kind.FILE_BATCH, vs) == []
    assert await store.chunks.file_chunks(tenant, vs, file_id) == []
    assert await store.chunks.search(tenant, [vs], [1.0, 0.0], 5) == []
    assert await ids_of(store, tenant, Kind.VECTOR_STORE_FILE, kept) == [file_id]
    assert len(await store.chunks.file_chunks(tenant, kept, file_id)) == 3
    assert len(await store.chunks.search(tenant, [vs, kept], [1.0, 0.0], 5)) == 3


async def test_file_cascade(store: Store, tenant: str, new_id: NewId) -> None:
    file_id = new_id("file")
    key = Key(tenant, Kind.FILE, "", file_id)
    await store.docs.put(key, {"id": file_id, "purpose": "assistants", "bytes": 5})
    await store.blobs.write(tenant, file_id, bytes_of(b"hello"))
    await store.docs.write([Delete(key)])
    await store.blobs.delete(tenant, file_id)
    assert await store.docs.get(key) is None
    with pytest.raises(BlobNotFound):
        async for _ in store.blobs.read(tenant, file_id):
            pass


async def test_delete_children_stays_in_its_tenant(
    store: Store, tenant: str, other_tenant: str, new_id: NewId
) -> None:
    thread = new_id("thread")
    message = new_id("msg")
    await store.docs.put(Key(tenant, Kind.MESSAGE, thread, message), {"mine": True})
    await store.docs.put(Key(other_tenant, Kind.MESSAGE, thread, message), {"mine": False})
    await store.docs.write([DeleteChildren(other_tenant, Kind.MESSAGE, thread)])
    assert await ids_of(store, tenant, Kind.MESSAGE, thread) == [message]
    assert await ids_of(store, other_tenant, Kind.MESSAGE, thread) == []
