"""What a run brought compared with the runs before it: tickets new, changed (the fields named) and deleted, and
counts for the other streams.

The location before run R is compared with the location through R as ``python -m zendesk_crawler.compare`` compares
two backups without a map: each record in its newest version (``updated_at``, then run, file, line), viewed by
``compare.views.changes_view``, classified by ``compare.changes.change_kind`` and its differing fields named by
``compare.diff.differences``. Only the records the run wrote are looked at, so the result is the same as comparing
the two locations whole.

Tickets come from the page's index (``web/tickets.py``, every version of every ticket): for each ticket of the run,
its newest version before the run and its newest through the run; only the records of tickets whose newest version
moved are read back, one file at a time (ranged reads, or one pass through a ``.gz`` file), their views parked in a
scratch SQLite file, so memory does not grow with the run. The other streams (but ``ticket_events``, history that
only grows) are counted with the compare's own indexing of their feed files: the stream's earlier files and the
run's. The result is computed once per run and kept in the page's SQLite cache (``run_changes``,
``run_changed_tickets``), keyed by run id with a fingerprint of the files it was computed from: any of them
rewritten, added or gone, and it is computed again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from zendesk_crawler.compare.changes import CHANGED, change_kind, compare_changes
from zendesk_crawler.compare.database import open_database
from zendesk_crawler.compare.diff import differences, top_fields
from zendesk_crawler.compare.feeds import FEED_NAME, FeedFile, feed_files
from zendesk_crawler.compare.index import Side, canonical, index_side
from zendesk_crawler.compare.report import Report
from zendesk_crawler.compare.views import changes_view
from zendesk_crawler.location.reader import ExportLocation, FileNotInLocation
from zendesk_crawler.web.followed import feed_files as web_feed_files
from zendesk_crawler.web.followed import read_record, record_lines
from zendesk_crawler.web.runs import Run
from zendesk_crawler.web.ticket_rows import DELETED
from zendesk_crawler.web.tickets import TicketIndex

#: The kinds a run's page lists, in that order.
KINDS = ("new", "changed", "deleted")
#: Streams whose changes are not counted: tickets (listed one by one), and history that only ever grows.
NOT_COUNTED = {"tickets", "ticket_events"}
#: Changed tickets listed per page of a run's page.
PAGE_SIZE = 500
#: The field named when a version's record could not be read back (its file changed since it was indexed).
UNREADABLE = "(record not readable)"
#: Bump when what is cached changes meaning: every run is computed again.
_CACHE_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS run_changes (
    run_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, counts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_changed_tickets (
    run_id TEXT NOT NULL, kind TEXT NOT NULL, id INTEGER NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, id));
"""
_PAIRS = """
WITH mine AS (SELECT v.id FROM versions v JOIN temp.run_paths p ON p.path = v.path GROUP BY v.id)
SELECT m.id,
  (SELECT rowid FROM versions b WHERE b.id = m.id AND b.run_id < :run ORDER BY b.key DESC LIMIT 1),
  (SELECT rowid FROM versions a WHERE a.id = m.id AND a.run_id <= :run ORDER BY a.key DESC LIMIT 1)
FROM mine m ORDER BY m.id
"""


@dataclass(frozen=True)
class ChangedTicket:
    """A ticket the run brought: ``kind`` new, changed or deleted; ``fields``: what changed (changed ones)."""

    id: int
    kind: str
    fields: list[str]


@dataclass(frozen=True)
class RunChanges:
    """What a run brought: per stream the count of each kind; the tickets of one page of the list."""

    run_id: str
    counts: dict[str, dict[str, int]]
    tickets: list[ChangedTicket]
    page: int
    pages: int

    @property
    def ticket_counts(self) -> dict[str, int]:
        return self.counts.get("tickets", {})


class RunChangesCache:
    """Computes what a run brought, once per run and set of files, and keeps it in the index's SQLite file."""

    def __init__(self, index: TicketIndex, location: ExportLocation, scratch_dir: Path) -> None:
        self.index = index
        self.location = location
        self.scratch_dir = scratch_dir
        self.computing = threading.Lock()
        with index.reading() as db:
            db.executescript(SCHEMA)

    def changes(self, run: Run, runs: list[Run], page: int = 1) -> RunChanges:
        """What ``run`` brought compared with the runs before it (``runs``: all of the location's)."""
        earlier = [each for each in runs if each.run_id <= run.run_id]
        fingerprint = self._fingerprint(run, earlier)
        with self.computing:
            with self.index.reading() as db:
                db.executescript(SCHEMA)  # the index drops its tables when its layout changes, not these
                known = db.execute("SELECT fingerprint, counts FROM run_changes WHERE run_id = ?",
                                   (run.run_id,)).fetchone()
            if known is None or known[0] != fingerprint:  # the index is followed by the page before it asks
                counts = self._compute(run, earlier)
                with self.index.reading() as db:
                    db.execute("INSERT OR REPLACE INTO run_changes VALUES (?, ?, ?)",
                               (run.run_id, fingerprint, orjson.dumps(counts).decode()))
            else:
                counts = orjson.loads(known[1])
        return self._page(run.run_id, counts, page)

    def _page(self, run_id: str, counts: dict[str, dict[str, int]], page: int) -> RunChanges:
        listed = sum(counts.get("tickets", {}).get(kind, 0) for kind in KINDS)
        pages = max(1, -(-listed // PAGE_SIZE))
        page = min(max(1, page), pages)
        order = "CASE kind WHEN 'new' THEN 0 WHEN 'changed' THEN 1 ELSE 2 END, id"
        with self.index.reading() as db:
            rows = db.execute(f"SELECT id, kind, fields FROM run_changed_tickets WHERE run_id = ? ORDER BY {order} "
                              "LIMIT ? OFFSET ?", (run_id, PAGE_SIZE, (page - 1) * PAGE_SIZE)).fetchall()
        return RunChanges(run_id, counts, [ChangedTicket(row[0], row[1], orjson.loads(row[2])) for row in rows],
                          page, pages)

    # --- what the result depends on --------------------------------------------------------------------------

    def _fingerprint(self, run: Run, earlier: list[Run]) -> str:
        """A digest of the runs up to ``run`` and the identities of their feed files (what the result is computed
        from; attachment files are not read)."""
        paths = sorted({path for each in earlier for path in each.files
                        if FEED_NAME.fullmatch(path.rsplit("/", 1)[-1])})
        identities = self.location.identities(paths)
        text = orjson.dumps([_CACHE_VERSION, [each.run_id for each in earlier],
                             [(path, identities.get(path)) for path in paths]])
        return hashlib.sha256(text).hexdigest()

    # --- computing -------------------------------------------------------------------------------------------

    def _compute(self, run: Run, earlier: list[Run]) -> dict[str, dict[str, int]]:
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="run-changes-", dir=self.scratch_dir) as scratch:
            counts = {"tickets": self._tickets(run, Path(scratch) / "views.sqlite")}
            counts.update(self._other_streams(run, earlier, Path(scratch) / "compare.sqlite"))
        return counts

    def _tickets(self, run: Run, scratch: Path) -> dict[str, int]:
        """Classify every ticket of the run and store the new, changed and deleted ones; their counts.

        They are stored at the end, in one short write: the index's SQLite file is not held for writing while
        the records are read from the location (the follower writes the index meanwhile)."""
        counts = dict.fromkeys((*KINDS, "unchanged"), 0)
        found: list[tuple[str, str, int, str]] = []
        with self.index.reading() as db, closing(_scratch(scratch)) as views:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS run_paths (path TEXT PRIMARY KEY)")
            db.execute("DELETE FROM temp.run_paths")
            paths = sorted(web_feed_files([run], ("tickets",)))
            db.executemany("INSERT OR IGNORE INTO temp.run_paths VALUES (?)", [(path,) for path in paths])
            pending: list[tuple[int, int, int]] = []
            for ticket_id, before, after in db.execute(_PAIRS, {"run": run.run_id}).fetchall():
                before_deleted = None if before is None else _status(db, before) == DELETED
                after_deleted = _status(db, after) == DELETED
                kind = change_kind(before_deleted, after_deleted, before == after)
                if kind == CHANGED:
                    pending.append((ticket_id, before, after))
                    continue
                counts[kind] += 1
                if kind in KINDS:
                    found.append((run.run_id, kind, ticket_id, "[]"))
            self._park_views(db, views, [rowid for _, before, after in pending for rowid in (before, after)])
            for ticket_id, before, after in pending:
                old, new = _view(views, before), _view(views, after)
                fields = top_fields(differences(old, new)) if old is not None and new is not None else [UNREADABLE]
                counts["changed" if fields else "unchanged"] += 1
                if fields:
                    found.append((run.run_id, "changed", ticket_id, orjson.dumps(fields).decode()))
            db.execute("DROP TABLE temp.run_paths")
            db.execute("DELETE FROM run_changed_tickets WHERE run_id = ?", (run.run_id,))
            db.executemany("INSERT INTO run_changed_tickets VALUES (?, ?, ?, ?)", found)
        return counts

    def _park_views(self, db: sqlite3.Connection, views: sqlite3.Connection, rowids: list[int]) -> None:
        """Read the records of these versions, a file at a time, and park their views in ``views``."""
        views.execute("CREATE TABLE IF NOT EXISTS wanted (rowid INTEGER PRIMARY KEY)")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_versions (rowid INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM temp.wanted_versions")
        db.executemany("INSERT OR IGNORE INTO temp.wanted_versions VALUES (?)", [(rowid,) for rowid in rowids])
        rows = db.execute("SELECT v.path, v.offset, v.length, v.rowid FROM versions v JOIN temp.wanted_versions w "
                          "ON w.rowid = v.rowid ORDER BY v.path, v.offset")
        for path, wanted in _by_path(rows):
            views.execute("BEGIN")
            views.executemany("INSERT OR REPLACE INTO views VALUES (?, ?)",
                              ((rowid, _view_json(body)) for rowid, body in self._bodies(path, wanted)))
            views.execute("COMMIT")
        db.execute("DROP TABLE temp.wanted_versions")

    def _bodies(self, path: str, wanted: list[tuple[int, int, int]]) -> Iterator[tuple[int, bytes | None]]:
        """(rowid, record line) of each wanted (offset, length, rowid) of one file: ranged reads, or one pass
        through a ``.gz`` file."""
        try:
            if not path.endswith(".gz"):
                for offset, length, rowid in wanted:
                    yield rowid, read_record(self.location, path, offset, length)
                return
            by_offset = {offset: rowid for offset, _, rowid in wanted}
            last = wanted[-1][0]
            for offset, _, body in record_lines(self.location, path):
                if offset in by_offset:
                    yield by_offset[offset], body
                if offset >= last:
                    return
        except (FileNotInLocation, zlib.error):
            return  # the versions not read are named UNREADABLE

    def _other_streams(self, run: Run, earlier: list[Run], scratch: Path) -> dict[str, dict[str, int]]:
        """Counts of new, changed, deleted and unchanged records of the run's other streams, by the compare's own
        indexing: the stream's files of earlier runs (side A) against the run's (side B)."""
        runs = {each.run_id for each in earlier}
        files = {stream: [feed for feed in feeds if feed.run in runs]
                 for stream, feeds in feed_files(self.location).items() if stream not in NOT_COUNTED}
        streams = sorted(stream for stream, feeds in files.items() if any(feed.run == run.run_id for feed in feeds))
        if not streams:
            return {}
        before = _side("a", self.location, {s: [f for f in files[s] if f.run < run.run_id] for s in streams})
        after = _side("b", self.location, {s: [f for f in files[s] if f.run == run.run_id] for s in streams})
        db = open_database(scratch)
        try:
            for side in (before, after):
                index_side(side, streams, db)
            _only_the_runs_records(db)
            report = Report("changes", self.location.uri, self.location.uri, None)
            compare_changes(report, streams, before, after, db)
        finally:
            db.close()
        return {stream: dict(report.stream(stream).counts) for stream in streams}


def _side(name: str, location: ExportLocation, files: dict[str, list[FeedFile]]) -> Side:
    return Side(name, location, files, lambda stream, record: changes_view(record), lambda stream, record: None)


def _only_the_runs_records(db: sqlite3.Connection) -> None:
    """Make side B the location through the run, looked at for the run's records only: side A keeps only what the
    run wrote again, and a record the run wrote older than A's newest stays A's (the newest is the newest)."""
    db.execute("DELETE FROM versions WHERE side = 'a' AND NOT EXISTS (SELECT 1 FROM versions b WHERE b.side = 'b' "
               "AND b.stream = versions.stream AND b.kind = versions.kind AND b.id = versions.id)")
    db.execute("UPDATE versions SET digest = a.digest, deleted = a.deleted FROM versions a WHERE versions.side = 'b' "
               "AND a.side = 'a' AND a.stream = versions.stream AND a.kind = versions.kind AND a.id = versions.id "
               "AND a.updated_at IS NOT NULL AND versions.updated_at IS NOT NULL "
               "AND versions.updated_at < a.updated_at")


def _scratch(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("CREATE TABLE IF NOT EXISTS views (rowid INTEGER PRIMARY KEY, view BLOB)")
    return db


def _status(db: sqlite3.Connection, rowid: int) -> str | None:
    found = db.execute("SELECT status FROM versions WHERE rowid = ?", (rowid,)).fetchone()
    return found[0] if found else None


def _by_path(rows: Iterable[tuple[str, int, int, int]]) -> Iterator[tuple[str, list[tuple[int, int, int]]]]:
    """Rows ordered by path grouped as (path, [(offset, length, rowid), ...])."""
    path: str | None = None
    group: list[tuple[int, int, int]] = []
    for row_path, offset, length, rowid in rows:
        if row_path != path:
            if path is not None:
                yield path, group
            path, group = row_path, []
        group.append((offset, length, rowid))
    if path is not None:
        yield path, group


def _view_json(body: bytes | None) -> bytes | None:
    """The canonical JSON of a record line's changes view (``None``: not a record)."""
    try:
        record = orjson.loads(body) if body is not None else None
    except orjson.JSONDecodeError:
        return None
    return canonical(changes_view(record)) if isinstance(record, dict) else None


def _view(views: sqlite3.Connection, rowid: int) -> Any:
    found = views.execute("SELECT view FROM views WHERE rowid = ?", (rowid,)).fetchone()
    return orjson.loads(found[0]) if found and found[0] is not None else None


