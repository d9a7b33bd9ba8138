"""Contract: file bytes (``store.blobs``) on every backend."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterable

import pytest

from storage.base import Store
from storage.errors import BlobNotFound

NewId = Callable[[str], str]


async def stream(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(store: Store, tenant: str, blob_id: str) -> bytes:
    return b"".join([part async for part in store.blobs.read(tenant, blob_id)])


def odd_parts(data: bytes, seed: int) -> list[bytes]:
    """``data`` cut at pseudo-random points: tiny, empty and multi-megabyte parts."""
    rng = random.Random(seed)
    parts, at = [], 0
    while at < len(data):
        size = rng.choice([0, 1, 7, 4093, 65_537, 1_048_575, 1_048_577, 2_500_001])
        parts.append(data[at : at + size])
        at += size
    return parts


async def test_empty_blob(store: Store, tenant: str, new_id: NewId) -> None:
    blob = new_id("file")
    assert await store.blobs.write(tenant, blob, stream([])) == 0
    assert await read_all(store, tenant, blob) == b""
    other = new_id("file")
    assert await store.blobs.write(tenant, other, stream([b"", b""])) == 0
    assert await read_all(store, tenant, other) == b""


async def test_five_megabytes_in_odd_parts(store: Store, tenant: str, new_id: NewId) -> None:
    data = random.Random(5).randbytes(5 * 1024 * 1024 + 3)
    blob = new_id("file")
    assert await store.blobs.write(tenant, blob, stream(odd_parts(data, seed=1))) == len(data)
    assert await read_all(store, tenant, blob) == data


async def test_overwrite_replaces_the_bytes(store: Store, tenant: str, new_id: NewId) -> None:
    blob = new_id("file")
    await store.blobs.write(tenant, blob, stream([b"first version, longer" * 1000]))
    assert await store.blobs.write(tenant, blob, stream([b"second"])) == 6
    assert await read_all(store, tenant, blob) == b"second"


async def test_failed_write_leaves_nothing(store: Store, tenant: str, new_id: NewId) -> None:
    blob = new_id("file")

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * (3 * 1024 * 1024)
        yield b"y" * 10
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.blobs.write(tenant, blob, broken())
    with pytest.raises(BlobNotFound):
        await read_all(store, tenant, blob)


async def test_missing_and_deleted_blobs(store: Store, tenant: str, new_id: NewId) -> None:
    blob = new_id("file")
    with pytest.raises(BlobNotFound):
        await read_all(store, tenant, blob)
    await store.blobs.delete(tenant, blob)
    await store.blobs.write(tenant, blob, stream([b"abc"]))
    await store.blobs.delete(tenant, blob)
    with pytest.raises(BlobNotFound):
        await read_all(store, tenant, blob)
    await store.blobs.write(tenant, blob, stream([b"again"]))
    assert await read_all(store, tenant, blob) == b"again"


async def test_tenants_are_isolated(
    store: Store, tenant: str, other_tenant: str, new_id: NewId
) -> None:
    blob = new_id("file")
    await store.blobs.write(tenant, blob, stream([b"mine"]))
    with pytest.raises(BlobNotFound):
        await read_all(store, other_tenant, blob)
    await store.blobs.delete(other_tenant, blob)
    await store.blobs.write(other_tenant, blob, stream([b"theirs"]))
    assert await read_all(store, tenant, blob) == b"mine"
    assert await read_all(store, other_tenant, blob) == b"theirs"
