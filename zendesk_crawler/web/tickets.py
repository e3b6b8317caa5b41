"""Finding a ticket in a large backup without reading every file per request: an SQLite index of where each is.

For each ticket record in the runs' JSON Lines or JSON files (one record a line
in both, as the crawler writes them), the index keeps its id, ``updated_at``,
requester e-mail, subject and status, and the file, byte offset and length of
the line. A lookup reads one line of one file (a ranged GET on S3; a ``.gz``
file is decompressed from its start up to the line, in bounded steps). The
index lives in the page's local cache; before a lookup it reads the files of
runs it has not seen yet, and again any file whose identity (size and
modification time, or ETag on S3) changed, so it follows new runs by itself and
a lost cache is rebuilt. A record read back must carry the id looked up, else
its file is indexed again before the answer.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import zlib
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from zendesk_crawler.location.reader import ExportLocation, FileNotInLocation
from zendesk_crawler.web.runs import Run

#: Ticket feed files the index reads, best first: one per batch (the same records are in each format).
_TICKET_FILE = re.compile(r"^tickets-(?P<batch>.+)\.(?P<format>jsonl|json)(?P<gz>\.gz)?$")
_PREFERENCE = {"jsonl": 0, "json": 1}
#: Rows written per SQLite transaction while indexing.
_BATCH_ROWS = 5000
#: At most this many decompressed bytes per step: a small compressed chunk cannot claim unbounded memory.
INFLATE_STEP = 256 * 1024
#: A longer line is no record the page reads (skipped as a bad line): bounds the memory of indexing.
MAX_RECORD_BYTES = 64 * 2**20
_GZIP = 16 + zlib.MAX_WBITS

logger = logging.getLogger(__name__)

#: The cache's layout; an index of another version is dropped and rebuilt (it is a cache).
_SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexed_files (
    path TEXT PRIMARY KEY, run_id TEXT NOT NULL, identity TEXT NOT NULL, bad_lines INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER NOT NULL, updated_at TEXT, run_id TEXT NOT NULL, path TEXT NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, requester_email TEXT, subject TEXT, status TEXT);
CREATE INDEX IF NOT EXISTS tickets_by_id ON tickets (id);
CREATE INDEX IF NOT EXISTS tickets_by_requester ON tickets (requester_email);
CREATE INDEX IF NOT EXISTS tickets_by_path ON tickets (path);
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


def content(location: ExportLocation, path: str) -> Generator[bytes, None, None]:
    """A file's content in chunks; ``.gz`` decompressed as a stream, at most :data:`INFLATE_STEP` bytes a step.

    Closing the iterator (or stopping a ``for`` over it) closes the file or the GET.
    Concatenated gzip members are read one after the other, as ``gzip`` does.
    """
    chunks = location.stream(path)
    try:
        if not path.endswith(".gz"):
            yield from chunks
            return
        decompressor = zlib.decompressobj(_GZIP)
        for data in chunks:
            while True:
                out = decompressor.decompress(data, INFLATE_STEP)
                if out:
                    yield out
                if decompressor.eof and decompressor.unused_data:  # the next member
                    data, decompressor = decompressor.unused_data, zlib.decompressobj(_GZIP)
                    continue
                data = decompressor.unconsumed_tail
                if not data and len(out) < INFLATE_STEP:
                    break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def lines(location: ExportLocation, path: str) -> Iterator[tuple[int, int, bytes | None]]:
    """(offset, length, line) of each line of a file's content; the line is ``None`` beyond MAX_RECORD_BYTES."""
    offset = 0
    # The current line: its pieces read so far, their size, and whether it is longer than MAX_RECORD_BYTES.
    pending: list[bytes] = []
    pending_size, too_long = 0, False
    for data in content(location, path):
        start = 0
        while (end := data.find(b"\n", start)) != -1:
            size = pending_size + end + 1 - start
            line = None if too_long or size > MAX_RECORD_BYTES else b"".join([*pending, data[start:end + 1]])
            yield offset, size, line
            offset += size
            pending, pending_size, too_long, start = [], 0, False, end + 1
        if start < len(data):
            pending_size += len(data) - start
            too_long = too_long or pending_size > MAX_RECORD_BYTES
            pending = [] if too_long else [*pending, data[start:]]
    if pending_size:
        yield offset, pending_size, None if too_long else b"".join(pending)


def read_record(location: ExportLocation, path: str, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` of a file's content: a range read, or for ``.gz`` a decompression
    from the start that stops as soon as the range is read (in bounded steps)."""
    if not path.endswith(".gz"):
        return location.read_range(path, offset, length)
    position, wanted = 0, bytearray()
    with closing(content(location, path)) as chunks:
        for data in chunks:
            end = position + len(data)
            if end > offset:
                wanted += data[max(0, offset - position):offset + length - position]
                if len(wanted) >= length:
                    break
            position = end
    return bytes(wanted)


def record_lines(location: ExportLocation, path: str) -> Iterator[tuple[int, int, bytes | None]]:
    """(offset, length, JSON) of each record line of a JSON Lines or JSON array file (``None``: too long)."""
    for offset, size, line in lines(location, path):
        if line is None:
            yield offset, size, None
            continue
        body = line.rstrip(b"\r\n")
        if body.endswith(b","):
            body = body[:-1]
        if body.startswith(b"{"):
            yield offset, len(body), body


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _row(body: bytes | None) -> tuple[Any, ...] | None:
    """(id, updated_at, requester e-mail, subject, status) of a record line, or ``None`` if it is not one.

    Not one: too long, not JSON (a truncated line), not an object, or no integer id SQLite can hold.
    """
    if body is None:
        return None
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
            if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                db.execute("DROP TABLE IF EXISTS tickets")
                db.execute("DROP TABLE IF EXISTS indexed_files")
                db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60)) as db, db:
            yield db

    def refresh(self, runs: Iterable[Run]) -> int:
        """Index the ticket files of ``runs`` not indexed yet or rewritten since; forget the others.

        A file is rewritten when its identity (size and modification time, or
        ETag on S3) changed; forgotten when no run lists it or it is gone.
        Returns how many files were read.
        """
        listed = {path: run.run_id for run in runs for path in ticket_files(run)}
        with self.refreshing:
            present = self.location.identities(sorted(listed))
            with self._connect() as db:
                done = dict(db.execute("SELECT path, identity FROM indexed_files").fetchall())
                for path in done.keys() - present.keys():  # a run removed from the location, or its file
                    self._forget(db, path)
            pending = sorted(path for path, identity in present.items() if done.get(path) != identity)
            for path in pending:
                self._index_file(listed[path], path, present[path])
            return len(pending)

    @staticmethod
    def _forget(db: sqlite3.Connection, path: str) -> None:
        db.execute("DELETE FROM tickets WHERE path = ?", (path,))
        db.execute("DELETE FROM indexed_files WHERE path = ?", (path,))

    def _index_file(self, run_id: str, path: str, identity: str) -> int:
        """Index one file's records as of ``identity``; a line that is not a ticket record is skipped and counted.

        Returns how many lines were skipped. A ``.gz`` file that cannot be
        decompressed past some point keeps the records before it.
        """
        bad, first_bad = 0, None
        with self._connect() as db:
            db.execute("DELETE FROM tickets WHERE path = ?", (path,))
            rows: list[tuple[Any, ...]] = []
            try:
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
            except FileNotInLocation:  # gone since it was listed: forgotten, the next refresh tells
                self._forget(db, path)
                logger.warning("%s: gone while it was indexed", path)
                return bad
            except zlib.error as exc:
                bad += 1
                logger.warning("%s: not readable gzip after the records indexed (%s)", path, exc)
            db.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO indexed_files VALUES (?, ?, ?, ?)", (path, run_id, identity, bad))
        if first_bad is not None:
            logger.warning("%s: %d line(s) that are not ticket records skipped (the first at byte %d)",
                           path, bad, first_bad)
        return bad

    def _index_again(self, run_id: str, path: str) -> None:
        """Index one file again as it is now (forget it if it is gone)."""
        with self.refreshing:
            identity = self.location.identities([path]).get(path)
            if identity is None:
                with self._connect() as db:
                    self._forget(db, path)
            else:
                self._index_file(run_id, path, identity)

    def _read(self, path: str, offset: int, length: int) -> Any:
        try:
            return orjson.loads(read_record(self.location, path, offset, length))
        except (FileNotInLocation, orjson.JSONDecodeError, zlib.error):
            return None

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        """The newest version of a ticket across the runs, or ``None``.

        The record read back must be this ticket's: if not (its file changed
        since it was indexed), that file is indexed again and the lookup made
        again, once per file.
        """
        if ticket_id not in _SQLITE_INT:
            return None
        indexed_again: set[str] = set()
        while True:
            with self._connect() as db:
                row = db.execute(f"SELECT path, offset, length, run_id FROM tickets WHERE id = ? {_NEWEST_FIRST} "
                                 "LIMIT 1", (ticket_id,)).fetchone()
            if row is None:
                return None
            path, offset, length, run_id = row
            record = self._read(path, offset, length)
            if isinstance(record, dict) and type(record.get("id")) is int and record["id"] == ticket_id:
                return record
            if path in indexed_again:
                return None
            logger.warning("%s: ticket %d is not where the index says (the file changed): indexing it again",
                           path, ticket_id)
            indexed_again.add(path)
            self._index_again(run_id, path)

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
