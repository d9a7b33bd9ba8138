"""HTML: the readable text, with scripts, styles and other non-content elements dropped.

Block elements become line breaks, table cells are joined by `` | ``, whitespace inside running
text collapses as a browser would collapse it, and ``<pre>`` keeps its layout.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction
from bs4.element import PageElement, Tag

from assistants.ingest.limits import ExtractionLimits, too_large
from assistants.ingest.models import ExtractedText, FileFormat
from assistants.ingest.text import normalize_text

_DROPPED = frozenset(
    ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas")
)
# Blocks are set apart by a blank line; lines (list items, table rows) just end theirs.
_BLOCKS = frozenset(
    (
        *("address", "article", "aside", "blockquote", "caption", "details", "div", "dl"),
        *("fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table"),
        *("title", "ul"),
    )
)
_LINES = frozenset(("dd", "dt", "li", "tr"))
_CELLS = frozenset(("td", "th"))
_PREFORMATTED = frozenset(("pre", "textarea"))
_NON_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_SPACE_RUN = re.compile(r"\s+")
# Stands in for preformatted spaces until the final strip, which only removes ASCII blanks.
_KEPT_SPACE = "\xa0"


def extract(data: bytes, charset: str | None, limits: ExtractionLimits) -> ExtractedText:
    if len(data) > limits.max_html_bytes:
        raise too_large(f"HTML files may be at most {limits.max_html_bytes:,} bytes")
    return ExtractedText(text=normalize_text(html_to_text(data, charset)), format=FileFormat.HTML)


def html_to_text(data: bytes, charset: str | None = None) -> str:
    # One walk with an explicit stack, no tree edits: bs4's insert/replace scan sibling lists,
    # which turns large pages quadratic, and recursion would fail on deeply nested markup.
    out: list[str] = []
    preformatted = 0
    stack: list[tuple[PageElement, bool]] = [(_parse(data, charset), False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, _NON_TEXT):
                out.append(_kept(node) if preformatted else _SPACE_RUN.sub(" ", node))
            continue
        if not isinstance(node, Tag) or node.name in _DROPPED:
            continue
        name = node.name
        if leaving:
            preformatted -= name in _PREFORMATTED
            out.append("\n" if name in _BLOCKS or name in _LINES else "")
            continue
        if name == "br":
            out.append("\n")
            continue
        preformatted += name in _PREFORMATTED
        out.append("\n" if name in _BLOCKS else "")
        stack.append((node, True))
        stack.extend(_children_with_cell_separators(node))
    lines = (line.strip(" \t") for line in "".join(out).split("\n"))
    return "\n".join(lines).replace(_KEPT_SPACE, " ")


def _children_with_cell_separators(node: Tag) -> list[tuple[PageElement, bool]]:
    """``node``'s children in stack order; cells after the first get a `` | `` in front."""
    entries: list[tuple[PageElement, bool]] = []
    cells = 0
    for child in node.contents:
        if isinstance(child, Tag) and child.name in _CELLS:
            if cells:
                entries.append((NavigableString(" | "), False))
            cells += 1
        entries.append((child, False))
    entries.reverse()
    return entries


def _kept(text: str) -> str:
    return text.replace("\t", "    ").replace(" ", _KEPT_SPACE)


def _parse(data: bytes, charset: str | None) -> BeautifulSoup:
    # lxml ships with python-docx anyway and is much faster than html.parser on large pages.
    if charset:
        return BeautifulSoup(data, "lxml", from_encoding=charset)
    try:
        # Valid UTF-8 is near-certain to be UTF-8; skip bs4's slower statistical guessing.
        return BeautifulSoup(data.decode("utf-8-sig"), "lxml")
    except UnicodeDecodeError:
        return BeautifulSoup(data, "lxml")
