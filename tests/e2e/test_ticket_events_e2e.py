"""The ticket history end to end: the ``ticket_events`` stream of the real crawler against the sandbox's truth."""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from typing import Any

import pytest

from tests.e2e.test_formats_e2e import read_csv
from tests.support.crawl import CHECKPOINTING, RunningCrawl, run_crawl
from zendesk_crawler.feeds.csvexport import cell
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
#: Small event pages, so that many end_time seconds come twice.
SMALL_PAGES = {"ZENDESK_EXPORT_PAGE_SIZE": "40", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


def state_of(export_dir) -> dict[str, Any]:
    return json.loads((export_dir / "state.json").read_text("utf-8"))


def saved_start(export_dir) -> int | None:
    """The ``ticket_events`` stream's saved ``start_time`` (``None``: none yet)."""
    if not (export_dir / "state.json").exists():
        return None
    return state_of(export_dir).get("streams", {}).get("ticket_events", {}).get("start_time")


def stored_events(export_dir) -> list[dict[str, Any]]:
    """Every record of every finished ``ticket_events`` JSON file (each must parse)."""
    return [r for path in sorted(export_dir.glob("ticket_events-*.json")) for r in json.loads(path.read_bytes())]


def event_requests(sandbox: SandboxProcess, since: int) -> list[dict[str, Any]]:
    return [e for e in sandbox.requests_log(since=since)["log"] if e["path"] == EVENTS_PATH]


def test_every_ticket_event_once_in_every_format_and_a_second_run_gets_exactly_the_new_ones(tmp_path):
    with SandboxProcess(tickets=90, seed=51, rate_limit=0, export_rate_limit=0) as sandbox:
        sandbox.advance_clock(120)  # the last minute's events are exported too
        truth = sandbox.stream_truth("ticket_events")
        first = run_crawl(sandbox.url, tmp_path, "-a", "streams=ticket_events", "-a", "start_time=0",
                          ZENDESK_FORMATS="json,jsonl,xml,csv", **SMALL_PAGES)
        assert first.returncode == 0, first.stderr[-3000:]
        records = first.records("ticket_events")
        assert Counter(r["id"] for r in records) == Counter(e["id"] for e in truth)  # each event once
        assert records == truth  # every field, child events and all, in the export's order
        kinds = {child["event_type"] for record in records for child in record["child_events"]}
        assert {"Create", "Change", "Comment", "Notification"} <= kinds
        assert any("previous_value" in child for record in records for child in record["child_events"])
        assert first.records("ticket_events", ".xml") == records
        lines = [json.loads(line) for path in first.feeds(".jsonl", "ticket_events")
                 for line in path.read_bytes().splitlines()]
        assert lines == records
        rows = [row for path in first.feeds(".csv", "ticket_events") for row in read_csv(path)]
        assert [row["id"] for row in rows] == [cell(r["id"]) for r in records]
        assert all(json.loads(row["child_events"]) == r["child_events"] for row, r in zip(rows, records, strict=True))
        names = {path.name for path in first.stream_files("ticket_events")}
        assert all(re.fullmatch(r"ticket_events-[\w-]+-\d{5}\.(json|jsonl|xml|csv)", name) for name in names), names
        requests = event_requests(sandbox, 0)
        assert len(requests) > 3 and all(e["query"]["include"] == "comment_events" for e in requests)
        saved = state_of(tmp_path)["streams"]["ticket_events"]["start_time"]
        assert saved == max(e["timestamp"] for e in truth)

        tickets = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
        sandbox.change(add_comments=tickets[:3], update=tickets[3:5], create=1)
        sandbox.advance_clock(120)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, "-a", "streams=ticket_events", **SMALL_PAGES)
        assert second.returncode == 0, second.stderr[-3000:]
        new_truth = sandbox.stream_truth("ticket_events")
        new = [e for e in new_truth if e["id"] not in {old["id"] for old in truth}]
        assert new and second.records("ticket_events") == new  # exactly the new events, nothing again
        assert [e["query"]["start_time"] for e in event_requests(sandbox, log_start)][:1] == [str(saved)]


def test_a_kill_during_a_backfill_of_ticket_events_resumes_from_its_checkpoint(tmp_path):
    with SandboxProcess(tickets=150, seed=52, rate_limit=0, export_rate_limit=0, latency_ms=40) as sandbox:
        sandbox.advance_clock(120)  # the last minute's events are exported too
        truth = sandbox.stream_truth("ticket_events")
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "streams=ticket_events", "-a", "start_time=0",
                             **CHECKPOINTING)
        while saved_start(tmp_path) is None:
            first.wait_for("Checkpoint: ")
        first.proc.send_signal(signal.SIGKILL)
        assert first.finish().returncode != 0
        saved = state_of(tmp_path)["streams"]["ticket_events"]
        assert saved["start_time"] < max(e["timestamp"] for e in truth)  # a backfill cut short
        stored = stored_events(tmp_path)
        log_start = sandbox.requests_log()["count"]

        second = run_crawl(sandbox.url, tmp_path, "-a", "streams=ticket_events", "-a", "start_time=0",
                           **CHECKPOINTING)
        assert second.returncode == 0, second.stderr[-3000:]
        resumed = event_requests(sandbox, log_start)
        assert resumed[0]["query"]["start_time"] == str(saved["start_time"])  # from the checkpoint, not from 0
        again = second.records("ticket_events")
        union = Counter(r["id"] for r in stored) + Counter(r["id"] for r in again)
        # Nothing lost; what the checkpoint listed as stored is not stored again (a record of the killed run's
        # unfinished batch may come again: it was never listed).
        assert set(union) == {e["id"] for e in truth}
        listed = {event_id for event_id, _ in saved.get("stored_after_cursor", [])}
        assert not listed & {r["id"] for r in again}
        assert len(again) < len(truth)


def test_events_mode_reads_the_event_export_once_for_the_comments_and_the_history(tmp_path):
    with SandboxProcess(tickets=150, seed=53, rate_limit=0, export_rate_limit=0) as sandbox:
        sandbox.advance_clock(120)  # the last minute's events are exported too
        truth = sandbox.stream_truth("ticket_events")
        tickets = sandbox.truth()
        result = run_crawl(sandbox.url, tmp_path, "-a", "streams=tickets,ticket_events", "-a", "comments=events",
                           "-a", "start_time=0", ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000")
        assert result.returncode == 0, result.stderr[-3000:]
        requests = event_requests(sandbox, 0)
        asked = Counter(e["query"]["start_time"] for e in requests)
        assert requests and max(asked.values()) == 1  # each event page once
        assert all(e["query"]["include"] == "comment_events" for e in requests)
        assert result.records("ticket_events") == truth
        records = {r["id"]: r for r in result.json_records()}
        assert records.keys() == {t["id"] for t in tickets["tickets"]}
        for ticket in tickets["tickets"]:
            assert [c["id"] for c in records[ticket["id"]]["comments"]] == [c["id"] for c in ticket["comments"]]
        assert not [e for e in sandbox.requests_log(since=0)["log"] if e["path"].endswith("/comments.json")]
        assert state_of(tmp_path)["streams"]["ticket_events"]["start_time"] == max(e["timestamp"] for e in truth)

        # The next run: the history goes on from its own position, the comments' reader from the same read.
        ids = [t["id"] for t in tickets["tickets"] if t["status"] != "deleted"]
        sandbox.change(add_comments=ids[:2], update=ids[2:3])
        sandbox.advance_clock(120)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, "-a", "streams=tickets,ticket_events", "-a", "comments=events",
                           ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000")
        assert second.returncode == 0, second.stderr[-3000:]
        new = [e for e in sandbox.stream_truth("ticket_events") if e["id"] not in {old["id"] for old in truth}]
        assert new and second.records("ticket_events") == new
        again = Counter(e["query"]["start_time"] for e in event_requests(sandbox, log_start))
        assert max(again.values()) == 1
