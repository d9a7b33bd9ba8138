"""PPTX: each slide's text (text boxes, tables, grouped shapes, speaker notes) as one page."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from pptx import Presentation
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.slide import Slide

from assistants.ingest.formats.office import check_package
from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import normalize_text

CELL_SEPARATOR = " | "


def extract(data: bytes, limits: ExtractionLimits) -> ExtractedText:
    check_package(data, "ppt/presentation.xml", "PowerPoint presentation", limits)
    presentation = Presentation(io.BytesIO(data))
    budget = TextBudget(limits.max_text_chars)
    slides = [budget.take(normalize_text(_slide_text(slide))) for slide in presentation.slides]
    return ExtractedText.from_pages(slides, FileFormat.PPTX)


def _slide_text(slide: Slide) -> str:
    parts = list(_shape_texts(slide.shapes))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            parts.append(f"Notes: {notes.text}")
    return "\n".join(parts)


def _shape_texts(shapes: Iterable[BaseShape]) -> Iterator[str]:
    # An explicit stack rather than recursion: groups can nest arbitrarily deep.
    stack = list(reversed(list(shapes)))
    while stack:
        shape = stack.pop()
        if isinstance(shape, GroupShape):
            stack.extend(reversed(list(shape.shapes)))
        elif shape.has_text_frame:
            yield shape.text_frame.text  # type: ignore[attr-defined]
        elif shape.has_table:
            for row in shape.table.rows:  # type: ignore[attr-defined]
                cells = [" ".join(c.text.split()) for c in row.cells if not c.is_spanned]
                if any(cells):
                    yield CELL_SEPARATOR.join(cells)
