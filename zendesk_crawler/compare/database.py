"""The temporary SQLite database a comparison works in: both sides' newest versions, the id map, what differs.

Nothing of a record is kept but where it lies (file and ordinal), its ``updated_at``, whether it
is deleted, the key it is matched by and the SHA-256 of its comparable view, so memory does not
grow with the backups: only the records that differ are read again, and their views parked here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE files (side TEXT NOT NULL, file_no INTEGER NOT NULL, stream TEXT NOT NULL, path TEXT NOT NULL,
                    PRIMARY KEY (side, file_no));
CREATE TABLE versions (side TEXT NOT NULL, stream TEXT NOT NULL, kind TEXT NOT NULL, id NOT NULL, updated_at TEXT,
                       file_no INTEGER NOT NULL, ordinal INTEGER NOT NULL, deleted INTEGER NOT NULL, match_key TEXT,
                       digest BLOB NOT NULL, PRIMARY KEY (side, stream, kind, id));
CREATE INDEX versions_by_key ON versions (side, stream, kind, match_key);
CREATE TABLE names (side TEXT NOT NULL, stream TEXT NOT NULL, id NOT NULL, name TEXT,
                    PRIMARY KEY (side, stream, id));
CREATE TABLE id_map (type TEXT NOT NULL, source_id NOT NULL, target_id, PRIMARY KEY (type, source_id));
CREATE TABLE wanted (side TEXT NOT NULL, file_no INTEGER NOT NULL, ordinal INTEGER NOT NULL,
                     PRIMARY KEY (side, file_no, ordinal));
CREATE TABLE loaded (side TEXT NOT NULL, file_no INTEGER NOT NULL, ordinal INTEGER NOT NULL, view BLOB NOT NULL,
                     PRIMARY KEY (side, file_no, ordinal));
"""
#: A later version replaces the one stored unless its ``updated_at`` is older (files are indexed in run order).
UPSERT = """
INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (side, stream, kind, id) DO UPDATE SET
  updated_at = excluded.updated_at, file_no = excluded.file_no, ordinal = excluded.ordinal,
  deleted = excluded.deleted, match_key = excluded.match_key, digest = excluded.digest
WHERE excluded.updated_at IS NULL OR versions.updated_at IS NULL OR excluded.updated_at >= versions.updated_at
"""


def open_database(path: Path) -> sqlite3.Connection:
    """A new work database at ``path`` (a scratch file: no journal, no fsync)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA temp_store = FILE")
    db.executescript(SCHEMA)
    return db
