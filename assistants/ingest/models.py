"""The records ingestion produces: extracted text (with page boundaries) and token chunks."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate

# Placed between the texts of consecutive pages (or slides) in ``ExtractedText.text``.
PAGE_SEPARATOR = "\n\n"


class FileFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    CODE = "code"
    HTML = "html"
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """A file's searchable text.

    For paged formats (PDF pages, PPTX slides) ``page_texts`` holds each page's text, empty pages
    included, and ``text`` is exactly ``PAGE_SEPARATOR.join(page_texts)``, so a character offset
    in ``text`` maps back to its page with ``page_of``. ``warnings`` lists parts that were skipped.
    """

    text: str
    format: FileFormat
    pages: int | None = None
    page_texts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Offset in ``text`` where each page starts; ``from_pages`` fills it in.
    page_starts: tuple[int, ...] = ()

    @classmethod
    def from_pages(
        cls, pages: Sequence[str], file_format: FileFormat, warnings: Sequence[str] = ()
    ) -> ExtractedText:
        step = len(PAGE_SEPARATOR)
        return cls(
            text=PAGE_SEPARATOR.join(pages),
            format=file_format,
            pages=len(pages),
            page_texts=tuple(pages),
            warnings=tuple(warnings),
            page_starts=tuple(accumulate((len(page) + step for page in pages[:-1]), initial=0)),
        )

    def page_of(self, char_offset: int) -> int | None:
        """The 1-based page holding ``text[char_offset]``; ``None`` for unpaged formats."""
        if not self.page_starts:
            return None
        return bisect_right(self.page_starts, max(char_offset, 0))


@dataclass(frozen=True, slots=True)
class TextChunk:
    """One window of tokens.

    ``text == source[char_start:char_end]`` of the chunked text, and ``token_start``/``token_end``
    index the source's token sequence, so consecutive chunks share exactly the overlap tokens.
    """

    index: int
    text: str
    token_count: int
    token_start: int
    token_end: int
    char_start: int
    char_end: int
