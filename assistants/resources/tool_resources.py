"""``tool_resources`` of assistants and threads: references checked, inline stores made."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput
from assistants.lookups import fetch
from assistants.vector_stores.service import create_vector_store
from storage.base import Kind

MAX_CODE_FILES = 20


async def resolve_tool_resources(ctx: Ctx, resources: Any, param: str = "tool_resources") -> Any:
    """The stored form: ``file_search.vector_stores`` become new vector stores' ids."""
    if resources is None:
        return None
    result: dict[str, Any] = {}
    code = resources.get("code_interpreter")
    if code is not None:
        file_ids = list(code.get("file_ids") or [])
        if len(file_ids) > MAX_CODE_FILES:
            raise InvalidInput(
                f"Invalid '{param}.code_interpreter.file_ids': at most {MAX_CODE_FILES} files.",
                param=f"{param}.code_interpreter.file_ids",
            )
        for index, file_id in enumerate(file_ids):
            await fetch(
                ctx.store, ctx.tenant, Kind.FILE, file_id,
                param=f"{param}.code_interpreter.file_ids[{index}]",
            )  # fmt: skip
        result["code_interpreter"] = {"file_ids": file_ids}
    search = resources.get("file_search")
    if search is not None:
        ids = list(search.get("vector_store_ids") or [])
        inline = list(search.get("vector_stores") or [])
        if ids and inline:
            raise InvalidInput(
                "Only one of 'vector_store_ids' and 'vector_stores' may be given.",
                param=f"{param}.file_search",
            )
        for index, store_id in enumerate(ids):
            await fetch(
                ctx.store, ctx.tenant, Kind.VECTOR_STORE, store_id,
                param=f"{param}.file_search.vector_store_ids[{index}]",
            )  # fmt: skip
        if inline:
            for spec in inline:
                created = await create_vector_store(ctx, dict(spec))
                ids.append(created["id"])
        result["file_search"] = {"vector_store_ids": ids}
    return result
