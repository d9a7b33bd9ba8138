"""Extraction of the heavy formats in a child process bounded in CPU time, memory and wall time.

PDF, Office and HTML parsers build whole object trees from what a small file unpacks to (a zip
bomb DOCX of 300 KB is 100 MiB of XML). Size checks catch what a file declares; this catches the
rest: the parser runs in a child process (``extract_child``) with ``RLIMIT_CPU`` and
``RLIMIT_AS`` set, and is killed at the wall-time limit. The child gets the file on stdin, no
credentials in its environment, and answers JSON. Plain text, JSON and CSV parse in a thread.
``Children`` keeps one child started ahead (interpreter up, parsers imported, waiting on stdin).
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def start_child(process: ProcessLimits) -> asyncio.subprocess.Process:
    """A child that readies its parsers, then parses the one file it is sent on stdin."""
    env = {"PYTHONPATH": _ROOT, "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "assistants.vector_stores.extract_child",
        str(process.cpu_seconds),
        str(process.memory_bytes),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )


class Children:
    """Extraction children with one kept started ahead, so that a file waits for its parse only,
    not for an interpreter to start and import its parsers (each child still parses one file).

    The next file's child is started once a parse has ended (``refill``), not while it runs: its
    interpreter start and imports take ~0.2 s of CPU, which would slow the parse it waits behind.
    """

    def __init__(self, process: ProcessLimits) -> None:
        self.process = process
        self._spare: asyncio.subprocess.Process | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> asyncio.subprocess.Process:
        """A child for one file: the one started ahead, else a new one."""
        loop = asyncio.get_running_loop()
        spare, self._spare = self._spare, None
        if spare is not None and (self._loop is not loop or spare.returncode is not None):
            _kill(spare)  # of an earlier event loop, or gone
            spare = None
        return spare or await start_child(self.process)

    async def refill(self) -> None:
        """Start the child for the next file, unless one is waiting already."""
        if self._spare is not None:
            return
        ahead = await start_child(self.process)
        if self._spare is None:
            self._spare, self._loop = ahead, asyncio.get_running_loop()
        else:  # another file's refill() started one meanwhile: one waiting child is enough
            _kill(ahead)

    @property
    def spare_pid(self) -> int | None:
        """The process id of the child waiting for the next file, if one is started."""
        return None if self._spare is None else self._spare.pid

    async def aclose(self) -> None:
        spare, self._spare = self._spare, None
        if spare is None:
            return
        _kill(spare)
        if self._loop is asyncio.get_running_loop():
            await spare.wait()


def _kill(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)


async def extract_bounded(
    data: bytes,
    filename: str,
    content_type: str | None,
    process: ProcessLimits,
    limits: ExtractionLimits = DEFAULT_LIMITS,
    children: Children | None = None,
) -> ExtractedText:
    """The text of ``data``; heavy formats in a child process (one of ``children``'s, started
    ahead, when given) bounded by ``process``."""
    if format_of(data, filename, content_type) not in HEAVY:
        return await asyncio.to_thread(extract_text, data, filename, content_type, limits=limits)
    child = await (children.take() if children is not None else start_child(process))
    header = json.dumps({"filename": filename, "content_type": content_type}).encode()
    try:
        out, _ = await asyncio.wait_for(
            child.communicate(header + b"\n" + data), process.wall_seconds
        )
    except TimeoutError:
        raise over_limit(f"{process.wall_seconds:g}-second time") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        if children is not None:
            await children.refill()
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
