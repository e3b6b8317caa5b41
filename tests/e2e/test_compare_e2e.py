"""End to end: ``python -m zendesk_crawler.compare`` on backups the real crawler wrote of the sandbox.

Two runs with changes between them: the report names exactly the tickets the sandbox changed, created
and deleted (its answer to ``POST /_sandbox/changes``), whatever format the backups are read from. A
backup against a copy of itself through a hand-written id map: equal (the restore's marker tags ignored),
until a comment body is altered, a ticket's record dropped and an attachment file removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.compare import copy_backup, identity_map, rewrite_tickets, run_compare
from tests.support.crawl import run_crawl, run_restore
from zendesk_crawler.restore.markers import account_tag, ticket_tag
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

ALL_FORMATS = {"ZENDESK_FORMATS": "json,jsonl,xml,csv"}
#: Fields the crawler adds by resolving others (they change with what they resolve).
RESOLVED = {"requester", "assignee", "organization", "group", "custom_fields_by_title"}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=40, seed=11) as server:
        yield server


@pytest.fixture(scope="module")
def backup(sandbox, tmp_path_factory) -> Path:
    """One complete backup with attachment files, in every format."""
    root = tmp_path_factory.mktemp("backup")
    result = run_crawl(sandbox.url, root, "-a", "start_time=0", "-a", "attachments=true", **ALL_FORMATS)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_changes_between_two_runs_are_exactly_the_sandboxs(sandbox, tmp_path):
    live = tmp_path / "live"
    first = run_crawl(sandbox.url, live, "-a", "start_time=0", **ALL_FORMATS)
    assert first.returncode == 0, first.stderr[-3000:]
    before = tmp_path / "before"
    shutil.copytree(live, before)
    truth_before = {t["id"]: t for t in sandbox.truth(comments=False, users=False)["tickets"]}
    ids = sorted(ticket_id for ticket_id, t in truth_before.items() if t["status"] != "deleted")
    commented, renamed, deleted = ids[:3], ids[3:5], ids[5:6]
    changed = sandbox.change(add_comments=commented, update=renamed, delete=deleted, create=2)
    sandbox.advance_clock(120)
    second = run_crawl(sandbox.url, live, **ALL_FORMATS)
    assert second.returncode == 0, second.stderr[-3000:]
    truth_after = {t["id"]: t for t in sandbox.truth(comments=False, users=False)["tickets"]}
    # The fields each changed ticket's record changed in, by the sandbox's truth (the crawler's own resolved
    # fields follow the ones they resolve; comments are checked by the commented ones).
    truth_fields = {ticket_id: {key for key, value in truth_after[ticket_id].items()
                                if key not in ("comments", "_support_type_scope")
                                and truth_before[ticket_id].get(key) != value}
                    for ticket_id in commented + renamed}
    assert all(truth_fields.values())

    for formats in (("jsonl",), ("json",), ("xml",), ("csv",)):
        a = copy_backup(before, tmp_path / f"a-{formats[0]}", formats, attachments=False)
        b = copy_backup(live, tmp_path / f"b-{formats[0]}", formats, attachments=False)
        result = run_compare(a, b, json_report=tmp_path / f"{formats[0]}.json")
        assert result.returncode == 1, (formats, result.stderr[-2000:])
        assert result.ids("tickets", "new") == set(changed["created"]), formats
        assert result.ids("tickets", "deleted") == set(deleted), formats
        assert result.ids("tickets", "changed") == set(commented) | set(renamed), formats
        for ticket_id in commented + renamed:
            fields = set(result.entry("tickets", "changed", ticket_id)["fields"])
            assert ("comments" in fields) == (ticket_id in commented), (formats, ticket_id, fields)
            expected = truth_fields[ticket_id]
            if formats == ("csv",):  # CSV has columns for some fields only
                expected = expected & set(fields)
                assert {"updated_at"} <= expected
            assert fields - {"comments"} - RESOLVED == expected - RESOLVED, (formats, ticket_id)
        counts = result.report["streams"]["tickets"]["counts"]
        assert counts["unchanged"] == len(ids) + 1 - len(commented) - len(renamed) - len(deleted) or \
            counts["unchanged"] + counts["changed"] + counts["deleted"] == len(first.json_records())
        for stream in ("users", "organizations", "groups", "ticket_fields"):
            assert result.report["streams"][stream]["counts"]["changed"] == 0, (formats, stream)
        assert "tickets" in result.stdout and "changed" in result.stdout

    same = run_compare(live, live, json_report=tmp_path / "same.json")
    assert same.returncode == 0, same.stdout[-2000:]
    assert same.report["equal"] is True
    assert all(counts["counts"]["unchanged"] > 0 or stream not in ("tickets", "users")
               for stream, counts in same.report["streams"].items())


def test_a_backup_and_its_copy_through_a_map_are_equal_marker_tags_ignored(backup, tmp_path):
    copy = copy_backup(backup, tmp_path / "b", ("jsonl",))
    rewrite_tickets(copy, lambda r: {**r, "tags": [*r["tags"], account_tag("0123abcd"),
                                                   ticket_tag("0123abcd", r["id"])]})
    restore = identity_map(backup, tmp_path / "restore")
    result = run_compare(backup, copy, "--map", str(restore), json_report=tmp_path / "report.json")
    assert result.returncode == 0, result.stdout[-3000:]
    report = result.report
    assert report["mode"] == "restore" and report["equal"] is True
    assert report["streams"]["tickets"]["counts"]["equal"] > 0
    assert {"id", "url", "via"} <= set(report["ignored"]["fields"]["tickets"])
    assert "ticket_events" in report["ignored"]["streams"]


def test_compare_through_a_map_finds_an_altered_body_a_missing_ticket_and_a_missing_file(backup, tmp_path):
    records = [json.loads(line) for path in sorted(backup.glob("tickets-*.jsonl"))
               for line in path.read_text("utf-8").split("\n") if line]
    live = [r for r in records if r["status"] != "deleted"]
    with_file = next(r for r in live if any(a.get("stored_file") for c in r["comments"]
                                            for a in c.get("attachments") or []))
    altered = next(r for r in live if r["comments"] and r["id"] != with_file["id"])
    dropped = next(r for r in live if r["id"] not in (with_file["id"], altered["id"]))
    comment, attachment = next((n, a) for n, c in enumerate(with_file["comments"]) for a in c.get("attachments") or []
                               if a.get("stored_file"))

    copy = copy_backup(backup, tmp_path / "b", ("jsonl",))

    def change(record):
        if record["id"] == dropped["id"]:
            return None
        if record["id"] == altered["id"]:
            first = record["comments"][0]
            first["body"] = first["body"] + " (edited)"
            if first.get("html_body"):
                first["html_body"] = first["html_body"] + "<p>edited</p>"
        return record
    rewrite_tickets(copy, change)
    stored = copy / attachment["stored_file"]["path"]
    stored.unlink()
    restore = identity_map(backup, tmp_path / "restore")

    result = run_compare(backup, copy, "--map", str(restore), json_report=tmp_path / "report.json")
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.ids("tickets", "missing") == {dropped["id"]}
    differing = result.ids("tickets", "differing")
    assert altered["id"] in differing and with_file["id"] in differing
    assert "comments[0].body" in result.entry("tickets", "differing", altered["id"])["paths"]
    assert f"comments[{comment}].attachments" in result.entry("tickets", "differing", with_file["id"])["paths"]
    # Other tickets sharing the removed file's bytes lose it too; nothing else differs.
    sha256 = attachment["stored_file"]["sha256"]
    sharing = {r["id"] for r in live for c in r["comments"] for a in c.get("attachments") or []
               if (a.get("stored_file") or {}).get("sha256") == sha256}
    assert differing == {altered["id"]} | sharing
    assert f"tickets {altered['id']}" in result.stdout


def test_bad_input_is_one_line_and_exit_2(backup, tmp_path):
    not_a_backup = tmp_path / "empty"
    not_a_backup.mkdir()
    result = run_compare(not_a_backup, backup)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "not a backup" in result.stderr
    result = run_compare(backup, backup, "--map", str(not_a_backup))
    assert result.returncode == 2 and "no id map" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_real_restore_round_trip_keeps_every_ticket(tmp_path):
    """Backup of one sandbox, restored into an empty one, that one backed up: every live ticket is equal."""
    with SandboxProcess(tickets=30, seed=61, rate_limit=1_000_000, export_rate_limit=0) as source, \
            SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as target:
        assert run_crawl(source.url, tmp_path / "a", "-a", "start_time=0", "-a", "attachments=true").returncode == 0
        restored = run_restore(target.url, tmp_path / "restore", tmp_path / "a")
        assert restored.returncode == 0, restored.stderr[-3000:]
        target.advance_clock(120)
        assert run_crawl(target.url, tmp_path / "b", "-a", "start_time=0", "-a", "attachments=true").returncode == 0
        truth = source.truth(comments=False, users=False)["tickets"]
    result = run_compare(tmp_path / "a", tmp_path / "b", "--map", str(tmp_path / "restore"),
                         json_report=tmp_path / "report.json")
    counts = result.report["streams"]["tickets"]["counts"]
    assert counts == {"equal": sum(t["status"] != "deleted" for t in truth), "differing": 0, "missing": 0,
                      "not_expected": sum(t["status"] == "deleted" for t in truth)}, result.stdout[-3000:]
    # Elsewhere the restore reuses what the target has (its admin by e-mail, its default ticket form).
    assert result.returncode == (0 if result.report["equal"] else 1)
