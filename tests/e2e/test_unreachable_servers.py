"""A Zendesk URL where nothing listens, or where a web server that is not Zendesk answers: a clear failure."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.support.crawl import run_crawl

pytestmark = pytest.mark.slow


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

