"""A backfill in slices: ``-a max_tickets=N`` stops cleanly with the cursor saved, and the next run goes on."""

from __future__ import annotations

import json
import math
import signal
from collections import Counter

import pytest

from tests.support.crawl import RunningCrawl, run_crawl
from tests.support.truth import all_exported_records, assert_matches_truth, assert_union_is_complete
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
#: Zendesk's own export page size: a 600-ticket account is one page.
ZENDESK_PAGES = {"ZENDESK_EXPORT_PAGE_SIZE": "1000", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


def first_comment_requests(log: list[dict]) -> Counter[int]:
    """How often each ticket's comments were asked for (their first page) in a request log."""
    return Counter(int(e["path"].split("/")[4]) for e in log
                   if e["path"].endswith("/comments.json") and "page[after]" not in e["query"])


def test_slices_of_n_inside_one_export_page_take_n_tickets_each_and_together_every_ticket_once(tmp_path):
    with SandboxProcess(tickets=600, seed=40, rate_limit=0, export_rate_limit=0, heavy_tickets=False) as sandbox:
        truth = sandbox.truth()
        tickets = {t["id"]: t for t in truth["tickets"]}
        runs, records, asked = 0, [], Counter()
        while True:
            start = sandbox.requests_log()["count"]
            result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets",
                               "-a", "max_tickets=100", **ZENDESK_PAGES)
            assert result.returncode == 0, result.stderr[-3000:]
            runs += 1
            if records:
                assert f"Skipping {len(records)} records an earlier run already stored" in result.stderr
            log = sandbox.requests_log(since=start)["log"]
            exported = result.json_records()
            ids = {r["id"] for r in exported}
            assert len(exported) == len(ids) == min(100, len(tickets) - len(records))  # exactly N a slice
            this_run = first_comment_requests(log)
            # Comments asked for only for the tickets this slice exported (deleted ones need none), once each.
            assert set(this_run) == {i for i in ids if tickets[i]["status"] != "deleted"}
            assert set(this_run.values()) <= {1}
            # One export request: the same page read again, its stored tickets skipped.
            assert [e["path"] for e in log if e["path"] == EXPORT_PATH] == [EXPORT_PATH]
            records += exported
            asked += this_run
            manifest = result.manifest()
            assert manifest["status"] == "complete" and manifest["max_tickets"] == 100
            if not manifest["max_tickets_reached"]:
                break
            stored = result.state()["streams"]["tickets"]
            assert stored["cursor"] is None and stored["start_time"] == 0  # the page before the first: start_time
            assert len(stored["stored_after_cursor"]) == len(records)  # every ticket stored, none passed over
            assert runs < 20
        assert runs == math.ceil(len(tickets) / 100)
        assert set(asked.values()) == {1}  # no ticket's comments were asked for twice across the runs
        assert "stored_after_cursor" not in result.state()["streams"]["tickets"]  # the last slice ended the page
        assert_matches_truth(records, truth)  # every ticket exactly once across the runs, every field


def test_a_slice_killed_in_its_middle_loses_nothing_and_the_next_slices_finish_the_page(tmp_path):
    settings = {**ZENDESK_PAGES, "ZENDESK_BATCH_ITEM_COUNT": "20"}
    with SandboxProcess(tickets=600, seed=41, rate_limit=0, export_rate_limit=0, latency_ms=15,
                        heavy_tickets=False) as sandbox:
        truth = sandbox.truth()
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets",
                             "-a", "max_tickets=300", **settings)
        first.wait_for("Checkpoint: ")
        while len(json.loads((tmp_path / "state.json").read_text("utf-8"))["streams"].get("tickets", {})
                  .get("stored_after_cursor") or []) < 40:
            first.wait_for("Checkpoint: ")  # until some tickets of the one export page are stored
        first.proc.send_signal(signal.SIGKILL)
        assert first.finish().returncode != 0
        state = json.loads((tmp_path / "state.json").read_text("utf-8"))
        listed = {tuple(v) for v in state["streams"]["tickets"]["stored_after_cursor"]}
        assert listed <= {(r["id"], r["updated_at"]) for r in all_exported_records(tmp_path)}
        start = sandbox.requests_log()["count"]
        for _ in range(5):
            result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets",
                               "-a", "max_tickets=300", **settings)
            assert result.returncode == 0, result.stderr[-3000:]
            if not result.manifest()["max_tickets_reached"]:
                break
        else:
            raise AssertionError("the slices did not reach the end of the export")
        asked = first_comment_requests(sandbox.requests_log(since=start)["log"])
        assert not set(asked) & {ticket_id for ticket_id, _ in listed}  # stored tickets are not fetched again
        assert set(asked.values()) == {1}
        assert_union_is_complete(tmp_path, truth)


def test_two_slices_together_lose_nothing_and_the_second_does_not_start_over(tmp_path):
    with SandboxProcess(tickets=240, seed=38, rate_limit=0, export_rate_limit=0) as sandbox:
        truth = sandbox.truth()
        settings = {"ZENDESK_EXPORT_PAGE_SIZE": "50"}
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets",
                          "-a", "max_tickets=120", **settings)
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(first.json_records()) == 120  # the slice ends inside the third export page
        manifest = first.manifest()
        assert manifest["status"] == "complete" and manifest["max_tickets_reached"]
        saved = first.state()["streams"]["tickets"]
        cursor = saved["cursor"]  # the cursor before the third page, and that page's 20 stored tickets after it
        assert len(saved["stored_after_cursor"]) == 20
        start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, "-a", "streams=tickets", "-a", "max_tickets=1000", **settings)
        assert second.returncode == 0, second.stderr[-3000:]
        exports = [e for e in sandbox.requests_log(since=start)["log"] if e["path"] == EXPORT_PATH]
        assert exports[0]["query"]["cursor"] == cursor  # it goes on from the first slice's cursor
        assert not second.manifest()["max_tickets_reached"]
    assert len(second.json_records()) == len(truth["tickets"]) - 120
    assert_matches_truth(first.json_records() + second.json_records(), truth)


def test_max_tickets_must_be_a_positive_number_and_needs_the_per_ticket_mode(tmp_path):
    with SandboxProcess(tickets=20, seed=39, rate_limit=0, export_rate_limit=0) as sandbox:
        for args in (["-a", "max_tickets=0"], ["-a", "max_tickets=many"],
                     ["-a", "max_tickets=10", "-a", "comments=events"]):
            result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *args)
            assert result.returncode == 2, args
            assert "max_tickets" in result.failure_lines()[0]
        assert sandbox.requests_log()["count"] == 0


def test_slices_lose_nothing_when_tickets_change_between_them(tmp_path):
    with SandboxProcess(tickets=300, seed=42, rate_limit=0, export_rate_limit=0, heavy_tickets=False) as sandbox:
        slice_of_100 = ["-a", "start_time=0", "-a", "streams=tickets", "-a", "max_tickets=100"]
        first = run_crawl(sandbox.url, tmp_path, *slice_of_100, **ZENDESK_PAGES)
        assert first.returncode == 0, first.stderr[-3000:]
        stored = {r["id"] for r in first.json_records()}
        live = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
        changed_stored = next(i for i in live if i in stored)
        changed_left = next(i for i in live if i not in stored)
        sandbox.change(add_comments=[changed_stored], update=[changed_left])
        sandbox.advance_clock(120)
        records = first.json_records()
        for _ in range(6):
            result = run_crawl(sandbox.url, tmp_path, *slice_of_100, **ZENDESK_PAGES)
            assert result.returncode == 0, result.stderr[-3000:]
            records += result.json_records()
            if not result.manifest()["max_tickets_reached"]:
                break
        truth = sandbox.truth()
    # The ticket stored before it changed comes again in its new version; every other ticket once.
    assert Counter(r["id"] for r in records) == {**{t["id"]: 1 for t in truth["tickets"]}, changed_stored: 2}
    latest = {r["id"]: r for r in records}
    assert_matches_truth(list(latest.values()), truth)


def test_a_slice_whose_ticket_fails_keeps_what_it_stored_and_the_next_slice_goes_on(tmp_path):
    settings = {**ZENDESK_PAGES, "ZENDESK_BATCH_ITEM_COUNT": "10", "ZENDESK_RETRY_BACKOFF_BASE": "0.05"}
    with SandboxProcess(tickets=300, seed=43, rate_limit=0, export_rate_limit=0, heavy_tickets=False) as sandbox:
        truth = sandbox.truth()
        live = [t["id"] for t in truth["tickets"] if t["status"] != "deleted"]
        failing = live[60]  # among the first slice's tickets
        sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 500, "count": 1000,
                         "ticket_ids": [failing]}])
        slice_of_100 = ["-a", "start_time=0", "-a", "streams=tickets", "-a", "max_tickets=100"]
        first = run_crawl(sandbox.url, tmp_path, *slice_of_100, **settings)
        assert first.returncode == 1 and f"ticket {failing}" in first.stderr
        assert first.manifest()["status"] == "failed"
        listed = {tuple(v) for v in first.state()["streams"]["tickets"]["stored_after_cursor"]}
        assert listed and failing not in {ticket_id for ticket_id, _ in listed}
        sandbox.faults([])
        start = sandbox.requests_log()["count"]
        for _ in range(5):
            result = run_crawl(sandbox.url, tmp_path, *slice_of_100, **settings)
            assert result.returncode == 0, result.stderr[-3000:]
            if not result.manifest()["max_tickets_reached"]:
                break
        asked = first_comment_requests(sandbox.requests_log(since=start)["log"])
        assert failing in asked and not set(asked) & {ticket_id for ticket_id, _ in listed}
        assert_union_is_complete(tmp_path, truth)
