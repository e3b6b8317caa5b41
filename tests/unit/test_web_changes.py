"""What a run brought (``web/run_changes.py``), checked against ``python -m zendesk_crawler.compare`` on the same files,
and the charts' numbers (``web/charts.py``): real files in temporary directories, the page's real index."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from zendesk_crawler.compare.run import compare
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.web import charts
from zendesk_crawler.web.run_changes import RunChangesCache
from zendesk_crawler.web.runs import Run, read_runs
from zendesk_crawler.web.tickets import TicketIndex

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"
RUN_3 = "20261103T100000Z-cccccc"


def ticket(ticket_id: int, updated_at: str, subject: str = "", status: str = "open",
           created_at: str = "2026-10-01T00:00:00Z", comments: int = 1) -> dict[str, Any]:
    return {"id": ticket_id, "subject": subject or f"Ticket {ticket_id}", "status": status, "created_at": created_at,
            "updated_at": updated_at, "tags": [], "_export": {"comments": "complete", "run": updated_at},
            "comments": [{"id": ticket_id * 100 + n, "body": f"comment {n}", "public": True} for n in range(comments)]}


def deleted(ticket_id: int, updated_at: str) -> dict[str, Any]:
    return {"id": ticket_id, "subject": "SCRUBBED", "status": "deleted", "updated_at": updated_at,
            "created_at": "2026-10-01T00:00:00Z", "comments": []}


def user(user_id: int, updated_at: str, name: str, active: bool = True) -> dict[str, Any]:
    return {"id": user_id, "name": name, "updated_at": updated_at, "active": active}


def write_run(root: Path, run_id: str, streams: dict[str, list[dict[str, Any]]], gz: bool = False,
              seconds: int = 60, requests: int = 3) -> None:
    """One run's feed files (JSON Lines, gzipped or not) and its manifest."""
    root.mkdir(parents=True, exist_ok=True)
    names = []
    for stream, records in streams.items():
        name = f"{stream}-{run_id}-00001.jsonl" + (".gz" if gz else "")
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
        (root / name).write_bytes(gzip.compress(data) if gz else data)
        names.append(name)
    day = run_id[6:8]
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None,
        "started_at": f"2026-11-{day}T10:00:00Z",
        "finished_at": f"2026-11-{day}T10:{seconds // 60:02d}:{seconds % 60:02d}Z",
        "tickets_exported": len(streams.get("tickets", [])), "comments_exported": 0,
        "streams": {stream: {"records": len(records), "requests": requests, "complete": True, "problem": None}
                    for stream, records in streams.items()},
        "files": [str(root / name) for name in names]}), encoding="utf-8")


def cache_of(tmp_path: Path, export: Path) -> tuple[RunChangesCache, list[Run]]:
    location = LocalLocation(str(export))
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    runs = read_runs(location)
    index.refresh(runs)
    return RunChangesCache(index, location, tmp_path / "cache" / "scratch"), runs


def by_kind(changes: Any) -> dict[str, dict[int, list[str]]]:
    found: dict[str, dict[int, list[str]]] = {"new": {}, "changed": {}, "deleted": {}}
    for each in changes.tickets:
        found[each.kind][each.id] = each.fields
    return found


def three_runs(export: Path, gz: bool = False) -> None:
    write_run(export, RUN_1, {"tickets": [ticket(7, "2026-11-01T09:00:00Z"), ticket(9, "2026-11-01T09:00:00Z"),
                                          ticket(10, "2026-11-01T09:00:00Z")],
                              "users": [user(1, "2026-11-01T09:00:00Z", "Dana"),
                                        user(2, "2026-11-01T09:00:00Z", "Eli")]},
              gz=gz)
    write_run(export, RUN_2, {"tickets": [ticket(7, "2026-11-02T09:00:00Z", "Refund", comments=2),
                                          ticket(9, "2026-11-01T09:00:00Z"),  # written again, the same
                                          ticket(8, "2026-11-02T08:00:00Z"), deleted(10, "2026-11-02T07:00:00Z")],
                              "users": [user(1, "2026-11-02T09:00:00Z", "Dana B."),
                                        user(3, "2026-11-02T09:00:00Z", "Fay"),
                                        user(2, "2026-11-01T09:00:00Z", "Eli")]}, gz=gz)
    write_run(export, RUN_3, {"tickets": [deleted(7, "2026-11-03T09:00:00Z"), ticket(11, "2026-11-03T09:00:00Z"),
                                          deleted(12, "2026-11-03T09:00:00Z"),
                                          ticket(8, "2026-11-01T08:00:00Z", "older than run 2's")]}, gz=gz)


@pytest.mark.parametrize("gz", [False, True])
def test_a_run_brings_new_changed_and_deleted_tickets_with_the_fields_named(tmp_path, gz):
    export = tmp_path / "export"
    three_runs(export, gz)
    cache, runs = cache_of(tmp_path, export)
    first, second, third = sorted(runs, key=lambda run: run.run_id)

    one = cache.changes(first, runs)
    assert by_kind(one) == {"new": {7: [], 9: [], 10: []}, "changed": {}, "deleted": {}}
    assert one.counts["users"]["new"] == 2

    two = cache.changes(second, runs)
    assert by_kind(two) == {"new": {8: []}, "changed": {7: ["comments", "subject", "updated_at"]},
                            "deleted": {10: []}}
    assert two.ticket_counts == {"new": 1, "changed": 1, "deleted": 1, "unchanged": 1}  # 9 written again as it was
    assert {kind: two.counts["users"][kind] for kind in ("new", "changed", "unchanged")} == \
        {"new": 1, "changed": 1, "unchanged": 1}

    three = cache.changes(third, runs)
    # 12: new in the run and deleted there (as compare says); 8: older than the location's newest, unchanged.
    assert by_kind(three) == {"new": {11: []}, "changed": {}, "deleted": {7: [], 12: []}}
    assert three.ticket_counts["unchanged"] == 1


def test_the_same_answer_as_compare_on_the_location_before_and_after_the_run(tmp_path):
    export = tmp_path / "export"
    three_runs(export)
    cache, runs = cache_of(tmp_path, export)
    for run in sorted(runs, key=lambda run: run.run_id)[1:]:
        before = tmp_path / f"before-{run.run_id}"
        before.mkdir()
        after = tmp_path / f"after-{run.run_id}"
        after.mkdir()
        for path in export.iterdir():
            stamp = path.name.split("-", 1)[1][:23]
            if stamp < run.run_id:
                shutil.copy(path, before / path.name)
            if stamp <= run.run_id:
                shutil.copy(path, after / path.name)
        report = compare(LocalLocation(str(before)), LocalLocation(str(after)), work_dir=tmp_path)
        tickets = report.stream("tickets")
        expected = {kind: {entry.id: entry.fields if kind == "changed" else [] for entry in tickets.entries[kind]}
                    for kind in ("new", "changed", "deleted")}
        changes = cache.changes(run, runs)
        assert by_kind(changes) == expected
        assert {kind: changes.ticket_counts[kind] for kind in ("new", "changed", "deleted")} == \
            {kind: tickets.counts[kind] for kind in ("new", "changed", "deleted")}
        # The other streams: the same new, changed and deleted (unchanged: only the run's records are counted).
        users = report.stream("users").counts
        mine = changes.counts.get("users", {})
        assert {kind: mine.get(kind, 0) for kind in ("new", "changed", "deleted")} == \
            {kind: users[kind] for kind in ("new", "changed", "deleted")}


def test_computed_once_and_again_when_a_file_of_the_run_changes(tmp_path):
    export = tmp_path / "export"
    three_runs(export)
    cache, runs = cache_of(tmp_path, export)
    second = next(run for run in runs if run.run_id == RUN_2)
    assert 8 in by_kind(cache.changes(second, runs))["new"]
    with cache.index.reading() as db:
        (fingerprint,) = db.execute("SELECT fingerprint FROM run_changes WHERE run_id = ?", (RUN_2,)).fetchone()
    assert by_kind(cache.changes(second, runs)) == by_kind(cache.changes(second, runs))
    with cache.index.reading() as db:
        assert db.execute("SELECT fingerprint FROM run_changes WHERE run_id = ?", (RUN_2,)).fetchone() == \
            (fingerprint,)
    write_run(export, RUN_2, {"tickets": [ticket(7, "2026-11-02T09:00:00Z", "Refund", comments=2),
                                          ticket(13, "2026-11-02T08:00:00Z")]})
    runs = read_runs(LocalLocation(str(export)))
    cache.index.refresh(runs)  # as the page's follower does before it asks
    second = next(run for run in runs if run.run_id == RUN_2)
    assert by_kind(cache.changes(second, runs)) == {"new": {13: []}, "changed": {7: ["comments", "subject",
                                                                                      "updated_at"]}, "deleted": {}}


def test_a_long_list_comes_in_pages(tmp_path, monkeypatch):
    export = tmp_path / "export"
    write_run(export, RUN_1, {"tickets": [ticket(n, "2026-11-01T09:00:00Z") for n in range(1, 1201)]})
    cache, runs = cache_of(tmp_path, export)
    pages = [cache.changes(runs[0], runs, page) for page in (1, 2, 3, 4)]
    assert [page.pages for page in pages] == [3, 3, 3, 3]
    assert [len(page.tickets) for page in pages] == [500, 500, 200, 200]  # a page past the last is the last
    assert sorted(t.id for page in pages[:3] for t in page.tickets) == list(range(1, 1201))


# --- the charts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("timestamp", "week"), [
    ("2026-11-02T00:00:00Z", "2026-11-02"),  # a Monday
    ("2026-11-08T23:59:59Z", "2026-11-02"),  # its Sunday
    ("2026-11-09T00:00:00Z", "2026-11-09"),
    ("2026-11-08T23:30:00-02:00", "2026-11-09"),  # Monday 01:30 UTC
    ("2027-01-01T12:00:00Z", "2026-12-28"),  # a week across the new year
    (1_794_268_800, "2026-11-09"),  # unix seconds (Monday 2026-11-09 00:00 UTC)
    ("2026-11-04", "2026-11-02"),
    ("", None), ("not a time", None), (None, None), (3.5, None),
])
def test_weeks_are_iso_weeks_named_by_their_monday(timestamp, week):
    assert charts.week_of(timestamp) == week


def test_weeks_from_fills_every_week_between():
    assert charts.weeks_from("2026-12-21", "2027-01-11") == ["2026-12-21", "2026-12-28", "2027-01-04", "2027-01-11"]
    assert charts.weeks_from("2026-12-21", "2026-12-21") == ["2026-12-21"]


def chart_backup(export: Path, events: bool) -> None:
    streams: dict[str, list[dict[str, Any]]] = {"tickets": [
        ticket(1, "2026-11-04T09:00:00Z", status="open", created_at="2026-11-02T10:00:00Z"),
        ticket(2, "2026-11-04T09:00:00Z", status="solved", created_at="2026-11-08T10:00:00Z"),
        ticket(3, "2026-11-04T09:00:00Z", status="pending", created_at="2026-11-20T10:00:00Z")]}
    if events:
        streams["ticket_events"] = [{"id": 1, "ticket_id": 2}]
    write_run(export, RUN_1, streams, seconds=65, requests=4)
    write_run(export, RUN_2, {"tickets": [deleted(3, "2026-11-21T09:00:00Z"),
                                          ticket(4, "2026-11-21T09:00:00Z", created_at="2026-11-21T08:00:00Z")]},
              seconds=5, requests=2)


def test_the_charts_count_the_backup(tmp_path):
    export = tmp_path / "export"
    chart_backup(export, events=False)
    cache, runs = cache_of(tmp_path, export)
    with cache.index.reading() as db:
        weekly, status, growth, duration, requests = charts.charts(db, runs)
    assert weekly.labels == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert [s.name for s in weekly.series] == ["created"]
    assert weekly.series[0].values == [2, 0, 2]
    assert weekly.note and "needs the ticket_events stream" in weekly.note
    assert dict(zip(status.labels, status.series[0].values, strict=True)) == {"open": 2, "solved": 1}
    assert status.labels == ["open", "solved"] and status.note and "1 deleted" in status.note
    assert growth.labels == [RUN_1, RUN_2] and growth.series[0].values == [3, 4]
    assert duration.series[0].values == [65, 5] and requests.series[0].values == [4, 2]
    assert weekly.rows[0] == ("2026-11-02", ["2"])


def test_solved_per_week_from_the_ticket_changes(tmp_path):
    export = tmp_path / "export"
    chart_backup(export, events=True)
    cache, runs = cache_of(tmp_path, export)
    with cache.index.reading() as db:
        assert "not built yet" in (charts.weekly_chart(db, runs).note or "")
        db.execute("CREATE TABLE ticket_changes (ticket_id INTEGER, audit_id INTEGER, event_id INTEGER, "
                   "created_at TEXT, author_id INTEGER, channel TEXT, field_name TEXT, previous_value TEXT, "
                   "value TEXT)")
        rows = [(2, "2026-11-08T10:00:00Z", "status", None, '"solved"'),  # created solved: solved that week
                (1, "2026-11-03T10:00:00Z", "status", '"new"', '"open"'),
                (1, "2026-11-10T10:00:00Z", "status", '"open"', '"solved"'),
                (1, "2026-11-12T10:00:00Z", "status", '"solved"', '"closed"'),  # already solved: not again
                (1, "2026-11-12T10:00:00Z", "priority", '"low"', '"solved"'),  # not the status
                (5, "2026-11-23T10:00:00Z", "status", '"pending"', '"closed"')]
        db.executemany("INSERT INTO ticket_changes (ticket_id, created_at, field_name, previous_value, value) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
        weekly = charts.weekly_chart(db, runs)
        db.execute("DROP TABLE ticket_changes")
    assert weekly.note is None and [s.name for s in weekly.series] == ["created", "solved"]
    assert weekly.labels == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert weekly.series[1].values == [1, 1, 0, 1]


def test_an_empty_location_draws_nothing(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    cache, runs = cache_of(tmp_path, export)
    with cache.index.reading() as db:
        assert all(chart.empty for chart in charts.charts(db, runs))
    assert sqlite3.sqlite_version_info >= (3, 33)  # UPDATE ... FROM, used by the other streams' counts
