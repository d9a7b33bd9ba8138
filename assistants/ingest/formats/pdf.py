"""PDF: PDFium's text of each page (pypdfium2), in page order, page boundaries kept."""

from __future__ import annotations

import pypdfium2 as pdfium

from assistants.ingest.errors import ExtractionFailed
from assistants.ingest.limits import ExtractionLimits, TextBudget
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import normalize_text

_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD: encrypted, and the empty user password does not open it


def extract(data: bytes, limits: ExtractionLimits) -> ExtractedText:
    # PDFium opens many malformed PDFs (it repairs cross-reference tables) and decrypts those
    # encrypted only to set permissions (empty user password) by itself.
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == _PASSWORD_ERROR:
            raise ExtractionFailed(
                "The PDF is encrypted or password-protected; its text cannot be read."
            ) from None
        raise
    try:
        return _pages(document, limits)
    finally:
        document.close()


def _pages(document: pdfium.PdfDocument, limits: ExtractionLimits) -> ExtractedText:
    count = len(document)
    if count > limits.max_pdf_pages:
        raise ExtractionFailed(
            f"The PDF has {count:,} pages; at most {limits.max_pdf_pages:,} pages are supported."
        )
    budget = TextBudget(limits.max_text_chars)
    pages: list[str] = []
    unreadable: list[int] = []
    for number in range(1, count + 1):
        try:
            raw = _page_text(document, number - 1)
        except pdfium.PdfiumError:  # a damaged page: lose only this page
            unreadable.append(number)
            raw = ""
        pages.append(budget.take(normalize_text(raw)))
    if count and len(unreadable) == count:
        raise ExtractionFailed("The PDF could not be read; it may be damaged.")
    warnings = [f"Page {number} could not be read and was skipped." for number in unreadable]
    return ExtractedText.from_pages(pages, FileFormat.PDF, warnings)


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        text_page = page.get_textpage()
        try:
            return str(text_page.get_text_bounded())
        finally:
            text_page.close()
    finally:
        page.close()
