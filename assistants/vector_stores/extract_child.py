"""The child process of ``isolate``: limits itself, extracts stdin, prints the result as JSON.

Its stdin is one JSON line (``filename``, ``content_type``), then the file's bytes.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys


def main(argv: list[str]) -> None:
    cpu, memory = int(argv[0]), int(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from assistants.ingest.errors import IngestError
    from assistants.ingest.extract import extract_text
    from assistants.ingest.formats import pdf  # noqa: F401  (ready before a file arrives)

    # Started ahead of its file: it waits here, and the CPU limit counts from the file on.
    header = json.loads(sys.stdin.buffer.readline())
    filename, content_type = str(header["filename"]), header.get("content_type") or None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = cpu + math.ceil(usage.ru_utime + usage.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    data = sys.stdin.buffer.read()
    try:
        extracted = extract_text(data, filename, content_type)
    except IngestError as error:
        if error.__cause__ is not None and _near(memory):
            sys.exit(3)
        answer: dict[str, object] = {"error": {"code": error.code, "message": error.message}}
    except MemoryError:
        sys.exit(3)  # isolate.MEMORY_EXIT: the parent names the memory limit
    else:
        answer = {
            "text": extracted.text,
            "format": extracted.format.value,
            "pages": extracted.pages,
            "page_texts": list(extracted.page_texts),
            "warnings": list(extracted.warnings),
            "page_starts": list(extracted.page_starts),
        }
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    # The parent waits for this process to end: skip the interpreter's teardown (~40 ms with
    # the parsers loaded), as nothing is left to clean up in a process that parsed one file.
    os._exit(0)


def _near(memory: int) -> bool:
    """Whether this process came close to its address-space limit.

    Parsers report a failed allocation in their own ways (lxml: an "unknown error" syntax error),
    so a parser failure counts as running out of memory when the peak size reached the limit.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 > memory * 0.9
    except OSError:
        pass
    return False


if __name__ == "__main__":
    main(sys.argv[1:])
