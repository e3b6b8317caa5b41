"""A ticket's history on the web page, in a real headless Chromium, over two real crawls of the sandbox with the
``ticket_events`` stream: the versions of both runs with the fields that changed, and every event of the ticket as
the sandbox's own audits tell it, newest first."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_web_changes_e2e import table
from tests.e2e.test_web_e2e import page_env  # noqa: F401 - the module's page fixture
from tests.support.crawl import run_crawl
from tests.support.servers import web_server
from zendesk_crawler.web.charts import week_of
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

STREAMS = "tickets,users,groups,organizations,ticket_fields,ticket_events"
#: Event fields whose values are user ids, shown by the user's name.
USER_FIELDS = {"requester_id", "assignee_id", "submitter_id"}


def crawl(sandbox: SandboxProcess, export_dir, *args: str) -> str:
    """One real crawl of the history's streams; returns its run id."""
    result = run_crawl(sandbox.url, export_dir, "-a", f"streams={STREAMS}", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.manifest()["run_id"]


def label(user: dict[str, Any] | None, user_id: Any) -> str:
    """A user as the page names one: ``Name <email>`` from the backup's users, else ``user <id>``."""
    if user is None:
        return f"user {user_id}"
    if user.get("name") and user.get("email"):
        return f"{user['name']} <{user['email']}>"
    return user.get("name") or user.get("email") or f"user {user_id}"


def value_text(value: Any, field: str, users: dict[int, dict[str, Any]], groups: dict[int, dict[str, Any]]) -> str:
    """A value of an event as the page shows it."""
    if value is None:
        return "(none)"
    if field in USER_FIELDS:
        return label(users.get(value), value)
    if field == "group_id":
        return (groups.get(value) or {}).get("name") or f"group {value}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def expected_changes(event: dict[str, Any], users: dict[int, dict[str, Any]],
                     groups: dict[int, dict[str, Any]]) -> list[str]:
    """The field changes of one audit of the truth, as the page words them."""
    lines = []
    for child in event["child_events"]:
        if child["event_type"] not in ("Change", "Create"):
            continue
        for field, value in child.items():
            if field in ("id", "via", "via_reference_id", "event_type", "previous_value", "added_tags",
                         "removed_tags"):
                continue
            name = field.removesuffix("_id") if field in USER_FIELDS or field == "group_id" else field
            after = value_text(value, field, users, groups)
            if child["event_type"] == "Create":
                lines.append(f"{name} set to {after}")
            else:
                lines.append(f"{name}: {value_text(child.get('previous_value'), field, users, groups)} → {after}")
    return lines


def test_a_ticket_page_shows_every_version_and_every_event_of_the_ticket(browser, tmp_path):  # noqa: F811
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=20, seed=23, rate_limit=1000000, export_rate_limit=0) as sandbox:
        sandbox.advance_clock(120)  # the last minute's events are exported too
        first_run = crawl(sandbox, export_dir, "-a", "start_time=0")
        before = {t["id"]: t for t in sandbox.truth()["tickets"]}
        ticket_id = sorted(i for i, t in before.items() if t["status"] != "deleted")[0]
        # Two updates and new comments between the crawls, a minute apart: events of three moments.
        sandbox.change(update=[ticket_id])
        sandbox.advance_clock(60)
        sandbox.change(update=[ticket_id], add_comments=[ticket_id])
        sandbox.advance_clock(120)
        second_run = crawl(sandbox, export_dir)
        after = next(t for t in sandbox.truth()["tickets"] if t["id"] == ticket_id)
        every_audit = sandbox.stream_truth("ticket_events")
        audits = [e for e in every_audit if e["ticket_id"] == ticket_id]
        users = {u["id"]: u for u in sandbox.stream_truth("users")}
        groups = {g["id"]: g for g in sandbox.stream_truth("groups")}
        assert len(audits) > 3

        with web_server(page_env(sandbox, export_dir, tmp_path / "cache")) as web:
            page = browser.new_page()
            page.goto(f"{web.url}/tickets/{ticket_id}")

            # The versions: one of each run, newest first, the second naming the fields that changed.
            versions = page.locator("tr.version")
            expect(versions).to_have_count(2)
            assert [versions.nth(n).get_attribute("data-run") for n in range(2)] == [second_run, first_run]
            newest = versions.nth(0)
            old, new = before[ticket_id], after
            assert new["updated_at"] != old["updated_at"]
            named = newest.locator("li.field-change").evaluate_all("items => items.map(i => i.dataset.field)")
            expected = {field for field in ("status", "priority", "subject", "type") if old[field] != new[field]}
            if set(old["tags"]) != set(new["tags"]):
                expected.add("tags")
            assert expected and expected | {"comments"} <= set(named), named
            if "status" in expected:
                expect(newest.locator("li[data-field=status]")).to_have_text(
                    f"status: {old['status']} → {new['status']}")
            added = [c["id"] for c in new["comments"] if c["id"] not in {c["id"] for c in old["comments"]}]
            expect(newest.locator(".comments-added")).to_have_text(f"{len(added)} added")
            expect(versions.nth(1).locator(".oldest")).to_be_visible()

            # The events: every audit of the ticket, newest first, who, through which channel, each field change.
            rows = page.locator("tr.event")
            expect(rows).to_have_count(len(audits))
            newest_first = sorted(audits, key=lambda e: (e["created_at"], e["id"]), reverse=True)
            assert [row.get_attribute("id") for row in rows.all()] == [f"audit-{e['id']}" for e in newest_first]
            for row, event in zip(rows.all(), newest_first, strict=True):
                expect(row.locator(".when")).to_have_text(event["created_at"])
                expect(row.locator(".who")).to_have_text(label(users.get(event["updater_id"]), event["updater_id"]))
                expect(row.locator(".channel")).to_have_text(event["via"])
                expect(row.locator("li.event-change")).to_have_text(expected_changes(event, users, groups))
            updates = [e for e in newest_first if any(c.get("event_type") == "Change" and "priority" in c
                                                      for c in e["child_events"])]
            assert len(updates) == 2  # both updates, the later one first

            # An added comment's link opens the newest version at that comment.
            page.locator(f"tr.version a[href$='#comment-{added[0]}']").click()
            expect(page).to_have_url(f"{web.url}/tickets/{ticket_id}/versions/2#comment-{added[0]}")
            expect(page.locator(f"#comment-{added[0]}")).to_be_visible()
            expect(page.locator(".version-banner")).to_contain_text("the newest version")

            # The older version reads as its own conversation, labelled as not the newest.
            page.goto(f"{web.url}/tickets/{ticket_id}")
            page.locator("tr.version").nth(1).locator(".number a").click()
            expect(page).to_have_url(f"{web.url}/tickets/{ticket_id}/versions/1")
            expect(page.locator(".version-banner")).to_contain_text(f"run {first_run}")
            expect(page.locator(".version-banner")).to_contain_text("not the newest")
            expect(page.locator("li.comment")).to_have_count(len(old["comments"]))
            expect(page.locator(".ticket-status")).to_have_text(old["status"])
            assert page.goto(f"{web.url}/tickets/{ticket_id}/versions/3").status == 404

            # The index's table of field changes (the charts read it) holds each changed field once.
            (index,) = (tmp_path / "cache").glob("*/tickets.sqlite")  # the page's cache of this location
            with sqlite3.connect(index) as db:
                stored = db.execute("SELECT event_id, field_name, previous_value, value FROM ticket_changes "
                                    "WHERE ticket_id = ? ORDER BY event_id", (ticket_id,)).fetchall()
            truth_changes = sorted(
                (child["id"], field, json.dumps(child["previous_value"]) if "previous_value" in child else None,
                 json.dumps(value))
                for event in audits for child in event["child_events"] if child["event_type"] in ("Change", "Create")
                for field, value in child.items()
                if field not in ("id", "via", "via_reference_id", "event_type", "previous_value", "added_tags",
                                 "removed_tags"))
            assert stored == truth_changes

            # The charts read the same table: tickets solved per week, every status change into solved or closed.
            solved = Counter(week_of(event["created_at"]) for event in every_audit for child in event["child_events"]
                             if child["event_type"] in ("Change", "Create")
                             and child.get("status") in ("solved", "closed")
                             and child.get("previous_value") not in ("solved", "closed"))
            page.goto(f"{web.url}/charts")
            weekly = table(page, "#chart-weekly-data")
            assert solved and {week: int(cells[1]) for week, cells in weekly.items() if cells[1] != "0"} == solved
