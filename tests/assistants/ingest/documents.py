"""Builds real PDF, DOCX, PPTX and ZIP files in memory for the extraction tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
import pptx
from fpdf import FPDF
from pptx.util import Inches


def pdf_bytes(pages: Sequence[str]) -> bytes:
    """A PDF with one page per entry (empty entries give blank pages); core fonts: latin-1 only."""
    document = FPDF()
    document.set_font("Helvetica", size=11)
    for text in pages:
        document.add_page()
        if text:
            document.multi_cell(0, 6, text)
    return bytes(document.output())


def docx_bytes(
    before: Sequence[str], table: Sequence[Sequence[str]], after: Sequence[str]
) -> bytes:
    """Paragraphs ``before``, a table of ``table``'s rows, then paragraphs ``after``."""
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    for text in after:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx_bytes(
    slides: Sequence[tuple[str, str, str]], table: Sequence[Sequence[str]] = ()
) -> bytes:
    """Slides of (title, body, notes); ``table`` goes on an extra last slide, with a group shape."""
    presentation = pptx.Presentation()
    for title, body, notes in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    if table:
        slide = presentation.slides.add_slide(presentation.slide_layouts[5])
        slide.shapes.title.text = "Table slide"
        shape = slide.shapes.add_table(
            len(table), len(table[0]), Inches(1), Inches(2), Inches(6), Inches(2)
        )
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                shape.table.cell(r, c).text = value
        group = slide.shapes.add_group_shape()
        box = group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1))
        box.text_frame.text = "Grouped caption"
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
