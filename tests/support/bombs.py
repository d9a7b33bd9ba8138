"""Word documents small on disk and huge once unpacked (zip bombs), built with python-docx."""

from __future__ import annotations

import io
import zipfile

from docx import Document

_PARAGRAPH = b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>"


def docx_bomb(xml_bytes: int) -> bytes:
    """A valid DOCX whose body is ``xml_bytes`` of paragraphs, deflated to a few hundred KB."""
    buffer = io.BytesIO()
    Document().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    document = source.read("word/document.xml")
    head, _, tail = document.partition(b"<w:body>")
    body = _PARAGRAPH * (xml_bytes // len(_PARAGRAPH))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for entry in source.infolist():
            if entry.filename == "word/document.xml":
                package.writestr(entry.filename, head + b"<w:body>" + body + tail)
            else:
                package.writestr(entry, source.read(entry))
    return out.getvalue()
