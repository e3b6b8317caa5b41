"""A backfill in slices: ``-a max_tickets=N`` stops cleanly with the cursor saved, and the next run goes on."""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from tests.support.truth import assert_matches_truth
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"


def test_two_slices_together_lose_nothing_and_the_second_does_not_start_over(tmp_path):
    with SandboxProcess(tickets=240, seed=38, rate_limit=0, export_rate_limit=0) as sandbox:
        truth = sandbox.truth()
        settings = {"ZENDESK_EXPORT_PAGE_SIZE": "50"}
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets",
                          "-a", "max_tickets=120", **settings)
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(first.json_records()) == 150  # whole pages: at least 120 tickets, then the page ends
        manifest = first.manifest()
        assert manifest["status"] == "complete" and manifest["max_tickets_reached"]
        cursor = first.state()["streams"]["tickets"]["cursor"]
        start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, "-a", "streams=tickets", "-a", "max_tickets=1000", **settings)
        assert second.returncode == 0, second.stderr[-3000:]
        exports = [e for e in sandbox.requests_log(since=start)["log"] if e["path"] == EXPORT_PATH]
        assert exports[0]["query"]["cursor"] == cursor  # it goes on from the first slice's cursor
        assert not second.manifest()["max_tickets_reached"]
    assert len(second.json_records()) == len(truth["tickets"]) - 150
    assert_matches_truth(first.json_records() + second.json_records(), truth)


def test_max_tickets_must_be_a_positive_number_and_needs_the_per_ticket_mode(tmp_path):
    with SandboxProcess(tickets=20, seed=39, rate_limit=0, export_rate_limit=0) as sandbox:
        for args in (["-a", "max_tickets=0"], ["-a", "max_tickets=many"],
                     ["-a", "max_tickets=10", "-a", "comments=events"]):
            result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *args)
            assert result.returncode == 2, args
            assert "max_tickets" in result.failure_lines()[0]
        assert sandbox.requests_log()["count"] == 0
