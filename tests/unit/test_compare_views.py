"""The comparable views, the field paths of a difference and the readers of XML and CSV cells, on records in
memory (shapes from the crawler's records: ``README.md``, "One record per ticket")."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from zendesk_crawler.compare.csvrecords import cell_value, ticket_record
from zendesk_crawler.compare.database import open_database
from zendesk_crawler.compare.diff import differences, top_fields
from zendesk_crawler.compare.feeds import feed_files
from zendesk_crawler.compare.ids import Names, SameIds
from zendesk_crawler.compare.index import canonical, digest
from zendesk_crawler.compare.stored import StoredFiles
from zendesk_crawler.compare.views import changes_view, is_deleted, match_key, restore_view, ticket_view
from zendesk_crawler.compare.xmlrecords import decode
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.restore.id_map import IdMap

SHA = "ab" * 32
#: The names of groups and organizations as a backup's own records of them give them.
NAMES = Names(open_database(Path(":memory:")), "a")
NAMES.add("groups", {"id": 8, "name": "Legacy queue", "deleted": True})


def ticket(**changes):
    record = {
        "id": 7, "url": "https://acme.zendesk.com/api/v2/tickets/7.json", "via": {"channel": "email"},
        "status": "open", "subject": "Printer", "tags": ["b", "a"], "priority": "high", "type": "problem",
        "custom_fields_by_title": {"Category": "hardware"}, "requester": {"id": 1, "email": "Dana@Example.com"},
        "assignee": {"id": 2, "email": "agent@example.com"}, "group": {"id": 3, "name": "Support"},
        "organization": None, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
        "comments": [{"id": 11, "body": "plain", "html_body": "<p>plain</p>", "public": True, "author_id": 1,
                      "author": {"id": 1, "email": "dana@example.com"}, "created_at": "2026-01-01T00:00:00Z",
                      "attachments": [{"id": 5, "stored_file": {"path": f"attachments/ab/{SHA}", "sha256": SHA,
                                                                "size": 3}},
                                      {"id": 6, "stored_file": None}]}],
        "_export": {"comment_count": 1},
    }
    record.update(changes)
    return record


def files(tmp_path: Path, present: bool = True) -> StoredFiles:
    if present:
        (tmp_path / "attachments" / "ab").mkdir(parents=True)
        (tmp_path / "attachments" / "ab" / SHA).write_bytes(b"abc")
    return StoredFiles(LocalLocation(str(tmp_path)))


def test_ticket_view_keeps_what_a_restore_keeps(tmp_path):
    view = ticket_view(ticket(), files(tmp_path), SameIds(), NAMES)
    assert view == {"status": "open", "subject": "Printer", "tags": ["a", "b"], "priority": "high",
                    "type": "problem", "custom_fields": {"Category": "hardware"}, "requester": "dana@example.com",
                    "assignee": "agent@example.com", "group": "Support", "organization": None,
                    "comments": [{"body": "<p>plain</p>", "author": "dana@example.com", "public": True,
                                  "created_at": "2026-01-01T00:00:00Z", "attachments": [SHA]}]}


def test_marker_tags_ids_urls_and_via_do_not_count(tmp_path):
    stored = files(tmp_path)
    restored = ticket(id=900, url="https://other.zendesk.com/api/v2/tickets/900.json", via={"channel": "api"},
                      tags=["a", "b", "zdc_restore_0123abcd", "zdc_restore_0123abcd_7"])
    original = ticket_view(ticket(), stored, SameIds(), NAMES)
    assert digest(ticket_view(restored, stored, SameIds(), NAMES)) == digest(original)
    assert match_key("tickets", restored, source=False) == "7" == match_key("tickets", ticket(), source=True)


def test_a_missing_file_and_a_body_without_html(tmp_path):
    view = ticket_view(ticket(), files(tmp_path, present=False), SameIds(), NAMES)
    assert view["comments"][0]["attachments"] == [f"{SHA} missing"]
    no_html = ticket()
    no_html["comments"][0]["html_body"] = None
    assert ticket_view(no_html, files(tmp_path), SameIds(), NAMES)["comments"][0]["body"] == "plain"


def test_a_deleted_group_by_its_name_in_the_groups_records_and_duplicate_titles_through_the_map(tmp_path):
    record = ticket(group_id=8, group={"id": 8, "name": None},
                    custom_fields_by_title={"Priority (31)": "high", "Priority (32)": "low", "Plain": 1})
    ids = IdMap()
    ids.add("ticket_field", 31, 931)
    view = ticket_view(record, files(tmp_path), ids, NAMES)
    assert view["group"] == "Legacy queue"
    assert view["custom_fields"] == {"Priority (931)": "high", "Priority (32)": "low", "Plain": 1}


def test_configuration_views_drop_what_the_target_decides():
    macro = {"id": 1, "title": "Close", "position": 4, "created_at": "x", "actions": [
        {"field": "group_id", "value": "70"}, {"field": "status", "value": "solved"}]}
    view = restore_view("macros", macro, SameIds(), StoredFiles(LocalLocation("/nonexistent")), NAMES)
    assert "position" not in view and "id" not in view and view["actions"][0] == {"field": "group_id", "value": "70"}
    assert match_key("macros", macro, source=True) == "Close"
    assert match_key("ticket_fields", {"type": "text", "title": "Notes"}, source=True) == "text\x1fNotes"
    assert match_key("users", {"email": "A@B.example"}, source=True) == "a@b.example"


def test_changes_view_and_deleted():
    assert "_export" not in changes_view(ticket()) and changes_view(ticket())["subject"] == "Printer"
    assert is_deleted({"status": "deleted"}) and is_deleted({"deleted": True}) and is_deleted({"deleted_at": "x"})
    assert not is_deleted(ticket())


def test_difference_paths():
    a = {"subject": "x", "custom_fields": {"A": 1}, "comments": [{"body": "1"}, {"body": "2"}]}
    b = {"subject": "y", "custom_fields": {"A": 2}, "comments": [{"body": "1"}, {"body": "3"}, {"body": "4"}]}
    paths = differences(a, b)
    assert paths == ["comments.count", "comments[1].body", "custom_fields.A", "subject"]
    assert top_fields(paths) == ["comments", "custom_fields", "subject"]
    assert differences(a, a) == []


def test_canonical_json_is_key_order_free_and_takes_big_integers():
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})
    assert canonical({"n": 2**70}) == b'{"n":1180591620717411303424}'


def test_csv_cells_and_ticket_rows():
    assert [cell_value(text) for text in ("", "42", "true", "[1]", "word", "-", "nothing")] == \
        [None, 42, True, [1], "word", "-", "nothing"]
    record = ticket_record({"id": "7", "status": "open", "subject": "Printer", "tags": "a b", "requester_id": "1",
                            "requester_name": "Dana", "requester_email": "dana@example.com", "group_name": "Support",
                            "group_id": "3", "custom: Category": "hardware", "comment_count": "1", "channel": "web"})
    assert record["id"] == 7 and record["tags"] == ["a", "b"] and record["group"] == {"id": 3, "name": "Support"}
    assert record["requester"]["email"] == "dana@example.com" and record["custom_fields_by_title"] == {
        "Category": "hardware"}
    assert record["_export"] == {"comment_count": 1} and record["via"] == {"channel": "web"}


def test_xml_values_by_the_exporters_rules():
    element = etree.fromstring(
        '<ticket type="object"><id type="number">7</id><subject escaped="true">a\\u0001\\\\b</subject>'
        '<field key="1st">x</field><tags type="array"><value>a</value></tags><due type="null"/>'
        '<public type="boolean">false</public></ticket>')
    assert decode(element) == {"id": 7, "subject": "a\x01\\b", "1st": "x", "tags": ["a"], "due": None,
                               "public": False}


def test_best_format_per_batch(tmp_path):
    run = "20261207T100000Z-abcdef"
    for name in (f"tickets-{run}-00001.json", f"tickets-{run}-00001.jsonl", f"tickets-{run}-00002.xml",
                 f"tickets-{run}-00003.csv", f"comments-{run}-00003.csv", f"users-{run}-00001.csv.gz"):
        (tmp_path / name).write_bytes(b"")
    found = feed_files(LocalLocation(str(tmp_path)))
    assert [(f.format, f.comments_path) for f in found["tickets"]] == [
        ("jsonl", None), ("xml", None), ("csv", f"comments-{run}-00003.csv")]
    assert set(found) == {"tickets", "users"}
