"""Ingestion for vector stores: file bytes to text (``extract_text``), text to token chunks.

Pure functions: no I/O beyond the bytes given, nothing downloaded, nothing written.
"""

from assistants.ingest.chunking import chunk_text, chunk_with
from assistants.ingest.errors import (
    ExtractionFailed,
    IngestError,
    InvalidChunkingStrategy,
    TokenizerUnavailable,
    UnsupportedFileType,
)
from assistants.ingest.extract import extract_text
from assistants.ingest.limits import DEFAULT_LIMITS, ExtractionLimits
from assistants.ingest.models import PAGE_SEPARATOR, ExtractedText, FileFormat, TextChunk
from assistants.ingest.strategy import AUTO_CHUNKING, ChunkingParams
from assistants.ingest.tokenizer import DEFAULT_ENCODING, count_tokens, get_encoding

__all__ = [
    "AUTO_CHUNKING",
    "DEFAULT_ENCODING",
    "DEFAULT_LIMITS",
    "PAGE_SEPARATOR",
    "ChunkingParams",
    "ExtractedText",
    "ExtractionFailed",
    "ExtractionLimits",
    "FileFormat",
    "IngestError",
    "InvalidChunkingStrategy",
    "TextChunk",
    "TokenizerUnavailable",
    "UnsupportedFileType",
    "chunk_text",
    "chunk_with",
    "count_tokens",
    "extract_text",
    "get_encoding",
]
