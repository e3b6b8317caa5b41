"""A ticket's history on the page: the events index, the names index and the version differences, on real files in
temporary directories."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.unit.test_web_index import RUN_1, RUN_2, jsonl, write_run
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.web.events_index import EventIndex
from zendesk_crawler.web.history import TicketHistory, version_diff, versions_page
from zendesk_crawler.web.names_index import NameIndex
from zendesk_crawler.web.runs import read_runs
from zendesk_crawler.web.tickets import TicketIndex

FIXTURE = Path(__file__).parents[1] / "fixtures" / "zendesk-samples" / "ticket_events_child_events.json"
RUN_3 = "20261103T100000Z-cccccc"


def audit(audit_id: int, ticket_id: int, created_at: str, updater: int, *children: dict[str, Any],
          via: Any = "Web form") -> dict[str, Any]:
    """An audit as the Incremental Ticket Event Export returns it."""
    return {"id": audit_id, "ticket_id": ticket_id, "timestamp": 0, "created_at": created_at, "updater_id": updater,
            "via": via, "system": {}, "event_type": "Audit", "child_events": list(children)}


def json_array(records: list[dict[str, Any]]) -> bytes:
    """A JSON feed file as the crawler writes it: one record a line."""
    return ("[\n" + ",\n".join(json.dumps(entry) for entry in records) + "\n]").encode()


def change(event_id: int, field: str, value: Any, previous: Any, event_type: str = "Change") -> dict[str, Any]:
    event = {"id": event_id, "via": "Web form", "via_reference_id": None, field: value, "event_type": event_type}
    if event_type == "Change":
        event["previous_value"] = previous
    return event


def changes_table(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT ticket_id, audit_id, event_id, created_at, author_id, channel, field_name, "
                          "previous_value, value FROM ticket_changes ORDER BY event_id, field_name").fetchall()


def events_of(tmp_path: Path) -> tuple[EventIndex, LocalLocation, Path]:
    location = LocalLocation(str(tmp_path / "export"))
    path = tmp_path / "cache" / "tickets.sqlite"
    TicketIndex(path, location)  # the same file as the ticket index: both keep their tables
    return EventIndex(path, location), location, path


def test_the_sample_export_page_gives_one_row_per_changed_field_with_json_values(tmp_path):
    page = json.loads(FIXTURE.read_text("utf-8"))
    write_run(tmp_path / "export", RUN_1, {f"ticket_events-{RUN_1}-00001.jsonl.gz":
                                           gzip.compress(jsonl(page["ticket_events"]))})
    index, location, path = events_of(tmp_path)
    assert index.refresh(read_runs(location)) == 1
    rows = changes_table(path)
    assert rows == [
        (10433, 24001000040, 24001000042, "2024-06-20T16:46:40Z", 90000000002, "Web form", "status",
         '"open"', '"pending"'),
        (10433, 24001000040, 24001000043, "2024-06-20T16:46:40Z", 90000000002, "Web form", "tags",
         '["billing"]', '["billing", "vip"]'),
        (10434, 24001000050, 24001000052, "2024-06-20T16:48:20Z", 90000000003, "Email", "status", None, '"new"'),
        (10434, 24001000050, 24001000053, "2024-06-20T16:48:20Z", 90000000003, "Email", "priority", None,
         '"normal"')]
    first = index.page(10433)
    assert [a.audit_id for a in first.audits] == [24001000040] and first.total == 1
    others = first.others[24001000040]
    assert [o.event_type for o in others] == ["Comment", "Cc", "Notification"]
    assert others[0].detail == {"comment_id": 24001000041, "public": True, "author_id": None}
    assert others[2].detail["rule"] == "trigger: Notify requester of comment update"
    with sqlite3.connect(path) as db:  # the contract's index for the charts
        plan = " ".join(str(row) for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM ticket_changes WHERE field_name = 'status' "
            "AND created_at >= '2024'"))
    assert "ticket_changes_by_field" in plan


def test_an_audit_two_runs_hold_is_stored_once_and_forgotten_with_the_last_file_holding_it(tmp_path):
    shared = audit(100, 7, "2026-11-01T10:00:00Z", 5, change(101, "status", "pending", "open"))
    later = audit(200, 7, "2026-11-02T10:00:00Z", 6, change(201, "priority", "high", "normal"),
                  change(202, "status", "solved", "pending"))
    write_run(tmp_path / "export", RUN_1, {f"ticket_events-{RUN_1}-00001.json":
                                           json_array([shared])})
    write_run(tmp_path / "export", RUN_2, {f"ticket_events-{RUN_2}-00001.jsonl": jsonl([shared, later])})
    index, location, path = events_of(tmp_path)
    index.refresh(read_runs(location))
    assert [row[2] for row in changes_table(path)] == [101, 201, 202]  # 101 once
    page = index.page(7)
    assert [a.audit_id for a in page.audits] == [200, 100]  # newest first
    assert [(c.field_name, c.previous, c.value) for c in page.changes[200]] == [
        ("priority", "normal", "high"), ("status", "pending", "solved")]

    (tmp_path / "export" / f"manifest-{RUN_2}.json").unlink()  # run 2 removed: run 1 still holds audit 100
    (tmp_path / "export" / f"ticket_events-{RUN_2}-00001.jsonl").unlink()
    index.refresh(read_runs(location))
    assert [row[2] for row in changes_table(path)] == [101]
    assert [a.audit_id for a in index.page(7).audits] == [100]

    # A file rewritten is read again as it is now.
    write_run(tmp_path / "export", RUN_1, {f"ticket_events-{RUN_1}-00001.json": json_array([later])})
    assert index.refresh(read_runs(location)) == 1
    assert [row[2] for row in changes_table(path)] == [201, 202]


def test_a_ticket_with_many_audits_is_read_a_page_at_a_time_newest_first(tmp_path):
    audits = [audit(1000 + n, 7, f"2026-11-01T10:{n // 60:02d}:{n % 60:02d}Z", 5,
                    change(100_000 + n, "priority", str(n), str(n - 1))) for n in range(450)]
    audits.append(audit(9, 8, "2026-11-01T10:00:00Z", 5, change(9_999, "status", "open", "new")))
    write_run(tmp_path / "export", RUN_1, {f"ticket_events-{RUN_1}-00001.jsonl": jsonl(audits)})
    index, location, _ = events_of(tmp_path)
    index.refresh(read_runs(location))
    seen, cursor, pages = [], None, 0
    while True:
        page = index.page(7, cursor, size=200)
        pages += 1
        assert page.total == 450 and len(page.audits) <= 200
        seen += [a.audit_id for a in page.audits]
        cursor = page.older
        if cursor is None:
            break
    assert pages == 3 and seen == [1000 + n for n in reversed(range(450))]
    assert index.page(7, "garbage").audits[0].audit_id == 1449  # a malformed cursor: the first page


def test_names_come_from_the_newest_version_of_the_backups_users_groups_and_fields(tmp_path):
    write_run(tmp_path / "export", RUN_1, {
        f"users-{RUN_1}-00001.jsonl": jsonl([{"id": 5, "name": "Old Name", "email": "a@example.com",
                                               "updated_at": "2026-11-01T00:00:00Z"}]),
        f"groups-{RUN_1}-00001.jsonl": jsonl([{"id": 3, "name": "Tier 2"}]),
        f"ticket_fields-{RUN_1}-00001.jsonl": jsonl([{"id": 360, "title": "Plan", "type": "tagger"}])})
    write_run(tmp_path / "export", RUN_2, {f"users-{RUN_2}-00001.jsonl.gz": gzip.compress(jsonl([
        {"id": 5, "name": "New Name", "email": "a@example.com", "updated_at": "2026-11-02T00:00:00Z"},
        {"id": 6, "name": "Other", "email": None, "updated_at": "2026-11-02T00:00:00Z"}]))})
    location = LocalLocation(str(tmp_path / "export"))
    names = NameIndex(tmp_path / "cache" / "tickets.sqlite", location)
    assert names.refresh(read_runs(location)) == 4
    found = names.names("users", [5, 6, 7])
    assert {key: value.label() for key, value in found.items()} == {5: "New Name <a@example.com>", 6: "Other"}
    assert names.names("groups", [3])[3].name == "Tier 2"
    assert names.names("ticket_fields", [360])[360].name == "Plan"


def ticket(updated_at: str, **fields: Any) -> dict[str, Any]:
    base = {"id": 7, "subject": "Printer", "status": "open", "priority": "normal", "type": "incident",
            "updated_at": updated_at, "tags": ["a", "b"], "assignee_id": 2, "group_id": 3,
            "assignee": {"id": 2, "name": "Agent Smith", "email": "smith@example.com"},
            "group": {"id": 3, "name": "Tier 1"}, "custom_fields": [{"id": 360, "value": "gold"}],
            "custom_fields_by_title": {"Plan": "gold"}, "comments": [{"id": 1, "body": "hi"}],
            "_export": {"comments": "complete"}}
    return {**base, **fields}


def test_a_version_differs_from_the_one_before_field_by_field():
    before = ticket("2026-11-01T00:00:00Z")
    after = ticket("2026-11-02T00:00:00Z", status="pending", tags=["b", "c"], assignee_id=4,
                   assignee={"id": 4, "name": "Agent Jones", "email": "jones@example.com"},
                   group={"id": 5, "name": "Tier 2"}, group_id=5, custom_fields_by_title={"Plan": "silver"},
                   custom_fields=[{"id": 360, "value": "silver"}], satisfaction_rating={"score": "good"},
                   comments=[{"id": 1, "body": "hi"}, {"id": 2, "body": "more"}, {"id": 3, "body": "again"}],
                   _export={"comments": "other"})
    diff = version_diff(before, after)
    assert [(c.label, c.before, c.after) for c in diff.fields] == [
        ("assignee", "Agent Smith <smith@example.com>", "Agent Jones <jones@example.com>"),
        ("custom field: Plan", "gold", "silver"),
        ("group", "Tier 1", "Tier 2"),
        ("satisfaction_rating", "", '{"score": "good"}'),
        ("status", "open", "pending")]
    assert diff.tags_added == ["c"] and diff.tags_removed == ["a"]
    assert diff.comments_added == [2, 3] and diff.comments_changed == 0
    assert diff.names == ["assignee", "custom field: Plan", "group", "satisfaction_rating", "status", "tags",
                          "comments"]
    assert version_diff(before, ticket("2026-11-03T00:00:00Z")).empty  # only updated_at: nothing to tell


def test_the_versions_list_numbers_versions_oldest_first_and_diffs_each_with_the_one_before(tmp_path):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([ticket("2026-11-01T00:00:00Z")])})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl.gz": gzip.compress(jsonl([
        ticket("2026-11-02T00:00:00Z", status="pending")]))})
    write_run(tmp_path / "export", RUN_3, {f"tickets-{RUN_3}-00001.jsonl": jsonl([
        ticket("2026-11-03T00:00:00Z", status="solved", priority="high")])})
    location = LocalLocation(str(tmp_path / "export"))
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    index.refresh(read_runs(location))
    page = versions_page(index, 7)
    assert [(e.number, e.version.run_id, e.oldest) for e in page.entries] == [
        (3, RUN_3, False), (2, RUN_2, False), (1, RUN_1, True)]
    assert [[(c.label, c.before, c.after) for c in e.diff.fields] for e in page.entries[:2]] == [
        [("priority", "normal", "high"), ("status", "pending", "solved")], [("status", "open", "pending")]]
    assert page.entries[2].diff is None


def test_a_history_page_resolves_who_and_which_value_by_name(tmp_path):
    write_run(tmp_path / "export", RUN_1, {
        f"tickets-{RUN_1}-00001.jsonl": jsonl([ticket("2026-11-01T00:00:00Z")]),
        f"users-{RUN_1}-00001.jsonl": jsonl([{"id": 2, "name": "Agent Smith", "email": "smith@example.com"},
                                              {"id": 4, "name": "Agent Jones", "email": "jones@example.com"}]),
        f"groups-{RUN_1}-00001.jsonl": jsonl([{"id": 3, "name": "Tier 1"}]),
        f"ticket_fields-{RUN_1}-00001.jsonl": jsonl([{"id": 360, "title": "Plan"}]),
        f"brands-{RUN_1}-00001.jsonl": jsonl([{"id": 51, "name": "Acme Europe"}]),
        f"custom_statuses-{RUN_1}-00001.jsonl": jsonl([{"id": 61, "agent_label": "Waiting on billing"}]),
        f"ticket_events-{RUN_1}-00001.jsonl": jsonl([
            audit(40, 7, "2026-11-01T03:00:00Z", 2, change(41, "brand_id", 51, 52),
                  change(42, "custom_status_id", 61, 62)),
            audit(10, 7, "2026-11-01T00:00:00Z", 4, change(11, "assignee_id", 2, None, "Create"),
                  change(12, "group_id", 3, None, "Create"),
                  {"id": 13, "type": "Comment", "author_id": 4, "body": "hi", "public": False,
                   "event_type": "Comment"}),
            audit(20, 7, "2026-11-01T01:00:00Z", 2, change(21, "assignee_id", 4, 2),
                  {"id": 22, "field_name": "360", "value": "silver", "previous_value": "gold",
                   "event_type": "Change"}, via={"channel": "api", "source": {}}),
            audit(30, 7, "2026-11-01T02:00:00Z", 99, change(31, "status", "solved", "open"))])})
    location = LocalLocation(str(tmp_path / "export"))
    tickets = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    history = TicketHistory(tickets, location)
    runs = read_runs(location)
    tickets.refresh(runs)
    history.refresh(runs)
    events = history.view(7).events
    assert [(e.who, e.channel) for e in events.entries] == [
        ("Agent Smith <smith@example.com>", "Web form"),
        ("user 99", "Web form"), ("Agent Smith <smith@example.com>", "api"),
        ("Agent Jones <jones@example.com>", "Web form")]
    assert [(c.label, c.before, c.after, c.created) for e in events.entries for c in e.changes] == [
        ("brand", "brand 52", "Acme Europe", False), ("custom_status", "custom status 62", "Waiting on billing", False),
        ("status", "open", "solved", False),
        ("assignee", "Agent Smith <smith@example.com>", "Agent Jones <jones@example.com>", False),
        ("custom field: Plan", "gold", "silver", False),
        ("assignee", "", "Agent Smith <smith@example.com>", True), ("group", "", "Tier 1", True)]
    assert history.labels("brands", [51, 52]) == {51: "Acme Europe"}  # the browse filter's names
    note = events.entries[3].notes[0]
    assert note.text == "Comment: internal note by Agent Jones <jones@example.com> (#13)"
    assert note.href == "/tickets/7#comment-13"


def test_versions_come_a_page_at_a_time_each_diffed_with_the_one_before(tmp_path):
    runs = [f"202611{day:02d}T100000Z-{day:06d}" for day in range(1, 28)]
    for number, run_id in enumerate(runs):  # 27 runs, two versions of ticket 7 in each, and ticket 8
        write_run(tmp_path / "export", run_id, {f"tickets-{run_id}-00001.jsonl": jsonl([
            ticket(f"2026-11-{number + 1:02d}T0{half}:00:00Z", priority=f"p{2 * number + half}") for half in (0, 1)]
            + [{**ticket("2026-11-01T00:00:00Z"), "id": 8}])})
    location = LocalLocation(str(tmp_path / "export"))
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    index.refresh(read_runs(location))
    first, second = versions_page(index, 7, 1), versions_page(index, 7, 2)
    assert (first.total, first.pages, len(first.entries), len(second.entries)) == (54, 2, 50, 4)
    assert [e.number for e in first.entries + second.entries] == list(range(54, 0, -1))
    assert [(c.label, c.before, c.after) for c in first.entries[-1].diff.fields] == [("priority", "p3", "p4")]
    assert second.entries[-1].oldest and second.entries[0].diff.fields[0].after == "p3"
    assert versions_page(index, 7, 99).page == 2  # beyond the last page: the last


def test_without_users_files_the_ticket_record_names_its_people(tmp_path):
    write_run(tmp_path / "export", RUN_1, {
        f"ticket_events-{RUN_1}-00001.jsonl": jsonl([
            audit(10, 7, "2026-11-01T00:00:00Z", 2, change(11, "assignee_id", 2, None, "Create"),
                  change(12, "group_id", 3, None, "Create")),
            audit(20, 7, "2026-11-01T01:00:00Z", 77, change(21, "assignee_id", 78, 2))])})
    location = LocalLocation(str(tmp_path / "export"))
    history = TicketHistory(TicketIndex(tmp_path / "cache" / "tickets.sqlite", location), location)
    history.refresh(read_runs(location))
    record = ticket("2026-11-01T01:00:00Z", comments=[
        {"id": 1, "author": {"id": 77, "name": "Commenter", "email": None}}])
    events = history.view(7, record=record).events
    assert [e.who for e in events.entries] == ["Commenter", "Agent Smith <smith@example.com>"]
    assert [(c.label, c.before, c.after) for e in events.entries for c in e.changes] == [
        ("assignee", "Agent Smith <smith@example.com>", "user 78"), ("assignee", "", "Agent Smith <smith@example.com>"),
        ("group", "", "Tier 1")]


def test_a_versions_brand_and_custom_status_are_named_from_the_backup(tmp_path):
    write_run(tmp_path / "export", RUN_1, {
        f"tickets-{RUN_1}-00001.jsonl": jsonl([ticket("2026-11-01T00:00:00Z", brand_id=51, custom_status_id=61)]),
        f"brands-{RUN_1}-00001.jsonl": jsonl([{"id": 51, "name": "Acme Europe"}, {"id": 52, "name": "Acme Asia"}]),
        f"custom_statuses-{RUN_1}-00001.jsonl": jsonl([{"id": 61, "agent_label": "Open"}])})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl": jsonl([
        ticket("2026-11-02T00:00:00Z", brand_id=52, custom_status_id=69)])})
    location = LocalLocation(str(tmp_path / "export"))
    tickets = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    history = TicketHistory(tickets, location)
    tickets.refresh(read_runs(location))
    history.refresh(read_runs(location))
    newest = history.view(7).versions.entries[0]
    assert [(c.label, c.before, c.after) for c in newest.diff.fields] == [
        ("brand", "Acme Europe (#51)", "Acme Asia (#52)"), ("custom_status", "Open (#61)", "69")]
