"""Heavy parsers run in a child process bounded in CPU time and memory."""

from __future__ import annotations

import time

import pytest

from assistants.ingest import ExtractionFailed
from assistants.vector_stores.isolate import ProcessLimits, extract_bounded
from tests.assistants.ingest.documents import docx_bytes
from tests.support.bombs import docx_bomb

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def heavy_docx() -> bytes:
    return docx_bomb(24 * MIB)  # under the XML cap: only the process limits stop it


async def test_a_document_that_parses_too_long_fails_at_the_cpu_limit(heavy_docx):
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="1-second CPU time limit"):
        await extract_bounded(heavy_docx, "slow.docx", None, ProcessLimits(1, 1024 * MIB, 30))
    assert time.monotonic() - started < 15


async def test_a_document_that_needs_too_much_memory_fails_at_the_memory_limit(heavy_docx):
    with pytest.raises(ExtractionFailed, match="300 MiB memory limit"):
        await extract_bounded(heavy_docx, "big.docx", None, ProcessLimits(60, 300 * MIB, 60))


async def test_a_document_past_the_xml_cap_is_refused_before_parsing():
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="more than 32 MiB of XML"):
        await extract_bounded(docx_bomb(100 * MIB), "bomb.docx", None, ProcessLimits())
    assert time.monotonic() - started < 10


async def test_an_ordinary_document_is_extracted_in_the_child():
    extracted = await extract_bounded(
        docx_bytes(["Quarterly report"], [["a", "b"]], ["Revenue grew"]),
        "r.docx",
        None,
        ProcessLimits(),
    )
    assert "Quarterly report" in extracted.text and "Revenue grew" in extracted.text
