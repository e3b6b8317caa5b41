"""The real ``scrapy crawl zendesk`` on hostile data: conversations at Zendesk's 5000-comment cap,
comments of about 1 MB (far over Zendesk's 64 kB), and tickets served in shapes no documentation promises
(fields missing, strings where ids or lists belong, users that exist nowhere, null authors, deep metadata).

Every record must still be the sandbox's truth, byte for byte, in both feeds.
"""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from tests.support.truth import assert_matches_truth
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hostile():
    """Two tickets grown to 5000 comments, three with a 1 MB comment, three odd (one of them also huge)."""
    with SandboxProcess(tickets=60, seed=11, rate_limit=1000000, export_rate_limit=0) as sandbox:
        live = [t for t in sandbox.truth(users=False)["tickets"] if t["status"] != "deleted"]
        assert len(live) >= 8
        grown, huge, odd, both = live[0:2], live[2:4], live[4:6], live[6]
        sandbox.change(grow={str(t["id"]): 5000 - len(t["comments"]) for t in grown},
                       huge_comment=[t["id"] for t in (*huge, both)], odd=[t["id"] for t in (*odd, both)])
        sandbox.advance_clock(120)
        truth = sandbox.truth()
        by_id = {t["id"]: t for t in truth["tickets"]}
        assert all(len(by_id[t["id"]]["comments"]) == 5000 for t in grown)
        assert all(any(len(c["body"].encode()) > 900_000 for c in by_id[t["id"]]["comments"]) for t in (*huge, both))
        assert all("subject" not in by_id[t["id"]] for t in (*odd, both))
        yield sandbox, truth


def test_crawl_survives_capped_huge_and_odd_tickets(hostile, tmp_path):
    sandbox, truth = hostile
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not result.failure_lines()
    records = result.json_records()
    assert_matches_truth(records, truth)
    assert all(r["_export"]["comments"] == "complete" for r in records if r["status"] != "deleted")
    assert result.xml_records() == records  # every XML file parses (lxml, strict) into the same records
    assert sandbox.truth()["tickets"] == truth["tickets"]  # nothing changed under the crawl


def test_events_mode_survives_capped_huge_and_odd_tickets(hostile, tmp_path):
    """The same data through the ticket event export (5000 comments of one second make pages of 5000+ events)."""
    sandbox, truth = hostile
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "comments=events")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not result.failure_lines()
    records = result.json_records()
    assert_matches_truth(records, truth)
    assert result.xml_records() == records
