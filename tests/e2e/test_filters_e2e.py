"""Filtered runs against the sandbox: exactly the matching tickets with full conversations, at a request cost in
proportion to the matches, and the backup's saved cursors never move."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import CrawlResult, run_crawl
from tests.support.truth import assert_matches_truth
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
SEARCH_PAGE = 40  # small search pages, so a query's results span several pages


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    """A sandbox and a backup of it (its state holds the cursors a filtered run must leave alone)."""
    with SandboxProcess(tickets=400, seed=41, rate_limit=0, export_rate_limit=0) as sandbox:
        backup_dir = tmp_path_factory.mktemp("backup")
        backup = run_crawl(sandbox.url, backup_dir, "-a", "start_time=0")
        assert backup.returncode == 0, backup.stderr[-3000:]
        yield sandbox, backup_dir, sandbox.truth()


def filtered_run(sandbox: SandboxProcess, export_dir: Path, *args: str) -> tuple[CrawlResult, dict[str, int]]:
    """A run with ``args``, and its requests by endpoint (from the sandbox's request log)."""
    before = sandbox.requests_log()["by_endpoint"]
    # Small feed batches: a checkpoint would move the cursor during the run if a filtered run could move it.
    result = run_crawl(sandbox.url, export_dir, *args, ZENDESK_SEARCH_PAGE_SIZE=str(SEARCH_PAGE),
                       ZENDESK_BATCH_ITEM_COUNT="10")
    after = sandbox.requests_log()["by_endpoint"]
    counts = {endpoint: n - before.get(endpoint, 0) for endpoint, n in after.items() if n > before.get(endpoint, 0)}
    return result, counts


def expected_comment_pages(tickets: list[dict[str, Any]]) -> int:
    """Comment requests for these tickets: a page of up to 100 comments each."""
    return sum(max(1, math.ceil(len(t["comments"]) / 100)) for t in tickets)


def assert_exactly(records: list[dict[str, Any]], truth: dict[str, Any], ids: set[int]) -> None:
    """The records are exactly the tickets ``ids``, each complete (fields, comments, authors) against the truth."""
    assert_matches_truth(records, truth, ids=ids)


def assert_cost(counts: dict[str, int], truth: dict[str, Any], ids: set[int], searches: int,
                archived: set[int], absent: int = 0) -> None:
    """Requests in proportion to the matches: the search pages, show_many by 100 ids, one request for each
    ticket show_many leaves out (archived, or ``absent``: no such ticket), a comment page per 100 comments, the
    ticket fields once; never the incremental export."""
    matched = [t for t in truth["tickets"] if t["id"] in ids]
    assert counts.pop("search_export", 0) == searches
    # 100 ids a request; a partial one only when waiting for more ids would leave nothing to do
    assert math.ceil(len(ids) / 100) <= counts.pop("tickets_show_many", 0) <= math.ceil(len(ids) / 100) + searches
    assert counts.pop("ticket", 0) == len(ids & archived) + absent
    assert counts.pop("ticket_comments", 0) == expected_comment_pages(matched)
    assert counts.pop("ticket_fields") == 1
    # A messaging ticket's conversation log: its comments and 2 to 6 messages, 100 entries a page (checked exactly in
    # tests/e2e/test_collaboration_e2e.py).
    messaging = [t for t in matched if t.get("from_messaging_channel") is True and t["status"] != "deleted"]
    assert sum(math.ceil((len(t["comments"]) + 2) / 100) for t in messaging) <= \
        counts.pop("ticket_conversation_log", 0) <= sum(math.ceil((len(t["comments"]) + 6) / 100) for t in messaging)
    assert counts == {}  # nothing else: no incremental export, no users, no organizations


def assert_state_untouched(backup_dir: Path, before: bytes) -> None:
    assert (backup_dir / "state.json").read_bytes() == before


def created(ticket: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00")).timestamp())


def test_status_and_query_select_exactly_the_matching_tickets_and_leave_the_cursor(account):
    sandbox, backup_dir, truth = account
    state_before = (backup_dir / "state.json").read_bytes()
    live = [t for t in truth["tickets"] if t["status"] != "deleted"]
    wanted = {t["id"] for t in live if t["status"] in ("solved", "closed") and "vip" in (t.get("tags") or [])}
    solved = len(sandbox.search_truth("status:solved tags:vip"))
    closed = len(sandbox.search_truth("status:closed tags:vip"))
    assert solved and closed and solved + closed == len(wanted)

    result, counts = filtered_run(sandbox, backup_dir, "-a", "query=tags:vip", "-a", "status=solved,closed")

    assert result.returncode == 0, result.stderr[-3000:]
    assert_exactly(result.json_records(), truth, wanted)
    assert_cost(counts, truth, wanted, searches=math.ceil(solved / SEARCH_PAGE) + math.ceil(closed / SEARCH_PAGE),
                archived=set(sandbox.archived_truth()))
    manifest = result.manifest()
    assert manifest["status"] == "complete"
    assert manifest["filter"]["query"] == "tags:vip" and manifest["filter"]["status"] == ["solved", "closed"]
    assert manifest["filter"]["ids_found"] == len(wanted) and manifest["filter"]["ids_not_found"] == []
    assert_state_untouched(backup_dir, state_before)


def test_a_created_range_is_inclusive_from_and_exclusive_to(account, tmp_path):
    sandbox, _, truth = account
    live = sorted((t for t in truth["tickets"] if t["status"] != "deleted"), key=created)
    low, high = created(live[100]), created(live[300])  # created_to excludes live[300] itself
    wanted = {t["id"] for t in live if low <= created(t) < high}
    assert live[100]["id"] in wanted and live[300]["id"] not in wanted

    result, counts = filtered_run(sandbox, tmp_path, "-a", f"created_from={low}",
                                  "-a", f"created_to={live[300]['created_at']}")

    assert result.returncode == 0, result.stderr[-3000:]
    assert_exactly(result.json_records(), truth, wanted)
    assert_cost(counts, truth, wanted, searches=math.ceil(len(wanted) / SEARCH_PAGE),
                archived=set(sandbox.archived_truth()))


def test_ticket_ids_fetch_those_tickets_and_name_the_ones_that_do_not_exist(account, tmp_path):
    sandbox, _, truth = account
    live = [t["id"] for t in truth["tickets"] if t["status"] != "deleted"]
    deleted = next(t["id"] for t in truth["tickets"] if t["status"] == "deleted")
    wanted = set(live[:150])  # two show_many requests
    ids = [*live[:150], deleted, 999999999]

    result, counts = filtered_run(sandbox, tmp_path, "-a", "ticket_ids=" + ",".join(map(str, ids)))

    assert result.returncode == 0, result.stderr[-3000:]
    assert_exactly(result.json_records(), truth, wanted)
    archived = set(sandbox.archived_truth())
    assert wanted & archived  # archived tickets are among them: show_many leaves them out, tickets/{id} serves them
    assert_cost(counts, truth, wanted, searches=0, archived=archived, absent=2)
    assert f"{deleted}, 999999999" in result.stderr
    assert result.manifest()["filter"]["ids_not_found"] == [deleted, 999999999]


def test_a_following_backup_run_goes_on_from_the_same_cursor(account):
    sandbox, backup_dir, _ = account
    cursor = json.loads((backup_dir / "state.json").read_bytes())["streams"]["tickets"]["cursor"]
    filtered, _ = filtered_run(sandbox, backup_dir, "-a", "status=open")
    assert filtered.returncode == 0, filtered.stderr[-3000:]
    start = sandbox.requests_log()["count"]
    backup = run_crawl(sandbox.url, backup_dir)
    assert backup.returncode == 0, backup.stderr[-3000:]
    exports = [e for e in sandbox.requests_log(since=start)["log"] if e["path"] == EXPORT_PATH]
    assert exports[0]["query"]["cursor"] == cursor


def test_a_query_zendesk_rejects_is_a_clear_error(account, tmp_path):
    sandbox, _, _ = account
    result, counts = filtered_run(sandbox, tmp_path, "-a", "query=created>someday")
    assert result.returncode == 1
    line = result.failure_lines()[0]
    assert "ticket search 'created>someday' was rejected" in line and "HTTP 400" in line and "is not a date" in line
    assert counts.get("search_export") == 1 and "tickets_show_many" not in counts
    manifest = result.manifest()
    assert manifest["status"] == "failed" and manifest["failure"] == line.split("FAILED: ", 1)[1]
    assert result.json_records() == []


@pytest.mark.parametrize("args, message", [
    (["query=type:ticket status:open"], "leave type: out"),
    (["status=deleted"], "deleted tickets"),
    (["status=open,bogus"], "status must be"),
    (["created_from=2026-02-01", "created_to=2026-01-01"], "must be before"),
    (["created_from=yesterday"], "created_from must be"),
    (["ticket_ids=1,x"], "ticket_ids must be"),
    (["ticket_ids=1", "status=open"], "cannot be combined"),
    (["status=open", "start_time=0"], "cannot be combined"),
    (["status=open", "max_tickets=5"], "cannot be combined"),
    (["status=open", "comments=events"], "cannot be combined"),
    (["status=open", "streams=users"], "cannot be combined"),
    (["query="], "query is empty"),
])
def test_invalid_filters_are_refused_before_any_request(account, tmp_path, args, message):
    sandbox, _, _ = account
    start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path, *[part for arg in args for part in ("-a", arg)])
    assert result.returncode == 2
    assert message in result.failure_lines()[0]
    assert sandbox.requests_log()["count"] == start


def test_search_pages_keep_to_the_search_export_budget(tmp_path):
    """The Search Export API's own budget (here 3 requests a 2-second "minute") paces the search pages: no 429."""
    with SandboxProcess(tickets=300, seed=41, rate_limit=0, export_rate_limit=0, search_export_rate_limit=3,
                        time_scale=30) as sandbox:
        wanted = set(sandbox.search_truth("status:open"))
        result = run_crawl(sandbox.url, tmp_path, "-a", "status=open", ZENDESK_SEARCH_PAGE_SIZE="8",
                           ZENDESK_RATE_LIMIT_WINDOW="2")
        searches = [e for e in sandbox.requests_log()["log"] if e["path"].startswith("/api/v2/search/export")]
    assert result.returncode == 0, result.stderr[-3000:]
    assert {r["id"] for r in result.json_records()} == wanted
    assert len(searches) == math.ceil(len(wanted) / 8) > 3 * 2  # more pages than two windows allow
    assert [e["status"] for e in searches] == [200] * len(searches)
