"""The ticket history of the backup: an SQLite index of the ``ticket_events`` files (audits and their child events).

Each record of a ``ticket_events-<run>-NNNNN.jsonl|json[.gz]`` file is an
audit of the Incremental Ticket Event Export with its ``child_events``. The
index follows the location like the ticket index (``web/followed.py``: files
by identity, removed ones forgotten, each file read as a stream) and keeps, in
the page's SQLite file (``tickets.sqlite``):

``ticket_changes(ticket_id INTEGER NOT NULL, audit_id INTEGER, event_id
INTEGER, created_at TEXT, author_id INTEGER, channel TEXT, field_name TEXT,
previous_value TEXT, value TEXT)``: one row per ``Change`` or ``Create`` child
event that names a field (the audit API's ``field_name``/``value``, or the
export's shape, where the field is the event's own key: ``"status": "open"``),
and one per field when an event names several. ``previous_value`` and
``value`` are JSON texts (``json.dumps`` of the event's values;
``previous_value`` is NULL for a ``Create``, which has none); ``created_at``
and ``author_id`` are the audit's (``created_at``, ``updater_id``);
``channel`` is the event's ``via`` (its ``channel`` when ``via`` is an
object), else the audit's. Indexed by ``(field_name, created_at)`` and by
``(ticket_id, created_at)``. An audit that several files hold (the export
brings the events of a page's last second again, a run can start before the
previous one's end) is stored once: by audit id, and each event once by its id
(a unique index on ``(event_id, field_name)``); it is forgotten when the last
file holding it is.

Beside it, ``ticket_audits`` (one row per audit: ticket, time, updater,
channel), ``audit_events`` (the child events that change no field: comments,
notifications, CCs, ..., each with a short JSON ``detail``) and
``audit_sources`` (which files hold which audit). A ticket's audits are read a
page at a time, newest first, through ``ticket_audits (ticket_id, created_at,
audit_id)``: a ticket with thousands of events costs one page of them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from zendesk_crawler.web.followed import FollowedIndex
from zendesk_crawler.web.numbers import digits
from zendesk_crawler.web.ticket_rows import SQLITE_INT

#: The child events that may change a field.
FIELD_EVENTS = ("Change", "Create")
#: Keys of a Change or Create event that are not the field it changes.
_EVENT_KEYS = {"id", "via", "via_reference_id", "event_type", "previous_value", "added_tags", "removed_tags",
               "field_name", "value"}
#: Longest ``detail`` kept of an event that changes no field.
_DETAIL_CHARS = 600
#: Audits a page of a ticket's history shows.
AUDITS_PAGE = 200


def _integer(value: Any) -> int | None:
    return value if type(value) is int and value in SQLITE_INT else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def channel_of(via: Any) -> str | None:
    """The channel of a ``via``: the text itself, or an object's ``channel``."""
    if isinstance(via, str):
        return via
    if isinstance(via, dict):
        return _text(via.get("channel"))
    return None


def changed_fields(event: dict[str, Any]) -> list[tuple[str, Any]]:
    """(field name, new value) of a Change or Create event: its ``field_name`` and ``value``, or each key of the
    event that is not one of its own (``id``, ``via``, ``previous_value``, ...)."""
    name = event.get("field_name")
    if name is not None:
        return [(str(name), event.get("value"))]
    return [(key, value) for key, value in event.items() if key not in _EVENT_KEYS]


def event_detail(event: dict[str, Any]) -> dict[str, Any]:
    """What the page says of an event that changes no field: a comment's id and visibility, the recipients and
    subject of a notification, the rule that sent it."""
    detail: dict[str, Any] = {}
    comment_id = _integer(event.get("id"))
    if event.get("event_type") in ("Comment", "VoiceComment"):
        detail["comment_id"] = comment_id
        public = event.get("public", event.get("comment_public"))
        detail["public"] = public if isinstance(public, bool) else None
        detail["author_id"] = _integer(event.get("author_id"))
    recipients = event.get("recipients")
    if isinstance(recipients, list):
        detail["recipients"] = len(recipients)
    subject = _text(event.get("subject"))
    if subject:
        detail["subject"] = subject[:200]
    via = event.get("via")
    source = via.get("source") if isinstance(via, dict) else None
    rule = source.get("from") if isinstance(source, dict) else None
    if isinstance(source, dict) and isinstance(rule, dict) and isinstance(rule.get("title"), str):
        detail["rule"] = f"{source.get('rel') or 'rule'}: {rule['title'][:200]}"
    return detail


@dataclass(frozen=True)
class Audit:
    """One audit of a ticket: when, by whom, through which channel."""

    audit_id: int
    ticket_id: int
    created_at: str
    author_id: int | None
    author_name: str | None
    channel: str | None


@dataclass(frozen=True)
class FieldEvent:
    """One field an event changed (``previous``/``value``: the JSON values decoded; ``created``: a Create)."""

    audit_id: int
    event_id: int | None
    field_name: str
    previous: Any
    value: Any
    created: bool


@dataclass(frozen=True)
class OtherEvent:
    """An event that changes no field, with its detail (:func:`event_detail`)."""

    audit_id: int
    event_id: int | None
    event_type: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """A page of a ticket's audits, newest first, with their events; ``older``: the cursor of the next page."""

    audits: list[Audit]
    changes: dict[int, list[FieldEvent]]
    others: dict[int, list[OtherEvent]]
    total: int
    older: str | None


def _cursor(audit: Audit) -> str:
    return f"{audit.created_at}|{audit.audit_id}"


def parse_cursor(text: str | None) -> tuple[str, int] | None:
    """(created_at, audit id) of a page cursor; ``None`` for none or a malformed one (the first page)."""
    if not text or "|" not in text:
        return None
    created_at, _, audit_id = text.rpartition("|")
    number = digits(audit_id)
    if number is None or number not in SQLITE_INT:
        return None
    return created_at, number


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class EventIndex(FollowedIndex):
    """The index of the backup's ``ticket_events`` (see the module docstring)."""

    name = "events"
    version = 1
    streams = ("ticket_events",)
    schema = """
CREATE TABLE IF NOT EXISTS ticket_changes (
    ticket_id INTEGER NOT NULL, audit_id INTEGER, event_id INTEGER, created_at TEXT, author_id INTEGER,
    channel TEXT, field_name TEXT, previous_value TEXT, value TEXT);
CREATE INDEX IF NOT EXISTS ticket_changes_by_field ON ticket_changes (field_name, created_at);
CREATE INDEX IF NOT EXISTS ticket_changes_by_ticket ON ticket_changes (ticket_id, created_at);
CREATE INDEX IF NOT EXISTS ticket_changes_by_audit ON ticket_changes (audit_id);
CREATE UNIQUE INDEX IF NOT EXISTS ticket_changes_by_event ON ticket_changes (event_id, field_name);
CREATE TABLE IF NOT EXISTS ticket_audits (
    audit_id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, created_at TEXT NOT NULL, author_id INTEGER,
    author_name TEXT, channel TEXT);
CREATE INDEX IF NOT EXISTS ticket_audits_by_ticket ON ticket_audits (ticket_id, created_at, audit_id);
CREATE TABLE IF NOT EXISTS audit_events (
    event_id INTEGER, audit_id INTEGER NOT NULL, event_type TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_events_by_audit ON audit_events (audit_id);
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_by_event ON audit_events (event_id);
CREATE TABLE IF NOT EXISTS audit_sources (path TEXT NOT NULL, audit_id INTEGER NOT NULL, PRIMARY KEY (path, audit_id));
CREATE INDEX IF NOT EXISTS audit_sources_by_audit ON audit_sources (audit_id);
"""
    drop = ("DROP TABLE IF EXISTS ticket_changes; DROP TABLE IF EXISTS ticket_audits; "
            "DROP TABLE IF EXISTS audit_events; DROP TABLE IF EXISTS audit_sources;")

    # --- indexing ------------------------------------------------------------------------------------------

    def add(self, db: sqlite3.Connection, stream: str, run_id: str, path: str, offset: int, length: int,
            record: Any) -> bool:
        """Store an audit and its events, unless another file brought it already (then only note this file)."""
        if not isinstance(record, dict):
            return False
        audit_id, ticket_id = _integer(record.get("id")), _integer(record.get("ticket_id"))
        if audit_id is None or ticket_id is None:
            return False
        db.execute("INSERT OR IGNORE INTO audit_sources VALUES (?, ?)", (path, audit_id))
        created_at = _text(record.get("created_at")) or ""
        author_id = _integer(record.get("updater_id"))
        updater = record.get("updater")
        author_name = _text(updater.get("name")) if isinstance(updater, dict) else None
        channel = channel_of(record.get("via"))
        if not db.execute("INSERT OR IGNORE INTO ticket_audits VALUES (?, ?, ?, ?, ?, ?)",
                          (audit_id, ticket_id, created_at, author_id, author_name, channel)).rowcount:
            return True  # stored from another file, or earlier in this one
        for event in record.get("child_events") or []:
            if isinstance(event, dict):
                self._add_event(db, ticket_id, audit_id, created_at, author_id, channel, event)
        return True

    @staticmethod
    def _add_event(db: sqlite3.Connection, ticket_id: int, audit_id: int, created_at: str, author_id: int | None,
                   channel: str | None, event: dict[str, Any]) -> None:
        event_id = _integer(event.get("id"))
        event_type = _text(event.get("event_type")) or "Event"
        fields = changed_fields(event) if event_type in FIELD_EVENTS else []
        if fields:
            previous = json.dumps(event["previous_value"]) if "previous_value" in event else None
            via = channel_of(event.get("via")) or channel
            db.executemany("INSERT OR IGNORE INTO ticket_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(ticket_id, audit_id, event_id, created_at or None, author_id, via, name, previous,
                             json.dumps(value)) for name, value in fields])
            return
        detail = json.dumps(event_detail(event), ensure_ascii=False)[:_DETAIL_CHARS]
        db.execute("INSERT OR IGNORE INTO audit_events VALUES (?, ?, ?, ?)", (event_id, audit_id, event_type, detail))

    def forget(self, db: sqlite3.Connection, path: str) -> None:
        """Forget a file: the audits no other file holds go with it."""
        db.execute("CREATE TEMP TABLE IF NOT EXISTS gone_audits (audit_id INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM gone_audits")
        db.execute("INSERT INTO gone_audits SELECT audit_id FROM audit_sources WHERE path = ?", (path,))
        db.execute("DELETE FROM audit_sources WHERE path = ?", (path,))
        db.execute("DELETE FROM gone_audits WHERE audit_id IN (SELECT audit_id FROM audit_sources)")
        for table in ("ticket_changes", "ticket_audits", "audit_events"):
            db.execute(f"DELETE FROM {table} WHERE audit_id IN (SELECT audit_id FROM gone_audits)")
        db.execute("DELETE FROM gone_audits")

    # --- reading -------------------------------------------------------------------------------------------

    def page(self, ticket_id: int, older_than: str | None = None, size: int = AUDITS_PAGE) -> AuditPage:
        """A page of a ticket's audits, newest first, from ``older_than`` (a cursor of a previous page)."""
        if ticket_id not in SQLITE_INT:
            return AuditPage([], {}, {}, 0, None)
        cursor = parse_cursor(older_than)
        with self._connect() as db:
            total = db.execute("SELECT count(*) FROM ticket_audits WHERE ticket_id = ?", (ticket_id,)).fetchone()[0]
            where = "ticket_id = ?"
            args: list[Any] = [ticket_id]
            if cursor is not None:
                where += " AND (created_at, audit_id) < (?, ?)"
                args += [cursor[0], cursor[1]]
            rows = db.execute(f"SELECT audit_id, ticket_id, created_at, author_id, author_name, channel "
                              f"FROM ticket_audits WHERE {where} ORDER BY created_at DESC, audit_id DESC LIMIT ?",
                              (*args, size + 1)).fetchall()
            audits = [Audit(*row) for row in rows[:size]]
            ids = [audit.audit_id for audit in audits]
            changes: dict[int, list[FieldEvent]] = {}
            others: dict[int, list[OtherEvent]] = {}
            marks = ", ".join("?" * len(ids))
            if ids:
                for audit_id, event_id, field, previous, value in db.execute(
                        f"SELECT audit_id, event_id, field_name, previous_value, value FROM ticket_changes "
                        f"WHERE audit_id IN ({marks}) ORDER BY audit_id, event_id, rowid", ids):
                    changes.setdefault(audit_id, []).append(
                        FieldEvent(audit_id, event_id, field, _loads(previous), _loads(value), previous is None))
                for audit_id, event_id, event_type, detail in db.execute(
                        f"SELECT audit_id, event_id, event_type, detail FROM audit_events "
                        f"WHERE audit_id IN ({marks}) ORDER BY audit_id, event_id, rowid", ids):
                    found = _loads(detail)
                    others.setdefault(audit_id, []).append(
                        OtherEvent(audit_id, event_id, event_type, found if isinstance(found, dict) else {}))
        older = _cursor(audits[-1]) if len(rows) > size else None
        return AuditPage(audits, changes, others, total, older)
