"""The web page end to end in a real headless Chromium: real crawls of the sandbox, a local process and scrapyd.

Debian's ``chromium`` (installed by ``make install``) driven by Playwright; no
browser is downloaded. Each step waits on what the page shows (Playwright's
``expect``), never on time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.support.crawl import crawl_env, run_crawl
from tests.support.paths import PROJECT_ROOT
from tests.support.servers import VENV_BIN, scrapyd_server, web_server
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

RTL = re.compile(r"[\u0590-\u05ff\u0600-\u06ff]{4,}")
BIDI_MARKS = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def page_env(sandbox: SandboxProcess, export_dir: Path, cache: Path, **extra: str) -> dict[str, str]:
    return crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(cache), **extra)


def first_backup(sandbox: SandboxProcess, export_dir: Path) -> str:
    """A first real crawl (with attachment files); returns its run id."""
    first = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", "-a", "attachments=true")
    assert first.returncode == 0, first.stderr[-3000:]
    return first.manifest()["run_id"]


def change_the_account(sandbox: SandboxProcess) -> list[int]:
    """New comments, an update and a new ticket, old enough to be exported; returns the changed ids."""
    ids = sorted(t["id"] for t in sandbox.truth(comments=False)["tickets"] if t["status"] != "deleted")
    changed = sandbox.change(add_comments=[ids[0], ids[1]], update=[ids[2]], create=1)["changed"]
    sandbox.advance_clock(120)
    return changed


def extract_and_watch(page: Page, base_url: str, first_run: str) -> str:
    """Click "Extract now", see the run going with its progress, then complete with its files; return its run id."""
    page.goto(base_url + "/")
    expect(page.locator(f"#run-{first_run} .status")).to_have_text("complete")
    page.get_by_role("button", name="Extract now", exact=True).click()
    expect(page.locator(".notice")).to_have_text("The extraction started.")
    expect(page.locator("#job-state")).to_have_text(re.compile(r"^(starting|running)$"))
    page.get_by_role("button", name="Extract now", exact=True).click()  # a second click while it runs
    expect(page.locator(".notice")).to_have_text("A run is already in progress: not starting another.")
    expect(page.locator("#job-progress")).to_contain_text("tickets:", timeout=60_000)  # live, from its status document
    expect(page.locator("#job-state")).to_have_text("complete", timeout=120_000)
    run_id = page.locator(".job .run-id").inner_text()
    row = page.locator("tr.run").first
    expect(row).to_have_id(f"run-{run_id}")  # newest first
    expect(row.locator(".status")).to_have_text("complete")
    expect(row.locator("ul.files a").first).to_be_visible()
    return run_id


def test_extract_browse_read_print_in_a_browser(browser, tmp_path):
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=40, seed=14, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first_run = first_backup(sandbox, export_dir)
        with web_server(page_env(sandbox, export_dir, tmp_path / "cache")) as web:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

            changed = change_the_account(sandbox)
            # Slow comment pages keep the run going for several seconds, so it is seen running.
            sandbox.faults([{"endpoint": "ticket_comments", "kind": "slow", "delay_ms": 2000, "count": 30}])
            run_id = extract_and_watch(page, web.url, first_run)
            manifest = json.loads((export_dir / f"manifest-{run_id}.json").read_text("utf-8"))
            assert manifest["tickets_exported"] >= len(changed)

            # A file opens in a new tab, with its bytes and content type.
            link = page.locator(f"#run-{run_id} ul.files a[href$='.json'][href*='/tickets-']").first
            name = link.get_attribute("title")
            with page.context.expect_page() as new_tab, page.context.expect_event(
                    "response", lambda response: response.url.endswith(f"/files/{name}")) as shown:
                link.click()
            tab = new_tab.value
            tab.wait_for_load_state()
            assert tab.url == f"{web.url}/files/{name}"
            assert shown.value.headers["content-type"].startswith("application/json")
            assert shown.value.body() == (export_dir / name).read_bytes()  # what the tab received
            tab.close()

            # A ticket found by id reads as its newest conversation.
            truth = {t["id"]: t for t in sandbox.truth()["tickets"]}
            ticket_id = changed[0]
            page.fill("#q", str(ticket_id))
            page.get_by_role("button", name="Find").click()
            expect(page).to_have_url(f"{web.url}/tickets/{ticket_id}")
            comments = truth[ticket_id]["comments"]
            expect(page.locator("li.comment")).to_have_count(len(comments))
            exported = next(r for path in export_dir.glob(f"tickets-{run_id}-*.json")
                            for r in json.loads(path.read_bytes()) if r["id"] == ticket_id)
            assert len(exported["comments"]) == len(comments)
            authors = [c["author"]["name"] for c in exported["comments"]]
            assert page.locator("li.comment .author").all_inner_texts() == authors
            internal = page.locator("li.comment.internal .visibility").first
            expect(internal).to_have_text(re.compile("internal note", re.I))

            # Its PDF holds the subject and a right-to-left body as text.
            rtl_ticket = next(t for t in truth.values() if t["status"] != "deleted" and any(
                RTL.search(c.get("plain_body") or "") for c in t["comments"]))
            page.goto(f"{web.url}/tickets/{rtl_ticket['id']}")
            with page.expect_download() as download:
                page.get_by_role("link", name="Download PDF").click()
            text = pdf_text(Path(download.value.path()))
            rtl_word = next(RTL.search(c["plain_body"]).group() for c in rtl_ticket["comments"]
                            if RTL.search(c.get("plain_body") or ""))
            assert rtl_word in text
            assert all(word in text for word in re.findall(r"[A-Za-z]{3,}", rtl_ticket["subject"]))

            # A crawled comment whose html_body carries a script, handlers, a javascript: link and remote
            # resources (the sandbox's hostile markup) runs nothing and loads nothing.
            hostile = next(t for t in truth.values() if t["status"] != "deleted" and any(
                "<script" in (c.get("html_body") or "") for c in t["comments"]))
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{web.url}/tickets/{hostile['id']}")
            expect(page.locator("li.comment")).to_have_count(len(hostile["comments"]))
            page.locator("li.comment a", has_text="hostile link").first.click()
            assert page.evaluate("window.pwned") is None and page.title() != "pwned" and not dialogs
            assert requested and all(url.startswith(web.url) for url in requested), requested

            # Traversal in any encoding is a 404.
            for path in ("/files/..%2f..%2fetc%2fpasswd", "/files/%2e%2e/%2e%2e/etc/passwd", "/files/.partial/x",
                         "/files/%252e%252e/state.json", "/files/state.json.lock"):
                assert page.goto(web.url + path).status == 404, path


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return BIDI_MARKS.sub("", text)


def test_the_essentials_work_without_javascript(browser, tmp_path):
    """Runs, Extract now (a plain form POST), following the run by reloading, and a conversation: no script."""
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=20, seed=16, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first_run = first_backup(sandbox, export_dir)
        with web_server(page_env(sandbox, export_dir, tmp_path / "cache")) as web:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(web.url + "/")
            expect(page.locator(f"#run-{first_run} .status")).to_have_text("complete")
            changed = change_the_account(sandbox)
            page.get_by_role("button", name="Extract now", exact=True).click()
            expect(page.locator(".notice")).to_have_text("The extraction started.")
            run_id = page.locator(".job .run-id").inner_text()
            deadline = time.monotonic() + 120
            while page.locator("#job-state").inner_text() != "complete":  # a person reloads to follow the run
                assert time.monotonic() < deadline and page.locator("#job-state").inner_text() != "failed"
                page.goto(web.url + "/")
            expect(page.locator("tr.run").first).to_have_id(f"run-{run_id}")
            page.fill("#q", str(changed[0]))
            page.get_by_role("button", name="Find").click()
            truth = next(t for t in sandbox.truth()["tickets"] if t["id"] == changed[0])
            expect(page.locator("li.comment")).to_have_count(len(truth["comments"]))
            context.close()


def test_with_a_password_the_browser_needs_credentials(browser, tmp_path):
    with SandboxProcess(tickets=5, seed=2, rate_limit=1000000, export_rate_limit=0) as sandbox:
        env = page_env(sandbox, tmp_path / "export", tmp_path / "cache", ZENDESK_WEB_PASSWORD="correct horse")
        with web_server(env) as web:
            anonymous = browser.new_context()
            page = anonymous.new_page()
            statuses: list[int] = []
            page.on("response", lambda response: statuses.append(response.status))
            with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
                page.goto(web.url + "/")  # headless Chromium has no one to ask for credentials
            assert statuses == [401]
            anonymous.close()
            signed_in = browser.new_context(http_credentials={"username": "admin", "password": "correct horse"})
            page = signed_in.new_page()
            assert page.goto(web.url + "/").status == 200
            expect(page.get_by_role("button", name="Extract now", exact=True)).to_be_visible()
            assert "correct horse" not in page.content()
            signed_in.close()


def test_extract_now_on_scrapyd(browser, tmp_path):
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=30, seed=15, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first_run = first_backup(sandbox, export_dir)
        scrapyd_env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY_"))}
        scrapyd_env.update(sandbox.crawler_env())
        home = tmp_path / "scrapyd"
        home.mkdir()
        with scrapyd_server(home, scrapyd_env) as scrapyd:
            deploy = subprocess.run([str(VENV_BIN / "scrapyd-deploy"), "env", "-v", "1.0"], cwd=PROJECT_ROOT,
                                    env={**scrapyd_env, "SCRAPYD_URL": scrapyd.url}, capture_output=True, text=True,
                                    timeout=300)
            assert deploy.returncode == 0, deploy.stderr
            # The page itself holds no Zendesk credentials: scrapyd has them.
            env = {k: v for k, v in crawl_env(sandbox.url, export_dir).items()
                   if k not in ("ZENDESK_EMAIL", "ZENDESK_API_TOKEN")}
            with web_server({**env, "SCRAPYD_URL": scrapyd.url, "ZENDESK_WEB_CACHE": str(tmp_path / "cache")}) as web:
                page = browser.new_page()
                change_the_account(sandbox)
                sandbox.faults([{"endpoint": "ticket_comments", "kind": "slow", "delay_ms": 2000, "count": 30}])
                run_id = extract_and_watch(page, web.url, first_run)
                manifest = json.loads((export_dir / f"manifest-{run_id}.json").read_text("utf-8"))
                assert manifest["status"] == "complete" and manifest["tickets_exported"] >= 3
                (log,) = (home / "logs" / "zendesk_crawler" / "zendesk").glob("*.log")
                token = sandbox.crawler_env()["ZENDESK_API_TOKEN"]
                assert token not in log.read_text("utf-8") and token not in page.content()
                with urllib.request.urlopen(f"{scrapyd.url}/listjobs.json?project=zendesk_crawler") as jobs:
                    assert token not in jobs.read().decode()
