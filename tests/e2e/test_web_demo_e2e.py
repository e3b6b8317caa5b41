"""The page with no account configured, in a real headless Chromium: it serves the demo backup (making one first
when there is none) with the demo's sandbox Zendesk started beside it; Extract now, a filtered export and a
person export started from its forms run against that sandbox and their documents open.

Nothing of the real ``output/`` is touched: the demo folders live under ``--demo-dir`` in a temporary directory.
Each step waits on what the page shows (Playwright's ``expect``), never on time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.accessibility import described
from tests.support.paths import PROJECT_ROOT
from tests.support.servers import ServerProcess, free_port
from tests.support.truth import assert_matches_truth
from tests.support.web import get
from tests.support.xmlfeed import read_person_document
from zendesk_crawler.demo_sandbox import SandboxRecord
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

#: The comments' own fields (attachment files are stored in demo mode, which adds to a comment's attachments).
COMMENT_FIELDS = ("id", "author_id", "body", "public", "created_at")
SANDBOX_LINE = re.compile(r"with the sandbox Zendesk at (http://\S+) \(pid (\d+)\)")


def demo_page(root: Path, cache: Path, timeout: float = 120) -> ServerProcess:
    """``python -m zendesk_crawler.web --demo-dir ROOT`` with no account, export location or scrapyd set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY", "SCRAPYD_"))}
    env.update({"ZENDESK_WEB_CACHE": str(cache), "PYTHONPATH": str(PROJECT_ROOT)})
    return ServerProcess([sys.executable, "-m", "zendesk_crawler.web", "--host", "127.0.0.1", "--port",
                          str(free_port()), "--demo-dir", str(root)],
                         ready=r"Uvicorn running on (http://\S+)", env=env, cwd=PROJECT_ROOT, timeout=timeout)


def its_sandbox(page: ServerProcess) -> tuple[SandboxProcess, int]:
    """A client of the sandbox the page started (its control API, for the truth) and the sandbox's pid, from the
    line the page printed."""
    (url, pid), = SANDBOX_LINE.findall("".join(page.output))
    client = SandboxProcess()  # never started: only its control calls, at the page's sandbox
    client.url = url
    return client, int(pid)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_complete(page: Page, base_url: str) -> str:
    """The job the page just started, followed until complete; its run id."""
    expect(page.locator(".notice")).to_have_text("The extraction started.")
    expect(page.locator("#job-state")).to_have_text("complete", timeout=180_000)
    run_id = page.locator(".job .run-id").inner_text()
    expect(page.locator(f"#run-{run_id} .status")).to_have_text("complete")
    return run_id


def fetched(page: Page, base_url: str, run_id: str, pattern: str) -> list[tuple[str, bytes]]:
    """The run's files whose link matches ``pattern``, each fetched as the page links it (``/files/…``)."""
    links = page.locator(f"#run-{run_id} ul.files a")
    hrefs = [href for href in (links.nth(i).get_attribute("href") for i in range(links.count()))
             if href and re.search(pattern, href)]
    assert hrefs, f"no file of run {run_id} matches {pattern}"
    out = []
    for href in hrefs:
        response = page.request.get(base_url + href)
        assert response.status == 200, href
        out.append((href, response.body()))
    return out


def test_with_no_account_the_page_makes_and_serves_the_demo_with_its_sandbox(browser, tmp_path):
    root = tmp_path / "output"
    web = demo_page(root, tmp_path / "cache", timeout=600)  # no demo yet: the page makes one first
    sandbox, pid = its_sandbox(web)
    try:
        assert "Making a demo backup first" in "".join(web.output)
        (folder,) = root.glob("demo-*")
        record = SandboxRecord.read(folder)
        assert record.url == sandbox.url and record.tickets == 500 and record.seed == 1
        assert (folder / "state.json").exists() and alive(pid)

        page = browser.new_page()
        page.goto(web.url + "/")
        banner = page.locator(".demo-banner")
        expect(banner).to_contain_text("built-in sandbox Zendesk")
        expect(banner).to_contain_text(str(folder))
        expect(banner).to_contain_text("ZENDESK_SUBDOMAIN")
        assert described(page) == []  # the banner and the forms pass the accessibility check
        demo_runs = sorted((path.name[len("manifest-"):-len(".json")] for path in folder.glob("manifest-*.json")),
                           reverse=True)
        assert len(demo_runs) == 2  # the demo's full and incremental runs
        demo_updated_at = max(ticket["updated_at"] for path in folder.glob("tickets-*.json")
                              for ticket in json.loads(path.read_bytes()))
        expect(page.locator("tr.run")).to_have_count(2)
        assert [page.locator("tr.run").nth(i).get_attribute("id") for i in range(2)] == \
            [f"run-{run_id}" for run_id in demo_runs]
        expect(page.locator("tr.run .status")).to_have_text(["complete", "complete"])

        # A ticket of the backup opens as its conversation, the banner on that page too.
        record_of = json.loads(next(folder.glob(f"tickets-{demo_runs[1]}-*.json")).read_bytes())[0]
        page.fill("#q", str(record_of["id"]))
        page.get_by_role("button", name="Find").click()
        expect(page).to_have_url(f"{web.url}/tickets/{record_of['id']}")
        expect(page.locator("li.comment")).to_have_count(len(record_of["comments"]))
        expect(page.locator(".demo-banner")).to_be_visible()

        # Extract now goes on from the demo's positions, against the sandbox the page started.
        requests_before = sandbox.requests_log()["count"]
        page.goto(web.url + "/")
        page.get_by_role("button", name="Extract now", exact=True).click()
        run_id = wait_until_complete(page, web.url)
        manifest = json.loads((folder / f"manifest-{run_id}.json").read_text("utf-8"))
        assert manifest["status"] == "complete" and manifest["failure"] is None
        # It brought what the sandbox changed when the page started it (web/demo_mode.move_on: 3 tickets with new
        # comments, 3 updated, 2 created), and maybe the tickets of the saved position's second again.
        moved_on = [t for t in sandbox.truth(comments=False)["tickets"] if t["updated_at"] > demo_updated_at]
        assert len(moved_on) == 8 and manifest["tickets_exported"] >= len(moved_on)
        assert json.loads((folder / "state.json").read_text("utf-8"))["base_url"] == sandbox.url
        assert sandbox.requests_log()["count"] > requests_before  # the run asked the page's sandbox
        page.close()
    finally:
        web.stop()
    assert not alive(pid)
    assert f"Stopped the sandbox Zendesk (pid {pid})" in "".join(web.output)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    """A small demo backup, made by the demo as ``make demo`` makes it."""
    root = tmp_path_factory.mktemp("output")
    demo = subprocess.run([sys.executable, "-m", "zendesk_crawler.demo", "--tickets", "60", "--export-dir",
                           str(root / "demo-20260101T000000Z")], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=600, env={k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")})
    assert demo.returncode == 0, demo.stderr[-3000:]
    return root


def person_ids(person: dict[str, Any]) -> set[int]:
    return set(person["requested"]) | set(person["ccd"]) | set(person["followed"]) | set(person["commented"])


def test_a_filtered_and_a_person_export_from_the_pages_forms(browser, demo_root, tmp_path):
    folder = demo_root / "demo-20260101T000000Z"
    with demo_page(demo_root, tmp_path / "cache") as web:
        sandbox, _ = its_sandbox(web)
        truth = sandbox.truth()
        page = browser.new_page()
        page.goto(web.url + "/")

        # A filtered export: the solved and closed tickets.
        filtered = page.locator("form.filtered")
        filtered.get_by_label("solved").check()
        filtered.get_by_label("closed").check()
        # Slow comment pages keep it running while the person form is sent: the page refuses a second run.
        sandbox.faults([{"endpoint": "ticket_comments", "kind": "slow", "delay_ms": 1500, "count": 4}])
        filtered.get_by_role("button", name="Start the filtered export").click()
        expect(page.locator(".notice")).to_have_text("The extraction started.")
        page.locator("form.person").get_by_label("User id or e-mail address").fill("someone@example.com")
        page.locator("form.person").get_by_role("button", name="Start the person export").click()
        expect(page.locator(".notice")).to_have_text("A run is already in progress: not starting another.")
        expect(page.locator("#job-state")).to_have_text("complete", timeout=180_000)
        run_id = page.locator(".job .run-id").inner_text()
        expect(page.locator(f"#run-{run_id} .scope")).to_have_text("filter: status=solved,closed")
        wanted = set(sandbox.search_truth("status:solved")) | set(sandbox.search_truth("status:closed"))
        assert wanted
        documents = fetched(page, web.url, run_id, r"/files/tickets-[^/]*\.json$")
        records = [record for _, body in documents for record in json.loads(body)]
        assert {record["id"] for record in records} == wanted
        assert_matches_truth(records, truth, ids=wanted, comment_fields=COMMENT_FIELDS)
        assert json.loads((folder / f"manifest-{run_id}.json").read_text("utf-8"))["status"] == "complete"

        # One person's export, by e-mail address: the JSON and the XML document.
        person = sandbox.person_truth()
        assert person["requested"] and person["commented"]
        page.goto(web.url + "/")
        page.locator("form.person").get_by_label("User id or e-mail address").fill(person["email"])
        page.locator("form.person").get_by_role("button", name="Start the person export").click()
        run_id = wait_until_complete(page, web.url)
        expect(page.locator(f"#run-{run_id} .scope")).to_contain_text("person:")
        ((json_href, json_body),) = fetched(page, web.url, run_id, r"/files/person-[^/]*\.json$")
        ((xml_href, xml_body),) = fetched(page, web.url, run_id, r"/files/person-[^/]*\.xml$")
        assert json_href == f"/files/person-{person['user_id']}-{run_id}.json"
        document = json.loads(json_body)
        assert document["user"]["id"] == person["user_id"] and document["identities"] == person["identities"]
        assert {ticket["id"] for ticket in document["tickets"]} == person_ids(person)
        assert_matches_truth(document["tickets"], truth, ids=person_ids(person), comment_fields=COMMENT_FIELDS)
        assert read_person_document(xml_body) == document
        page.close()


def test_when_the_demos_port_is_taken_the_page_makes_a_new_demo(demo_root, tmp_path):
    root = tmp_path / "output"
    shutil.copytree(demo_root / "demo-20260101T000000Z", root / "demo-20260101T000000Z")
    record = SandboxRecord.read(root / "demo-20260101T000000Z")
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the demo's own connections may linger
        taken.bind(("127.0.0.1", record.port))
        taken.listen()
        with demo_page(root, tmp_path / "cache", timeout=600) as web:
            output = "".join(web.output)
            assert f"cannot start again on port {record.port}" in output
            (new,) = [folder for folder in root.glob("demo-*") if folder.name != "demo-20260101T000000Z"]
            sandbox, pid = its_sandbox(web)
            assert SandboxRecord.read(new).url == sandbox.url != record.url and alive(pid)
            status, _, body = get(web.url + "/")
            assert status == 200 and str(new) in body.decode()
