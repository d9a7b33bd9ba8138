"""Bytes to clean text: BOM and charset handling with sensible fallbacks, and whitespace cleanup."""

from __future__ import annotations

import codecs
import re

from assistants.ingest.errors import ExtractionFailed

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16-LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 64 * 1024
# C0 controls other than tab, newline, form feed and carriage return: rare in real text
# (escape sequences in logs aside), a tenth of random bytes. NULs are rarer still in text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_STRIPPED_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def looks_like_text(data: bytes) -> bool:
    """Whether ``data`` (a sample is enough) decodes to text rather than binary content."""
    try:
        decode_text(data[:_SAMPLE], partial=True)
    except ExtractionFailed:
        return False
    return True


def decode_text(data: bytes, charset: str | None = None, *, partial: bool = False) -> str:
    """Decode a text file: BOM, then the declared charset, UTF-8, cp1252 and finally latin-1.

    ``partial`` tolerates a multi-byte character cut at the end (for samples). Raises
    ``ExtractionFailed`` when the bytes look binary.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(codec, errors="replace"))
    candidates = [_utf16_without_bom(data[:_SAMPLE])] if b"\x00" in data[:_SAMPLE] else []
    if charset:
        candidates.insert(0, charset)
    candidates += ["utf-8", "cp1252"]
    for codec in filter(None, candidates):
        try:
            info = codecs.lookup(codec)
            # A declared charset could name a bytes-to-bytes codec such as "zlib" (a bomb).
            if not getattr(info, "_is_text_encoding", True):
                continue
            decoder = info.incrementaldecoder()
            return _checked(decoder.decode(data, final=not partial))
        except (LookupError, UnicodeDecodeError):
            continue
    return _checked(data.decode("latin-1"))


def normalize_text(text: str) -> str:
    """Unix newlines, no stray control characters or trailing spaces, at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _STRIPPED_CONTROLS.sub("", text)
    # Per line rather than a regex like "[ \t]+\n", which backtracks quadratically on long
    # runs of spaces.
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text.strip()


def _utf16_without_bom(sample: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a zero in every other byte; which half says the byte order.
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zeros, odd_zeros = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def _checked(text: str) -> str:
    sample = text[:_SAMPLE]
    if (
        sample.count("\x00") > len(sample) // 1000
        or len(_CONTROLS.findall(sample)) > len(sample) // 20
    ):
        raise ExtractionFailed("The file does not contain readable text; it appears to be binary.")
    return text
