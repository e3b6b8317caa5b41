"""Progress on a terminal: a real crawl under a pseudo-terminal shows rich's live display, and the log goes to its
file."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from tests.support.crawl import crawl_env
from tests.support.paths import PROJECT_ROOT
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


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
