"""``file_counts`` and ``usage_bytes`` of vector stores and batches, kept by deltas.

Every change of a vector store file's status is a compare-and-set on the file (so it happens once)
followed by a ``Tally`` applied with compare-and-set to its store and batch: parallel ingestions
never lose an increment, and no count needs a scan of the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistants.context import Ctx
from assistants.vector_stores.records import batch_key, store_key, update_doc
from storage.base import Json

STATUSES = ("in_progress", "completed", "failed", "cancelled")


def empty_counts() -> dict[str, int]:
    return {**dict.fromkeys(STATUSES, 0), "total": 0}


def counted(doc: Json | None) -> bool:
    """Whether a vector store file document is part of the counts (not being deleted)."""
    return doc is not None and not doc.get("_deleted")


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=empty_counts)
    usage_bytes: int = 0

    def move(self, before: Json | None, after: Json | None) -> Tally:
        """Account for one vector store file going from ``before`` to ``after`` (None: absent)."""
        if counted(before):
            assert before is not None
            self.counts[before["status"]] -= 1
            self.counts["total"] -= 1
            self.usage_bytes -= int(before.get("usage_bytes") or 0)
        if counted(after):
            assert after is not None
            self.counts[after["status"]] += 1
            self.counts["total"] += 1
            self.usage_bytes += int(after.get("usage_bytes") or 0)
        return self

    def __bool__(self) -> bool:
        return self.usage_bytes != 0 or any(self.counts.values())

    def applied(self, counts: dict[str, int]) -> dict[str, int]:
        return {k: max(0, counts.get(k, 0) + self.counts[k]) for k in self.counts}


async def apply_to_store(ctx: Ctx, vector_store_id: str, tally: Tally) -> None:
    if not tally:
        return

    def change(doc: Json) -> Json:
        doc["file_counts"] = tally.applied(doc["file_counts"])
        doc["usage_bytes"] = max(0, doc["usage_bytes"] + tally.usage_bytes)
        return doc

    await update_doc(ctx.store, store_key(ctx.tenant, vector_store_id), change)


async def apply_to_batch(ctx: Ctx, vector_store_id: str, batch_id: str, tally: Tally) -> None:
    if not tally:
        return

    def change(doc: Json) -> Json:
        doc["file_counts"] = tally.applied(doc["file_counts"])
        if doc["status"] == "in_progress" and doc["file_counts"]["in_progress"] == 0:
            doc["status"] = "completed"
        return doc

    await update_doc(ctx.store, batch_key(ctx.tenant, vector_store_id, batch_id), change)


async def account(ctx: Ctx, vector_store_id: str, before: Json | None, after: Json | None) -> None:
    """Apply one file's transition to its store and to the batch(es) it belonged to."""
    await apply_to_store(ctx, vector_store_id, Tally().move(before, after))
    old_batch = (before or {}).get("batch_id") if counted(before) else None
    new_batch = (after or {}).get("batch_id") if counted(after) else None
    if old_batch and old_batch == new_batch:
        await apply_to_batch(ctx, vector_store_id, old_batch, Tally().move(before, after))
        return
    if old_batch:
        await apply_to_batch(ctx, vector_store_id, old_batch, Tally().move(before, None))
    if new_batch:
        await apply_to_batch(ctx, vector_store_id, new_batch, Tally().move(None, after))
