"""Fault injection with the sandbox's fault switches: the real crawler against a failing Zendesk front.

Each test arms deterministic fault rules (``POST /_sandbox/faults``), runs ``scrapy crawl zendesk`` as
a process and checks the export against the sandbox's ground truth, not only the exit status.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.crawl import CHECKPOINTING, CrawlResult, run_crawl
from tests.support.truth import all_exported_records, assert_matches_truth, assert_union_is_complete
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
#: Fast retries, no pacing on the export budget (retried export pages count against it).
FAST = {"ZENDESK_RETRY_BACKOFF_BASE": "0.05", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


def fast_sandbox(tickets: int, seed: int) -> SandboxProcess:
    # rate_limit=0 would still announce 700/minute and the crawler would pace to it.
    return SandboxProcess(tickets=tickets, seed=seed, rate_limit=1_000_000, export_rate_limit=0)


def stat(result: CrawlResult, name: str) -> int:
    """An integer from the stats Scrapy dumps on stderr at the end of the run (0 when absent)."""
    match = re.search(rf"'{re.escape(name)}': (\d+)", result.stderr)
    return int(match.group(1)) if match else 0


def assert_complete(result: CrawlResult, truth: dict[str, Any]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.json_records()
    assert_matches_truth(records, truth)
    assert result.xml_records() == records


def fired(sandbox: SandboxProcess) -> list[int]:
    return [rule["fired"] for rule in sandbox.fault_rules()]


def faulted(log: list[dict[str, Any]], endpoint_suffix: str) -> list[dict[str, Any]]:
    return [e for e in log if e["fault"] and e["path"].endswith(endpoint_suffix)]


def test_5xx_storm_is_retried_and_the_export_is_complete(tmp_path):
    with fast_sandbox(300, 21) as sandbox:
        truth = sandbox.truth()
        sandbox.faults([
            {"endpoint": "ticket_comments", "kind": "status", "status": 503, "every": 3, "count": 12},
            {"endpoint": "ticket_comments", "kind": "status", "status": 502, "every": 4, "count": 6},
            {"endpoint": "ticket_comments", "kind": "status", "status": 504, "every": 5, "count": 4},
            {"endpoint": "ticket_comments", "kind": "status", "status": 500, "every": 6, "count": 3},
            {"endpoint": "incremental_tickets", "kind": "status", "status": 502, "count": 1},
            {"endpoint": "incremental_tickets", "kind": "status", "status": 503, "every": 2, "count": 2},
        ])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_EXPORT_PAGE_SIZE="100", **FAST)
        assert_complete(result, truth)
        assert fired(sandbox) == [12, 6, 4, 3, 1, 2]  # the whole storm happened
        log = sandbox.requests_log()
        assert {s: log["statuses"].get(s, 0) for s in ("500", "502", "503", "504")} == {
            "500": 3, "502": 7, "503": 14, "504": 4}
        assert len(faulted(log["log"], EXPORT_PATH)) == 3
        # every 5xx answer was retried once, and nothing else was
        assert stat(result, "retry/count") == 28
        assert stat(result, "retry/reason_count/503 Service Unavailable") == 14


def test_dropped_truncated_html_and_garbage_answers_are_retried(tmp_path):
    with fast_sandbox(300, 22) as sandbox:
        truth = sandbox.truth()
        rules = [
            {"endpoint": "incremental_tickets", "kind": "drop", "count": 1},
            {"endpoint": "incremental_tickets", "kind": "truncate", "count": 1},
            {"endpoint": "incremental_tickets", "kind": "html", "count": 1},
            {"endpoint": "incremental_tickets", "kind": "garbage", "count": 1},
            {"endpoint": "ticket_comments", "kind": "drop", "every": 5, "count": 4},
            {"endpoint": "ticket_comments", "kind": "truncate", "every": 4, "count": 4},
            {"endpoint": "ticket_comments", "kind": "html", "every": 3, "count": 4},
            {"endpoint": "ticket_comments", "kind": "garbage", "every": 2, "count": 4},
        ]
        sandbox.faults(rules)
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_EXPORT_PAGE_SIZE="100", **FAST)
        assert_complete(result, truth)
        assert fired(sandbox) == [rule["count"] for rule in rules]
        log = sandbox.requests_log()
        # the first export page met all four faults in a row, then was answered
        first_page = [e for e in log["log"] if e["path"] == EXPORT_PATH and "start_time" in e["query"]]
        assert [(e["status"], e["fault"]) for e in first_page] == [
            ("drop", "drop"), ("truncate", "truncate"), (200, "html"), (200, "garbage"), (200, None)]
        assert log["statuses"]["drop"] == 5 and log["statuses"]["truncate"] == 5
        # each HTML page and each cut JSON body reached the spider as a malformed answer and was retried
        assert stat(result, "zendesk/malformed_responses") == 10
        assert stat(result, "retry/reason_count/malformed_response") == 10
        assert stat(result, "retry/count") >= 10


def test_answers_slower_than_the_download_timeout_are_retried(tmp_path):
    with fast_sandbox(120, 23) as sandbox:
        truth = sandbox.truth()
        sandbox.faults([
            {"endpoint": "incremental_tickets", "kind": "slow", "delay_ms": 3000, "count": 1},
            {"endpoint": "ticket_comments", "kind": "slow", "delay_ms": 3000, "every": 10, "count": 3},
        ])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-s", "DOWNLOAD_TIMEOUT=1", **FAST)
        assert_complete(result, truth)
        assert fired(sandbox) == [1, 3]
        log = sandbox.requests_log()["log"]
        slow = [i for i, e in enumerate(log) if e["fault"] == "slow"]
        assert len(slow) == 4
        for index in slow:  # the same request was sent again and answered in time
            entry = log[index]
            assert any(e["path"] == entry["path"] and e["query"] == entry["query"] and e["fault"] is None
                       for e in log[index + 1:])
        assert stat(result, "retry/reason_count/scrapy.exceptions.DownloadTimeoutError") >= 4


def replay_export_pages(sandbox: SandboxProcess, log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The export pages the crawler received, fetched again with the queries it sent (the data did not change)."""
    pages, seen = [], set()
    for entry in log:
        if entry["path"] != EXPORT_PATH or entry["status"] != 200:
            continue
        query = urlencode(entry["query"])
        if query in seen:
            continue
        seen.add(query)
        request = urllib.request.Request(f"{sandbox.url}{EXPORT_PATH}?{query}",
                                         headers={"Authorization": sandbox.basic_auth()})
        with OPENER.open(request, timeout=30) as response:
            pages.append(json.loads(response.read()))
    return pages


def test_a_ticket_failing_forever_fails_the_run_and_the_cursor_stays_before_it(tmp_path):
    with fast_sandbox(240, 24) as sandbox:
        truth = sandbox.truth()
        stream = truth["tickets"]  # in stream order
        victim = next(t["id"] for t in stream[100:] if t["status"] != "deleted")  # on the third page of 40
        sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 500, "count": -1,
                         "ticket_ids": [victim]}])
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        assert first.returncode == 1, first.stderr[-3000:]
        (line,) = first.failure_lines()
        assert f"the comments of ticket {victim} could not be fetched" in line and "HTTP 500" in line
        log = sandbox.requests_log()["log"]
        victim_requests = [e for e in log if e["path"] == f"/api/v2/tickets/{victim}/comments.json"]
        assert [e["status"] for e in victim_requests] == [500] * 6  # the first try and RETRY_TIMES=5 retries

        # The pages the crawler received, in order; the cursors after the victim's page must not be saved.
        pages = replay_export_pages(sandbox, log)
        assert pages[-1]["end_of_stream"]
        where = next(i for i, page in enumerate(pages) if victim in {t["id"] for t in page["tickets"]})
        assert where >= 1, "the victim must not be on the first page, so that a checkpoint can precede it"
        before = {page["after_cursor"] for page in pages[:where]}
        from_victim_on = {page["after_cursor"] for page in pages[where:]}
        state = first.state()
        assert state is not None, "earlier pages were stored in full: a checkpoint should have been saved"
        cursor = state["streams"]["tickets"]["cursor"]
        assert cursor in before and cursor not in from_victim_on
        assert state["streams"]["tickets"]["cursor"] != pages[-1]["after_cursor"]
        records = all_exported_records(tmp_path)
        assert victim not in {r["id"] for r in records}
        assert_matches_truth(records, truth, ids={t["id"] for t in stream} - {victim})

        sandbox.faults([])
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "Resuming from the cursor saved in" in second.stderr
        resumed = next(e for e in sandbox.requests_log(since=log_start)["log"] if e["path"] == EXPORT_PATH)
        assert resumed["path"] == EXPORT_PATH and resumed["query"]["cursor"] == state["streams"]["tickets"]["cursor"]
        assert victim in {r["id"] for r in second.json_records()}
        assert_union_is_complete(tmp_path, truth)
        assert second.state()["streams"]["tickets"]["cursor"] == pages[-1]["after_cursor"]


def test_export_pages_failing_forever_fail_the_run_without_a_ticket_position(tmp_path):
    with fast_sandbox(60, 25) as sandbox:
        truth = sandbox.truth()
        sandbox.faults([{"endpoint": "incremental_tickets", "kind": "status", "status": 503, "count": -1}])
        failed = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **FAST)
        assert failed.returncode == 1, failed.stderr[-3000:]
        (line,) = failed.failure_lines()
        assert "the ticket export stopped" in line and "HTTP 503" in line
        assert "tickets" not in failed.state()["streams"]  # the streams that completed saved theirs
        log = sandbox.requests_log()
        assert log["by_endpoint"]["incremental_tickets"] == 6 and log["statuses"]["503"] == 6
        assert failed.json_records() == [] and failed.xml_records() == []

        # nothing of the failed run gets in the way: the next run exports everything from start_time
        sandbox.faults([])
        again = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **FAST)
        assert_complete(again, truth)
        assert "Starting from start_time=0" in again.stderr
        assert_union_is_complete(tmp_path, truth)
