"""file_search results shown to the model, and its citation markers turned into annotations.

Sources are numbered with OpenAI's marker format ``【<round>:<index>†<filename>】``; the model is
asked to cite with those markers, and each marker in its answer becomes a ``file_citation``
annotation spanning the marker (start and end indices into the message text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MARKER = re.compile(r"【(\d+):(\d+)†([^】]*)】")


@dataclass(frozen=True, slots=True)
class Source:
    file_id: str
    filename: str
    score: float
    text: str


def marker(index: int, filename: str, round_index: int = 0) -> str:
    return f"【{round_index}:{index}†{filename}】"


def sources_block(sources: Sequence[Source]) -> str | None:
    if not sources:
        return None
    lines = [
        "Use the following excerpts from the user's files to answer. When you use an excerpt, "
        "cite it by writing its marker exactly as shown, right after the sentence it supports."
    ]
    for index, source in enumerate(sources):
        lines.append(f"{marker(index, source.filename)}\n{source.text}")
    return "\n\n".join(lines)


def annotations(text: str, sources: Sequence[Source]) -> list[dict[str, Any]]:
    found = []
    for match in MARKER.finditer(text):
        index = int(match.group(2))
        if index >= len(sources):
            continue
        found.append(
            {
                "type": "file_citation",
                "text": match.group(0),
                "start_index": match.start(),
                "end_index": match.end(),
                "file_citation": {"file_id": sources[index].file_id},
            }
        )
    return found
