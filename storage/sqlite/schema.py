"""The SQLite schema and its migrations.

The schema version lives in ``PRAGMA user_version``. ``migrate`` applies every migration newer
than it inside one ``BEGIN IMMEDIATE`` transaction, so when several worker processes start on the
same file at once, one of them migrates and the others wait for its lock, then find nothing to do.
Migrations are append-only: never edit a released one, add the next version instead.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from storage.base import FILTERABLE
from storage.errors import StorageError
from storage.sqlite.connection import in_transaction

# Document columns holding the FILTERABLE attributes; one per attribute name, NULL for other kinds.
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("run_id", "purpose", "status", "batch_id")
# Larger pages keep a 1536-float embedding (6 KiB) and 1 MiB blob parts in fewer overflow pages.
# Only takes effect when the file is created.
PAGE_SIZE = 16384


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "documents, blobs and chunks",
        (
            """CREATE TABLE documents (
                tenant   TEXT NOT NULL,
                kind     TEXT NOT NULL,
                parent   TEXT NOT NULL,
                id       TEXT NOT NULL,
                version  INTEGER NOT NULL,
                run_id   TEXT,
                purpose  TEXT,
                status   TEXT,
                batch_id TEXT,
                body     TEXT NOT NULL,
                PRIMARY KEY (tenant, kind, parent, id)
            )""",
            # Partial indexes: only rows that carry the attribute are indexed, and `col = ?` implies
            # `col IS NOT NULL`, so the planner uses them for filtered, id-ordered pages.
            """CREATE INDEX documents_run_id ON documents (tenant, kind, parent, run_id, id)
                WHERE run_id IS NOT NULL""",
            """CREATE INDEX documents_purpose ON documents (tenant, kind, parent, purpose, id)
                WHERE purpose IS NOT NULL""",
            """CREATE INDEX documents_status ON documents (tenant, kind, parent, status, id)
                WHERE status IS NOT NULL""",
            """CREATE INDEX documents_batch_id ON documents (tenant, kind, parent, batch_id, id)
                WHERE batch_id IS NOT NULL""",
            """CREATE INDEX documents_batch_status
                ON documents (tenant, kind, parent, batch_id, status, id)
                WHERE batch_id IS NOT NULL AND status IS NOT NULL""",
            # A blob's bytes are written as parts of a fresh generation, then published by pointing
            # `blobs` at it; AUTOINCREMENT so a generation number is never reused.
            """CREATE TABLE blob_uploads (
                generation INTEGER PRIMARY KEY AUTOINCREMENT,
                tenant     TEXT NOT NULL,
                blob_id    TEXT NOT NULL,
                started_at REAL NOT NULL
            )""",
            """CREATE TABLE blob_parts (
                generation INTEGER NOT NULL,
                seq        INTEGER NOT NULL,
                data       BLOB NOT NULL,
                PRIMARY KEY (generation, seq)
            )""",
            """CREATE TABLE blobs (
                tenant     TEXT NOT NULL,
                blob_id    TEXT NOT NULL,
                generation INTEGER NOT NULL,
                size       INTEGER NOT NULL,
                parts      INTEGER NOT NULL,
                PRIMARY KEY (tenant, blob_id)
            ) WITHOUT ROWID""",
            # The embedding comes before text/metadata so a search reads it without walking the
            # overflow pages of long texts.
            """CREATE TABLE chunks (
                tenant          TEXT NOT NULL,
                vector_store_id TEXT NOT NULL,
                file_id         TEXT NOT NULL,
                idx             INTEGER NOT NULL,
                dimensions      INTEGER NOT NULL,
                norm            REAL NOT NULL,
                embedding       BLOB NOT NULL,
                text            TEXT NOT NULL,
                metadata        TEXT NOT NULL,
                PRIMARY KEY (tenant, vector_store_id, file_id, idx)
            )""",
        ),
    ),
    Migration(
        2,
        "chunk versions (search caches) and full-text search of chunks",
        (
            # Bumped by every write to a store's chunks, in the same transaction: a process keeps
            # a store's embeddings in memory for search and re-reads them when the version moved,
            # whichever process wrote.
            """CREATE TABLE chunk_versions (
                tenant          TEXT NOT NULL,
                vector_store_id TEXT NOT NULL,
                version         INTEGER NOT NULL,
                PRIMARY KEY (tenant, vector_store_id)
            ) WITHOUT ROWID""",
            # Keyword search: an external-content FTS5 index of the chunk texts, kept in step by
            # triggers; 'rebuild' indexes the chunks of a database made before this version.
            """CREATE VIRTUAL TABLE chunks_fts USING fts5(
                text, content='chunks', content_rowid='rowid',
                tokenize='unicode61 remove_diacritics 2'
            )""",
            """CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
                INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
            END""",
            """CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
                INSERT INTO chunks_fts (chunks_fts, rowid, text)
                    VALUES ('delete', old.rowid, old.text);
            END""",
            """CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
                INSERT INTO chunks_fts (chunks_fts, rowid, text)
                    VALUES ('delete', old.rowid, old.text);
                INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
            END""",
            "INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')",
            # How many chunks hold each term: keyword search leaves out terms too common to
            # rank by (scoring every chunk that holds "the" costs more than it tells).
            "CREATE VIRTUAL TABLE chunks_fts_terms USING fts5vocab('chunks_fts', 'row')",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def migrate(conn: sqlite3.Connection, busy_timeout_ms: int) -> int:
    """Bring the file to ``LATEST_VERSION``; return the version it had before."""
    _enable_wal(conn, busy_timeout_ms)
    return in_transaction(conn, _apply)


def _apply(conn: sqlite3.Connection) -> int:
    # Read under the write lock: a process that waited for another's migration sees its result.
    found: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > LATEST_VERSION:
        raise StorageError(
            f"the SQLite file has schema version {found}, newer than this server's {LATEST_VERSION}"
        )
    for migration in MIGRATIONS:
        if migration.version > found:
            for statement in migration.statements:
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION}")
    return found


def _enable_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    # Switching the journal mode needs an exclusive lock and does not always wait on the busy
    # handler, so a process racing another one's start retries until the timeout.
    deadline = time.monotonic() + max(busy_timeout_ms, 1000) / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    if str(mode).lower() != "wal":
        raise StorageError("the SQLite file's filesystem does not support WAL mode")


def check_filterable() -> None:
    """Fail loudly if base.FILTERABLE names an attribute the schema has no column for."""
    missing = {a for attrs in FILTERABLE.values() for a in attrs} - set(ATTRIBUTE_COLUMNS)
    if missing:
        raise StorageError(f"no SQLite column for filterable attributes {sorted(missing)}")
