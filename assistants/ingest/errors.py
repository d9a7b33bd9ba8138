"""Ingestion's own errors. ``str(error)`` is safe to show to API clients: no paths, no traces."""

from __future__ import annotations

from typing import ClassVar

from assistants.errors import InvalidInput


class IngestError(Exception):
    """A file could not be turned into searchable text.

    ``code`` is the vector store file's ``last_error.code`` in OpenAI's API.
    """

    code: ClassVar[str] = "invalid_file"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFileType(IngestError):
    """The file's type cannot be searched (images, archives, binaries, spreadsheets...)."""

    code: ClassVar[str] = "unsupported_file"


class ExtractionFailed(IngestError):
    """The file claims a supported type but is corrupt, empty, encrypted or too large."""

    code: ClassVar[str] = "invalid_file"


class InvalidChunkingStrategy(InvalidInput):
    """A request's ``chunking_strategy`` breaks a rule the JSON schema cannot express."""


class TokenizerUnavailable(RuntimeError):
    """The bundled BPE file is missing or damaged: a deployment problem, not a client one."""
