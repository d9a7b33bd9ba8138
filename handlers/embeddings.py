"""Embeddings: ``POST /v1/embeddings`` (float or base64, optional ``dimensions``)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from app.call import Call
from handlers.registry import operation


def _encode(vector: list[float], encoding: str) -> Any:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
    return vector


@operation("createEmbedding")
async def create_embedding(call: Call) -> Any:
    body = call.body
    result = await call.state.inference.embed(
        body["input"], body["model"], call.provider_options, dimensions=body.get("dimensions")
    )
    encoding = body.get("encoding_format") or "float"
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _encode(vector, encoding)}
            for index, vector in enumerate(result.vectors)
        ],
        "model": result.model,
        "usage": {
            "prompt_tokens": result.usage.get("prompt_tokens", 0),
            "total_tokens": result.usage.get("total_tokens", 0),
        },
    }
