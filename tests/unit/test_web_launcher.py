"""The web page's launchers: whether a job has ended and why, against a scrapyd stand-in over loopback HTTP and a
real child process."""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import sys
import threading
from typing import Any

import pytest

from zendesk_crawler.web.launcher import Job, JobState, LaunchError, LocalLauncher, ScrapydLauncher


class FakeScrapyd:
    """A scrapyd stand-in over real HTTP on loopback: answers schedule, listjobs and logs, records each request."""

    def __init__(self, authorization: str | None = None) -> None:
        self.jobs: dict[str, list[dict[str, Any]]] = {"pending": [], "running": [], "finished": []}
        self.log = b""
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, method: str) -> None:
                fake.requests.append((method, self.path, self.headers.get("Authorization")))
                if authorization and self.headers.get("Authorization") != authorization:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/logs/"):
                    body = fake.log
                elif self.path.startswith("/schedule.json"):
                    self.rfile.read(int(self.headers["Content-Length"]))
                    body = b'{"status": "ok", "jobid": "j1"}'
                else:
                    body = json.dumps({"status": "ok", **fake.jobs}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self.answer("GET")

            def do_HEAD(self) -> None:
                self.answer("HEAD")

            def do_POST(self) -> None:
                self.answer("POST")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def __enter__(self) -> FakeScrapyd:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_scrapyd_job_is_starting_while_pending_and_ended_once_scrapyd_no_longer_lists_it():
    with FakeScrapyd() as scrapyd:
        launcher = ScrapydLauncher(f"http://127.0.0.1:{scrapyd.port}", "zendesk_crawler", "/export")
        job = launcher.start({})
        assert job.job_id == "j1"
        scrapyd.jobs["pending"] = [{"id": "j1"}]
        assert launcher.state(job) == JobState(ended=False)
        scrapyd.jobs = {"pending": [], "running": [{"id": "j1"}], "finished": []}
        assert launcher.state(job) == JobState(ended=False)
        assert not any(path.startswith("/logs/") for _, path, _ in scrapyd.requests)  # progress is not in the log
        scrapyd.jobs = {"pending": [], "running": [], "finished": []}  # cancelled, or scrapyd restarted
        assert launcher.state(job) == JobState(ended=True, failure=(
            "scrapyd no longer lists job j1 (cancelled before it ran, or scrapyd restarted)"))
        scrapyd.jobs["finished"] = [{"id": "j1"}]
        assert launcher.state(job) == JobState(ended=True)
        scrapyd.log = b"zendesk_crawler: FAILED: the Zendesk API answered 401\n"
        assert launcher.state(job) == JobState(ended=True, failure="the Zendesk API answered 401")


def test_scrapyd_credentials_in_the_url_go_in_a_header_and_never_in_an_error():
    header = "Basic " + base64.b64encode(b"bob:zq@secret").decode()
    with FakeScrapyd(authorization=header) as scrapyd:
        launcher = ScrapydLauncher(f"http://bob:zq%40secret@127.0.0.1:{scrapyd.port}", "zendesk_crawler", "/export")
        assert launcher.url == f"http://127.0.0.1:{scrapyd.port}"
        job = launcher.start({})
        scrapyd.jobs["finished"] = [{"id": "j1"}]
        scrapyd.log = b"zendesk_crawler: FAILED: the Zendesk API answered 401\n"
        assert launcher.state(job).failure == "the Zendesk API answered 401"  # the log read with the header too
        assert {method for method, _, _ in scrapyd.requests} == {"POST", "GET", "HEAD"}
        assert all(auth == header and "secret" not in path for _, path, auth in scrapyd.requests)
        wrong = ScrapydLauncher(f"http://bob:zqwrong@127.0.0.1:{scrapyd.port}", "zendesk_crawler", "/export")
        with pytest.raises(LaunchError) as refused:
            wrong.start({})
        assert str(refused.value) == ("scrapyd answered schedule.json with HTTP 401 "
                                      "(check the user and password in SCRAPYD_URL)")
    for url in ("http://bob:zqsecret@127.0.0.1:1", "http://bob:zqsecret@127.0.0.1:notaport",
                "http://bob:zq/secret@127.0.0.1:6800", "http://bob:zq:secret@[::1"):
        with pytest.raises(LaunchError) as failed:
            ScrapydLauncher(url, "zendesk_crawler", "/export").start({})
        assert "zq" not in str(failed.value) and "secret" not in str(failed.value), (url, failed.value)
        assert "scrapyd" in str(failed.value)


def test_a_local_crawl_that_exits_non_zero_without_a_failed_line_says_its_status(tmp_path):
    launcher = LocalLauncher(str(tmp_path / "export"), tmp_path / "jobs")
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "r1.log").write_text("INFO: Progress: 1 requests\n", encoding="utf-8")
    launcher.processes["r1"] = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    launcher.processes["r1"].wait()
    assert launcher.state(Job("r1", "r1", "2026-11-29T00:00:00Z")) == JobState(
        ended=True, failure="the crawl exited with status 3")
