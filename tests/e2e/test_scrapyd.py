"""Deploy to a real scrapyd on loopback with scrapyd-deploy, schedule the spider, check what it exported."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT
from tests.support.servers import VENV_BIN, scrapyd_server
from tests.support.truth import assert_matches_truth
from tests.support.xmlfeed import read_xml_feed
from zendesk_sandbox import DEFAULT_API_TOKEN, SandboxProcess

pytestmark = pytest.mark.slow


def call(url: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "ok", answer
    return answer


def wait_for_job(scrapyd_url: str, job: str, timeout: float = 180) -> None:
    """Poll listjobs.json until the job is finished (scrapyd offers no way to wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = call(f"{scrapyd_url}/listjobs.json?project=zendesk_crawler")
        if any(entry["id"] == job for entry in jobs["finished"]):
            return
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish within {timeout} s")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A sandbox, and scrapyd running with the sandbox's credentials in its environment, with the project deployed."""
    with SandboxProcess(tickets=60, seed=31, rate_limit=1000000, export_rate_limit=0) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY_"))}
        env.update(sandbox.crawler_env())
        home = tmp_path_factory.mktemp("scrapyd")
        with scrapyd_server(home, env) as scrapyd:
            deploy = subprocess.run([str(VENV_BIN / "scrapyd-deploy"), "env", "-v", "1.0"], cwd=PROJECT_ROOT,
                                    env={**env, "SCRAPYD_URL": scrapyd.url}, capture_output=True, text=True,
                                    timeout=300)
            assert deploy.returncode == 0, deploy.stderr
            assert "zendesk" in call(f"{scrapyd.url}/listspiders.json?project=zendesk_crawler")["spiders"]
            (egg,) = (home / "eggs" / "zendesk_crawler").glob("*.egg")
            with zipfile.ZipFile(egg) as contents:
                packages = {name.split("/")[0] for name in contents.namelist() if name.endswith(".py")}
            assert packages == {"zendesk_crawler"}  # the crawler only: no sandbox, tests or benchmarks
            yield sandbox, scrapyd, home


def schedule(scrapyd_url: str, export_dir: Path) -> str:
    return call(f"{scrapyd_url}/schedule.json", [
        ("project", "zendesk_crawler"), ("spider", "zendesk"),
        ("setting", f"ZENDESK_EXPORT_URI={export_dir}"), ("start_time", "0"),
    ])["jobid"]


def test_scheduled_job_exports_everything_and_the_next_job_resumes(deployed, tmp_path):
    sandbox, scrapyd, home = deployed
    job = schedule(scrapyd.url, tmp_path)
    wait_for_job(scrapyd.url, job)
    log = (home / "logs" / "zendesk_crawler" / "zendesk" / f"{job}.log").read_text("utf-8")
    assert "Saved the final position of organizations, users, tickets" in log and "FAILED" not in log
    assert DEFAULT_API_TOKEN not in log
    feeds = sorted(tmp_path.glob("tickets-*.json"))
    records = [r for path in feeds for r in json.loads(path.read_bytes())]
    assert_matches_truth(records, sandbox.truth())
    assert [r for path in feeds for r in read_xml_feed(path.with_suffix(".xml").read_bytes())] == records
    state = json.loads((tmp_path / "state.json").read_text("utf-8"))

    ids = sorted(t["id"] for t in sandbox.truth(comments=False)["tickets"] if t["status"] != "deleted")
    changed = sandbox.change(update=ids[:3])
    sandbox.advance_clock(120)
    second = schedule(scrapyd.url, tmp_path)
    wait_for_job(scrapyd.url, second)
    (manifest,) = [json.loads(p.read_text("utf-8")) for p in tmp_path.glob("manifest-*.json")
                   if json.loads(p.read_text("utf-8"))["cursor_before"]]
    assert manifest["status"] == "complete" and manifest["cursor_before"] == state["streams"]["tickets"]["cursor"]
    new_records = [r for name in manifest["files"] if name.endswith(".json") and Path(name).name.startswith("tickets-")
                   for r in json.loads(Path(name).read_bytes())]
    assert_matches_truth(new_records, sandbox.truth(), ids=set(changed["changed"]))
