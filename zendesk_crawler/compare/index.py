"""Indexing one side of a comparison: each record's newest version, where it lies and the digest of its view.

A record's newest version is its last in run order, then file order, then line order, unless
its ``updated_at`` is older than the one already seen (``database.UPSERT``). For the source side
of a restore the last version of a ticket that is not deleted is kept too: a deleted ticket
brought back is restored from it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from zendesk_crawler.compare.database import UPSERT
from zendesk_crawler.compare.feeds import FeedFile
from zendesk_crawler.compare.ids import Names
from zendesk_crawler.compare.records import records
from zendesk_crawler.compare.views import is_deleted
from zendesk_crawler.location.reader import ExportLocation

#: Rows written per ``executemany``.
BATCH_ROWS = 5000
NEWEST, LIVE = "newest", "live"

#: A stream's view of a record.
ViewOf = Callable[[str, dict[str, Any]], dict[str, Any]]
#: A stream's match key of a record.
KeyOf = Callable[[str, dict[str, Any]], str | None]


def canonical(view: Any) -> bytes:
    """The canonical JSON of a view: keys sorted, no spaces (integers beyond 64 bits through ``json``)."""
    try:
        return orjson.dumps(view, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(view: Any) -> bytes:
    return hashlib.sha256(canonical(view)).digest()


@dataclass
class Side:
    """One side of a comparison: its location, its feed files by stream, how its records are viewed."""

    name: str
    location: ExportLocation
    files: dict[str, list[FeedFile]]
    view: ViewOf
    key: KeyOf
    #: Streams whose last live version is kept besides the newest.
    keep_live: set[str] = field(default_factory=set)
    #: Where the names of the side's groups and organizations are kept (``None``: they are not).
    names: Names | None = None
    #: The top-level keys seen in each stream's records.
    seen_keys: dict[str, set[str]] = field(default_factory=dict)
    #: The top-level keys of each stream's views.
    view_keys: dict[str, set[str]] = field(default_factory=dict)
    #: Records without an id (not compared), by stream.
    without_id: dict[str, int] = field(default_factory=dict)
    _numbers: dict[str, int] = field(default_factory=dict)

    def file_number(self, path: str) -> int:
        return self._numbers.setdefault(path, len(self._numbers))


def index_side(side: Side, streams: list[str], db: sqlite3.Connection) -> int:
    """Index the side's records of ``streams``; how many records were read."""
    read = 0
    for stream in streams:
        seen = side.seen_keys.setdefault(stream, set())
        viewed = side.view_keys.setdefault(stream, set())
        rows: list[tuple[Any, ...]] = []
        for feed in side.files.get(stream, []):
            number = side.file_number(feed.path)
            db.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (side.name, number, stream, feed.path))
            for ordinal, record in enumerate(records(side.location, feed)):
                read += 1
                record_id = record.get("id")
                if isinstance(record_id, bool) or not isinstance(record_id, (int, str)):
                    side.without_id[stream] = side.without_id.get(stream, 0) + 1
                    continue
                seen.update(record)
                if side.names is not None and stream in side.names.STREAMS:
                    side.names.add(stream, record)
                view = side.view(stream, record)
                viewed.update(view)
                updated_at = record.get("updated_at") if isinstance(record.get("updated_at"), str) else None
                deleted = is_deleted(record)
                row = (side.name, stream, NEWEST, record_id, updated_at, number, ordinal, deleted,
                       side.key(stream, record), digest(view))
                rows.append(row)
                if stream in side.keep_live and not deleted:
                    rows.append((*row[:2], LIVE, *row[3:]))
                if len(rows) >= BATCH_ROWS:
                    _write(db, rows)
        _write(db, rows)
    return read


def _write(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    db.execute("BEGIN")
    db.executemany(UPSERT, rows)
    db.execute("COMMIT")
    rows.clear()


def load_views(side: Side, db: sqlite3.Connection) -> int:
    """Read again the records ``wanted`` names on this side and park their views in ``loaded``; how many."""
    files = db.execute("SELECT DISTINCT w.file_no, f.stream, f.path FROM wanted w JOIN files f "
                       "ON f.side = w.side AND f.file_no = w.file_no WHERE w.side = ? ORDER BY w.file_no",
                       (side.name,)).fetchall()
    count = 0
    by_path = {feed.path: feed for feeds in side.files.values() for feed in feeds}
    for number, stream, path in files:
        ordinals = {row[0] for row in db.execute("SELECT ordinal FROM wanted WHERE side = ? AND file_no = ?",
                                                 (side.name, number))}
        rows = [(side.name, number, ordinal, canonical(side.view(stream, record)))
                for ordinal, record in _picked(records(side.location, by_path[path]), ordinals)]
        db.execute("BEGIN")
        db.executemany("INSERT INTO loaded VALUES (?, ?, ?, ?)", rows)
        db.execute("COMMIT")
        count += len(rows)
    return count


def _picked(items: Iterator[dict[str, Any]], ordinals: set[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    last = max(ordinals)
    for ordinal, record in enumerate(items):
        if ordinal in ordinals:
            yield ordinal, record
        if ordinal >= last:
            return


def loaded_view(db: sqlite3.Connection, side: str, file_no: int, ordinal: int) -> Any:
    """A view ``load_views`` parked."""
    row = db.execute("SELECT view FROM loaded WHERE side = ? AND file_no = ? AND ordinal = ?",
                     (side, file_no, ordinal)).fetchone()
    return orjson.loads(row[0]) if row else None
