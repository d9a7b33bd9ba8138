"""file_search in a response: one search with the user's latest words, shown as a
``file_search_call`` item, its results given to the model as sources to cite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from assistants.context import Ctx
from assistants.ids import new_id
from assistants.retrieval import search
from assistants.turns.citations import Source
from storage.base import Json

DEFAULT_RESULTS = 20


@dataclass(frozen=True)
class SearchPlan:
    vector_store_ids: list[str]
    query: str
    max_num_results: int
    filters: Json | None
    ranking_options: Json | None


class Emitter(Protocol):
    output: list[Json]
    log: Any  # the response's EventLog

    def present_item(self, item: Json) -> Json: ...


def plan_search(tools: list[Json], query: str) -> SearchPlan | None:
    tool = next((t for t in tools if t["type"] == "file_search"), None)
    if tool is None or not query.strip() or not tool.get("vector_store_ids"):
        return None
    return SearchPlan(
        vector_store_ids=list(tool["vector_store_ids"]),
        query=query,
        max_num_results=tool.get("max_num_results") or DEFAULT_RESULTS,
        filters=tool.get("filters"),
        ranking_options=tool.get("ranking_options"),
    )


async def run_search(ctx: Ctx, plan: SearchPlan, run: Emitter) -> list[Source]:
    """Search, emitting the call's lifecycle events; the item keeps the results."""
    item: Json = {
        "id": new_id("fs"),
        "type": "file_search_call",
        "status": "in_progress",
        "queries": [plan.query],
        "results": None,
    }
    run.output.append(item)
    index = len(run.output) - 1
    run.log.emit("response.output_item.added", output_index=index, item=dict(item))
    run.log.emit("response.file_search_call.in_progress", item_id=item["id"], output_index=index)
    item["status"] = "searching"
    run.log.emit("response.file_search_call.searching", item_id=item["id"], output_index=index)
    results = await search(
        ctx,
        plan.vector_store_ids,
        plan.query,
        max_num_results=plan.max_num_results,
        filters=plan.filters,
        ranking_options=plan.ranking_options,
        strict=False,
    )
    item["status"] = "completed"
    item["results"] = [
        {
            "file_id": r.file_id,
            "filename": r.filename,
            "score": r.score,
            "text": "\n".join(r.texts),
            "attributes": r.attributes,
        }
        for r in results
    ]
    run.log.emit("response.file_search_call.completed", item_id=item["id"], output_index=index)
    run.log.emit(
        "response.output_item.done",
        output_index=index,
        item=run.present_item(item),
    )
    return [Source(r.file_id, r.filename, r.score, "\n".join(r.texts)) for r in results]
