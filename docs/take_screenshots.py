"""Take the README's screenshots of the web page from a real crawl: the runs list, a conversation, browse,
search, a deleted ticket, a ticket's history, a run's page and the charts.

    .venv/bin/python docs/take_screenshots.py        # writes docs/web-*.png

Starts the sandbox Zendesk, backs it up twice (attachment files on; between the runs a few tickets change and
one is deleted), starts the page and drives Debian's Chromium with Playwright, as the browser tests do.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402 - imported after the project root is put on sys.path

from harness.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 - imported after the project root is put on sys.path
from harness.crawl import crawl_env, run_crawl  # noqa: E402 - imported after the project root is put on sys.path
from harness.servers import web_server  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - imported after the project root is put on sys.path

DOCS = PROJECT_ROOT / "docs"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(tickets=40, seed=14, rate_limit=1000000,
                                                              export_rate_limit=0) as sandbox:
        export_dir = Path(tmp) / "export"
        deleted: dict = {}
        changed = 0
        for args in (["-a", "start_time=0", "-a", "attachments=true"], ["-a", "attachments=true"]):
            if len(args) == 2:
                live = [t for t in sandbox.truth()["tickets"] if t["status"] != "deleted"]
                ids = [t["id"] for t in live]
                deleted = next(t for t in live if len(t["comments"]) >= 3 and t["id"] not in ids[:6])
                sandbox.change(add_comments=ids[:3], update=ids[3:6], create=2, delete=[deleted["id"]])
                changed = ids[3]
                sandbox.advance_clock(120)
            result = run_crawl(sandbox.url, export_dir, *args)
            assert result.returncode == 0, result.stderr[-3000:]
        truth = sandbox.truth()["tickets"]
        # A conversation with an image among its attachments, and an internal note.
        shown = next(t for t in truth if t["status"] != "deleted" and any(
            str(a.get("content_type")).startswith("image/") for c in t["comments"] for a in c.get("attachments") or [])
            and any(not c.get("public") for c in t["comments"]))
        env = crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(Path(tmp) / "cache"))
        with web_server(env) as web, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(web.url + "/")
            page.screenshot(path=str(DOCS / "web-runs.png"), full_page=True)
            page.goto(f"{web.url}/tickets/{shown['id']}")
            page.set_viewport_size({"width": 1360, "height": 1500})
            page.screenshot(path=str(DOCS / "web-conversation.png"))
            page.set_viewport_size({"width": 1360, "height": 900})
            newest_run = sorted(path.name[len("manifest-"):-len(".json")] for path in export_dir.glob("manifest-*"))[-1]
            views = {"web-browse.png": "/browse", "web-search.png": "/search?q=%22billing+team%22",
                     "web-deleted.png": f"/tickets/{deleted['id']}", "web-run-changes.png": f"/runs/{newest_run}",
                     "web-charts.png": "/charts"}
            for name, path in views.items():
                page.goto(web.url + path)
                if name == "web-run-changes.png":  # what it brought, below its manifest
                    page.locator("section.run-changes").screenshot(path=str(DOCS / name))
                else:
                    page.screenshot(path=str(DOCS / name), full_page=name == "web-charts.png")
            # A changed ticket's history: its versions with the fields that changed, then its events.
            page.goto(f"{web.url}/tickets/{changed}")
            page.locator("section.history").screenshot(path=str(DOCS / "web-history.png"))
            views["web-history.png"] = f"/tickets/{changed}"
            browser.close()
    print(f"wrote docs/web-runs.png, web-conversation.png (ticket {shown['id']}) and {', '.join(views)}")


if __name__ == "__main__":
    main()
