"""Interrupted and concurrent runs of the real crawler: a kill or Ctrl-C resumes from its checkpoint, a second run
on the same export location is refused.
"""

from __future__ import annotations

import json
import re
import signal

import pytest

from tests.support.crawl import CHECKPOINTING, RunningCrawl, run_crawl
from tests.support.truth import (
    CONFIGURATION_PATHS,
    all_exported_records,
    assert_matches_truth,
    assert_union_is_complete,
)
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT])
def test_killed_or_interrupted_run_resumes_from_its_checkpoint_and_loses_nothing(tmp_path, stop_signal):
    with SandboxProcess(tickets=400, seed=13, rate_limit=0, export_rate_limit=0, latency_ms=15) as sandbox:
        truth = sandbox.truth()
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        first.wait_for("Checkpoint: ")
        while not json.loads((tmp_path / "state.json").read_text("utf-8"))["streams"].get("tickets", {}).get("cursor"):
            first.wait_for("Checkpoint: ")  # until a whole export page is stored
        first.proc.send_signal(stop_signal)
        stopped = first.finish()
        assert stopped.returncode != 0
        if stop_signal == signal.SIGINT:
            assert "FAILED: the run was stopped before it finished (shutdown)" in stopped.stderr
        state = json.loads((tmp_path / "state.json").read_text("utf-8"))
        assert state["streams"]["tickets"]["cursor"] and state["checkpoint"]["files"]
        all_exported_records(tmp_path)  # every finished file parses, nothing truncated

        second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "Resuming from the cursor saved in" in second.stderr
        first_request = sandbox.requests_log(since=0)["log"]
        assert any(e["query"].get("cursor") == state["streams"]["tickets"]["cursor"] for e in first_request)
        assert_union_is_complete(tmp_path, truth)
        assert not any((tmp_path / ".partial").glob("*"))
        assert len(second.json_records()) < len(truth["tickets"])  # it did not start from zero


def test_a_kill_loses_at_most_the_checkpoint_interval(tmp_path):
    # Default batch size (5000) and export pages: only the time-based checkpoint can save anything.
    with SandboxProcess(tickets=600, seed=17, rate_limit=0, export_rate_limit=0, latency_ms=60,
                        heavy_tickets=False) as sandbox:
        truth = sandbox.truth()
        tickets = len(truth["tickets"])
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_CHECKPOINT_INTERVAL="1")
        stored = 0
        while stored < tickets // 3:
            line = first.wait_for("Checkpoint: ")
            found = re.search(r"tickets: (\d+) records", line)
            stored = int(found.group(1)) if found else stored
        first.proc.send_signal(signal.SIGKILL)
        assert first.finish().returncode != 0
        state = json.loads((tmp_path / "state.json").read_text("utf-8"))
        on_disk = all_exported_records(tmp_path)
        assert len(on_disk) >= stored  # what the log line said is in the files
        listed = {tuple(v) for v in state["streams"]["tickets"]["stored_after_cursor"]}
        assert listed <= {(r["id"], r["updated_at"]) for r in on_disk}  # never a ticket that is not stored
        log_start = sandbox.requests_log()["count"]

        second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert second.returncode == 0, second.stderr[-3000:]
        rerun = sandbox.requests_log(since=log_start)["log"]
        comment_tickets = {int(e["path"].split("/")[4]) for e in rerun if e["path"].endswith("/comments.json")}
        assert not comment_tickets & {ticket_id for ticket_id, _ in listed}  # stored tickets are not fetched again
        # Well under a full export (one request per ticket here, and one more per messaging ticket for its
        # conversation log); the configuration lists (read in full every run) and the side conversations (their own
        # stream) are not the tickets' cost.
        messaging = sum(t.get("from_messaging_channel") is True for t in truth["tickets"])
        ticket_requests = [e for e in rerun if e["path"] not in CONFIGURATION_PATHS
                           and "/side_conversations" not in e["path"]]
        assert len(ticket_requests) <= tickets - stored + messaging + 10
        assert_union_is_complete(tmp_path, truth)


def test_second_run_on_the_same_location_refuses_to_start(tmp_path):
    with SandboxProcess(tickets=100, seed=14, rate_limit=0, export_rate_limit=0, latency_ms=400) as sandbox:
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0")
        first.wait_for("Starting from start_time")
        second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert second.returncode == 2
        (line,) = second.failure_lines()
        assert "another run is using this export location" in line
        result = first.finish()
        assert result.returncode == 0, result.stderr[-3000:]
        run_ids = {path.name.rsplit("-", 1)[0] for path in tmp_path.glob("tickets-*")}
        assert len(run_ids) == 1  # only the first run wrote files
        assert_matches_truth(result.json_records(), sandbox.truth())

