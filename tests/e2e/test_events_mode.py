"""Bulk comment mode (-a comments=events) exports the same conversations as the per-ticket mode."""

from __future__ import annotations

import re

import pytest

from tests.support.crawl import run_crawl
from tests.support.truth import CONFIGURATION_PATHS, assert_matches_truth
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EVENT_COMMENT_FIELDS = ["id", "author", "author_id", "body", "html_body", "public", "attachments",
                        "created_at", "audit_id", "type", "via"]


def test_events_mode_matches_per_ticket_mode_with_a_fraction_of_the_requests(tmp_path):
    with SandboxProcess(tickets=400, seed=41, rate_limit=1000000, export_rate_limit=0) as sandbox:
        truth = sandbox.truth()
        per_ticket = run_crawl(sandbox.url, tmp_path / "tickets", "-a", "start_time=0")
        assert per_ticket.returncode == 0, per_ticket.stderr[-3000:]
        log_start = sandbox.requests_log()["count"]
        bulk = run_crawl(sandbox.url, tmp_path / "events", "-a", "start_time=0", "-a", "comments=events")
        assert bulk.returncode == 0, bulk.stderr[-3000:]
        entries = sandbox.requests_log(since=log_start)["log"]

    by_mode = {name: {r["id"]: r for r in result.json_records()} for name, result in
               (("tickets", per_ticket), ("events", bulk))}
    assert_matches_truth(list(by_mode["tickets"].values()), truth)
    assert by_mode["events"].keys() == by_mode["tickets"].keys()
    assert bulk.xml_records() == bulk.json_records()
    for ticket_id, expected in by_mode["tickets"].items():
        got = by_mode["events"][ticket_id]
        assert {k: v for k, v in got.items() if k != "comments" and k != "_export"} == \
               {k: v for k, v in expected.items() if k != "comments" and k != "_export"}
        assert [c["id"] for c in got["comments"]] == [c["id"] for c in expected["comments"]]
        for mine, theirs in zip(got["comments"], expected["comments"], strict=True):
            assert {f: mine.get(f) for f in EVENT_COMMENT_FIELDS} == {f: theirs.get(f) for f in EVENT_COMMENT_FIELDS}
            assert "plain_body" not in mine and "metadata" not in mine
        if expected["status"] != "deleted":
            assert got["_export"]["comments_source"] == "ticket_events"
            assert got["_export"]["comment_fields_missing"] == ["metadata", "plain_body"]

    # The configuration streams cost their own pages in both modes, and so do the side conversations and messaging
    # tickets' conversation logs (one list per ticket with side conversation events, one request per conversation log
    # page: tests/e2e/test_collaboration_e2e.py); the tickets' requests are what events mode saves.
    paths = [entry["path"] for entry in entries if entry["path"] not in CONFIGURATION_PATHS
             and not entry["path"].endswith("/conversation_log") and "/side_conversations" not in entry["path"]]
    assert not any(path.endswith("/comments.json") for path in paths)
    assert len(paths) <= 0.05 * len(truth["tickets"]), paths
    assert sum(path.endswith("/ticket_events.json") for path in paths) >= 2  # page boundaries were crossed


def stat(stderr: str, name: str) -> int:
    """An integer from the stats Scrapy dumps at the end of the run (0 when absent)."""
    match = re.search(rf"'{re.escape(name)}': (\d+)", stderr)
    return int(match.group(1)) if match else 0


def test_a_tiny_spill_budget_evicts_tickets_and_still_exports_every_conversation_complete(tmp_path):
    # The smallest disk budget for the kept comments (1 MiB): the heavy tickets' comments pass it.
    with SandboxProcess(tickets=400, seed=41, rate_limit=1000000, export_rate_limit=0) as sandbox:
        truth = sandbox.truth()
        result = run_crawl(sandbox.url, tmp_path / "events", "-a", "start_time=0", "-a", "streams=tickets",
                           "-a", "comments=events", "-s", "LOG_LEVEL=INFO", ZENDESK_EVENTS_SPILL_BYTES=str(2**20))
        entries = sandbox.requests_log()["log"]
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.json_records()
    assert_matches_truth(records, truth)  # every ticket once, its whole conversation, whichever way it came
    evicted = stat(result.stderr, "zendesk/tickets_evicted_from_events")
    assert evicted > 0
    # The tickets let go came from their comments endpoint (none does without evictions: the test above), the
    # others from the events.
    fetched = {entry["path"].split("/")[4] for entry in entries if entry["path"].endswith("/comments.json")}
    from_events = {str(r["id"]) for r in records if r["_export"].get("comments_source") == "ticket_events"}
    assert fetched and from_events and not from_events & fetched
    assert len(fetched) <= evicted + stat(result.stderr, "zendesk/tickets_fetched_per_ticket")
