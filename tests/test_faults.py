"""Fault injection against the real crawler: rate limits, crashes, interrupts, concurrent runs, dead servers.

Each test runs ``scrapy crawl zendesk`` as a process against the sandbox and
checks the export against the sandbox's ground truth.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl import RunningCrawl, run_crawl
from tests.test_e2e import assert_matches_truth
from tests.xmlfeed import read_xml_feed
from zendesk_crawler.sandbox import SandboxProcess

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
    # A "minute" of 1 s and 120 requests per minute: the crawler must pace itself from the headers.
    with SandboxProcess(tickets=200, seed=11, rate_limit=120, export_rate_limit=0, time_scale=60) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="1")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["count"] > 150
        assert log["statuses"].get("429", 0) <= 0.01 * log["count"], log["statuses"]
        assert_matches_truth(result.json_records(), sandbox.truth())


def test_429_pauses_every_request_for_retry_after(tmp_path):
    # The crawler believes the window is 0.25 s, so it sends 4x too fast and meets 429s.
    with SandboxProcess(tickets=150, seed=12, rate_limit=60, export_rate_limit=0, time_scale=60) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="0.25")
        assert result.returncode == 0, result.stderr[-3000:]
        entries = sandbox.requests_log()["log"]
        rejected = [e["t"] for e in entries if e["status"] == 429]
        assert rejected, "the test needs the sandbox to answer 429"
        for t in rejected:  # Retry-After is at least 1 s: nothing new may arrive inside the pause
            inside = [e for e in entries if t + 0.2 < e["t"] < t + 0.9]
            assert not inside, f"{len(inside)} requests sent during the Retry-After window after {t}"
        assert "'zendesk/rate_limited_429': " in result.stderr
        assert_matches_truth(result.json_records(), sandbox.truth())


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT])
def test_killed_or_interrupted_run_resumes_from_its_checkpoint_and_loses_nothing(tmp_path, stop_signal):
    with SandboxProcess(tickets=400, seed=13, rate_limit=0, export_rate_limit=0, latency_ms=15) as sandbox:
        truth = sandbox.truth()
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        first.wait_for("Checkpoint: saved the cursor")
        first.proc.send_signal(stop_signal)
        stopped = first.finish()
        assert stopped.returncode != 0
        if stop_signal == signal.SIGINT:
            assert "FAILED: the run was stopped before it finished (shutdown)" in stopped.stderr
        state = json.loads((tmp_path / "state.json").read_text("utf-8"))
        assert state["cursor"] and state["checkpoint"]["files"]
        all_exported_records(tmp_path)  # every finished file parses, nothing truncated

        second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **CHECKPOINTING)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "Resuming from the cursor saved in" in second.stderr
        first_request = sandbox.requests_log(since=0)["log"]
        assert any(e["query"].get("cursor") == state["cursor"] for e in first_request)
        assert_union_is_complete(tmp_path, truth)
        assert not any((tmp_path / ".partial").glob("*"))
        assert len(second.json_records()) < len(truth["tickets"])  # it did not start from zero


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
    assert "the ticket export stopped" in line and "refused" in line.lower()
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


def busiest_window(times: list[float], window: float) -> int:
    """The most requests that arrived within any span of ``window`` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("env, allowed", [
    ({"ZENDESK_RATE_LIMIT_SHARE": "0.5"}, 60),          # half of the 120 the headers announce
    ({"ZENDESK_MAX_REQUESTS_PER_MINUTE": "40"}, 40),    # a hard cap below the budget
])
def test_crawler_uses_only_its_share_of_the_budget(tmp_path, env, allowed):
    with SandboxProcess(tickets=150, seed=15, rate_limit=120, export_rate_limit=0, time_scale=60) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="1", **env)
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["statuses"].get("429", 0) == 0
        # The crawler counts a request when it leaves its rate-limit middleware; up to 16
        # (CONCURRENT_REQUESTS) can still be on their way across a window edge.
        assert busiest_window([e["t"] for e in log["log"]], 1.0) <= allowed + 16
        assert log["count"] / (log["log"][-1]["t"] - log["log"][0]["t"]) > 0.6 * allowed  # and it does use it
        assert_matches_truth(result.json_records(), sandbox.truth())
