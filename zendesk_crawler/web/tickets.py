"""Finding a ticket in a large backup without reading every file per request: an SQLite index of where each is.

For each ticket record in the runs' JSON Lines or JSON files (one record a line
in both, as the crawler writes them), the index keeps its id, ``updated_at``,
requester e-mail, subject and status, and the file, byte offset and length of
the line. A lookup reads one line of one file (a ranged GET on S3). The index
lives in the page's local cache; before a lookup it reads the files of runs it
has not seen yet, so it follows new runs by itself and a lost cache is rebuilt.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from zendesk_crawler.web.location import ExportLocation, lines, read_decompressed_range
from zendesk_crawler.web.runs import Run

#: Ticket feed files the index reads, best first: one per batch (the same records are in each format).
_TICKET_FILE = re.compile(r"^tickets-(?P<batch>.+)\.(?P<format>jsonl|json)(?P<gz>\.gz)?$")
_PREFERENCE = {"jsonl": 0, "json": 1}
#: Rows written per SQLite transaction while indexing.
_BATCH_ROWS = 5000

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexed_files (path TEXT PRIMARY KEY, run_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER NOT NULL, updated_at TEXT, run_id TEXT NOT NULL, path TEXT NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, requester_email TEXT, subject TEXT, status TEXT);
CREATE INDEX IF NOT EXISTS tickets_by_id ON tickets (id);
CREATE INDEX IF NOT EXISTS tickets_by_requester ON tickets (requester_email);
"""
#: The newest version first: latest ``updated_at``, then the latest run, then the last line.
_NEWEST_FIRST = "ORDER BY updated_at DESC, run_id DESC, path DESC, offset DESC"
#: SQLite's integers: a ticket id outside them is in no backup (and would overflow the query).
_SQLITE_INT = range(-2**63, 2**63)


@dataclass(frozen=True)
class TicketSummary:
    """A line of a search result."""

    id: int
    subject: str | None
    status: str | None
    updated_at: str | None


def ticket_files(run: Run) -> list[str]:
    """One JSON Lines or JSON file per ticket batch of a run (JSON Lines preferred)."""
    best: dict[str, tuple[int, str]] = {}
    for path in run.files:
        match = _TICKET_FILE.match(path.rsplit("/", 1)[-1])
        if match:
            rank = _PREFERENCE[match["format"]]
            if match["batch"] not in best or rank < best[match["batch"]][0]:
                best[match["batch"]] = (rank, path)
    return sorted(path for _, path in best.values())


def record_lines(location: ExportLocation, path: str) -> Iterator[tuple[int, int, bytes]]:
    """(offset, length, JSON) of each record line of a JSON Lines or JSON array file."""
    for offset, line in lines(location, path):
        body = line.rstrip(b"\r\n")
        if body.endswith(b","):
            body = body[:-1]
        if body.startswith(b"{"):
            yield offset, len(body), body


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _row(body: bytes) -> tuple[Any, ...] | None:
    """(id, updated_at, requester e-mail, subject, status) of a record line, or ``None`` if it is not one.

    Not one: not JSON (a truncated line), not an object, or no integer id SQLite can hold.
    """
    try:
        record = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    ticket_id = record.get("id")
    if type(ticket_id) is not int or ticket_id not in _SQLITE_INT:
        return None
    requester = record.get("requester")
    email = _text(requester.get("email")) if isinstance(requester, dict) else None
    return (ticket_id, _text(record.get("updated_at")), (email or "").lower() or None, _text(record.get("subject")),
            _text(record.get("status")))


class TicketIndex:
    """The SQLite index of one export location's tickets (thread-safe; one connection per call)."""

    def __init__(self, path: Path, location: ExportLocation) -> None:
        self.path = path
        self.location = location
        self.refreshing = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60)) as db, db:
            yield db

    def refresh(self, runs: Iterable[Run]) -> int:
        """Index the ticket files of ``runs`` not indexed yet, forget files no run lists any more.

        Returns how many files were read.
        """
        listed = {path: run.run_id for run in runs for path in ticket_files(run)}
        with self.refreshing:
            with self._connect() as db:
                done = {row[0] for row in db.execute("SELECT path FROM indexed_files")}
                for path in done - listed.keys():  # a run removed from the location
                    db.execute("DELETE FROM tickets WHERE path = ?", (path,))
                    db.execute("DELETE FROM indexed_files WHERE path = ?", (path,))
            pending = sorted(listed.keys() - done)
            for path in pending:
                self._index_file(listed[path], path)
            return len(pending)

    def _index_file(self, run_id: str, path: str) -> int:
        """Index one file's records; a line that is not a ticket record is skipped and counted (returned)."""
        bad, first_bad = 0, None
        with self._connect() as db:
            db.execute("DELETE FROM tickets WHERE path = ?", (path,))
            rows: list[tuple[Any, ...]] = []
            for offset, length, body in record_lines(self.location, path):
                row = _row(body)
                if row is None:
                    bad += 1
                    first_bad = offset if first_bad is None else first_bad
                    continue
                rows.append((row[0], row[1], run_id, path, offset, length, *row[2:]))
                if len(rows) >= _BATCH_ROWS:
                    db.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                    rows.clear()
            db.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("INSERT INTO indexed_files VALUES (?, ?)", (path, run_id))
        if bad:
            logger.warning("%s: %d line(s) that are not ticket records skipped (the first at byte %d)",
                           path, bad, first_bad)
        return bad

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        """The newest version of a ticket across the runs, or ``None``."""
        if ticket_id not in _SQLITE_INT:
            return None
        with self._connect() as db:
            row = db.execute(f"SELECT path, offset, length FROM tickets WHERE id = ? {_NEWEST_FIRST} LIMIT 1",
                             (ticket_id,)).fetchone()
        if row is None:
            return None
        return orjson.loads(read_decompressed_range(self.location, *row))

    def by_requester(self, email: str, limit: int = 500) -> list[TicketSummary]:
        """The tickets whose newest version has this requester e-mail (any case), most recently updated first.

        The newest version of each ticket is picked first, then its requester
        compared: a ticket whose requester changed is listed under the new
        address only, with its current subject and status.
        """
        wanted = email.strip().lower()
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, subject, status, updated_at FROM ("
                "  SELECT id, subject, status, updated_at, requester_email,"
                f"   ROW_NUMBER() OVER (PARTITION BY id {_NEWEST_FIRST}) AS version"
                "  FROM tickets WHERE id IN (SELECT id FROM tickets WHERE requester_email = ?))"
                " WHERE version = 1 AND requester_email = ? ORDER BY updated_at DESC, id DESC LIMIT ?",
                (wanted, wanted, limit)).fetchall()
        return [TicketSummary(*row) for row in rows]
