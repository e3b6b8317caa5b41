"""One comparison from start to end: open the locations, index both sides, compare, report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from zendesk_crawler.compare.changes import compare_changes
from zendesk_crawler.compare.database import open_database
from zendesk_crawler.compare.feeds import backup_runs, feed_files
from zendesk_crawler.compare.fidelity import compare_restore
from zendesk_crawler.compare.ids import MappedIds, Names, SameIds, load_id_map
from zendesk_crawler.compare.index import Side, index_side
from zendesk_crawler.compare.report import Report
from zendesk_crawler.compare.stored import StoredFiles
from zendesk_crawler.compare.views import (
    CHANGES_IGNORED,
    IGNORED_WHY,
    RESTORED,
    changes_view,
    match_key,
    restore_view,
    view_keys,
)
from zendesk_crawler.location.reader import ExportLocation


def compare(a: ExportLocation, b: ExportLocation, restore: ExportLocation | None = None,
            work_dir: Path | None = None) -> Report:
    """Compare backup ``b`` with backup ``a``: the changes, or with ``restore`` (the restore's location) its
    fidelity. :class:`~zendesk_crawler.errors.ConfigError` when a location is not what it should be."""
    backup_runs(a)
    backup_runs(b)
    with tempfile.TemporaryDirectory(prefix="zendesk-compare-", dir=work_dir) as scratch:
        db = open_database(Path(scratch) / "compare.sqlite")
        try:
            if restore is None:
                return _changes(a, b, db)
            return _restore(a, b, restore, db)
        finally:
            db.close()


def _changes(a: ExportLocation, b: ExportLocation, db: Any) -> Report:
    report = Report("changes", a.uri, b.uri, None)
    sides = [Side(name, location, feed_files(location), lambda stream, record: changes_view(record),
                  lambda stream, record: None) for name, location in (("a", a), ("b", b))]
    streams = sorted(set(sides[0].files) | set(sides[1].files))
    for side in sides:
        index_side(side, streams, db)
    compare_changes(report, streams, sides[0], sides[1], db)
    report.ignored = {"fields": {stream: list(CHANGES_IGNORED) for stream in streams
                                 if any(set(CHANGES_IGNORED) & side.seen_keys.get(stream, set()) for side in sides)},
                      "why": {"_export": "the crawler's note on how it fetched the record, not Zendesk's data"}}
    report.without_id = {side.name: side.without_id for side in sides if side.without_id}
    return report


def _restore(a: ExportLocation, b: ExportLocation, restore: ExportLocation, db: Any) -> Report:
    load_id_map(restore, db)
    report = Report("restore", a.uri, b.uri, restore.uri)
    source_ids, target_ids = MappedIds(db), SameIds()
    a_files, b_files = StoredFiles(a), StoredFiles(b)
    a_names, b_names = Names(db, "a"), Names(db, "b")
    source = Side("a", a, feed_files(a),
                  lambda stream, record: restore_view(stream, record, source_ids, a_files, a_names),
                  lambda stream, record: match_key(stream, record, True), keep_live={"tickets"}, names=a_names)
    target = Side("b", b, feed_files(b),
                  lambda stream, record: restore_view(stream, record, target_ids, b_files, b_names),
                  lambda stream, record: match_key(stream, record, False), names=b_names)
    streams = {stream: kind for stream, kind in RESTORED.items() if stream in source.files}
    for side in (source, target):
        index_side(side, list(streams), db)
    compare_restore(report, streams, source, target, db)
    ignored_fields = {}
    for stream in streams:
        used = view_keys(stream) or source.view_keys.get(stream, set())
        ignored_fields[stream] = sorted(source.seen_keys.get(stream, set()) - used)
    report.ignored = {"fields": ignored_fields, "why": IGNORED_WHY,
                      "streams": sorted(set(source.files) - set(streams))}
    report.without_id = {side.name: side.without_id for side in (source, target) if side.without_id}
    return report
