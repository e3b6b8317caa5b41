"""Without a map: what is new, changed or deleted in B, per stream, by id (B's newest versions against A's).

- new: in B, not in A (and not deleted in B);
- deleted: not deleted in A, and gone from B or deleted there (a record B holds deleted and A
  never had is listed as deleted too);
- changed: in both, views differ (the fields named); a record deleted in A and live in B again is changed;
- unchanged: the rest (a record deleted in A and deleted or gone in B included).
"""

from __future__ import annotations

import sqlite3

from zendesk_crawler.compare.diff import differences, top_fields
from zendesk_crawler.compare.index import NEWEST, Side, load_views, loaded_view
from zendesk_crawler.compare.report import Entry, Report

_PAIRS = """
SELECT a.id, a.deleted, a.digest, a.file_no, a.ordinal, b.id IS NOT NULL, b.deleted, b.digest, b.file_no, b.ordinal
FROM versions a LEFT JOIN versions b ON b.side = 'b' AND b.stream = a.stream AND b.kind = a.kind AND b.id = a.id
WHERE a.side = 'a' AND a.stream = ? AND a.kind = ? ORDER BY a.id
"""
_ONLY_B = """
SELECT b.id, b.deleted FROM versions b
WHERE b.side = 'b' AND b.stream = ? AND b.kind = ? AND NOT EXISTS (
  SELECT 1 FROM versions a WHERE a.side = 'a' AND a.stream = b.stream AND a.kind = b.kind AND a.id = b.id)
ORDER BY b.id
"""


#: What :func:`change_kind` answers for a record whose views are to be compared field by field.
CHANGED = "changed"


def change_kind(a_deleted: bool | None, b_deleted: bool | None, same_view: bool) -> str:
    """How a record moved from A to B (``None``: not on that side): ``new``, ``deleted``, ``unchanged`` or
    :data:`CHANGED` (its views differ: name the fields with ``diff.differences``; none named is unchanged).

    ``same_view``: whether both sides' views are equal (only asked when both hold the record live).
    """
    if a_deleted is None:
        return "deleted" if b_deleted else "new"
    if a_deleted:
        return CHANGED if b_deleted is False else "unchanged"
    if b_deleted is None or b_deleted:
        return "deleted"
    return "unchanged" if same_view else CHANGED


def compare_changes(report: Report, streams: list[str], a: Side, b: Side, db: sqlite3.Connection) -> None:
    """Fill ``report`` with each stream's new, changed and deleted records (rows read one at a time: memory follows
    the changed ones, not the stream)."""
    changed: list[tuple[str, object, int, int, int, int]] = []
    for stream in streams:
        result = report.stream(stream)
        for (record_id, a_deleted, a_digest, a_file, a_ordinal, in_b, b_deleted, b_digest, b_file,
             b_ordinal) in db.execute(_PAIRS, (stream, NEWEST)):
            kind = change_kind(bool(a_deleted), bool(b_deleted) if in_b else None, a_digest == b_digest)
            if kind == CHANGED:
                changed.append((stream, record_id, a_file, a_ordinal, b_file, b_ordinal))
            elif kind == "deleted":
                result.add("deleted", Entry(record_id, why="deleted in B" if in_b else "not in B"))
            else:
                result.add(kind)
        for record_id, b_deleted in db.execute(_ONLY_B, (stream, NEWEST)):
            kind = change_kind(None, bool(b_deleted), False)
            result.add(kind, Entry(record_id, why="new in B and deleted there" if kind == "deleted" else None))
    _name_changes(report, changed, a, b, db)


def _name_changes(report: Report, changed: list[tuple[str, object, int, int, int, int]], a: Side, b: Side,
                  db: sqlite3.Connection) -> None:
    """Read the changed records again (only those) and name the fields that changed."""
    db.execute("BEGIN")
    db.executemany("INSERT OR IGNORE INTO wanted VALUES (?, ?, ?)",
                   [row for _, _, a_file, a_ordinal, b_file, b_ordinal in changed
                    for row in (("a", a_file, a_ordinal), ("b", b_file, b_ordinal))])
    db.execute("COMMIT")
    load_views(a, db)
    load_views(b, db)
    for stream, record_id, a_file, a_ordinal, b_file, b_ordinal in changed:
        paths = differences(loaded_view(db, "a", a_file, a_ordinal), loaded_view(db, "b", b_file, b_ordinal))
        if paths:
            report.stream(stream).add("changed", Entry(record_id, fields=top_fields(paths), paths=paths))
        else:  # the same view by another digest (integers beyond 64 bits): nothing changed
            report.stream(stream).add("unchanged")
