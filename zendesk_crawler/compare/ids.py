"""Ids across a restore: the id map read from a restore location, and the two ways a side's ids are seen.

The map files are ``restore-map-<run id>-NNNNN.jsonl`` (``restore/id_map.py``), one line
``{"type", "source_id", "target_id", "action"}`` per object the restore wrote or reused. They go
into the work database, not memory. The source side's references are translated through the
map (:class:`MappedIds`); the target side's are taken as they are (:class:`SameIds`), so that
both views speak of the target's ids.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.content import lines
from zendesk_crawler.location.reader import ExportLocation
from zendesk_crawler.restore.id_map import MAP_FILE, MAP_STREAM, TYPES, IdMap


def load_id_map(location: ExportLocation, db: sqlite3.Connection) -> int:
    """Put every line of a restore location's map files into ``id_map``; how many there were.

    :class:`ConfigError` when the location holds no map file.
    """
    names = [name for name in location.names(f"{MAP_STREAM}-") if MAP_FILE.fullmatch(name)]
    if not names:
        raise ConfigError(f"{location.uri} holds no id map (restore-map-<run id>-NNNNN.jsonl): give the "
                          "ZENDESK_EXPORT_URI of the restore")
    count = 0
    for name in sorted(names):
        rows = []
        for _, _, line in lines(location, name):
            try:
                entry = orjson.loads(line) if line and line.strip() else None
            except orjson.JSONDecodeError:
                continue  # a line cut by a kill, or not ours
            if isinstance(entry, dict) and entry.get("type") in TYPES and entry.get("source_id") is not None:
                rows.append((entry["type"], entry["source_id"], entry.get("target_id")))
        db.executemany("INSERT OR REPLACE INTO id_map VALUES (?, ?, ?)", rows)
        count += len(rows)
    return count


class MappedIds(IdMap):
    """The source side's ids translated through the id map in the work database."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self.db = db

    def _target(self, kind: str, source_id: Any) -> tuple[Any] | None:
        if isinstance(source_id, bool) or not isinstance(source_id, (int, str)):
            return None
        return self.db.execute("SELECT target_id FROM id_map WHERE type = ? AND source_id = ?",
                               (kind, source_id)).fetchone()

    def has(self, kind: str, source_id: Any) -> bool:
        return self._target(kind, source_id) is not None

    def get(self, kind: str, source_id: Any) -> Any:
        row = self._target(kind, source_id)
        return row[0] if row else None


class SameIds(IdMap):
    """The target side's ids, as they are."""

    def has(self, kind: str, source_id: Any) -> bool:
        return source_id is not None

    def get(self, kind: str, source_id: Any) -> Any:
        return source_id


class Names:
    """The names of one side's groups and organizations, from their own streams (newest version).

    A ticket record names its group and organization as the API's sideload did, and the sideload
    leaves deleted ones out; the backup's ``groups`` and ``organizations`` records still name them.
    """

    #: The streams whose names are kept.
    STREAMS = ("groups", "organizations")

    def __init__(self, db: sqlite3.Connection, side: str) -> None:
        self.db = db
        self.side = side

    def add(self, stream: str, record: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO names VALUES (?, ?, ?, ?)",
                        (self.side, stream, record.get("id"), record.get("name")))

    def get(self, stream: str, object_id: Any) -> str | None:
        if isinstance(object_id, bool) or not isinstance(object_id, (int, str)):
            return None
        row = self.db.execute("SELECT name FROM names WHERE side = ? AND stream = ? AND id = ?",
                              (self.side, stream, object_id)).fetchone()
        return row[0] if row and isinstance(row[0], str) else None
