"""Checks an Office Open XML zip before python-docx/python-pptx load all of its parts."""

from __future__ import annotations

import io
import zipfile

from assistants.ingest.errors import ExtractionFailed
from assistants.ingest.limits import ExtractionLimits, too_large


def check_package(data: bytes, main_part: str, kind: str, limits: ExtractionLimits) -> None:
    """Raise ``ExtractionFailed`` unless ``data`` is a bounded zip holding ``main_part``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ExtractionFailed(f"The file is not a valid {kind}; it may be damaged.") from None
    if len(entries) > limits.max_office_parts:
        raise too_large(f"the {kind} holds more than {limits.max_office_parts:,} parts")
    if sum(entry.file_size for entry in entries) > limits.max_office_uncompressed_bytes:
        size_mib = limits.max_office_uncompressed_bytes // (1024 * 1024)
        raise too_large(f"the {kind} unpacks to more than {size_mib:,} MiB")
    xml = [e for e in entries if e.filename.endswith((".xml", ".rels")) or "." not in e.filename]
    if sum(entry.file_size for entry in xml) > limits.max_office_xml_bytes:
        size_mib = limits.max_office_xml_bytes // (1024 * 1024)
        raise too_large(f"the {kind} holds more than {size_mib:,} MiB of XML")
    if main_part not in {entry.filename for entry in entries}:
        raise ExtractionFailed(f"The file is not a valid {kind}; its main part is missing.")
