"""Plain text, Markdown and source code: decoded and tidied, otherwise kept as written."""

from __future__ import annotations

from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import decode_text, normalize_text


def extract(data: bytes, charset: str | None, file_format: FileFormat) -> ExtractedText:
    return ExtractedText(text=normalize_text(decode_text(data, charset)), format=file_format)
