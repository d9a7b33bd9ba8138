"""JSON as one ``path: value`` line per leaf, so every chunk keeps the keys its values sit under.

A file that does not parse (JSON Lines, comments, truncation) is indexed as plain text instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import decode_text, normalize_text


def extract(data: bytes, charset: str | None, limits: ExtractionLimits) -> ExtractedText:
    raw = decode_text(data, charset)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return ExtractedText(
            text=normalize_text(raw),
            format=FileFormat.JSON,
            warnings=("The file is not valid JSON; it was indexed as plain text.",),
        )
    budget = TextBudget(limits.max_text_chars)
    lines = [budget.take(line) for line in _leaf_lines(value)]
    return ExtractedText(text=normalize_text("\n".join(lines)), format=FileFormat.JSON)


def _leaf_lines(value: Any) -> Iterator[str]:
    # An explicit stack: nesting depth is the file author's choice, not ours.
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict) and node:
            children = [(_key_path(path, str(key)), child) for key, child in node.items()]
            stack.extend(reversed(children))
        elif isinstance(node, list) and node:
            stack.extend((f"{path}[{index}]", node[index]) for index in reversed(range(len(node))))
        else:
            rendered = node if isinstance(node, str) else json.dumps(node, ensure_ascii=False)
            yield f"{path}: {rendered}" if path else rendered


def _key_path(parent: str, key: str) -> str:
    plain = key.isidentifier() or key.replace("-", "_").isidentifier()
    segment = key if plain else json.dumps(key, ensure_ascii=False)
    if not parent:
        return segment
    return f"{parent}.{segment}" if plain else f"{parent}[{segment}]"
