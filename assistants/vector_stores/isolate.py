"""Extraction of the heavy formats in a child process bounded in CPU time, memory and wall time.

PDF, Office and HTML parsers build whole object trees from what a small file unpacks to (a zip
bomb DOCX of 300 KB is 100 MiB of XML). Size checks catch what a file declares; this catches the
rest: the parser runs in a child process (``extract_child``) with ``RLIMIT_CPU`` and
``RLIMIT_AS`` set, and is killed at the wall-time limit. The child gets the file on stdin, no
credentials in its environment, and answers JSON. Plain text, JSON and CSV parse in a thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from assistants.ingest.errors import ExtractionFailed, IngestError
from assistants.ingest.extract import extract_text, format_of
from assistants.ingest.limits import DEFAULT_LIMITS, ExtractionLimits
from assistants.ingest.models import ExtractedText, FileFormat

HEAVY = frozenset({FileFormat.PDF, FileFormat.DOCX, FileFormat.PPTX, FileFormat.HTML})
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding ``assistants``
_MIB = 1024 * 1024
MEMORY_EXIT = 3  # the child's exit status when a parser ran out of its memory


@dataclass(frozen=True, slots=True)
class ProcessLimits:
    cpu_seconds: int = 20
    memory_bytes: int = 1024 * _MIB
    wall_seconds: float = 30.0


def over_limit(what: str) -> ExtractionFailed:
    return ExtractionFailed(f"The file could not be parsed within the {what} limit for one file.")


async def extract_bounded(
    data: bytes,
    filename: str,
    content_type: str | None,
    process: ProcessLimits,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> ExtractedText:
    if format_of(data, filename, content_type) not in HEAVY:
        return await asyncio.to_thread(extract_text, data, filename, content_type, limits=limits)
    env = {"PYTHONPATH": _ROOT, "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "assistants.vector_stores.extract_child",
        str(process.cpu_seconds),
        str(process.memory_bytes),
        filename,
        content_type or "",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(data), process.wall_seconds)
    except TimeoutError:
        raise over_limit(f"{process.wall_seconds:g}-second time") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise over_limit(f"{process.cpu_seconds}-second CPU time")
    if child.returncode == MEMORY_EXIT:
        raise over_limit(f"{process.memory_bytes // _MIB:,} MiB memory")
    try:
        answer = json.loads(out)
    except ValueError:
        raise ExtractionFailed("The file could not be read; it may be damaged.") from None
    if "error" in answer:
        error: IngestError = ExtractionFailed(answer["error"]["message"])
        error.code = answer["error"]["code"]  # type: ignore[misc]
        raise error
    return ExtractedText(
        text=answer["text"],
        format=FileFormat(answer["format"]),
        pages=answer["pages"],
        page_texts=tuple(answer["page_texts"]),
        warnings=tuple(answer["warnings"]),
        page_starts=tuple(answer["page_starts"]),
    )
