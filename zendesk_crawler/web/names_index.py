"""Names of the people, groups, organizations and ticket fields an event refers to by id, from the backup's own
``users``, ``groups``, ``organizations`` and ``ticket_fields`` files.

An event of the ticket history names its updater, a comment's author, a new
assignee or group by id only (the crawler writes the events as Zendesk returns
them). This index keeps, per stream, id and file, the name (a field's title)
and e-mail of the newest version of each object in that file (by
``updated_at``); a lookup takes the newest across files. It follows the
location like the other indexes (``web/followed.py``), in table ``names``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zendesk_crawler.web.followed import FollowedIndex
from zendesk_crawler.web.ticket_rows import SQLITE_INT

#: The streams read, and the key of each one's name.
NAME_KEYS = {"users": "name", "groups": "name", "organizations": "name", "ticket_fields": "title", "brands": "name",
             "custom_statuses": "agent_label"}


@dataclass(frozen=True)
class Name:
    """What an id stands for: a name (a field's title) and, for a user, an e-mail address."""

    name: str | None
    email: str | None

    def label(self) -> str:
        """``Name <email>``, or whichever of the two is known."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or ""


class NameIndex(FollowedIndex):
    """The names of the backup's users, groups, organizations, ticket fields, brands and custom statuses, by id."""

    name = "names"
    version = 2
    streams = tuple(NAME_KEYS)
    schema = """
CREATE TABLE IF NOT EXISTS names (
    stream TEXT NOT NULL, id INTEGER NOT NULL, path TEXT NOT NULL, key TEXT NOT NULL, name TEXT, email TEXT,
    PRIMARY KEY (stream, id, path));
CREATE INDEX IF NOT EXISTS names_by_path ON names (path);
"""
    drop = "DROP TABLE IF EXISTS names;"

    def add(self, db: sqlite3.Connection, stream: str, run_id: str, path: str, offset: int, length: int,
            record: Any) -> bool:
        if not isinstance(record, dict):
            return False
        object_id = record.get("id")
        if type(object_id) is not int or object_id not in SQLITE_INT:
            return False
        name, email, updated_at = (record.get(NAME_KEYS[stream]), record.get("email"), record.get("updated_at"))
        key = f"{updated_at if isinstance(updated_at, str) else ''}\x00{run_id}\x00{offset:020d}"
        db.execute("INSERT INTO names VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stream, id, path) DO UPDATE SET "
                   "key = excluded.key, name = excluded.name, email = excluded.email WHERE excluded.key > names.key",
                   (stream, object_id, path, key, name if isinstance(name, str) else None,
                    email if isinstance(email, str) else None))
        return True

    def forget(self, db: sqlite3.Connection, path: str) -> None:
        db.execute("DELETE FROM names WHERE path = ?", (path,))

    def names(self, stream: str, ids: Iterable[int]) -> dict[int, Name]:
        """The name of each id of ``ids`` the backup knows, in its newest version."""
        wanted = sorted({object_id for object_id in ids if type(object_id) is int and object_id in SQLITE_INT})
        found: dict[int, Name] = {}
        with self._connect() as db:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for object_id, name, email, _ in db.execute(
                        f"SELECT id, name, email, max(key) FROM names WHERE stream = ? AND id IN "
                        f"({', '.join('?' * len(chunk))}) GROUP BY id", (stream, *chunk)):
                    found[object_id] = Name(name, email)
        return found
