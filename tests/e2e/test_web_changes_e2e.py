"""A run's page and the charts in a real headless Chromium (JavaScript off), on two real crawls of the sandbox:
what the second run brought is what the sandbox changed, and the charts' tables are the sandbox's numbers.

Debian's ``chromium`` driven by Playwright, as ``test_web_e2e.py``; each step waits on what the page shows.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.crawl import crawl_env, run_crawl
from tests.support.servers import web_server
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.web.charts import week_of
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

#: No ticket_events: the weekly chart then says that solved needs them.
STREAMS = "tickets,users,organizations,groups,ticket_fields"
#: What the crawler adds to the sandbox's ticket (tests/support/truth.py), and what compare leaves out.
NOT_THE_TRUTHS = {"comments", "_support_type_scope"}


def crawl(sandbox: SandboxProcess, export_dir: Path) -> dict[str, Any]:
    """One real crawl; its manifest."""
    result = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", "-a", f"streams={STREAMS}")
    assert result.returncode == 0, result.stderr[-3000:]
    return result.manifest()


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The top-level fields in which two truths of a ticket differ (its comments as ``comments``)."""
    fields = {key for key in {*before, *after} - NOT_THE_TRUTHS if before.get(key) != after.get(key)}
    return fields | ({"comments"} if before["comments"] != after["comments"] else set())


def table(page: Page, selector: str) -> dict[str, list[str]]:
    """A data table's rows: the row header's text → the cells' texts."""
    rows = {}
    for row in page.locator(f"{selector} tbody tr").all():
        rows[row.locator("th").inner_text().strip()] = [cell.strip() for cell in row.locator("td").all_inner_texts()]
    return rows


def test_a_runs_page_lists_what_the_sandbox_changed_and_the_charts_count_the_backup(browser, tmp_path):
    export_dir = tmp_path / "export"
    with SandboxProcess(tickets=40, seed=23, rate_limit=1000000, export_rate_limit=0) as sandbox:
        first = crawl(sandbox, export_dir)
        before = {t["id"]: t for t in sandbox.truth()["tickets"]}
        live = sorted(i for i, t in before.items() if t["status"] != "deleted")
        users = sorted(u["id"] for u in sandbox.stream_truth("users") if u.get("active"))
        answer = sandbox.change(update=[live[0], live[1]], add_comments=[live[2]], delete=[live[3]], create=2,
                                users={"update": [users[0]], "create": 1})
        sandbox.advance_clock(120)
        second = crawl(sandbox, export_dir)
        after = {t["id"]: t for t in sandbox.truth()["tickets"]}

        with web_server(crawl_env(sandbox.url, export_dir, ZENDESK_WEB_CACHE=str(tmp_path / "cache"))) as web:
            context = browser.new_context(java_script_enabled=False)  # readable without JavaScript
            page = context.new_page()
            page.goto(web.url + "/")
            page.get_by_role("link", name=second["run_id"], exact=True).click()
            expect(page).to_have_url(f"{web.url}/runs/{second['run_id']}")
            expect(page.locator("#run-status")).to_have_text("complete")
            requests = sum(stream["requests"] for stream in second["streams"].values())
            expect(page.locator("#run-requests")).to_have_text(str(requests))
            streams = table(page, "#run-streams")
            assert {name: int(cells[0]) for name, cells in streams.items()} == \
                {name: stream["records"] for name, stream in second["streams"].items()}

            # The tickets it brought are those the sandbox changed, each with the fields that changed.
            listed: dict[str, dict[int, set[str]]] = {"new": {}, "changed": {}, "deleted": {}}
            for row in page.locator("#changed-tickets tbody tr").all():
                fields = row.locator(".fields").inner_text().strip()
                listed[row.get_attribute("data-kind") or ""][int(row.get_attribute("data-id") or 0)] = \
                    set(fields.split(", ")) if fields else set()
            assert set(listed["new"]) == set(answer["created"])
            assert set(listed["deleted"]) == {live[3]}
            assert set(listed["changed"]) == {live[0], live[1], live[2]}
            for ticket_id, fields in listed["changed"].items():
                assert fields == changed_fields(before[ticket_id], after[ticket_id]), ticket_id
            assert "comments" in listed["changed"][live[2]]
            counts = table(page, "#change-counts")
            assert counts["tickets"][:3] == [str(len(answer["created"])), "3", "1"]
            assert counts["users"][:3] == ["1", "1", "0"]
            page.get_by_role("link", name=f"#{live[2]}").click()
            expect(page).to_have_url(f"{web.url}/tickets/{live[2]}")
            expect(page.locator("li.comment")).to_have_count(len(after[live[2]]["comments"]))

            # The first run brought every ticket.
            page.goto(f"{web.url}/runs/{first['run_id']}")
            kinds = Counter(page.locator("#changed-tickets tbody tr").evaluate_all(
                "rows => rows.map(row => row.dataset.kind)"))
            assert kinds["new"] + kinds["deleted"] == len(before)
            assert kinds["deleted"] == sum(t["status"] == "deleted" for t in before.values())

            # At a glance, from the top bar.
            page.get_by_role("link", name="At a glance").click()
            expect(page).to_have_url(f"{web.url}/charts")
            for chart in ("weekly", "status", "growth", "duration", "requests"):
                svg = page.locator(f"#chart-{chart} svg[role=img]")
                expect(svg).to_have_count(1)
                title = page.locator(f"#chart-{chart} figcaption h2").inner_text()
                expect(svg).to_have_accessible_name(re.compile(re.escape(title)))  # its <title>
                expect(svg).to_have_accessible_description(re.compile(r"\w"))  # its <desc>
                assert svg.locator("rect.bar").count() > 0
            weekly = table(page, "#chart-weekly-data")
            created = Counter(week_of(t["created_at"]) for t in after.values())
            assert {week: int(cells[0]) for week, cells in weekly.items() if cells[0] != "0"} == created
            expect(page.locator("#chart-weekly .chart-note")).to_contain_text("needs the ticket_events stream")
            statuses = Counter(t["status"] for t in after.values() if t["status"] != "deleted")
            assert {status: int(cells[0]) for status, cells in table(page, "#chart-status-data").items()} == statuses
            manifests = [json.loads(path.read_text("utf-8")) for path in sorted(export_dir.glob("manifest-*.json"))]
            assert [m["run_id"] for m in manifests] == [first["run_id"], second["run_id"]]
            growth = table(page, "#chart-growth-data")
            assert {run: int(cells[0]) for run, cells in growth.items()} == \
                {first["run_id"]: len(before), second["run_id"]: len(after)}
            assert {run: int(cells[0]) for run, cells in table(page, "#chart-duration-data").items()} == \
                {m["run_id"]: epoch(m["finished_at"]) - epoch(m["started_at"]) for m in manifests}
            assert {run: int(cells[0]) for run, cells in table(page, "#chart-requests-data").items()} == \
                {m["run_id"]: sum(s["requests"] for s in m["streams"].values()) for m in manifests}
            context.close()
