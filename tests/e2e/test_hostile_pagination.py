"""A page that says more follows but gives no way to ask for it never passes as the end of its stream.

The sandbox's ``no_cursor`` fault answers the real page of an endpoint with ``meta.has_more: true`` and neither
``meta.after_cursor`` nor ``links.next`` (``end_of_stream: false`` without ``after_cursor`` on the cursor-based
exports). The crawl must fail that stream, say why in its last line, keep that stream's saved position, and
still complete and save the other streams.
"""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

FAST = {"ZENDESK_RETRY_BACKOFF_BASE": "0.05", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


def small_sandbox() -> SandboxProcess:
    return SandboxProcess(tickets=30, seed=5, rate_limit=1_000_000, export_rate_limit=0)


@pytest.mark.parametrize("endpoint, stream, why", [
    ("ticket_comments", "tickets", "has_more but gives neither meta.after_cursor nor links.next"),
    ("incremental_tickets", "tickets", "end_of_stream is false but gives no after_cursor"),
    ("incremental_users", "users", "end_of_stream is false but gives no after_cursor"),
    ("groups", "groups", "has_more but gives neither meta.after_cursor nor links.next"),
    ("ticket_fields", "ticket_fields", "has_more but gives neither meta.after_cursor nor links.next"),
    ("macros", "macros", "has_more but gives neither meta.after_cursor nor links.next"),
    ("satisfaction_ratings", "satisfaction_ratings", "has_more but gives neither meta.after_cursor nor links.next"),
    ("help_center_categories", "categories", "has_more but gives neither meta.after_cursor nor links.next"),
])
def test_a_backup_stream_whose_page_cannot_be_followed_fails_and_keeps_its_position(tmp_path, endpoint, stream,
                                                                                    why):
    with small_sandbox() as sandbox:
        sandbox.faults([{"endpoint": endpoint, "kind": "no_cursor", "count": 1}])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_LIST_PAGE_SIZE="5",
                           ZENDESK_COMMENTS_PAGE_SIZE="5", **FAST)
        assert [rule["fired"] for rule in sandbox.fault_rules()] == [1]
    assert result.returncode == 1, result.stderr[-3000:]
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("zendesk_crawler: FAILED: ") and why in last_line, last_line
    manifest = result.manifest()
    assert manifest["status"] == "failed"
    assert manifest["streams"][stream]["complete"] is False
    saved = (result.state() or {}).get("streams", {})
    assert stream not in saved or not saved[stream].get("cursor")  # the failed stream's position did not move
    # The streams that do not need the failed one still complete and save their positions.
    independent = {"organizations", "users"} - {stream}
    for other in independent:
        assert manifest["streams"][other]["complete"] is True, manifest["streams"][other]
        assert other in saved


def test_a_search_page_that_cannot_be_followed_fails_the_filtered_export(tmp_path):
    with small_sandbox() as sandbox:
        sandbox.faults([{"endpoint": "search_export", "kind": "no_cursor", "count": 1}])
        result = run_crawl(sandbox.url, tmp_path, "-a", "status=open,solved", ZENDESK_SEARCH_PAGE_SIZE="3", **FAST)
        assert [rule["fired"] for rule in sandbox.fault_rules()] == [1]
    assert result.returncode == 1, result.stderr[-3000:]
    last_line = result.stderr.strip().splitlines()[-1]
    assert "the ticket search" in last_line and "has_more but gives neither" in last_line, last_line
    assert result.manifest()["status"] == "failed"
    assert result.state() is None  # a filtered export never writes the backup's positions


def test_an_identities_page_that_cannot_be_followed_fails_the_person_export(tmp_path):
    with small_sandbox() as sandbox:
        user_id = sandbox.person_truth()["user_id"]
        sandbox.faults([{"endpoint": "user_identities", "kind": "no_cursor", "count": 1}])
        result = run_crawl(sandbox.url, tmp_path, "-a", f"user={user_id}", **FAST)
        assert [rule["fired"] for rule in sandbox.fault_rules()] == [1]
    assert result.returncode == 1, result.stderr[-3000:]
    assert "has_more but gives neither" in result.stderr.strip().splitlines()[-1]
    assert not list(tmp_path.glob("person-*"))  # no document of an incomplete person export
