"""DOCX: body paragraphs and tables in document order; table rows become `` | `` lines."""

from __future__ import annotations

import io
from collections.abc import Iterator

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from assistants.ingest.formats.office import check_package
from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import normalize_text

CELL_SEPARATOR = " | "
# Tables nested in cells deeper than this contribute nothing (hostile files nest thousands deep).
_MAX_TABLE_DEPTH = 4


def extract(data: bytes, limits: ExtractionLimits) -> ExtractedText:
    check_package(data, "word/document.xml", "Word document", limits)
    document = Document(io.BytesIO(data))
    budget = TextBudget(limits.max_text_chars)
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            blocks.append(budget.take(block.text))
        else:
            blocks.extend(budget.take(row) for row in _table_rows(block, depth=1))
    return ExtractedText(text=normalize_text("\n".join(blocks)), format=FileFormat.DOCX)


def _table_rows(table: Table, depth: int) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; show it once.
            if previous is not None and cell._tc is previous._tc:
                continue
            previous = cell
            cells.append(_cell_text(cell, depth))
        if any(cells):
            yield CELL_SEPARATOR.join(cells)


def _cell_text(cell: _Cell, depth: int) -> str:
    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif depth < _MAX_TABLE_DEPTH:
            parts.extend(_table_rows(block, depth + 1))
    return " ".join(" ".join(parts).split())
