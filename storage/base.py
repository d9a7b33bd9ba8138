"""The persistence interface every backend implements and every caller sees.

A backend stores three things for each tenant:

* documents: JSON objects (the API's own object shapes) addressed by
  ``Key(tenant, kind, parent, id)``. ``parent`` is the object that owns the document ("" for
  top-level kinds), so listing the children of one parent - the messages of a thread, the steps
  of a run - is a single-partition read. Ids are
  time-ordered (see ``assistants.ids``), so listing in id order is listing in creation order.
* blobs: the bytes of uploaded files, written and read as streams of chunks.
* chunks: text chunks of files with their embeddings, searched by cosine similarity.

Backends differ only in where these live; the domain package ``assistants`` gives them their
API-level meaning. Backends raise only ``storage.errors`` exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

Json = dict[str, Any]


class Kind(StrEnum):
    """Kinds of stored documents, with the parent each is listed under."""

    ASSISTANT = "assistant"  # parent ""
    THREAD = "thread"  # parent ""
    MESSAGE = "message"  # parent thread id
    RUN = "run"  # parent thread id
    RUN_STEP = "run_step"  # parent run id
    FILE = "file"  # parent ""
    VECTOR_STORE = "vector_store"  # parent ""
    VECTOR_STORE_FILE = "vector_store_file"  # parent vector store id
    FILE_BATCH = "file_batch"  # parent vector store id
    RESPONSE = "response"  # parent ""
    INPUT_ITEM = "input_item"  # parent response id: the input items of one response
    CONVERSATION = "conversation"  # parent ""
    CONVERSATION_ITEM = "conversation_item"  # parent conversation id (or thread id)
    SYSTEM = "system"  # bookkeeping (run leases, ingestion jobs); parent names the list


# Attributes a list may be filtered on, per kind. A backend indexes exactly these; their values are
# read from the document itself (top-level string fields). Listing with a filter on any other
# attribute is a programming error.
FILTERABLE: dict[Kind, tuple[str, ...]] = {
    Kind.MESSAGE: ("run_id",),
    Kind.FILE: ("purpose",),
    Kind.VECTOR_STORE_FILE: ("status", "batch_id"),
}


@dataclass(frozen=True, slots=True)
class Key:
    tenant: str
    kind: Kind
    parent: str
    id: str


@dataclass(frozen=True, slots=True)
class Stored:
    """A document as read back, with the version used for compare-and-set."""

    id: str
    doc: Json
    version: int


@dataclass(frozen=True, slots=True)
class PageQuery:
    """OpenAI's cursor pagination: ``after``/``before`` are ids; order is by creation."""

    limit: int = 20
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Stored]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Put:
    """One write of a batch: store ``doc`` under ``key`` (insert or overwrite)."""

    key: Key
    doc: Json


@dataclass(frozen=True, slots=True)
class Delete:
    key: Key


@dataclass(frozen=True, slots=True)
class DeleteChildren:
    """Delete every document of ``kind`` under ``parent`` (a whole partition)."""

    tenant: str
    kind: Kind
    parent: str


WriteOp = Put | Delete | DeleteChildren


class DocumentStore(Protocol):
    async def get(self, key: Key) -> Stored | None: ...

    async def get_many(
        self, tenant: str, kind: Kind, parent: str, ids: Sequence[str]
    ) -> dict[str, Stored]:
        """The documents of these ids under one parent, by id (those that do not exist are left
        out), read together rather than one request each."""
        ...

    async def put(self, key: Key, doc: Json, *, expected_version: int | None = None) -> int:
        """Write ``doc``; return its new version.

        With ``expected_version`` the write happens only if the stored version equals it
        (0 means "must not exist yet"); otherwise ``VersionConflict`` is raised and nothing changes.
        """
        ...

    async def delete(self, key: Key) -> bool:
        """Delete one document; return whether it existed."""
        ...

    async def list(
        self,
        tenant: str,
        kind: Kind,
        parent: str,
        query: PageQuery,
        filters: Mapping[str, str] | None = None,
    ) -> Page:
        """One page of the children of ``parent``, in id order, done by the database."""
        ...

    async def write(self, ops: Sequence[WriteOp]) -> None:
        """Apply all ``ops`` or none of them, as seen by readers after it returns."""
        ...


class BlobStore(Protocol):
    async def write(self, tenant: str, blob_id: str, chunks: AsyncIterator[bytes]) -> int:
        """Store the bytes of ``chunks`` (any sizes) under ``blob_id``; return the total size.

        The blob becomes readable only once complete; a failed write leaves nothing behind.
        """
        ...

    def read(self, tenant: str, blob_id: str) -> AsyncIterator[bytes]:
        """The stored bytes in order; raises ``BlobNotFound`` if there is no such blob."""
        ...

    async def delete(self, tenant: str, blob_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Chunk:
    file_id: str
    index: int  # position of the chunk in its file
    text: str
    embedding: Sequence[float]
    metadata: Json = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    vector_store_id: str
    file_id: str
    index: int
    text: str
    score: float  # cosine similarity, higher is closer
    metadata: Json = field(default_factory=dict)


class ChunkIndex(Protocol):
    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        """Store chunks of one vector store; all embeddings have ``dimensions`` floats."""
        ...

    async def file_chunks(self, tenant: str, vector_store_id: str, file_id: str) -> list[Chunk]:
        """The chunks of one file in one store, by index."""
        ...

    async def delete_file(self, tenant: str, vector_store_id: str, file_id: str) -> None: ...

    async def delete_store(self, tenant: str, vector_store_id: str) -> None: ...

    async def search(
        self,
        tenant: str,
        vector_store_ids: Sequence[str],
        embedding: Sequence[float],
        limit: int,
        file_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` chunks closest to ``embedding`` by cosine, best first, across the stores.

        ``file_ids`` (when given) restricts the hits to those files. Ties break by
        (vector_store_id, file_id, index) so that every backend returns the same list.
        """
        ...

    async def keyword_search(
        self,
        tenant: str,
        vector_store_ids: Sequence[str],
        query: str,
        limit: int,
        file_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` chunks best matching the query's terms (``storage.keywords``), best first.

        A chunk matches when it contains at least one query term; chunks with more of the query's
        terms, and with rarer ones, rank higher (BM25-like; ``Hit.score`` is the backend's own
        relevance, higher is better, only comparable within one result). ``file_ids`` restricts
        the hits as in ``search``; ties break by (vector_store_id, file_id, index).
        """
        ...


class Store(Protocol):
    """One tenant-scoped database: what a request works with."""

    docs: DocumentStore
    blobs: BlobStore
    chunks: ChunkIndex


class StoreProvider(Protocol):
    """Hands out the ``Store`` for a request's credentials; owns connections and their lifetime."""

    async def start(self) -> None: ...

    async def for_request(self, astra_token: str | None, astra_db_id: str | None) -> Store:
        """The store to use: the single configured one, or (astra mode) the tenant's database."""
        ...

    async def healthy(self) -> bool: ...

    async def close(self) -> None: ...
