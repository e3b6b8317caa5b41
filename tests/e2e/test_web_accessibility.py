"""Every view of the page, checked by axe-core in a real headless Chromium (no serious or critical violation), and
the main path walked with the keyboard alone, over two real crawls of the sandbox with a ticket's history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.accessibility import described
from tests.support.crawl import crawl_env, run_crawl
from tests.support.servers import web_server
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

STREAMS = "tickets,users,groups,organizations,ticket_fields,ticket_events"
#: Presses of Tab allowed to reach an element: the page's top bar has a dozen stops.
TAB_LIMIT = 60


@pytest.fixture(scope="module")
def backup(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Two crawls with a change and a deletion between them; the page over them."""
    tmp = tmp_path_factory.mktemp("accessibility")
    export_dir = tmp / "export"
    with SandboxProcess(tickets=30, seed=23, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", "-a", f"streams={STREAMS}")
        assert first.returncode == 0, first.stderr[-3000:]
        live = sorted(t["id"] for t in sandbox.truth(comments=False)["tickets"] if t["status"] != "deleted")
        sandbox.change(add_comments=[live[0]], update=[live[1]], delete=[live[2]], create=1)
        sandbox.advance_clock(120)
        second = run_crawl(sandbox.url, export_dir, "-a", f"streams={STREAMS}")
        assert second.returncode == 0, second.stderr[-3000:]
        with web_server(crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(tmp / "cache"))) as web:
            yield {"url": web.url, "run": second.manifest()["run_id"], "changed": live[1], "deleted": live[2],
                   "subject": next(t for t in sandbox.truth(comments=False)["tickets"]
                                   if t["id"] == live[1])["subject"]}


def views(backup: dict[str, Any]) -> list[str]:
    """Every kind of view the page has, with data in it."""
    word = backup["subject"].split()[0]
    return ["/", "/browse", "/browse?status=open&sort=created&order=asc", f"/search?q={word}",
            f"/tickets/{backup['changed']}", f"/tickets/{backup['changed']}/versions/1",
            f"/tickets/{backup['changed']}/compare?from=1&to=2",
            f"/tickets/{backup['deleted']}", f"/runs/{backup['run']}", "/charts", "/tickets?q=nobody@example.com",
            "/search?q=%22", "/no-such-view"]


def test_every_view_has_no_serious_accessibility_violation(browser, backup):
    page = browser.new_page()
    found: list[str] = []
    for view in views(backup):
        page.goto(backup["url"] + view)
        expect(page.locator("h1")).to_be_visible()
        found += described(page)
    assert not found, "\n".join(found)


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has the focus (it must be reachable by keyboard)."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector}: focused without a visible focus ring"
            return
    raise AssertionError(f"{selector}: not reached with {TAB_LIMIT} presses of Tab")


def test_search_and_read_a_conversation_with_the_keyboard_alone(browser, backup):
    page = browser.new_page()
    page.goto(backup["url"] + "/")
    tab_to(page, "a.skip")  # the first stop skips the top bar
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.goto(backup["url"] + "/")
    tab_to(page, "#top-search")
    page.keyboard.type(backup["subject"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    tab_to(page, f"a[href='/tickets/{backup['changed']}']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{backup['changed']}$"))
    expect(page.locator("h1")).to_contain_text(backup["subject"])

    page.goto(backup["url"] + "/browse")
    tab_to(page, "select#f-status")
    page.keyboard.press("ArrowDown")  # a native select changes with the arrows
    tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/browse\?.*status="))
