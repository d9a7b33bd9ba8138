"""Reading one object of the tenant or failing with OpenAI's not-found message."""

from __future__ import annotations

from assistants.errors import NotFoundError
from storage.base import Json, Key, Kind, Store, Stored

NAMES = {
    Kind.ASSISTANT: "assistant",
    Kind.THREAD: "thread",
    Kind.MESSAGE: "message",
    Kind.RUN: "run",
    Kind.RUN_STEP: "run step",
    Kind.FILE: "file",
    Kind.VECTOR_STORE: "vector store",
    Kind.VECTOR_STORE_FILE: "vector store file",
    Kind.FILE_BATCH: "vector store file batch",
    Kind.RESPONSE: "response",
    Kind.INPUT_ITEM: "input item",
    Kind.CONVERSATION: "conversation",
    Kind.CONVERSATION_ITEM: "conversation item",
}


async def fetch(
    store: Store,
    tenant: str,
    kind: Kind,
    object_id: str,
    parent: str = "",
    param: str | None = None,
) -> Stored:
    found = await store.docs.get(Key(tenant, kind, parent, object_id))
    if found is None:
        raise NotFoundError.of(NAMES[kind], object_id, param)
    return found


async def fetch_doc(
    store: Store,
    tenant: str,
    kind: Kind,
    object_id: str,
    parent: str = "",
    param: str | None = None,
) -> Json:
    return (await fetch(store, tenant, kind, object_id, parent, param)).doc


def deleted(object_id: str, object_type: str) -> Json:
    return {"id": object_id, "object": f"{object_type}.deleted", "deleted": True}
