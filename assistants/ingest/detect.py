"""Which format a file is: by extension, then declared content type, then by its bytes."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePosixPath

from assistants.ingest.errors import UnsupportedFileType
from assistants.ingest.models import FileFormat
from assistants.ingest.text import looks_like_text

_CODE_EXTENSIONS = (
    "py pyi js mjs cjs jsx ts tsx java go rs c h cc cpp cxx hpp hh cs rb php sh bash zsh ps1 bat "
    "css scss less sass sql swift kt kts scala lua pl pm r m mm dart vue svelte hs ex exs erl clj "
    "tex bib yaml yml toml ini cfg conf xml proto graphql gradle cmake mk dockerfile"
)
_EXTENSIONS: dict[str, FileFormat] = {
    **dict.fromkeys(_CODE_EXTENSIONS.split(), FileFormat.CODE),
    **dict.fromkeys(("txt", "text", "rst", "log"), FileFormat.TEXT),
    **dict.fromkeys(("md", "markdown", "mdx"), FileFormat.MARKDOWN),
    **dict.fromkeys(("html", "htm", "xhtml"), FileFormat.HTML),
    "json": FileFormat.JSON,
    **dict.fromkeys(("csv", "tsv"), FileFormat.CSV),
    "pdf": FileFormat.PDF,
    "docx": FileFormat.DOCX,
    "pptx": FileFormat.PPTX,
}
_REFUSED_WITHOUT_HINT = (
    "odt rtf pages epub odp key "
    "png jpg jpeg gif webp bmp tif tiff svg ico heic heif avif psd raw "
    "mp3 wav ogg flac m4a aac mp4 mov avi mkv webm wmv "
    "zip gz tgz tar bz2 xz 7z rar zst jar war apk dmg iso "
    "exe dll so dylib bin o a class pyc wasm db sqlite parquet pkl npy ttf otf woff woff2"
)
_SHEET_EXTENSIONS = "xls xlsx xlsm ods numbers"
# Types we know and refuse, with a hint where there is a supported alternative.
_REFUSED_EXTENSIONS: dict[str, str] = {
    **dict.fromkeys(_REFUSED_WITHOUT_HINT.split(), ""),
    **dict.fromkeys(_SHEET_EXTENSIONS.split(), "Export the sheet as .csv."),
    "doc": "Save the document as .docx.",
    "ppt": "Save the presentation as .pptx.",
}
_MEDIA_TYPES: dict[str, FileFormat] = {
    "text/plain": FileFormat.TEXT,
    "text/markdown": FileFormat.MARKDOWN,
    "text/x-markdown": FileFormat.MARKDOWN,
    "text/html": FileFormat.HTML,
    "application/xhtml+xml": FileFormat.HTML,
    "application/json": FileFormat.JSON,
    "text/json": FileFormat.JSON,
    "text/csv": FileFormat.CSV,
    "application/csv": FileFormat.CSV,
    "text/tab-separated-values": FileFormat.CSV,
    "application/pdf": FileFormat.PDF,
    "application/x-pdf": FileFormat.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileFormat.DOCX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": FileFormat.PPTX,
    "application/javascript": FileFormat.CODE,
    "application/typescript": FileFormat.CODE,
    "application/x-sh": FileFormat.CODE,
    "application/x-httpd-php": FileFormat.CODE,
    "application/x-tex": FileFormat.CODE,
    "application/xml": FileFormat.CODE,
    "application/x-yaml": FileFormat.CODE,
}
# Declared types that say nothing about the content: fall through to sniffing.
_UNINFORMATIVE = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
_REFUSED_MEDIA_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG images"),
    (b"\xff\xd8\xff", 0, "JPEG images"),
    (b"GIF8", 0, "GIF images"),
    (b"WEBP", 8, "WebP images"),
    (b"II*\x00", 0, "TIFF images"),
    (b"MM\x00*", 0, "TIFF images"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "Legacy Office files (.doc, .xls, .ppt)"),
    (b"\x1f\x8b", 0, "Gzip archives"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-Zip archives"),
    (b"Rar!", 0, "RAR archives"),
    (b"\x7fELF", 0, "Executables"),
    (b"SQLite format 3\x00", 0, "SQLite databases"),
    (b"ftyp", 4, "Video files"),
    (b"ID3", 0, "Audio files"),
)
_ZIP_PARTS = (
    ("word/document.xml", None),
    ("ppt/presentation.xml", None),
    ("xl/workbook.xml", "Excel workbooks (.xlsx)"),
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_EXTENSION_SHAPE = re.compile(r"[a-z0-9_+-]{1,16}")


def extension_of(filename: str) -> str:
    """The lower-case extension without the dot ("" if none), ignoring any directory part."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    return extension if dot and stem and _EXTENSION_SHAPE.fullmatch(extension) else ""


def detect_format(data: bytes, filename: str, media_type: str | None) -> FileFormat:
    """The format to extract ``data`` as; raises ``UnsupportedFileType`` with a user message."""
    extension = extension_of(filename)
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if extension in _REFUSED_EXTENSIONS:
        raise _refused_extension(extension)
    media_type = (media_type or "").strip().lower()
    if media_type in _MEDIA_TYPES:
        return _MEDIA_TYPES[media_type]
    if media_type.startswith("text/") or media_type.endswith(("+json", "+xml")):
        return FileFormat.JSON if media_type.endswith("+json") else FileFormat.TEXT
    if media_type.startswith(_REFUSED_MEDIA_PREFIXES):
        raise UnsupportedFileType(f"Files of type {media_type} are not supported for file search.")
    # Other application/* types (zip, sql, x-perl...) are decided by the bytes; name the type.
    label = f"Files with extension .{extension}" if extension else ""
    if not label and media_type not in _UNINFORMATIVE:
        label = f"Files of type {media_type}"
    return _sniff(data, label)


def _sniff(data: bytes, label: str) -> FileFormat:
    if b"%PDF-" in data[:1024]:
        return FileFormat.PDF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, label)
    for magic, offset, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            raise _refused_kind(kind, label)
    if not looks_like_text(data):
        raise _refused_kind("Binary files", label)
    if _looks_like_html(data[:4096]):
        return FileFormat.HTML
    stripped = data.strip()
    if stripped[:1] in (b"{", b"[") and stripped[-1:] in (b"}", b"]"):
        return FileFormat.JSON
    return FileFormat.TEXT


def _looks_like_html(head: bytes) -> bool:
    # A loop, not a regex: "(<!--.*?-->\s*)*" backtracks exponentially on many comments.
    head = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    while head.startswith(b"<!--"):
        end = head.find(b"-->")
        if end < 0:
            return False
        head = head[end + 3 :].lstrip()
    return head.startswith(_HTML_STARTS)


def _sniff_zip(data: bytes, label: str) -> FileFormat:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refused_kind("ZIP archives", label) from None
    for part, refused in _ZIP_PARTS:
        if part in names:
            if refused:
                raise _refused_kind(refused, label)
            return FileFormat.DOCX if part.startswith("word/") else FileFormat.PPTX
    raise _refused_kind("ZIP archives", label)


def _refused_extension(extension: str) -> UnsupportedFileType:
    hint = _REFUSED_EXTENSIONS.get(extension, "")
    message = f"Files with extension .{extension} are not supported for file search."
    return UnsupportedFileType(f"{message} {hint}".strip())


def _refused_kind(kind: str, label: str) -> UnsupportedFileType:
    if label:
        # "Binary files" reads "binary files" mid-sentence; "PNG images" stays as it is.
        inline = kind if kind[1:2].isupper() else kind[:1].lower() + kind[1:]
        return UnsupportedFileType(
            f"{label} are not supported for file search ({inline} are not searchable)."
        )
    return UnsupportedFileType(f"{kind} are not supported for file search.")
