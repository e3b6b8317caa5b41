"""Finding a ticket in a large backup without reading every file per request: an SQLite index of the backup.

For each ticket record in the runs' JSON Lines or JSON files (one record a line
in both, as the crawler writes them), the index keeps the file, byte offset and
length of the line (``versions``: every version of every ticket the location
holds). For each ticket it keeps the columns of the version it is shown in
(``current``: its newest version, or for a ticket deleted in Zendesk its last
version before the deletion, with when it was deleted), its tags, and the
texts of that version to search (``web/fulltext.py``). A lookup reads one line
of one file (a ranged GET on S3; a ``.gz`` file is decompressed from its start
up to the line, in bounded steps). The index lives in the page's local cache;
before a lookup it reads the files of runs it has not seen yet, and again any
file whose identity (size and modification time, or ETag on S3) changed, so it
follows new runs by itself and a lost cache is rebuilt. A record read back must
carry the id looked up, else its file is indexed again before the answer.
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from zendesk_crawler.location.reader import FileNotInLocation
from zendesk_crawler.web import fulltext
from zendesk_crawler.web.followed import FollowedIndex, read_record
from zendesk_crawler.web.ticket_rows import DELETED, SQLITE_INT, TicketRow, ticket_row, ticket_texts

logger = logging.getLogger(__name__)

#: The cache's layout; an index of another version (or of the layout before ``web_schemas``, which kept its
#: files in ``indexed_files``) is dropped and rebuilt (it is a cache).
_SCHEMA_VERSION = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    rowid INTEGER PRIMARY KEY, id INTEGER NOT NULL, key TEXT NOT NULL, updated_at TEXT, run_id TEXT NOT NULL,
    path TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL, status TEXT);
CREATE INDEX IF NOT EXISTS versions_by_id ON versions (id, key);
CREATE INDEX IF NOT EXISTS versions_by_path ON versions (path);
CREATE TABLE IF NOT EXISTS current (
    id INTEGER PRIMARY KEY, newest_key TEXT NOT NULL, shown_key TEXT NOT NULL, shown_rowid INTEGER NOT NULL,
    shown_live INTEGER NOT NULL, deleted_at TEXT, updated_at TEXT NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL, subject TEXT NOT NULL, priority TEXT, type TEXT, requester_email TEXT,
    requester_name TEXT, assignee_email TEXT, assignee_name TEXT, group_id INTEGER, group_name TEXT,
    organization_name TEXT, brand_id INTEGER, comment_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS current_by_updated ON current (updated_at, id);
CREATE INDEX IF NOT EXISTS current_by_created ON current (created_at, id);
CREATE INDEX IF NOT EXISTS current_by_status ON current (status, updated_at, id);
CREATE INDEX IF NOT EXISTS current_by_subject ON current (subject, id);
CREATE INDEX IF NOT EXISTS current_by_requester ON current (requester_email);
CREATE INDEX IF NOT EXISTS current_by_assignee ON current (assignee_email);
CREATE INDEX IF NOT EXISTS current_by_requester_name ON current (requester_name);
CREATE INDEX IF NOT EXISTS current_by_assignee_name ON current (assignee_name);
CREATE INDEX IF NOT EXISTS current_by_group ON current (group_id);
CREATE TABLE IF NOT EXISTS current_tags (id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, id));
CREATE INDEX IF NOT EXISTS current_tags_by_id ON current_tags (id);
""" + fulltext.SCHEMA
_DROP = ("DROP TABLE IF EXISTS tickets; DROP TABLE IF EXISTS indexed_files; DROP TABLE IF EXISTS versions; "
         "DROP TABLE IF EXISTS current; DROP TABLE IF EXISTS current_tags; " + fulltext.DROP)


@dataclass(frozen=True)
class TicketSummary:
    """A line of a search result."""

    id: int
    subject: str | None
    status: str | None
    updated_at: str | None


@dataclass(frozen=True)
class Version:
    """One version of a ticket the location holds: which run wrote it and where its record line is."""

    rowid: int
    ticket_id: int
    updated_at: str | None
    run_id: str
    path: str
    offset: int
    length: int
    status: str | None

    @property
    def deleted(self) -> bool:
        """Whether this is the record of the ticket deleted."""
        return self.status == DELETED


@dataclass(frozen=True)
class ShownTicket:
    """A ticket as the page shows it: its newest version, or when it was deleted in Zendesk its last version before
    the deletion (``deleted_at``: when, from the deleted record; empty when that record gives no time)."""

    record: dict[str, Any]
    version: Version
    deleted_at: str | None

    @property
    def deleted(self) -> bool:
        """Whether the ticket is deleted in Zendesk (as of the newest run holding it)."""
        return self.deleted_at is not None


_VERSION_COLUMNS = "rowid, id, updated_at, run_id, path, offset, length, status"


def _version_key(updated_at: str | None, run_id: str, path: str, offset: int) -> str:
    """A text that sorts versions of one ticket oldest first: ``updated_at``, then run, then file, then line."""
    return f"{updated_at or ''}\x00{run_id}\x00{path}\x00{offset:020d}"


class TicketIndex(FollowedIndex):
    """The SQLite index of one export location's tickets (thread-safe; one connection per call)."""

    name = "tickets"
    version = _SCHEMA_VERSION
    streams = ("tickets",)
    schema = _SCHEMA
    drop = _DROP

    # --- following the location ---------------------------------------------------------------------------

    def add(self, db: sqlite3.Connection, stream: str, run_id: str, path: str, offset: int, length: int,
            record: Any) -> bool:
        """Add a version of a ticket (``False``: the line is not a ticket record)."""
        row = ticket_row(record)
        if row is None:
            return False
        self._add_version(db, row, record, run_id, path, offset, length)
        return True

    def forget(self, db: sqlite3.Connection, path: str) -> None:
        """Drop a file's versions; the tickets shown from them are shown from their other versions."""
        ids = [row[0] for row in db.execute("SELECT DISTINCT id FROM versions WHERE path = ?", (path,))]
        db.execute("DELETE FROM versions WHERE path = ?", (path,))
        for ticket_id in ids:
            self._show_again(db, ticket_id)

    def _add_version(self, db: sqlite3.Connection, row: TicketRow, record: dict[str, Any], run_id: str, path: str,
                     offset: int, length: int) -> None:
        """Add a version; show it in place of the shown one when it is the ticket's newest live version, or its
        newest and no version of it is live."""
        key = _version_key(row.updated_at, run_id, path, offset)
        rowid = db.execute("INSERT INTO versions (id, key, updated_at, run_id, path, offset, length, status) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (row.id, key, row.updated_at, run_id, path, offset, length, row.status)).lastrowid
        assert rowid is not None
        known = db.execute("SELECT newest_key, shown_key, shown_live, updated_at, deleted_at FROM current "
                           "WHERE id = ?", (row.id,)).fetchone()
        if known is None:
            self._show(db, row, record, rowid, key, key, row.updated_at or "",
                       (row.updated_at or "") if row.deleted else None)
            return
        newest_key, shown_key, shown_live, newest_updated_at, deleted_at = known
        if key > newest_key:
            newest_key, newest_updated_at = key, row.updated_at or ""
            deleted_at = newest_updated_at if row.deleted else None
        if (not row.deleted and (not shown_live or key > shown_key)) or (not shown_live and key > shown_key):
            self._show(db, row, record, rowid, key, newest_key, newest_updated_at, deleted_at)
        elif key == newest_key:  # the ticket deleted since its shown version
            db.execute("UPDATE current SET newest_key = ?, updated_at = ?, deleted_at = ?, status = ? WHERE id = ?",
                       (newest_key, newest_updated_at, deleted_at, DELETED, row.id))

    @staticmethod
    def _show(db: sqlite3.Connection, row: TicketRow, record: dict[str, Any], rowid: int, key: str,
              newest_key: str, newest_updated_at: str, deleted_at: str | None) -> None:
        """Show a ticket from this version: its columns, tags and searchable texts."""
        db.execute(f"INSERT OR REPLACE INTO current VALUES ({', '.join('?' * 21)})",
                   (row.id, newest_key, key, rowid, int(not row.deleted), deleted_at, newest_updated_at,
                    row.created_at or "", DELETED if deleted_at is not None else (row.status or ""),
                    row.subject or "", row.priority, row.type, row.requester_email, row.requester_name,
                    row.assignee_email, row.assignee_name, row.group_id, row.group_name, row.organization_name,
                    row.brand_id, row.comment_count))
        db.execute("DELETE FROM current_tags WHERE id = ?", (row.id,))
        db.executemany("INSERT OR IGNORE INTO current_tags VALUES (?, ?)", [(row.id, tag) for tag in row.tags])
        fulltext.replace_texts(db, row.id, ticket_texts(record))

    def _show_again(self, db: sqlite3.Connection, ticket_id: int) -> None:
        """Show a ticket from the versions left (after a file was forgotten), reading its record back."""
        versions = [Version(*found) for found in db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM versions WHERE id = ? ORDER BY key DESC", (ticket_id,))]
        db.execute("DELETE FROM current WHERE id = ?", (ticket_id,))
        db.execute("DELETE FROM current_tags WHERE id = ?", (ticket_id,))
        fulltext.replace_texts(db, ticket_id, ())
        if not versions:
            return
        newest = versions[0]
        newest_key = _version_key(newest.updated_at, newest.run_id, newest.path, newest.offset)
        deleted_at = (newest.updated_at or "") if newest.deleted else None
        for version in sorted(versions, key=lambda each: each.deleted):  # live first, newest first within
            record = self._read(version)
            row = ticket_row(record)
            if row is not None and row.id == ticket_id and isinstance(record, dict):
                key = _version_key(version.updated_at, version.run_id, version.path, version.offset)
                self._show(db, row, record, version.rowid, key, newest_key, newest.updated_at or "", deleted_at)
                return

    def _index_again(self, run_id: str, path: str) -> bool:
        """Index one file again as it is now (forget it if it is gone); ``False`` when a refresh is running (it
        reads the file again itself if it changed: the request is not kept waiting for it)."""
        if not self.refreshing.acquire(blocking=False):
            return False
        try:
            identity = self.location.identities([path]).get(path)
            if identity is None:
                with self._connect() as db:
                    self._forget_file(db, path)
            else:
                self._index_file(run_id, "tickets", path, identity)
            return True
        finally:
            self.refreshing.release()

    # --- reading tickets -----------------------------------------------------------------------------------

    def _read(self, version: Version) -> Any:
        try:
            return orjson.loads(read_record(self.location, version.path, version.offset, version.length))
        except (FileNotInLocation, orjson.JSONDecodeError, zlib.error):
            return None

    def read_version(self, version: Version) -> dict[str, Any] | None:
        """The record of one version (``None``: its file changed or is gone since it was indexed)."""
        record = self._read(version)
        if isinstance(record, dict) and type(record.get("id")) is int and record["id"] == version.ticket_id:
            return record
        return None

    def versions(self, ticket_id: int) -> list[Version]:
        """Every version of a ticket the location holds, newest first."""
        if ticket_id not in SQLITE_INT:
            return []
        with self._connect() as db:
            return [Version(*found) for found in db.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE id = ? ORDER BY key DESC", (ticket_id,))]

    def shown(self, ticket_id: int) -> ShownTicket | None:
        """The ticket as the page shows it (see :class:`ShownTicket`), or ``None``.

        The record read back must be this ticket's: if not (its file changed
        since it was indexed), that file is indexed again and the lookup made
        again, once per file.
        """
        if ticket_id not in SQLITE_INT:
            return None
        indexed_again: set[str] = set()
        while True:
            with self._connect() as db:
                found = db.execute(
                    f"SELECT {', '.join('v.' + column for column in _VERSION_COLUMNS.split(', '))}, c.deleted_at "
                    "FROM current c JOIN versions v ON v.rowid = c.shown_rowid WHERE c.id = ?",
                    (ticket_id,)).fetchone()
            if found is None:
                return None
            version = Version(*found[:-1])
            record = self.read_version(version)
            if record is not None:
                return ShownTicket(record, version, found[-1])
            if version.path in indexed_again:
                return None
            logger.warning("%s: ticket %d is not where the index says (the file changed): indexing it again",
                           version.path, ticket_id)
            indexed_again.add(version.path)
            if not self._index_again(version.run_id, version.path):
                return None

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        """The record of the ticket as the page shows it (:meth:`shown`), or ``None``."""
        shown = self.shown(ticket_id)
        return None if shown is None else shown.record

    def by_requester(self, email: str, limit: int = 500) -> list[TicketSummary]:
        """The tickets shown with this requester e-mail (any case), most recently updated first.

        A ticket whose requester changed is listed under the new address only,
        with its current subject and status.
        """
        with self._connect() as db:
            rows = db.execute("SELECT id, subject, status, updated_at FROM current WHERE requester_email = ? "
                              "ORDER BY updated_at DESC, id DESC LIMIT ?", (email.strip().lower(), limit)).fetchall()
        return [TicketSummary(*row) for row in rows]
