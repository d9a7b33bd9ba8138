"""PDF: pypdf's text of each page, in page order, page boundaries kept."""

from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from assistants.ingest.errors import ExtractionFailed
from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import normalize_text


def extract(data: bytes, limits: ExtractionLimits) -> ExtractedText:
    # strict=False: real-world PDFs are often slightly malformed and still readable.
    reader = PdfReader(io.BytesIO(data), strict=False)
    _unlock(reader)
    count = len(reader.pages)
    if count > limits.max_pdf_pages:
        raise ExtractionFailed(
            f"The PDF has {count:,} pages; at most {limits.max_pdf_pages:,} pages are supported."
        )
    budget = TextBudget(limits.max_text_chars)
    pages: list[str] = []
    unreadable: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            raw = page.extract_text()
        except Exception:  # pypdf raises many types on bad content; lose only this page
            unreadable.append(number)
            raw = ""
        pages.append(budget.take(normalize_text(raw)))
    if count and len(unreadable) == count:
        raise ExtractionFailed("The PDF could not be read; it may be damaged.")
    warnings = [f"Page {number} could not be read and was skipped." for number in unreadable]
    return ExtractedText.from_pages(pages, FileFormat.PDF, warnings)


def _unlock(reader: PdfReader) -> None:
    if not reader.is_encrypted:
        return
    try:
        # Many PDFs are encrypted only to set permissions, with an empty user password.
        unlocked = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (DependencyError, NotImplementedError, FileNotDecryptedError):
        unlocked = False
    if not unlocked:
        raise ExtractionFailed(
            "The PDF is encrypted or password-protected; its text cannot be read."
        )
