"""The embedded SQLite backend (the default store): stdlib sqlite3, WAL mode, off the event loop."""

from storage.sqlite.provider import SqliteProvider, SqliteStore

__all__ = ["SqliteProvider", "SqliteStore"]
