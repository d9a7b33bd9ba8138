"""Refusals and failures: unsupported types, damaged files, empty files, and hostile sizes."""

from __future__ import annotations

import re
import time

import pytest

from assistants.ingest import (
    ExtractionFailed,
    ExtractionLimits,
    IngestError,
    UnsupportedFileType,
    extract_text,
)
from tests.assistants.ingest.documents import PNG_BYTES, docx_bytes, pdf_bytes, zip_bytes

XLSX_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def _failure(exc: type[IngestError], data: bytes, name: str, ctype: str | None = None) -> str:
    with pytest.raises(exc) as caught:
        extract_text(data, name, ctype)
    message = str(caught.value)
    assert message == caught.value.message
    assert not re.search(r"Traceback|Error:|site-packages|\.py\b|(/[\w.-]+){2,}", message), message
    return message


def test_png_by_extension_is_refused_with_openai_wording():
    message = _failure(UnsupportedFileType, PNG_BYTES, "photo.PNG", "image/png")
    assert message == "Files with extension .png are not supported for file search."


def test_png_by_content_type_is_refused():
    message = _failure(UnsupportedFileType, PNG_BYTES, "upload", "image/png")
    assert message == "Files of type image/png are not supported for file search."


def test_png_by_magic_bytes_is_refused():
    assert _failure(UnsupportedFileType, PNG_BYTES, "upload") == (
        "PNG images are not supported for file search."
    )


def test_zip_archives_are_refused():
    archive = zip_bytes({"notes.txt": b"hello"})
    assert "extension .zip" in _failure(UnsupportedFileType, archive, "bundle.zip")
    assert "ZIP archives" in _failure(UnsupportedFileType, archive, "bundle")
    assert "Files of type application/zip" in _failure(
        UnsupportedFileType, archive, "x", "application/zip"
    )


def test_spreadsheets_are_refused_with_a_hint():
    message = _failure(UnsupportedFileType, zip_bytes(XLSX_PARTS), "sheet.xlsx")
    assert message.startswith("Files with extension .xlsx are not supported for file search.")
    assert ".csv" in message
    assert "Excel" in _failure(UnsupportedFileType, zip_bytes(XLSX_PARTS), "sheet")


def test_legacy_word_documents_are_refused_with_a_hint():
    message = _failure(
        UnsupportedFileType, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "a.doc"
    )
    assert ".docx" in message


def test_unknown_binary_is_refused():
    message = _failure(UnsupportedFileType, bytes(range(256)) * 8, "blob.xyz")
    assert message == (
        "Files with extension .xyz are not supported for file search "
        "(binary files are not searchable)."
    )


def test_errors_carry_openai_last_error_codes():
    assert UnsupportedFileType.code == "unsupported_file"
    assert ExtractionFailed.code == "invalid_file"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", b"not a pdf at all"],
    ids=["garbage-body", "no-header"],
)
def test_corrupt_pdf_fails(data):
    assert "PDF" in _failure(ExtractionFailed, data, "broken.pdf")


def test_truncated_pdf_fails():
    data = pdf_bytes(["some text " * 50])
    message = _failure(ExtractionFailed, data[: len(data) // 3], "cut.pdf")
    assert "PDF" in message


@pytest.mark.parametrize(
    "data",
    [b"garbage bytes", zip_bytes({"other.xml": b"<x/>"})],
    ids=["not-a-zip", "no-main-part"],
)
def test_corrupt_docx_fails(data):
    assert "Word document" in _failure(ExtractionFailed, data, "broken.docx")


def test_damaged_docx_xml_fails():
    parts = {"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}
    assert "Word document" in _failure(ExtractionFailed, zip_bytes(parts), "bad.docx")


def test_corrupt_pptx_fails():
    assert "PowerPoint" in _failure(ExtractionFailed, b"PK\x03\x04 broken", "deck.pptx")


@pytest.mark.parametrize(("data", "name"), [(b"", "empty.txt"), (b"", "empty.pdf")])
def test_empty_file_fails(data, name):
    assert "contains no text" in _failure(ExtractionFailed, data, name)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"  \n\t\r\n ", "blank.md"),
        (b"<html><script>x()</script></html>", "s.html"),
        (b",,\n", "e.csv"),
    ],
)
def test_file_without_text_fails(data, name):
    assert "contains no text" in _failure(ExtractionFailed, data, name)


def test_pdf_without_text_explains_scans():
    assert "scanned" in _failure(ExtractionFailed, pdf_bytes(["", ""]), "scan.pdf")


def test_empty_docx_fails():
    assert "no text" in _failure(ExtractionFailed, docx_bytes([], [], []), "blank.docx")


def test_password_protected_pdf_fails():
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    document = FPDF()
    document.set_encryption(
        owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4
    )
    document.add_page()
    document.set_font("Helvetica", size=12)
    document.cell(text="hidden")
    assert "password" in _failure(ExtractionFailed, bytes(document.output()), "locked.pdf")


def test_input_size_is_capped():
    limits = ExtractionLimits(max_input_bytes=10)
    with pytest.raises(ExtractionFailed, match="too large"):
        extract_text(b"x" * 11, "big.txt", limits=limits)
    assert extract_text(b"x" * 10, "ok.txt", limits=limits).text == "x" * 10


def test_text_size_is_capped():
    limits = ExtractionLimits(max_text_chars=1000)
    with pytest.raises(ExtractionFailed, match="too large"):
        extract_text(b"word " * 300, "big.txt", limits=limits)


def test_html_size_is_capped():
    limits = ExtractionLimits(max_html_bytes=100)
    with pytest.raises(ExtractionFailed, match="too large"):
        extract_text(b"<p>x</p>" * 20, "big.html", limits=limits)


def test_large_html_stays_linear():
    # bs4 edits that rescan sibling lists made this quadratic (minutes); one walk takes ~1 s.
    started = time.perf_counter()
    result = extract_text(b"<div><p>x</p><br>" * 20_000 + b"<div>" * 5_000, "wide.html")
    assert time.perf_counter() - started < 20
    assert result.text.count("x") == 20_000


def test_json_expansion_is_capped():
    # Few bytes, long repeated paths: flattening must stop at the text cap, not exhaust memory.
    nested = b'{"k": ' * 900 + b"[" + b"1," * 5000 + b"1]" + b"}" * 900
    with pytest.raises(ExtractionFailed, match="too large"):
        extract_text(nested, "deep.json", limits=ExtractionLimits(max_text_chars=100_000))


def test_pdf_page_count_is_capped():
    with pytest.raises(ExtractionFailed, match="at most 2 pages"):
        extract_text(pdf_bytes(["a", "b", "c"]), "p.pdf", limits=ExtractionLimits(max_pdf_pages=2))


def test_office_zip_bomb_is_refused_before_loading():
    bomb = zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document/>",
            "word/media/huge.bin": bytes(5 * 1024 * 1024),
        }
    )
    assert len(bomb) < 100_000
    limits = ExtractionLimits(max_office_uncompressed_bytes=1024 * 1024)
    with pytest.raises(ExtractionFailed, match="too large"):
        extract_text(bomb, "bomb.docx", limits=limits)


def test_office_part_count_is_capped():
    parts = {f"word/part{n}.xml": b"<x/>" for n in range(20)} | {"word/document.xml": b"<x/>"}
    with pytest.raises(ExtractionFailed, match="parts"):
        extract_text(zip_bytes(parts), "many.docx", limits=ExtractionLimits(max_office_parts=10))
