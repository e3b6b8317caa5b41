"""The run's status document after real crawls of the sandbox, and the page following a running job by it: a local
process, and a scrapyd job through the export location.

A run is observed while it runs by holding one ticket's comments back in the sandbox
(a ``slow`` fault on that ticket only): every other ticket is exported meanwhile.
Each wait polls for a condition a bounded number of times.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import crawl_env, run_crawl
from tests.support.paths import PROJECT_ROOT
from tests.support.servers import VENV_BIN, scrapyd_server, web_server
from tests.support.web import get
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

#: How long the held ticket's comments are held back: the time the test has to see the run going.
HOLD_MS = 30_000
#: Tries of a poll, each after a tenth of a second at most: a bound on the wait, not a threshold.
TRIES = 1800


def status_document(export_dir: Path, run_id: str) -> dict[str, Any]:
    return json.loads((export_dir / "status" / f"status-{run_id}.json").read_text("utf-8"))


def poll(condition: Callable[[], Any], what: str) -> Any:
    """The first true value of ``condition()`` within :data:`TRIES` tries."""
    for _ in range(TRIES):
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"never saw {what}")


def test_a_crawl_leaves_a_status_document_that_agrees_with_its_manifest(tmp_path):
    with SandboxProcess(tickets=30, seed=41, rate_limit=1000000, export_rate_limit=0) as sandbox:
        done = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert done.returncode == 0, done.stderr[-3000:]
        manifest = done.manifest()
        status = status_document(tmp_path, manifest["run_id"])
        assert (status["version"], status["run_id"], status["state"], status["finish_reason"], status["failure"]) \
            == (1, manifest["run_id"], "finished", "finished", None)
        assert status["started_at"] <= status["updated_at"]
        assert {name: entry["records"] for name, entry in status["streams"].items()} == \
            {name: entry["records"] for name, entry in manifest["streams"].items()}
        assert {name: entry["requests"] for name, entry in status["streams"].items()} == \
            {name: entry["requests"] for name, entry in manifest["streams"].items()}
        assert status["comments_exported"] == manifest["comments_exported"]
        assert status["requests"] == done.state()["last_run"]["requests"] == sandbox.requests_log()["count"]
        tickets = status["streams"]["tickets"]
        assert tickets["ended"] and tickets["pages"] >= 1
        assert tickets["position_updated_at"] == done.state()["streams"]["tickets"]["position_updated_at"]
        assert not any(path.name.startswith("status") for path in done.all_new_files)  # not beside the feeds

        # No periodic writes: still written at open and at the end; a failed run says why.
        refused = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_PROGRESS_INTERVAL="0",
                            ZENDESK_API_TOKEN="wrong")
        assert refused.returncode == 1
        failed = refused.manifest()
        status = status_document(tmp_path, failed["run_id"])
        assert (status["state"], status["failure"]) == ("failed", failed["failure"])


def start_held_run(sandbox: SandboxProcess, base_url: str) -> int:
    """Hold the last ticket's comments back, click "Extract now"; returns the held ticket's id."""
    held = max(t["id"] for t in sandbox.truth(comments=False)["tickets"] if t["status"] != "deleted")
    sandbox.faults([{"endpoint": "ticket_comments", "kind": "slow", "delay_ms": HOLD_MS, "count": 1,
                     "ticket_ids": [held]}])
    token = re.search(r'name="csrf" value="([^"]+)"', get(base_url + "/")[2].decode()).group(1)
    status, headers, _ = get(base_url + "/extract", data=f"csrf={token}".encode())
    assert status == 303 and headers["location"] == "/?notice=started"
    return held


def job(base_url: str) -> dict[str, Any]:
    return json.loads(get(base_url + "/status.json")[2])["job"]


def watch_held_run(sandbox: SandboxProcess, base_url: str, export_dir: Path) -> None:
    """While the held page is held: the page shows the run's progress as its status document tells it; then the
    run completes, and its status document is in no list of files."""
    poll(lambda: sandbox.fault_rules()[0]["fired"] == 1, "the held comments requested")
    running = poll(lambda: (current := job(base_url))["state"] == "running" and current["tickets"] and current,
                   "the running job's tickets")
    document = status_document(export_dir, running["run_id"])
    assert document["state"] == "running" and document["streams"]["tickets"]["records"] >= running["tickets"] >= 1
    assert re.match(r"\d+ requests; ", running["progress"]) and "; tickets: " in running["progress"]
    assert running["position"] and "; comments: " in running["progress"]
    html = get(base_url + "/")[2].decode()
    assert '<span id="job-state" class="status">running</span>' in html
    assert re.search(r'<span id="job-tickets">[1-9]\d*</span>', html) and "tickets: " in html
    finished = poll(lambda: (current := job(base_url))["state"] != "running" and current, "the job's end")
    assert finished["state"] == "complete", finished
    assert status_document(export_dir, running["run_id"])["state"] == "finished"
    assert "status-" not in get(base_url + "/")[2].decode()


def test_the_page_follows_a_running_local_job_by_its_status_document(tmp_path):
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=30, seed=42, rate_limit=1000000, export_rate_limit=0) as sandbox:
        with web_server(crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(tmp_path / "cache"))) as web:
            start_held_run(sandbox, web.url)
            watch_held_run(sandbox, web.url, export_dir)


def test_the_page_follows_a_scrapyd_job_through_the_export_location(tmp_path):
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=30, seed=43, rate_limit=1000000, export_rate_limit=0) as sandbox:
        scrapyd_env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY_"))}
        scrapyd_env.update(sandbox.crawler_env())
        home = tmp_path / "scrapyd"
        home.mkdir()
        with scrapyd_server(home, scrapyd_env) as scrapyd:
            deploy = subprocess.run([str(VENV_BIN / "scrapyd-deploy"), "env", "-v", "1.0"], cwd=PROJECT_ROOT,
                                    env={**scrapyd_env, "SCRAPYD_URL": scrapyd.url}, capture_output=True, text=True,
                                    timeout=300)
            assert deploy.returncode == 0, deploy.stderr
            env = {**crawl_env(sandbox.url, export_dir), "SCRAPYD_URL": scrapyd.url,
                   "ZENDESK_WEB_CACHE": str(tmp_path / "cache")}
            with web_server(env) as web:
                start_held_run(sandbox, web.url)
                watch_held_run(sandbox, web.url, export_dir)
                (log,) = (home / "logs" / "zendesk_crawler" / "zendesk").glob("*.log")
                assert "Progress: " in log.read_text("utf-8")  # the log is still a log; the page did not read it
