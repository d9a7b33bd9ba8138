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


def marker_annotations(text: str, sources: Sequence[Source]) -> list[dict[str, Any]]:
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


def text_content(text: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    """A thread message's text content block."""
    return {"type": "text", "text": {"value": text, "annotations": found}}


class MarkerFilter:
    """Takes citation markers out of streamed text, giving an annotation at each one's place.

    A marker may arrive split over pieces: text from an opening ``【`` is held back until its
    ``】`` (or until it is clearly not a marker). Annotations are OpenAI Responses'
    ``file_citation`` objects: ``file_id``, ``filename`` and ``index`` into the visible text.
    """

    MAX_MARKER = 256

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = sources
        self.pending = ""
        self.length = 0

    def feed(self, piece: str) -> tuple[str, list[dict[str, Any]]]:
        text = self.pending + piece
        self.pending = ""
        if not self.sources or "【" not in text:
            self.length += len(text)
            return text, []
        visible: list[str] = []
        found: list[dict[str, Any]] = []
        at = 0
        while at < len(text):
            start = text.find("【", at)
            if start < 0:
                visible.append(text[at:])
                break
            visible.append(text[at:start])
            end = text.find("】", start)
            if end < 0:
                if len(text) - start > self.MAX_MARKER:
                    visible.append(text[start:])
                else:
                    self.pending = text[start:]
                break
            match = MARKER.fullmatch(text[start : end + 1])
            index = int(match.group(2)) if match else -1
            if 0 <= index < len(self.sources):
                source = self.sources[index]
                offset = self.length + sum(len(part) for part in visible)
                found.append(
                    {
                        "type": "file_citation",
                        "file_id": source.file_id,
                        "filename": source.filename,
                        "index": offset,
                    }
                )
            else:
                visible.append(text[start : end + 1])
            at = end + 1
        shown = "".join(visible)
        self.length += len(shown)
        return shown, found

    def flush(self) -> str:
        rest, self.pending = self.pending, ""
        self.length += len(rest)
        return rest
