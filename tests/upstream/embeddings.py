"""Deterministic embeddings: signed feature hashing of lower-cased word tokens, L2-normalised."""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from typing import Any

DEFAULT_DIMENSIONS = 1536
MAX_DIMENSIONS = 8192
_WORD = re.compile(r"[a-z0-9]+")
_DIMS_IN_NAME = re.compile(r"-(\d+)$")


def dimensions_for(model: str, requested: Any) -> int:
    """The request's `dimensions`, else a trailing `-<int>` of the model name, else 1536."""
    if isinstance(requested, int) and requested > 0:
        return requested
    m = _DIMS_IN_NAME.search(model)
    return int(m.group(1)) if m else DEFAULT_DIMENSIONS


def embed_text(text: str, dims: int) -> list[float]:
    vector = [0.0] * dims
    for token in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        vector[value % dims] += 1.0 if (value >> 63) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0  # empty text: still a unit vector, as real providers never return zeros
        return vector
    return [v / norm for v in vector]


def _texts(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list) and data and all(isinstance(x, int) for x in data):
        return [" ".join(f"t{x}" for x in data)]  # one pre-tokenised input
    return [x if isinstance(x, str) else " ".join(f"t{t}" for t in x) for x in data or []]


def embeddings_body(body: dict[str, Any]) -> dict[str, Any]:
    model = str(body.get("model", ""))
    dims = dimensions_for(model, body.get("dimensions"))
    texts = _texts(body.get("input"))
    as_base64 = body.get("encoding_format") == "base64"
    data: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        vector = embed_text(text, dims)
        encoded: Any = (
            base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(t.split()) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
