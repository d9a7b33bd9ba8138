"""Caps that keep extraction bounded on hostile input, and the budget that enforces the text cap."""

from __future__ import annotations

from dataclasses import dataclass

from assistants.ingest.errors import ExtractionFailed

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Upper bounds for one extraction; exceeding any of them raises ``ExtractionFailed``."""

    max_input_bytes: int = 512 * _MIB  # OpenAI's per-file upload limit
    # OpenAI caps a file at 5,000,000 tokens; at ~4 characters a token this is that much text.
    max_text_chars: int = 20_000_000
    max_pdf_pages: int = 5_000
    # BeautifulSoup builds ~30k elements/s here; this keeps one HTML file to tens of seconds.
    max_html_bytes: int = 10 * _MIB
    max_office_parts: int = 10_000
    # Sum of the uncompressed sizes an office zip declares; zipfile never inflates an entry
    # past its declared size, so this bounds what python-docx/python-pptx load into memory.
    max_office_uncompressed_bytes: int = 256 * _MIB
    # The XML parts alone: parsers hold a tree of objects per element, ~20x the XML's size.
    max_office_xml_bytes: int = 32 * _MIB


DEFAULT_LIMITS = ExtractionLimits()


def too_large(reason: str) -> ExtractionFailed:
    return ExtractionFailed(f"The file could not be parsed because it is too large: {reason}.")


class TextBudget:
    """Counts extracted characters as they are produced, so a huge document fails early."""

    def __init__(self, max_chars: int) -> None:
        self._max = max_chars
        self._left = max_chars

    def take(self, text: str) -> str:
        self._left -= len(text)
        if self._left < 0:
            raise too_large(f"it holds more than {self._max:,} characters of text")
        return text
