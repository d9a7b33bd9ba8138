"""Per-store embedding matrices kept in memory for search, checked against the store's version.

Decoding every stored embedding on every search cost most of a search (0.55-1.3 s for 100,000
chunks of 1,536 floats). A ``StoreMatrix`` holds one store's embeddings as one float32 matrix in
the tie-break order (file id, chunk index); it is valid while the store's ``chunk_versions`` row
(bumped by every write to the store's chunks, in the write's transaction, by any process) still
has the version it was read at. Matrices are evicted least recently used past ``budget_bytes``;
a store larger than the whole budget is not cached and is searched by a streaming scan instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from storage.sqlite.topk import F32, F64, I64

CacheKey = tuple[str, str, int]  # tenant, vector store id, dimensions


@dataclass(frozen=True, slots=True)
class StoreMatrix:
    version: int
    keys: I64  # chunk rowids
    norms: F64
    vectors: F32  # rows x dimensions, C-contiguous
    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # file id -> row range

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes + self.keys.nbytes + self.norms.nbytes)

    def rows_of(self, file_ids: list[str]) -> I64:
        """Row numbers (ascending) of the chunks of ``file_ids``."""
        ranges = sorted(self.files[f] for f in file_ids if f in self.files)
        if not ranges:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges])


def store_version(conn: sqlite3.Connection, tenant: str, store: str) -> int:
    row = conn.execute(
        "SELECT version FROM chunk_versions WHERE tenant = ? AND vector_store_id = ?",
        (tenant, store),
    ).fetchone()
    return int(row[0]) if row else 0


def bump_version(conn: sqlite3.Connection, tenant: str, store: str) -> None:
    """Mark the store's chunks changed (call inside the write's transaction)."""
    conn.execute(
        "INSERT INTO chunk_versions (tenant, vector_store_id, version) VALUES (?, ?, 1)"
        " ON CONFLICT (tenant, vector_store_id) DO UPDATE SET version = version + 1",
        (tenant, store),
    )


def store_rows(conn: sqlite3.Connection, tenant: str, store: str, dimensions: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM chunks WHERE tenant = ? AND vector_store_id = ? AND dimensions = ?",
        (tenant, store, dimensions),
    ).fetchone()
    return int(row[0])


def load_matrix(
    conn: sqlite3.Connection, tenant: str, store: str, dimensions: int, version: int, rows: int
) -> StoreMatrix:
    """Read a store's embeddings (call inside the read transaction that read ``version``)."""
    keys = np.empty(rows, dtype=np.int64)
    norms = np.empty(rows, dtype=np.float64)
    vectors = np.empty((rows, dimensions), dtype=np.float32)
    raw = vectors.reshape(-1).view(np.uint8)
    files: dict[str, tuple[int, int]] = {}
    width = dimensions * 4
    cursor = conn.execute(
        "SELECT rowid, file_id, norm, embedding FROM chunks"
        " WHERE tenant = ? AND vector_store_id = ? AND dimensions = ? ORDER BY file_id, idx",
        (tenant, store, dimensions),
    )
    n = 0
    for rowid, file_id, norm, embedding in cursor:
        if n == rows:  # cannot happen inside one read transaction; never overrun
            break
        keys[n] = rowid
        norms[n] = norm
        raw[n * width : (n + 1) * width] = np.frombuffer(embedding, dtype=np.uint8)
        start, _ = files.get(file_id, (n, n))
        files[file_id] = (start, n + 1)
        n += 1
    if not np.little_endian:  # embeddings are stored little-endian
        vectors.byteswap(inplace=True)
    return StoreMatrix(version, keys[:n], norms[:n], vectors[:n], files)


class MatrixCache:
    """Thread-safe LRU of ``StoreMatrix`` by key, bounded by the bytes of its matrices."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, StoreMatrix] = OrderedDict()
        self._bytes = 0

    def fits(self, rows: int, dimensions: int) -> bool:
        return rows * (dimensions * 4 + 16) <= self.budget_bytes

    def get(self, key: CacheKey, version: int) -> StoreMatrix | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found.version != version:
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, key: CacheKey, matrix: StoreMatrix) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if old is not None and old.version > matrix.version:
                matrix = old  # a newer one was stored meanwhile
            self._entries[key] = matrix
            self._bytes += matrix.nbytes
            while self._bytes > self.budget_bytes and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    def forget(self, tenant: str, store: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[:2] == (tenant, store)]:
                self._bytes -= self._entries.pop(key).nbytes
