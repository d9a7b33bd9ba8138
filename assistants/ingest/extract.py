"""``extract_text``: a file's bytes, name and declared type in; its searchable text out."""

from __future__ import annotations

from typing import Protocol

from assistants.ingest.detect import detect_format
from assistants.ingest.errors import ExtractionFailed, IngestError
from assistants.ingest.limits import DEFAULT_LIMITS, ExtractionLimits, too_large
from assistants.ingest.models import ExtractedText, FileFormat


class BinaryReader(Protocol):
    """Anything with a binary ``read(size)``: open files, ``BytesIO``, upload spools."""

    def read(self, size: int, /) -> bytes | None: ...


FileData = bytes | bytearray | memoryview | BinaryReader
_READ_SIZE = 1024 * 1024

_LABELS = {
    FileFormat.PDF: "PDF",
    FileFormat.DOCX: "Word document",
    FileFormat.PPTX: "PowerPoint presentation",
    FileFormat.HTML: "HTML file",
    FileFormat.JSON: "JSON file",
    FileFormat.CSV: "CSV file",
}


def extract_text(
    data: FileData,
    filename: str,
    content_type: str | None = None,
    *,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> ExtractedText:
    """Extract the searchable text of one file.

    The format is chosen by ``filename``'s extension, then ``content_type``, then the bytes.
    Raises ``UnsupportedFileType`` for types file_search cannot search and ``ExtractionFailed``
    for damaged, encrypted, empty or oversized files; both carry a message fit for API clients.
    """
    raw = _read_bounded(data, limits.max_input_bytes)
    if not raw:
        raise ExtractionFailed("The file is empty; it contains no text.")
    media_type, charset = _parse_content_type(content_type)
    file_format = detect_format(raw, filename, media_type)
    try:
        extracted = _extract(file_format, raw, charset, limits)
    except (IngestError, MemoryError):
        raise
    except Exception as error:
        # Parsers fed hostile bytes fail in arbitrary ways; the client gets one clean message and
        # the chained cause stays in server logs.
        label = _LABELS.get(file_format, "file")
        raise ExtractionFailed(f"The {label} could not be read; it may be damaged.") from error
    if not extracted.text.strip():
        raise ExtractionFailed(_no_text_message(file_format))
    if len(extracted.text) > limits.max_text_chars:
        raise too_large(f"it holds more than {limits.max_text_chars:,} characters of text")
    return extracted


def format_of(data: bytes, filename: str, content_type: str | None) -> FileFormat | None:
    """The format ``extract_text`` would parse ``data`` as; ``None`` when it would refuse it."""
    try:
        return detect_format(data, filename, _parse_content_type(content_type)[0])
    except IngestError:
        return None


def _extract(
    file_format: FileFormat, raw: bytes, charset: str | None, limits: ExtractionLimits
) -> ExtractedText:
    # Imported on first use: pypdfium2, python-docx and python-pptx together take ~0.6 s to import.
    if file_format in (FileFormat.TEXT, FileFormat.MARKDOWN, FileFormat.CODE):
        from assistants.ingest.formats import plain

        return plain.extract(raw, charset, file_format)
    if file_format is FileFormat.HTML:
        from assistants.ingest.formats import html

        return html.extract(raw, charset, limits)
    if file_format is FileFormat.JSON:
        from assistants.ingest.formats import jsondata

        return jsondata.extract(raw, charset, limits)
    if file_format is FileFormat.CSV:
        from assistants.ingest.formats import delimited

        return delimited.extract(raw, charset, limits)
    if file_format is FileFormat.PDF:
        from assistants.ingest.formats import pdf

        return pdf.extract(raw, limits)
    if file_format is FileFormat.DOCX:
        from assistants.ingest.formats import word

        return word.extract(raw, limits)
    from assistants.ingest.formats import slides

    return slides.extract(raw, limits)


def _read_bounded(data: FileData, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        # Streams may return short reads before their end; stop one byte past the cap.
        parts: list[bytes] = []
        size = 0
        while size <= max_bytes and (part := data.read(min(_READ_SIZE, max_bytes + 1 - size))):
            if not isinstance(part, bytes | bytearray):
                raise TypeError("extract_text needs bytes or a binary file object")
            parts.append(bytes(part))
            size += len(part)
        raw = b"".join(parts)
    if len(raw) > max_bytes:
        raise too_large(f"it is larger than {max_bytes:,} bytes")
    return raw


def _parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    if not content_type:
        return None, None
    media_type, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.lower() or None, charset


def _no_text_message(file_format: FileFormat) -> str:
    if file_format is FileFormat.PDF:
        return "The PDF contains no extractable text; it may hold only scanned images."
    return f"The {_LABELS.get(file_format, 'file')} contains no text."
