"""Paged and office formats: PDF pages in order, DOCX paragraphs and tables, PPTX slides."""

from __future__ import annotations

import io

from assistants.ingest import PAGE_SEPARATOR, FileFormat, extract_text
from tests.assistants.ingest.documents import docx_bytes, pdf_bytes, pptx_bytes

PAGES = [
    "Alpha page talks about apples and orchards in early autumn.",
    "Bravo page describes bridges, rivers and the engineers who build them.",
    "",
    "Delta page closes with deserts, dunes and the long quiet evenings.",
]


def _words(text: str) -> list[str]:
    return text.split()


def test_pdf_pages_come_back_in_order():
    result = extract_text(pdf_bytes(PAGES), "report.pdf", "application/pdf")
    assert result.format is FileFormat.PDF
    assert result.pages == 4
    assert [_words(page) for page in result.page_texts] == [_words(page) for page in PAGES]
    assert result.text == PAGE_SEPARATOR.join(result.page_texts)
    spans = zip(result.page_starts, result.page_texts, strict=True)
    assert [result.text[start : start + len(page)] for start, page in spans] == list(
        result.page_texts
    )


def test_pdf_offsets_map_back_to_pages():
    result = extract_text(pdf_bytes(PAGES), "report.pdf")
    for number, needle in ((1, "apples"), (2, "bridges"), (4, "dunes")):
        assert result.page_of(result.text.index(needle)) == number
    assert result.page_of(0) == 1
    assert result.page_of(len(result.text) - 1) == 4


def test_long_pdf_page_wraps_but_keeps_words():
    body = " ".join(f"word{n}" for n in range(300))
    result = extract_text(pdf_bytes([body, "tail"]), "long.pdf")
    assert _words(result.page_texts[0]) == _words(body)
    assert result.page_texts[1] == "tail"


def test_pdf_is_sniffed_without_name_or_type():
    assert extract_text(pdf_bytes(["sniffed"]), "upload", None).text == "sniffed"


def test_pdf_with_empty_user_password_is_read():
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    document = FPDF()
    document.set_encryption(owner_password="owner", encryption_method=EncryptionMethod.RC4)
    document.add_page()
    document.set_font("Helvetica", size=12)
    document.cell(text="permissions only")
    assert extract_text(bytes(document.output()), "locked.pdf").text == "permissions only"


def test_docx_paragraphs_and_tables_in_document_order():
    data = docx_bytes(
        ["Quarterly report", "Revenue grew."],
        [["Region", "Sales"], ["North", "120"], ["South", "95"]],
        ["Closing remarks."],
    )
    result = extract_text(data, "q3.docx", None)
    assert result.format is FileFormat.DOCX
    assert result.pages is None
    assert result.text.splitlines() == [
        "Quarterly report",
        "Revenue grew.",
        "Region | Sales",
        "North | 120",
        "South | 95",
        "Closing remarks.",
    ]


def test_docx_merged_cells_appear_once():
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Wide header"
    for c, value in enumerate(["a", "b", "c"]):
        table.cell(1, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_text(buffer.getvalue(), "m.docx").text == "Wide header\na | b | c"


def test_pptx_slides_are_pages_with_notes_tables_and_groups():
    data = pptx_bytes(
        [("Welcome", "Agenda for today", "Say hello first"), ("Results", "We shipped", "")],
        table=[["Metric", "Value"], ["Users", "42"]],
    )
    result = extract_text(data, "deck.pptx", None)
    assert result.format is FileFormat.PPTX
    assert result.pages == 3
    assert result.page_texts == (
        "Welcome\nAgenda for today\nNotes: Say hello first",
        "Results\nWe shipped",
        "Table slide\nMetric | Value\nUsers | 42\nGrouped caption",
    )
    assert result.page_of(result.text.index("Users")) == 3


def test_office_formats_are_sniffed_from_their_parts():
    docx_data = docx_bytes(["Sniffed document"], [], [])
    pptx_data = pptx_bytes([("Sniffed deck", "body", "")])
    assert extract_text(docx_data, "upload.bin.part", None).format is FileFormat.DOCX
    assert extract_text(pptx_data, "upload", "application/octet-stream").format is FileFormat.PPTX


def test_office_file_objects_are_read():
    data = docx_bytes(["From a stream"], [], [])
    assert extract_text(io.BytesIO(data), "s.docx").text == "From a stream"
