"""A backup of an empty sandbox after writes: ``scrapy crawl zendesk`` exports what the write endpoints stored (the
round trip a restore test relies on: restore into an empty account, then back it up)."""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from tests.support.sandbox_writes import call, finished_job, new_user, upload
from zendesk_sandbox import SandboxProcess


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        requester = new_user(sandbox, "crawled@example.com")
        status, org = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": "Crawled Org"}})
        token = upload(sandbox, "notes.txt", b"file of a restored comment")["token"]
        status, body = call(sandbox, "POST", "/api/v2/imports/tickets/create_many?archive_immediately=true", {
            "tickets": [{"requester_id": requester, "organization_id": org["organization"]["id"],
                         "subject": f"Restored {k}", "status": "closed" if k % 2 else "open", "tags": ["restored"],
                         "created_at": "2021-03-04T05:06:07Z",
                         "comments": [{"author_id": requester, "html_body": f"<p>first {k}</p>",
                                       "created_at": "2021-03-04T05:06:07Z",
                                       "uploads": [token] if k == 0 else []},
                                      {"author_id": requester, "value": f"second {k}", "public": False,
                                       "created_at": "2021-03-05T05:06:07Z"}]} for k in range(3)]})
        ids = [r["id"] for r in finished_job(sandbox, body["job_status"])["results"]]
        sandbox.advance_clock(61)  # past the exports' last minute
        export_dir = tmp_path_factory.mktemp("written")
        result = run_crawl(sandbox.url, export_dir, "-a", "streams=tickets,users,organizations,groups,ticket_events",
                           "-a", "attachments=true")
        yield result, ids, requester


def test_the_backup_holds_every_written_ticket_with_its_comments_and_files(written):
    result, ids, requester = written
    assert result.returncode == 0, result.stderr[-3000:]
    tickets = {t["id"]: t for t in result.records("tickets")}
    assert sorted(tickets) == sorted(ids)
    first = tickets[ids[0]]
    assert [c["html_body"] for c in first["comments"]] == ["<p>first 0</p>", first["comments"][1]["html_body"]]
    assert [c["public"] for c in first["comments"]] == [True, False]
    assert first["comments"][0]["attachments"][0]["stored_file"]["size"] == len(b"file of a restored comment")
    assert first["requester"]["email"] == "crawled@example.com"
    assert {u["email"] for u in result.records("users")} >= {"crawled@example.com"}
    assert [o["name"] for o in result.records("organizations")] == ["Crawled Org"]
    assert [g["name"] for g in result.records("groups")] == ["Support"]
    audits = [e for e in result.records("ticket_events") if e["ticket_id"] in ids]
    assert len(audits) == 2 * len(ids)  # one audit per imported comment
