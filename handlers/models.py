"""Models: ``/v1/models``, from LiteLLM's registry, the operator's list and the provider's own."""

from __future__ import annotations

from typing import Any

from app.call import Call
from app.errors import NotFound
from assistants.errors import clipped
from handlers.registry import operation


@operation("listModels")
async def list_models(call: Call) -> Any:
    models = await call.state.inference.list_models(call.provider_options)
    return {"object": "list", "data": models}


@operation("retrieveModel")
async def retrieve_model(call: Call) -> Any:
    wanted = call.path["model"]
    for model in await call.state.inference.list_models(call.provider_options):
        if model["id"] == wanted:
            return model
    raise NotFound(
        f"The model '{clipped(wanted)}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )
