"""One ``chunks_d{N}`` table per embedding dimension, created on demand, and the store registry.

A CQL ``vector<float, N>`` column has a fixed N, while vector stores built with different embedding
models need different N. ``vector_stores`` records the dimension of each store (written with an LWT
so two first writers with different models cannot both win) and whether its keyword postings are
in ``chunk_terms`` (every store registered since that table exists); ``vector_store_counts``
keeps an approximate row count per store, which picks the search strategy and feeds BM25.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from storage.cassandra.schema import chunk_table, ensure_chunk_table
from storage.cassandra.session import CqlSession, Params, Row
from storage.errors import StorageError, StorageUnavailable, WriteOutcomeUnknown

log = logging.getLogger(__name__)

STORE = "tenant = ? AND vector_store_id = ?"


@dataclass(frozen=True, slots=True)
class StoreEntry:
    dimensions: int
    postings: bool  # its keyword postings are in chunk_terms


@dataclass(frozen=True, slots=True)
class ChunkCql:
    insert: str
    file_rows: str
    file_terms: str
    chunk_terms: str
    delete_file: str
    delete_store: str
    exact: str
    exact_files: str
    ann: str
    ann_files: str
    details: str
    term: str  # keyword search in a store without postings (made before chunk_terms)


def chunk_cql(ks: str, dimensions: int, similarity: str = "dot_product") -> ChunkCql:
    """The statements of one chunk table; ``similarity`` is its vector index's function."""
    t = f"{ks}.{chunk_table(dimensions)}"
    # Stored vectors are unit vectors (or zero) where the index is dot_product, so the dot
    # product with a unit query is the cosine; similarity_cosine refuses zero vectors.
    function = "similarity_dot_product" if similarity == "dot_product" else "similarity_cosine"
    score = f"file_id, idx, {function}(embedding, ?)"
    ann = f"SELECT {score}, text, metadata FROM {t} WHERE {STORE}"
    return ChunkCql(
        insert=(
            f"INSERT INTO {t} (tenant, vector_store_id, file_id, idx, text, metadata, embedding,"
            " norm, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        file_rows=(
            f"SELECT idx, text, metadata, embedding, norm FROM {t} WHERE {STORE} AND file_id = ?"
        ),
        file_terms=f"SELECT terms FROM {t} WHERE {STORE} AND file_id = ?",
        chunk_terms=f"SELECT file_id, idx, terms FROM {t} WHERE {STORE} AND (file_id, idx) IN ?",
        delete_file=f"DELETE FROM {t} WHERE {STORE} AND file_id = ?",
        delete_store=f"DELETE FROM {t} WHERE {STORE}",
        exact=f"SELECT {score} FROM {t} WHERE {STORE}",
        exact_files=f"SELECT {score} FROM {t} WHERE {STORE} AND file_id IN ?",
        ann=f"{ann} ORDER BY embedding ANN OF ? LIMIT ?",
        ann_files=f"{ann} AND file_id IN ? ORDER BY embedding ANN OF ? LIMIT ?",
        details=(
            f"SELECT file_id, idx, text, metadata FROM {t} WHERE {STORE} AND (file_id, idx) IN ?"
        ),
        term=(
            f"SELECT file_id, idx, terms[?] FROM {t} WHERE {STORE} AND terms CONTAINS KEY ? LIMIT ?"
        ),
    )


class ChunkTables:
    """Per-dimension statements, on-demand DDL, and the cached store -> dimension registry."""

    def __init__(self, cql: CqlSession, keyspace: str, *, table_ids: bool = True) -> None:
        self._cql = cql
        self._ks = keyspace
        self._table_ids = table_ids
        self._ready: dict[int, str] = {}  # dimensions -> similarity function of the index
        self._cql_by_dims: dict[int, ChunkCql] = {}
        self._ddl_lock = asyncio.Lock()
        self._stores: dict[tuple[str, str], StoreEntry] = {}
        self.dims_get = f"SELECT dimensions, postings FROM {keyspace}.vector_stores WHERE {STORE}"
        self.dims_put = (
            f"INSERT INTO {keyspace}.vector_stores (tenant, vector_store_id, dimensions, postings)"
            " VALUES (?, ?, ?, true) IF NOT EXISTS"
        )
        self.dims_delete = f"DELETE FROM {keyspace}.vector_stores WHERE {STORE} IF EXISTS"
        self.count_get = f"SELECT chunks FROM {keyspace}.vector_store_counts WHERE {STORE}"
        self.count_add = (
            f"UPDATE {keyspace}.vector_store_counts SET chunks = chunks + ? WHERE {STORE}"
        )

    def known(self, dimensions: int, similarity: str) -> None:
        """Record a table made ready at start, with its vector index's similarity function."""
        self._ready[dimensions] = similarity

    async def ensure(self, dimensions: int) -> ChunkCql:
        if dimensions not in self._ready:
            async with self._ddl_lock:
                if dimensions not in self._ready:
                    session = self._cql.driver_session
                    self._ready[dimensions] = await asyncio.to_thread(
                        ensure_chunk_table, session, self._ks, dimensions, with_id=self._table_ids
                    )
        found = self._cql_by_dims.get(dimensions)
        if found is None:
            found = self._cql_by_dims[dimensions] = chunk_cql(
                self._ks, dimensions, self._ready[dimensions]
            )
        return found

    async def entry(self, tenant: str, store: str, *, cached: bool = True) -> StoreEntry | None:
        """The store's registration; ``cached=False`` reads it from the node again."""
        found = self._stores.get((tenant, store)) if cached else None
        if found is None:
            row = await self._cql.one(self.dims_get, (tenant, store))
            if row is None:
                return None
            found = self._stores[(tenant, store)] = StoreEntry(int(row[0]), bool(row[1]))
        return found

    def has_postings(self, tenant: str, store: str) -> None:
        """The store's postings were backfilled: keyword search reads them from now on."""
        found = self._stores.get((tenant, store))
        if found is not None:
            self._stores[(tenant, store)] = StoreEntry(found.dimensions, postings=True)

    async def dimensions(self, tenant: str, store: str) -> int | None:
        found = await self.entry(tenant, store)
        return None if found is None else found.dimensions

    async def register(self, tenant: str, store: str, dimensions: int) -> None:
        """Record the store's dimension; raise if it already holds another one."""
        current = await self.entry(tenant, store)
        if current is None:
            applied, _ = await self._conditional(self.dims_put, (tenant, store, dimensions))
            if applied:
                current = self._stores[(tenant, store)] = StoreEntry(dimensions, postings=True)
            else:  # another writer registered it first: read what it wrote
                current = await self.entry(tenant, store)
                if current is None:  # not visible to this read yet: never skip the check
                    raise StorageUnavailable("vector store registration not visible yet")
        if current.dimensions != dimensions:
            raise StorageError(
                f"vector store {store} holds {current.dimensions}-dimension embeddings,"
                f" not {dimensions}"
            )

    async def forget(self, tenant: str, store: str) -> None:
        self._stores.pop((tenant, store), None)
        await self._conditional(self.dims_delete, (tenant, store))

    async def _conditional(self, cql: str, params: Params) -> tuple[bool, Row | None]:
        """Both LWTs here may simply run again when their outcome is unknown: a second run of
        ``IF NOT EXISTS`` with the same value, or of ``IF EXISTS`` on a delete, leaves the same."""
        for pause in (0.05, 0.2, 1.0):
            try:
                return await self._cql.conditional(cql, params)
            except WriteOutcomeUnknown:
                await asyncio.sleep(pause)
        return await self._cql.conditional(cql, params)

    async def count(self, tenant: str, store: str) -> int:
        row = await self._cql.one(self.count_get, (tenant, store))
        return int(row[0]) if row and row[0] is not None else 0

    async def add_count(self, tenant: str, store: str, delta: int) -> None:
        """Move the store's approximate count. A counter update is not idempotent (one the node
        failed may have applied), so it is not run again; and the chunks it follows are written,
        so its failure does not fail them: the count drifts, which only shifts a search strategy
        and BM25's document count."""
        if not delta:
            return
        try:
            await self._cql.execute(self.count_add, (delta, tenant, store))
        except StorageUnavailable:
            log.warning("chunk count of vector store %s not updated (%+d)", store, delta)
