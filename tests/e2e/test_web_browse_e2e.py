"""Browse, full-text search and a deleted ticket on the page, in a real headless Chromium over two real crawls of
the sandbox; every expectation is computed from the sandbox's truth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.support.crawl import crawl_env, run_crawl
from tests.support.servers import web_server
from tests.support.web import pdf_text
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

CYRILLIC_PHRASE = "Проблема с оплатой"
EMOJI = "🚀"
CJK = "中文字符"


def texts(ticket: dict[str, Any]) -> list[str]:
    return [ticket.get("subject") or ""] + [comment.get("body") or "" for comment in ticket.get("comments") or []]


def holding(tickets: dict[int, dict[str, Any]], words: str) -> set[int]:
    """The tickets whose subject or a comment body holds ``words`` (any case): what a phrase search must find."""
    wanted = words.casefold()
    return {ticket_id for ticket_id, ticket in tickets.items()
            if any(wanted in text.casefold() for text in texts(ticket))}


@pytest.fixture(scope="module")
def backup(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Two crawls; between them a ticket with several comments is deleted in Zendesk."""
    tmp = tmp_path_factory.mktemp("browse")
    export_dir = tmp / "export"
    with SandboxProcess(tickets=120, seed=23, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", "-a", "streams=tickets")
        assert first.returncode == 0, first.stderr[-3000:]
        before = {t["id"]: t for t in sandbox.truth()["tickets"]}
        victim = next(t for t in before.values() if t["status"] not in ("deleted", "closed")
                      and len(t["comments"]) >= 3)
        sandbox.change(delete=[victim["id"]])
        sandbox.advance_clock(120)
        second = run_crawl(sandbox.url, export_dir, "-a", "streams=tickets")
        assert second.returncode == 0, second.stderr[-3000:]
        after = {t["id"]: t for t in sandbox.truth()["tickets"]}
        assert after[victim["id"]]["status"] == "deleted"
        with web_server(crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(tmp / "cache"))) as web:
            yield {"url": web.url, "before": before, "after": after, "victim": victim,
                   "export_dir": export_dir}


def searchable(backup: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The tickets as the backup holds them to search: live ones as they are, the deleted one as it was before."""
    live = {ticket_id: ticket for ticket_id, ticket in backup["after"].items() if ticket["status"] != "deleted"}
    return {**live, backup["victim"]["id"]: backup["victim"]}


def listed_ids(page: Page) -> list[int]:
    return [int(row.get_attribute("data-ticket")) for row in page.locator("tr.ticket").all()]


def test_browse_pages_through_every_ticket_once_and_filters_like_the_truth(browser, backup):
    page = browser.new_page()
    page.goto(backup["url"] + "/")
    page.get_by_role("link", name="Browse").click()
    expect(page.locator("h1")).to_have_text("The backup's tickets")
    seen: list[int] = []
    while True:
        seen += listed_ids(page)
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
        page.wait_for_load_state()
    assert len(seen) == len(set(seen)) == len(backup["after"])  # every ticket once, the deleted ones included
    assert set(seen) == set(backup["after"])

    # Status and group from the form: exactly the truth's tickets with both.
    some = next(t for t in backup["after"].values() if t["status"] == "open" and t["group_id"])
    page.goto(backup["url"] + "/browse")
    page.get_by_label("Status").select_option("open")
    page.get_by_label("Group").select_option(str(some["group_id"]))
    page.get_by_role("button", name="Apply").click()
    expected = {i for i, t in backup["after"].items() if t["status"] == "open" and t["group_id"] == some["group_id"]}
    expect(page.locator("p.count")).to_have_text(f"{len(expected)} ticket(s) match.")
    assert set(listed_ids(page)) == expected

    # Sorted by creation, oldest first, within the filter.
    page.get_by_label("Sort by").select_option("created")
    page.get_by_label("Order").select_option("asc")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    created = [backup["after"][i]["created_at"] for i in listed_ids(page)]
    assert created == sorted(created) and len(created) == len(expected)


@pytest.mark.parametrize("words", [CYRILLIC_PHRASE, EMOJI, CJK])
def test_search_finds_exactly_the_tickets_holding_the_words(browser, backup, words):
    expected = holding(searchable(backup), words)
    assert expected, f"the sandbox holds no {words!r}: choose other words"
    page = browser.new_page()
    page.goto(backup["url"] + "/")
    page.get_by_role("searchbox", name="Search").fill(f'"{words}"')
    page.get_by_role("button", name="Search", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/search\?q="))
    found: list[int] = []
    while True:
        found += listed_ids(page)
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
        page.wait_for_load_state()
    assert sorted(found) == sorted(expected)
    marks = page.locator(".snippet mark").all_inner_texts()
    assert marks and all(re.sub(r"\s+", "", mark).casefold() in re.sub(r"\s+", "", words).casefold() for mark in marks)
    # A snippet links to its comment: the page opens at it.
    link = page.locator("tr.ticket td:nth-child(2) > a[href*='#comment-']").first
    href = link.get_attribute("href")
    link.click()
    expect(page.locator(f"li#{href.split('#')[1]}")).to_be_visible()


def test_a_deleted_ticket_reads_whole_from_its_last_version(browser, backup, tmp_path):
    victim = backup["victim"]
    page = browser.new_page()
    page.goto(f"{backup['url']}/tickets/{victim['id']}")
    banner = page.locator(".deleted-banner")
    expect(banner).to_contain_text("Deleted in Zendesk")
    expect(banner).to_contain_text("last version before the deletion")
    expect(page.locator("h1 .subject")).to_have_text(victim["subject"])
    expect(page.locator("li.comment")).to_have_count(len(victim["comments"]))

    # Browse marks it deleted; a search for its words finds it, marked.
    page.goto(backup["url"] + "/browse?status=deleted")
    expect(page.locator(f"tr.ticket.deleted[data-ticket='{victim['id']}'] .deleted-mark")).to_have_text("deleted")
    word = max(re.findall(r"\w{5,}", victim["comments"][-1]["body"]), key=len)
    page.goto(f"{backup['url']}/search?q={quote(word)}&status=deleted")  # the search's filters too
    expect(page.locator(f"tr.ticket.deleted[data-ticket='{victim['id']}']")).to_have_count(1)

    # Its PDF is that version.
    page.goto(f"{backup['url']}/tickets/{victim['id']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Deleted in Zendesk" in text and f"{len(victim['comments'])} comments" in text
