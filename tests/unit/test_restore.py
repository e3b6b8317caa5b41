"""The restore's parts that need no account: its arguments and safety catches, the backup reader, the markers,
the payloads with their ids remapped, the id map files and the import journal, on real files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from scrapy.settings import Settings

from zendesk_crawler import settings as project_settings
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.documents import LocalDocuments
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.restore import markers, payloads
from zendesk_crawler.restore.backup import Backup
from zendesk_crawler.restore.context import (
    RESTORE_STREAMS,
    check_source_account,
    parse_restore_arguments,
)
from zendesk_crawler.restore.id_map import IdMap, MapStore
from zendesk_crawler.restore.journal import Journal

RUN_1, RUN_2 = "20261101T100000Z-aaaaaa", "20261102T100000Z-bbbbbb"


def settings(tmp_path: Path, **extra: str) -> Settings:
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update({"ZENDESK_URL": "http://127.0.0.1:8123", "ZENDESK_EMAIL": "admin@example.com",
                   "ZENDESK_API_TOKEN": "t0ken", "ZENDESK_EXPORT_URI": str(tmp_path / "restore"), **extra})
    return Settings(values)


def write_backup(root: Path, base_url: str = "https://acme.zendesk.com") -> Path:
    """Two runs: ticket 1 changed in the second, ticket 2 deleted in it, in JSON Lines, JSON and gzip."""
    root.mkdir(parents=True, exist_ok=True)
    for run in (RUN_1, RUN_2):
        (root / f"manifest-{run}.json").write_text(json.dumps({"run_id": run, "base_url": base_url}))
    first = [{"id": 1, "status": "open", "subject": "v1"}, {"id": 2, "status": "open", "subject": "two, live"}]
    (root / f"tickets-{RUN_1}-00001.jsonl").write_text("".join(json.dumps(t) + "\n" for t in first))
    (root / f"tickets-{RUN_1}-00001.json").write_text("[\n" + ",\n".join(json.dumps(t) for t in first) + "\n]\n")
    second = [{"id": 1, "status": "open", "subject": "v2"}, {"id": 2, "status": "deleted", "subject": "SCRUBBED"},
              {"id": 1, "status": "solved", "subject": "v3"}]
    (root / f"tickets-{RUN_2}-00001.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(t) + "\n"
                                                                                for t in second).encode()))
    groups = [{"id": 7, "name": "Support"}]
    (root / f"groups-{RUN_1}-00001.json").write_text("[\n" + ",\n".join(json.dumps(g) for g in groups) + "\n]\n")
    return root


def test_the_target_must_be_named_as_configured_and_the_restore_needs_its_own_location(tmp_path):
    backup = write_backup(tmp_path / "backup")
    with pytest.raises(ConfigError, match="is not the configured account"):
        parse_restore_arguments(settings(tmp_path), {"source": str(backup), "target": "acme.zendesk.com"})
    with pytest.raises(ConfigError, match="required"):
        parse_restore_arguments(settings(tmp_path), {"source": str(backup)})
    with pytest.raises(ConfigError, match="the backup itself"):
        parse_restore_arguments(settings(tmp_path, ZENDESK_EXPORT_URI=str(backup)),
                                {"source": str(backup), "target": "127.0.0.1:8123"})
    with pytest.raises(ConfigError, match="cannot write"):
        parse_restore_arguments(settings(tmp_path), {"source": str(backup), "target": "127.0.0.1:8123",
                                                     "streams": "tickets,ticket_events"})
    context = parse_restore_arguments(settings(tmp_path), {"source": str(backup), "target": "http://127.0.0.1:8123/",
                                                           "streams": "tickets,users", "ticket_ids": "5, 3"})
    assert context.streams == ("users", "tickets")  # in restore order
    assert context.ticket_ids == {3, 5}
    assert context.target_host == "127.0.0.1:8123"
    assert parse_restore_arguments(settings(tmp_path), {"source": str(backup),
                                                        "target": "127.0.0.1:8123"}).streams == RESTORE_STREAMS


def test_a_restore_into_the_account_the_backup_came_from_needs_the_tickets_named(tmp_path):
    backup = write_backup(tmp_path / "backup", base_url="http://127.0.0.1:8123")
    args = {"source": str(backup), "target": "127.0.0.1:8123"}
    source_host = Backup(LocalLocation(str(backup))).source_host()
    with pytest.raises(ConfigError, match="same account"):
        check_source_account(parse_restore_arguments(settings(tmp_path), args), source_host)
    check_source_account(parse_restore_arguments(settings(tmp_path), {**args, "ticket_ids": "2"}), source_host)


def test_a_location_without_a_manifest_is_not_a_backup(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no backup"):
        Backup(LocalLocation(str(tmp_path / "empty")))


def test_each_record_once_in_its_newest_version_and_a_deleted_ticket_in_its_last_live_one(tmp_path):
    backup = Backup(LocalLocation(str(write_backup(tmp_path / "backup"))))
    assert backup.source_host() == "acme.zendesk.com"
    newest = {t["id"]: t for t in backup.newest("tickets")}
    assert {i: t["subject"] for i, t in newest.items()} == {1: "v3", 2: "SCRUBBED"}
    live = {t["id"]: t["subject"] for t in backup.newest("tickets", last_live=True)}
    assert live == {1: "v3", 2: "two, live"}
    assert [g["name"] for g in backup.newest("groups")] == ["Support"]  # JSON arrays, a record a line
    assert len(list(backup.records("tickets"))) == 5


def test_markers_name_the_source_ticket_and_are_left_out_by_compare():
    key = markers.source_key("acme.zendesk.com")
    assert len(key) == 8 and key == markers.source_key("ACME.zendesk.com")
    tags = ["vip", markers.account_tag(key), markers.ticket_tag(key, 42)]
    assert markers.source_ticket_id(key, tags) == 42
    assert markers.source_ticket_id(markers.source_key("other.zendesk.com"), tags) is None
    assert [tag for tag in tags if not markers.is_marker_tag(tag)] == ["vip"]


def test_a_trigger_is_written_with_the_targets_ids_and_one_it_cannot_translate_is_refused():
    ids = IdMap()
    ids.add("group", 70, 1070)
    ids.add("ticket_field", 360, 9360)
    trigger = {"id": 5, "url": "u", "title": "Route VIP", "created_at": "x",
               "conditions": {"all": [{"field": "group_id", "operator": "is", "value": "70"},
                                      {"field": "custom_fields_360", "operator": "is", "value": "gold"}],
                              "any": [{"field": "assignee_id", "operator": "is", "value": "current_user"}]},
               "actions": [{"field": "group_id", "value": 70}, {"field": "status", "value": "open"}]}
    body = payloads.business_rule_payload("triggers", trigger, ids)
    assert "id" not in body and "url" not in body and body["title"] == "Route VIP"
    assert body["conditions"]["all"] == [{"field": "group_id", "operator": "is", "value": "1070"},
                                         {"field": "custom_fields_9360", "operator": "is", "value": "gold"}]
    assert body["conditions"]["any"][0]["value"] == "current_user"
    assert body["actions"] == [{"field": "group_id", "value": 1070}, {"field": "status", "value": "open"}]
    with pytest.raises(payloads.Unmappable, match="group"):
        payloads.business_rule_payload("macros", {"actions": [{"field": "group_id", "value": "71"}]}, ids)


def test_a_ticket_import_keeps_times_flags_bodies_and_files_and_carries_its_markers():
    ids = IdMap()
    for source, target in ((11, 111), (12, 112)):
        ids.add("user", source, target)
    ids.add("ticket_field", 360, 9360)
    ids.add("group", 70, 1070)
    ticket = {"id": 5, "status": "closed", "subject": "Refund", "tags": ["vip"], "requester_id": 11,
              "assignee_id": 12, "group_id": 70, "external_id": "ext-5", "created_at": "2020-01-01T00:00:00Z",
              "updated_at": "2020-01-03T00:00:00Z", "custom_fields": [{"id": 360, "value": "gold"}, {"id": 999,
                                                                                                       "value": 1}],
              "comments": [{"id": 1, "author_id": 11, "body": "plain", "html_body": "<p>html</p>", "public": True,
                            "created_at": "2020-01-01T00:00:00Z",
                            "attachments": [{"id": 77, "file_name": "a.txt"}]},
                           {"id": 2, "author_id": 12, "body": "internal", "public": False,
                            "created_at": "2020-01-02T00:00:00Z"}]}
    body = payloads.ticket_payload(ticket, ids, "abcd1234", {77: "tok"})
    assert body["tags"] == ["vip", "zdc_restore_abcd1234", "zdc_restore_abcd1234_5"]
    assert (body["requester_id"], body["assignee_id"], body["group_id"]) == (111, 112, 1070)
    assert body["external_id"] == "ext-5" and body["created_at"] == "2020-01-01T00:00:00Z"
    assert body["custom_fields"] == [{"id": 9360, "value": "gold"}]
    assert body["comments"] == [
        {"author_id": 111, "created_at": "2020-01-01T00:00:00Z", "public": True, "html_body": "<p>html</p>",
         "uploads": ["tok"]},
        {"author_id": 112, "created_at": "2020-01-02T00:00:00Z", "public": False, "value": "internal"}]
    with pytest.raises(payloads.Unmappable, match="author"):
        payloads.ticket_payload({**ticket, "comments": [{"id": 3, "author_id": 99}]}, ids, "abcd1234", {})
    with pytest.raises(payloads.Unmappable, match="status"):
        payloads.ticket_payload({**ticket, "status": "deleted"}, ids, "abcd1234", {})


def test_a_user_without_email_is_matched_by_a_marker_external_id():
    body = payloads.user_payload({"id": 9, "name": "Phone only", "phone": "+1"}, IdMap(), "abcd1234")
    assert body["external_id"] == "zdc_restore_abcd1234_user_9" and "email" not in body
    with_email = payloads.user_payload({"id": 8, "name": "A", "email": "a@example.com"}, IdMap(), "abcd1234")
    assert "external_id" not in with_email and with_email["verified"] is True


def test_map_files_are_read_back_by_the_next_run_and_the_journal_survives_a_restart(tmp_path):
    uri = str(tmp_path / "restore")
    (tmp_path / "restore").mkdir()
    store = MapStore(LocalLocation(uri), LocalDocuments(), uri, RUN_1)
    store.record("ticket", 5, 105, "created")
    store.record("user", 11, 111, "reused")
    store.flush()
    store.flush()  # nothing new: no empty file
    assert sorted(p.name for p in (tmp_path / "restore").iterdir()) == [f"restore-map-{RUN_1}-00001.jsonl"]
    ids = IdMap()
    assert MapStore(LocalLocation(uri), LocalDocuments(), uri, RUN_2).load(ids) == 2
    assert ids.get("ticket", 5) == 105 and ids.get("user", 11) == 111
    journal = Journal.open(LocalDocuments(), uri)
    journal.posting("b1", [3, 1, 2])
    journal.answered("b1", "job-1")
    again = Journal.open(LocalDocuments(), uri)
    assert again.pending["b1"].source_ids == [3, 1, 2] and again.pending["b1"].job_id == "job-1"  # by job index
    again.done(["b1"])
    assert Journal.open(LocalDocuments(), uri).pending == {}
