"""CSV and TSV: one line per row, cells joined by `` | ``; the delimiter is sniffed."""

from __future__ import annotations

import csv
import io

from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import decode_text, normalize_text

_SNIFF_CHARS = 16 * 1024
_DELIMITERS = ",;\t|"
CELL_SEPARATOR = " | "


def extract(data: bytes, charset: str | None, limits: ExtractionLimits) -> ExtractedText:
    raw = decode_text(data, charset)
    budget = TextBudget(limits.max_text_chars)
    lines: list[str] = []
    try:
        for row in csv.reader(io.StringIO(raw, newline=""), _dialect(raw)):
            cells = [" ".join(cell.split()) for cell in row]
            if any(cells):
                lines.append(budget.take(CELL_SEPARATOR.join(cells)))
    except csv.Error:
        # Oversized fields or stray NULs: the rows are still readable as lines of text.
        return ExtractedText(
            text=normalize_text(raw),
            format=FileFormat.CSV,
            warnings=("The file is not valid CSV; it was indexed as plain text.",),
        )
    return ExtractedText(text=normalize_text("\n".join(lines)), format=FileFormat.CSV)


def _dialect(raw: str) -> type[csv.Dialect] | csv.Dialect:
    sample = raw[:_SNIFF_CHARS]
    if len(raw) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
