"""Fault injection against the real crawler: rate limits, crashes, interrupts, concurrent runs, dead servers.

Each test runs ``scrapy crawl zendesk`` as a process against the sandbox and
checks the export against the sandbox's ground truth.
"""

from __future__ import annotations

import json
import re
from collections import Counter
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl import RunningCrawl, run_crawl
from tests.test_e2e import assert_matches_truth
from tests.xmlfeed import read_xml_feed
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

# Many small export pages and batch files, so that checkpoints happen early and often.
CHECKPOINTING = {
    "ZENDESK_EXPORT_PAGE_SIZE": "40",
    "ZENDESK_BATCH_ITEM_COUNT": "25",
    "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000",
    "ZENDESK_RETRY_BACKOFF_BASE": "0.05",
}


def all_exported_records(export_dir: Path) -> list[dict]:
    """Every record of every finished feed file; each file must parse, and JSON and XML must agree."""
    records = []
    for json_file in sorted(export_dir.glob("tickets-*.json")):
        from_json = json.loads(json_file.read_bytes())
        assert read_xml_feed(json_file.with_suffix(".xml").read_bytes()) == from_json
        records += from_json
    return records


def assert_union_is_complete(export_dir: Path, truth: dict) -> None:
    """Across runs every ticket is there, and every record (duplicates included) is right."""
    records = all_exported_records(export_dir)
    latest = {record["id"]: record for record in records}
    assert_matches_truth(list(latest.values()), truth)
    for record in records:
        assert_matches_truth([record], truth, ids={record["id"]})


def test_rate_limited_sandbox_sees_almost_no_429s(tmp_path):
    # A "minute" of 3 s and 120 requests per minute: the crawler must pace itself from the headers.
    # (Windows of a few seconds, not one: on a loaded machine a request can leave a good part of
    # a second after the crawler let it go, which a real 60-second window does not notice.)
    with SandboxProcess(tickets=200, seed=11, rate_limit=120, export_rate_limit=0, time_scale=20) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="3")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["count"] > 150
        assert log["statuses"].get("429", 0) <= 0.01 * log["count"], log["statuses"]
        assert_matches_truth(result.json_records(), sandbox.truth())


def test_pacing_follows_the_announced_windows_it_was_not_told_about(tmp_path):
    # 4-second windows of 40 requests; the crawler keeps its default 60-second assumption. Before
    # the headers were authoritative it sent 40 requests, then waited out its own minute.
    with SandboxProcess(tickets=150, seed=16, rate_limit=40, export_rate_limit=0, time_scale=15) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["statuses"].get("429", 0) == 0, log["statuses"]
        assert log["count"] > 3 * 40  # the run needs several windows
        arrivals = [e["t"] for e in log["log"]]
        gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
        assert max(gaps) < 2 * 4.0, "the crawler waited out more than a window"  # a window is 4 s
        paced = stat(result.stderr, "zendesk/rate_limit_paced_seconds")
        assert paced <= arrivals[-1] - arrivals[0]  # wall time held back, not a sum over requests
        assert_matches_truth(result.json_records(), sandbox.truth())


def test_429_pauses_every_request_for_retry_after(tmp_path):
    # The sandbox answers 429 with Retry-After: 2 to the 30th comments request, whatever the timing.
    with SandboxProcess(tickets=80, seed=12, rate_limit=0, export_rate_limit=0, latency_ms=5) as sandbox:
        sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 429, "retry_after": 2,
                         "count": 1, "every": 30}])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        entries = sandbox.requests_log()["log"]
        (rejected,) = [i for i, e in enumerate(entries) if e["status"] == 429]
        t = entries[rejected]["t"]
        retried = [e for e in entries[rejected + 1:] if (e["path"], e["query"]) == (entries[rejected]["path"],
                                                                                    entries[rejected]["query"])]
        assert retried and retried[0]["t"] >= t + 2.0  # the rejected request waited its Retry-After
        # Only requests already on their way when the 429 came back may arrive during the pause:
        # at most CONCURRENT_REQUESTS (16), however slow the machine.
        inside = [e for e in entries[rejected + 1:] if e["t"] < t + 2.0]
        assert len(inside) <= 16, f"{len(inside)} requests sent during the Retry-After pause"
        assert stat(result.stderr, "zendesk/rate_limited_429") == 1
        assert_matches_truth(result.json_records(), sandbox.truth())


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
        assert len(rerun) <= tickets - stored + 10  # well under a full export (one request per ticket here)
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


def test_nothing_listening_is_a_clear_failure(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_crawl(f"http://127.0.0.1:{port}", tmp_path, "-a", "start_time=0",
                       ZENDESK_RETRY_BACKOFF_BASE="0.01", timeout=120)
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "stopped" in line and "refused" in line.lower()
    assert not (tmp_path / "state.json").exists()


def test_wrong_url_answering_404_is_a_clear_failure(tmp_path):
    # Any web server that is not Zendesk: Python's own, serving an empty directory.
    site = tmp_path / "site"
    site.mkdir()
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(site)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(server.stdout.readline().split(" port ")[1].split()[0])
        result = run_crawl(f"http://127.0.0.1:{port}", tmp_path / "out", "-a", "start_time=0")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "HTTP 404" in line and "check ZENDESK_SUBDOMAIN or ZENDESK_URL" in line
    assert not (tmp_path / "out" / "state.json").exists()


@pytest.mark.parametrize("env, allowed, others", [
    ({"ZENDESK_RATE_LIMIT_SHARE": "0.5"}, 60, 0),         # half of the 120 the headers announce
    ({"ZENDESK_RATE_LIMIT_SHARE": "0.5"}, 60, 60),        # ... while another integration spends the other half
    ({"ZENDESK_MAX_REQUESTS_PER_MINUTE": "40"}, 40, 0),   # a hard cap below the budget
])
def test_crawler_uses_only_its_share_of_the_budget(tmp_path, env, allowed, others):
    with SandboxProcess(tickets=150, seed=15, rate_limit=120, export_rate_limit=0, time_scale=20,
                        other_usage=others) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="3", **env)
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["statuses"].get("429", 0) == 0
        # Per window of the sandbox's own accounting; up to 16 (CONCURRENT_REQUESTS) sent near a
        # window's end can arrive in the next one.
        per_window = Counter(e["window"] for e in log["log"])
        assert max(per_window.values()) <= allowed + 16, per_window
        assert stat(result.stderr, "zendesk/rate_limit_paced_seconds") > 0  # the limit was what held it back
        assert_matches_truth(result.json_records(), sandbox.truth())


def stat(log: str, name: str) -> float:
    """A value from the stats Scrapy dumps at the end of a crawl (0 when absent)."""
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    return float(match.group(1)) if match else 0.0
