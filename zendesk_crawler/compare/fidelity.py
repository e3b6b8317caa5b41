"""With a map: how faithful B (a backup of the restored account) is to A, per restored stream.

Each of A's objects (newest version) is looked for in B: through the id map (its ``type``,
``source_id`` → ``target_id``), else by its match key (``views.match_key``: users by e-mail,
fields by type and title, groups, organizations and brands by name, configuration by title, a
ticket by the restore's marker tag). Then:

- equal: found, not deleted in B, the same view;
- differing: found, the views differ (the fields named);
- missing: not found, or deleted in B;
- not_expected: deleted in A and not in the id map, or deleted in B too, or a ticket the backup holds only as
  deleted (a
  restore brings back a deleted ticket only when asked to, from its last version before the deletion: it
  is compared from that version when the map names it).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from zendesk_crawler.compare.diff import differences, top_fields
from zendesk_crawler.compare.index import LIVE, NEWEST, Side, load_views, loaded_view
from zendesk_crawler.compare.report import Entry, Report

_OBJECTS = """
SELECT a.id, a.deleted, a.digest, a.file_no, a.ordinal, l.digest, l.file_no, l.ordinal, m.target_id,
       COALESCE(bm.id, bk.id), COALESCE(bm.deleted, bk.deleted), COALESCE(bm.digest, bk.digest),
       COALESCE(bm.file_no, bk.file_no), COALESCE(bm.ordinal, bk.ordinal)
FROM versions a
LEFT JOIN versions l ON l.side = 'a' AND l.stream = a.stream AND l.kind = :live AND l.id = a.id
LEFT JOIN id_map m ON m.type = :type AND m.source_id = a.id
LEFT JOIN versions bm ON bm.side = 'b' AND bm.stream = a.stream AND bm.kind = :newest AND bm.id = m.target_id
LEFT JOIN versions bk ON bm.id IS NULL AND bk.side = 'b' AND bk.stream = a.stream AND bk.kind = :newest
  AND bk.id = (SELECT k.id FROM versions k WHERE k.side = 'b' AND k.stream = a.stream AND k.kind = :newest
               AND a.match_key IS NOT NULL AND k.match_key = a.match_key ORDER BY k.deleted, k.id LIMIT 1)
WHERE a.side = 'a' AND a.stream = :stream AND a.kind = :newest
ORDER BY a.id
"""


def compare_restore(report: Report, streams: dict[str, str], a: Side, b: Side, db: sqlite3.Connection) -> None:
    """Fill ``report`` with each restored stream's equal, differing and missing objects (``streams``: name → map
    type)."""
    differing: list[tuple[str, Any, Any, int, int, int, int]] = []
    for stream, kind in streams.items():
        result = report.stream(stream)
        rows = db.execute(_OBJECTS, {"stream": stream, "type": kind, "live": LIVE, "newest": NEWEST})
        for (source_id, deleted, a_digest, a_file, a_ordinal, live_digest, live_file, live_ordinal, mapped,
             target_id, b_deleted, b_digest, b_file, b_ordinal) in rows:
            if deleted:
                if mapped is None or (stream in a.keep_live and live_digest is None) or \
                        (stream not in a.keep_live and (target_id is None or b_deleted)):
                    result.add("not_expected", Entry(source_id, why="deleted in A, not restored"))
                    continue
                if live_digest is not None:
                    a_digest, a_file, a_ordinal = live_digest, live_file, live_ordinal
            if target_id is None:
                why = ("not in the id map, and no object of B matches it" if mapped is None
                       else f"the id map names {mapped}, which B does not hold")
                result.add("missing", Entry(source_id, mapped, why=why))
            elif b_deleted:
                result.add("missing", Entry(source_id, target_id, why="deleted in B"))
            elif a_digest == b_digest:
                result.add("equal")
            else:
                differing.append((stream, source_id, target_id, a_file, a_ordinal, b_file, b_ordinal))
    _name_differences(report, differing, a, b, db)


def _name_differences(report: Report, differing: list[tuple[str, Any, Any, int, int, int, int]], a: Side, b: Side,
                      db: sqlite3.Connection) -> None:
    db.execute("BEGIN")
    db.executemany("INSERT OR IGNORE INTO wanted VALUES (?, ?, ?)",
                   [row for *_, a_file, a_ordinal, b_file, b_ordinal in differing
                    for row in (("a", a_file, a_ordinal), ("b", b_file, b_ordinal))])
    db.execute("COMMIT")
    load_views(a, db)
    load_views(b, db)
    for stream, source_id, target_id, a_file, a_ordinal, b_file, b_ordinal in differing:
        paths = differences(loaded_view(db, "a", a_file, a_ordinal), loaded_view(db, "b", b_file, b_ordinal))
        if paths:
            report.stream(stream).add("differing", Entry(source_id, target_id, top_fields(paths), paths))
        else:
            report.stream(stream).add("equal")
