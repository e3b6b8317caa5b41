"""Satisfaction ratings and the Help Center end to end: the real crawl against the sandbox's truth, then a second
run after changes that reads ``satisfaction_ratings`` and ``articles`` from their saved positions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.support.crawl import run_crawl
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

STREAMS = ("satisfaction_ratings", "categories", "sections", "articles")
SELECT = ("-a", "streams=" + ",".join(STREAMS))
#: Small list pages, so the category and section lists paginate (ratings are read 100 a page).
PAGES = {"ZENDESK_LIST_PAGE_SIZE": "2"}


def by_id(records: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {record["id"]: record for record in records}


RATINGS, ARTICLES = "/api/v2/satisfaction_ratings.json", "/api/v2/help_center/incremental/articles.json"


def paths(log: list[dict[str, Any]]) -> Counter[str]:
    return Counter(entry["path"] for entry in log)


def test_every_record_every_field_then_exactly_the_changes(tmp_path):
    with SandboxProcess(tickets=300, seed=41, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *SELECT, **PAGES)
        assert first.returncode == 0, first.stderr[-3000:]
        for stream in STREAMS:
            truth = sandbox.stream_truth(stream)
            records = first.records(stream)
            assert truth
            assert Counter(r["id"] for r in records) == Counter(r["id"] for r in truth)  # none lost, none twice
            assert by_id(records) == by_id(truth)  # every field, translations included
            assert first.records(stream, ".xml") == records
        articles = first.records("articles")
        assert any(len(a["translations"]) > 2 for a in articles) and any(a["draft"] for a in articles)
        assert any(t["outdated"] for a in articles for t in a["translations"])
        assert any(s["parent_section_id"] for s in first.records("sections"))
        ratings = first.records("satisfaction_ratings")
        assert {"good", "bad", "offered"} <= {r["score"] for r in ratings}
        assert any(r["updated_at"] != r["created_at"] for r in ratings)
        saved = first.state()["streams"]
        assert isinstance(saved["articles"]["start_time"], int)
        assert isinstance(saved["satisfaction_ratings"]["start_time"], int)
        assert "categories" not in saved and "sections" not in saved
        first_log = sandbox.requests_log()["log"]
        assert paths(first_log)[RATINGS] == -(-len(ratings) // 100)

        # Old ratings change (their created_at stays where it was): a start_time position would miss them.
        oldest = sorted(ratings, key=lambda r: r["created_at"])[:2]
        article_ids = [a["id"] for a in sorted(articles, key=lambda a: a["updated_at"])[:2]]
        changed = sandbox.change(satisfaction_ratings={"update": [r["id"] for r in oldest], "create": 1},
                                 articles={"update": article_ids, "create": 1})
        sandbox.advance_clock(120)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, *SELECT, **PAGES)
        assert second.returncode == 0, second.stderr[-3000:]
        log = sandbox.requests_log(since=log_start)["log"]
        export = [e for e in log if e["path"] == ARTICLES]
        assert export[0]["query"]["start_time"] == str(saved["articles"]["start_time"])
        assert len(export) == 1  # one page holds every change
        assert paths(log)[RATINGS] == -(-(len(ratings) + 1) // 100)
        expected_ratings = [r["id"] for r in oldest] + changed["satisfaction_ratings"]["created"]
        assert sorted(r["id"] for r in second.records("satisfaction_ratings")) == sorted(expected_ratings)
        expected_articles = article_ids + changed["articles"]["created"]
        assert sorted(r["id"] for r in second.records("articles")) == sorted(expected_articles)
        truth = {stream: by_id(sandbox.stream_truth(stream)) for stream in ("satisfaction_ratings", "articles")}
        for stream in truth:
            assert all(record == truth[stream][record["id"]] for record in second.records(stream))
        # A third run without changes exports nothing of either.
        third = run_crawl(sandbox.url, tmp_path, *SELECT, **PAGES)
        assert third.returncode == 0, third.stderr[-3000:]
        assert third.records("satisfaction_ratings") == [] and third.records("articles") == []
