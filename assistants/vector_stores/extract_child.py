"""The child process of ``isolate``: limits itself, extracts stdin, prints the result as JSON."""

from __future__ import annotations

import json
import resource
import sys


def main(argv: list[str]) -> None:
    cpu, memory, filename, content_type = int(argv[0]), int(argv[1]), argv[2], argv[3] or None
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from assistants.ingest.errors import IngestError
    from assistants.ingest.extract import extract_text

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
