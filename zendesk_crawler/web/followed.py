"""An SQLite cache of some streams' feed files that follows the export location: the base of the page's indexes
(the tickets, their events, the names).

An index made on this base names the streams it reads and what it keeps of a
record (:meth:`FollowedIndex.add`) and how it forgets a file
(:meth:`FollowedIndex.forget`). Before a lookup, :meth:`FollowedIndex.refresh`
reads the JSON Lines or JSON file of each batch of those streams (JSON Lines
preferred; ``.gz`` decompressed as a stream, in bounded steps) that it has not
read yet or whose identity (size and modification time, or ETag on S3) changed
since, and forgets the files no run lists any more. Each index keeps its own
tables in the page's SQLite file (``tickets.sqlite``, beside the ticket
index's) and its own layout version in ``web_schemas``: an index of another
version is dropped and rebuilt (it is a cache).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import orjson

from zendesk_crawler.location.content import content, lines
from zendesk_crawler.location.reader import ExportLocation, FileNotInLocation
from zendesk_crawler.web.runs import Run

logger = logging.getLogger(__name__)

_FEED_FILE = re.compile(r"^(?P<stream>[a-z_]+)-(?P<batch>.+)\.(?P<format>jsonl|json)(?P<gz>\.gz)?$")
_PREFERENCE = {"jsonl": 0, "json": 1}
_SCHEMAS = "CREATE TABLE IF NOT EXISTS web_schemas (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def feed_files(runs: Iterable[Run], streams: Iterable[str]) -> dict[str, tuple[str, str]]:
    """path → (run id, stream) of one JSON Lines or JSON file per batch of ``streams`` in the runs."""
    wanted = set(streams)
    best: dict[tuple[str, str], tuple[int, str, str]] = {}
    for run in runs:
        for path in run.files:
            match = _FEED_FILE.match(path.rsplit("/", 1)[-1])
            if match and match["stream"] in wanted:
                key, rank = (match["stream"], match["batch"]), _PREFERENCE[match["format"]]
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, path, run.run_id)
    return {path: (run_id, stream) for (stream, _), (_, path, run_id) in best.items()}


class FollowedIndex:
    """The base of an index of some streams' files (thread-safe; one connection per call)."""

    #: The index's name in ``web_schemas`` and the prefix of its files table.
    name = ""
    #: Its layout version: another one is dropped and rebuilt.
    version = 1
    #: The streams whose files it reads.
    streams: tuple[str, ...] = ()
    #: Its own tables (``CREATE ... IF NOT EXISTS``) and how to drop them.
    schema = ""
    drop = ""

    def __init__(self, path: Path, location: ExportLocation) -> None:
        self.path = path
        self.location = location
        self.refreshing = threading.Lock()
        self.files_table = f"{self.name}_files"
        self._generation = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")  # as the ticket index: readers go on while a file is indexed
            db.execute(_SCHEMAS)
            found = db.execute("SELECT version FROM web_schemas WHERE name = ?", (self.name,)).fetchone()
            if found is None or found[0] != self.version:
                db.executescript(f"DROP TABLE IF EXISTS {self.files_table}; {self.drop}")
                db.execute("INSERT OR REPLACE INTO web_schemas VALUES (?, ?)", (self.name, self.version))
            db.executescript(f"CREATE TABLE IF NOT EXISTS {self.files_table} (path TEXT PRIMARY KEY, "
                             "run_id TEXT NOT NULL, stream TEXT NOT NULL, identity TEXT NOT NULL, "
                             f"bad_lines INTEGER NOT NULL); {self.schema}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60)) as db, db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for queries of the index's tables."""
        with self._connect() as db:
            yield db

    # --- what an index keeps -------------------------------------------------------------------------------

    def add(self, db: sqlite3.Connection, stream: str, run_id: str, path: str, offset: int, length: int,
            record: Any) -> bool:
        """Keep what the index needs of one record line; ``False``: not a record of the stream (counted)."""
        raise NotImplementedError

    def forget(self, db: sqlite3.Connection, path: str) -> None:
        """Drop what the index kept of one file."""
        raise NotImplementedError

    # --- following the location ---------------------------------------------------------------------------

    def refresh(self, runs: Iterable[Run], progress: Callable[[int, int], None] | None = None) -> int:
        """Read the files of ``runs`` not read yet or rewritten since; forget the others. ``progress`` is told
        (files read, files to read) before each file and at the end. Returns how many were read."""
        listed = feed_files(runs, self.streams)
        with self.refreshing:
            present = self.location.identities(sorted(listed))
            with self._connect() as db:
                done = dict(db.execute(f"SELECT path, identity FROM {self.files_table}").fetchall())
                for path in done.keys() - present.keys():
                    self._forget_file(db, path)
            pending = sorted(path for path, identity in present.items() if done.get(path) != identity)
            for number, path in enumerate(pending):
                if progress is not None:
                    progress(number, len(pending))
                run_id, stream = listed[path]
                self._index_file(run_id, stream, path, present[path])
            if pending:
                with self._connect() as db:  # statistics for the planner (approximate: about 50 ms at 100,000)
                    db.execute("PRAGMA analysis_limit = 400")
                    db.execute("ANALYZE")
            if progress is not None:
                progress(len(pending), len(pending))
            return len(pending)

    def generation(self) -> int:
        """A number that changes whenever this process changes the index (a file read or forgotten): what is
        computed from the whole index can be kept until it changes."""
        return self._generation

    def _forget_file(self, db: sqlite3.Connection, path: str) -> None:
        self.forget(db, path)
        db.execute(f"DELETE FROM {self.files_table} WHERE path = ?", (path,))
        self._generation += 1

    def _index_file(self, run_id: str, stream: str, path: str, identity: str) -> int:
        """Read one file as of ``identity`` in one transaction; returns how many lines were skipped.

        A record that makes :meth:`add` fail (data no index expected) rolls the file back, and the file is read
        again with each record in a savepoint of its own, so that such a record is skipped whole and counted and
        the rest indexed (savepoints cost a third more time: only for such a file)."""
        try:
            return self._read_file(run_id, stream, path, identity, careful=False)
        except _OddRecord:
            return self._read_file(run_id, stream, path, identity, careful=True)

    def _read_file(self, run_id: str, stream: str, path: str, identity: str, careful: bool) -> int:
        bad, first_bad = 0, None
        with self._connect() as db:
            self._forget_file(db, path)
            try:
                for offset, length, body in record_lines(self.location, path):
                    if not self._add_line(db, stream, run_id, path, offset, length, _parsed(body), careful):
                        bad += 1
                        first_bad = offset if first_bad is None else first_bad
            except FileNotInLocation:  # gone since it was listed: forgotten, the next refresh tells
                self._forget_file(db, path)
                logger.warning("%s: gone while it was indexed", path)
                return bad
            except zlib.error as exc:
                bad += 1
                logger.warning("%s: not readable gzip after the records indexed (%s)", path, exc)
            db.execute(f"INSERT OR REPLACE INTO {self.files_table} VALUES (?, ?, ?, ?, ?)",
                       (path, run_id, stream, identity, bad))
        self._generation += 1
        if first_bad is not None:
            logger.warning("%s: %d line(s) that are not records of %s skipped (the first at byte %d)",
                           path, bad, stream, first_bad)
        return bad

    def _add_line(self, db: sqlite3.Connection, stream: str, run_id: str, path: str, offset: int, length: int,
                  record: Any, careful: bool) -> bool:
        """:meth:`add` one record line; not ``careful``, a failure is :class:`_OddRecord` (the file is read
        again), ``careful``, the record's own writes are undone and it counts as skipped."""
        if not careful:
            try:
                return self.add(db, stream, run_id, path, offset, length, record)
            except _ODD_DATA as exc:
                raise _OddRecord from exc
        db.execute("SAVEPOINT record")
        try:
            added = self.add(db, stream, run_id, path, offset, length, record)
        except _ODD_DATA as exc:
            db.execute("ROLLBACK TO record")
            logger.warning("%s: the record at byte %d is not indexed (%r)", path, offset, exc)
            added = False
        db.execute("RELEASE record")
        return added


#: What a record of unexpected shape makes an index's ``add`` raise.
_ODD_DATA = (TypeError, ValueError, AttributeError, KeyError, OverflowError)


class _OddRecord(Exception):
    """A record made :meth:`FollowedIndex.add` fail: the file is read again, carefully."""


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


def _parsed(body: bytes | None) -> Any:
    if body is None:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
