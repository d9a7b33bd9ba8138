"""Heavy parsers run in a child process bounded in CPU time and memory."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from assistants.ingest import ExtractionFailed
from assistants.vector_stores import isolate
from assistants.vector_stores.isolate import Children, ProcessLimits, extract_bounded
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


async def test_a_child_started_ahead_parses_the_next_file_and_only_that_one():
    children = Children(ProcessLimits())
    document = docx_bytes(["First file"], [], [])
    try:
        first = await extract_bounded(document, "a.docx", None, ProcessLimits(), children=children)
        ready = children.spare_pid
        assert ready is not None and _alive(ready)
        second = await extract_bounded(
            docx_bytes(["Second file"], [], []), "b.docx", None, ProcessLimits(), children=children
        )
        assert "First file" in first.text and "Second file" in second.text
        assert not _alive(ready)  # it parsed the second file and exited
        assert children.spare_pid not in (None, ready)
    finally:
        spare = children.spare_pid
        await children.aclose()
    assert spare is not None and not _alive(spare) and children.spare_pid is None


async def test_the_next_child_starts_once_a_parse_has_ended_not_during_it(monkeypatch):
    """A starting interpreter takes CPU from the parse it would wait behind (a 100-page PDF
    parsed in ~0.35 s instead of ~0.14 s with its successor starting beside it)."""
    children = Children(ProcessLimits())
    started: list[asyncio.subprocess.Process] = []
    parsing_at_start: list[int] = []
    real_start = isolate.start_child

    async def recording_start(process: ProcessLimits) -> asyncio.subprocess.Process:
        parsing = [c for c in started if c.returncode is None and c.pid != children.spare_pid]
        parsing_at_start.append(len(parsing))
        child = await real_start(process)
        started.append(child)
        return child

    monkeypatch.setattr(isolate, "start_child", recording_start)
    try:
        for name in ("a", "b"):
            document = docx_bytes([f"File {name}"], [], [])
            extracted = await extract_bounded(
                document, f"{name}.docx", None, ProcessLimits(), children=children
            )
            assert f"File {name}" in extracted.text
        assert children.spare_pid is not None  # the third file's child waits
    finally:
        await children.aclose()
    assert parsing_at_start == [0, 0, 0]


async def test_a_child_started_ahead_still_stops_at_the_cpu_limit(heavy_docx):
    limits = ProcessLimits(1, 1024 * MIB, 30)
    children = Children(limits)
    try:
        await extract_bounded(
            docx_bytes(["warm"], [], []), "w.docx", None, limits, children=children
        )
        await asyncio.sleep(1.5)  # the ready child has waited: its wait is not its parse's time
        started = time.monotonic()
        with pytest.raises(ExtractionFailed, match="1-second CPU time limit"):
            await extract_bounded(heavy_docx, "slow.docx", None, limits, children=children)
        assert time.monotonic() - started < 15
    finally:
        await children.aclose()
