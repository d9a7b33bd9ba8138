"""Storage keys, public shapes and compare-and-set updates of vector store documents.

Documents keep a few private fields the API never shows: keys starting with ``_`` (the embedding
model of a store, the ingestion job of a file...) and ``batch_id``, the filterable attribute that
lists the files of a batch. ``public`` strips them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from assistants.ids import now
from storage.base import Json, Key, Kind, Store
from storage.errors import VersionConflict

SECONDS_PER_DAY = 86_400
_HIDDEN = frozenset({"batch_id"})
_CAS_ATTEMPTS = 50


def store_key(tenant: str, vector_store_id: str) -> Key:
    return Key(tenant, Kind.VECTOR_STORE, "", vector_store_id)


def file_key(tenant: str, vector_store_id: str, file_id: str) -> Key:
    return Key(tenant, Kind.VECTOR_STORE_FILE, vector_store_id, file_id)


def batch_key(tenant: str, vector_store_id: str, batch_id: str) -> Key:
    return Key(tenant, Kind.FILE_BATCH, vector_store_id, batch_id)


def membership_key(tenant: str, file_id: str, vector_store_id: str) -> Key:
    """The reverse index: which vector stores hold a file (so deleting the file can detach it)."""
    return Key(tenant, Kind.SYSTEM, f"file_vector_stores/{file_id}", vector_store_id)


def public(doc: Json) -> Json:
    return {k: v for k, v in doc.items() if not k.startswith("_") and k not in _HIDDEN}


def expires_at(expires_after: Json | None, last_active_at: int) -> int | None:
    if not expires_after:
        return None
    return last_active_at + int(expires_after["days"]) * SECONDS_PER_DAY


def is_expired(doc: Json, at: int | None = None) -> bool:
    deadline = doc.get("expires_at")
    return deadline is not None and (now() if at is None else at) >= deadline


def present_store(doc: Json) -> Json:
    """A vector store as the API shows it: status follows its files and its expiry."""
    shown = public(doc)
    if is_expired(doc):
        shown["status"] = "expired"
    else:
        shown["status"] = "in_progress" if doc["file_counts"]["in_progress"] > 0 else "completed"
    return shown


@dataclass(frozen=True, slots=True)
class Updated:
    before: Json | None  # None: there was no such document
    after: Json | None  # None: nothing was written


async def update_doc(store: Store, key: Key, change: Callable[[Json], Json | None]) -> Updated:
    """Read, ``change`` (a copy), write back only if nobody wrote meanwhile; retry otherwise.

    ``change`` returns the new document, or None to leave the stored one as it is. Used for every
    shared counter (file counts, usage bytes) so that parallel ingestions never lose an update.
    """
    for attempt in range(_CAS_ATTEMPTS):
        stored = await store.docs.get(key)
        if stored is None:
            return Updated(None, None)
        new = change(dict(stored.doc))
        if new is None:
            return Updated(stored.doc, None)
        try:
            await store.docs.put(key, new, expected_version=stored.version)
        except VersionConflict:
            # Jittered backoff: many files of one store finish at about the same time.
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
            continue
        return Updated(stored.doc, new)
    raise VersionConflict(f"{key.kind} {key.id} kept changing; gave up after {_CAS_ATTEMPTS} tries")
