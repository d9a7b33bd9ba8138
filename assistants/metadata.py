"""OpenAI's limits on ``metadata``: 16 pairs, keys up to 64 and values up to 512 characters."""

from __future__ import annotations

from typing import Any

from assistants.errors import InvalidInput

MAX_PAIRS = 16
MAX_KEY = 64
MAX_VALUE = 512


def checked_metadata(metadata: Any, param: str = "metadata") -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput("Invalid 'metadata': expected an object.", param=param)
    if len(metadata) > MAX_PAIRS:
        raise InvalidInput(
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{MAX_PAIRS} properties, but got {len(metadata)}.",
            param=param,
        )
    for key, value in metadata.items():
        if len(key) > MAX_KEY:
            raise InvalidInput(
                f"Invalid '{param}': key '{key[:20]}...' is longer than {MAX_KEY} characters.",
                param=param,
            )
        if not isinstance(value, str):
            raise InvalidInput(f"Invalid '{param}.{key}': expected a string.", param=param)
        if len(value) > MAX_VALUE:
            raise InvalidInput(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length {MAX_VALUE}, but got a string with length {len(value)} instead.",
                param=param,
            )
    return dict(metadata)
