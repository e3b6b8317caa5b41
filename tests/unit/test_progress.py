"""Progress a person can follow: per stream records, share of the time range covered, time left; live on a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from tests.crawl import PROJECT_ROOT, crawl_env
from zendesk_crawler.run.progress import stream_progress
from zendesk_crawler.state.checks import stream_ended_key
from zendesk_sandbox import SandboxProcess


def stats(**values):
    collector = MemoryStatsCollector(get_crawler())
    for key, value in values.items():
        collector.set_value(key.replace("__", "/"), value)
    return collector


def test_share_covered_and_time_left_come_from_the_positions_and_the_rate():
    # The stream began at 2024-01-01 (unix 1704067200) and has reached a quarter of the range up to now.
    now = 1704067200 + 4000
    collector = stats(**{"zendesk__users__first_updated_at": "2024-01-01T00:00:00Z",
                         "zendesk__users__position_updated_at": "2024-01-01T00:16:40Z",
                         "zendesk__records_exported__users": 300, "zendesk__users__pages": 3})
    progress = stream_progress(collector, "users", now, started=now - 60)
    assert progress.covered == pytest.approx(0.25)
    assert progress.seconds_left == pytest.approx(180)  # 60 s for a quarter: 180 s for the rest
    assert progress.line() == "users: 300 records from 3 pages, 25% of the time range " \
                              "(position 2024-01-01T00:16:40Z), about 3 min left"


def test_a_stream_at_its_end_is_done_and_one_without_positions_says_only_its_records():
    collector = stats(**{"zendesk__records_exported__groups": 8, "zendesk__groups__pages": 1})
    assert stream_progress(collector, "groups", 1e9, 0).line() == "groups: 8 records from 1 pages"
    collector.set_value(stream_ended_key("groups"), True)
    done = stream_progress(collector, "groups", 1e9, 0)
    assert done.line() == "groups: 8 records from 1 pages, done" and done.covered == 1.0


@pytest.mark.slow
def test_a_terminal_shows_a_live_display_and_the_log_goes_to_its_file(tmp_path):
    log_file = tmp_path / "crawl.log"
    with SandboxProcess(tickets=60, seed=37, rate_limit=0, export_rate_limit=0, latency_ms=30) as sandbox:
        primary, replica = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "zendesk", "-a", "start_time=0", "-s", f"LOG_FILE={log_file}"],
            cwd=PROJECT_ROOT, env={**crawl_env(sandbox.url, tmp_path / "out"), "COLUMNS": "120", "TERM": "xterm"},
            stdin=subprocess.DEVNULL, stdout=replica, stderr=replica)
        os.close(replica)
        screen = b""
        while True:  # read the terminal until the crawl closes it
            ready, _, _ = select.select([primary], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            screen += chunk
        os.close(primary)
        assert process.wait(timeout=120) == 0
    text = screen.decode("utf-8", "replace")
    for stream in ("tickets", "users", "organizations", "groups", "ticket_fields"):
        assert stream in text
    assert "records" in text and "done" in text and "━" in text  # rich's bars
    assert "[scrapy" not in text  # Scrapy's log is in its file, not on the screen
    log = log_file.read_text("utf-8")
    assert "Scrapy 2.19.0 started" in log and "Progress: " in log
