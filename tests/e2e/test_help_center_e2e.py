"""Satisfaction ratings and the Help Center end to end: the real crawl against the sandbox's truth, then a second
run after changes that reads ``satisfaction_ratings`` and ``articles`` from their saved positions."""

from __future__ import annotations

import hashlib
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


def test_article_attachments_are_stored_once_content_addressed_and_not_downloaded_again(tmp_path):
    with SandboxProcess(tickets=40, seed=42, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        on = ("-a", "attachments=true", "-a", "streams=articles")
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *on)
        assert first.returncode == 0, first.stderr[-3000:]
        truth = {a["id"]: a for a in sandbox.article_attachments_truth()}
        articles = first.records("articles")
        assert first.records("articles", ".xml") == articles
        listed = [a for article in articles for a in article["attachments"]]
        assert sorted(a["id"] for a in listed) == sorted(truth)  # every attachment of every article, once
        assert any(a["inline"] for a in listed)
        for attachment in listed:
            expected = truth[attachment["id"]]
            assert {k: v for k, v in attachment.items() if k != "stored_file"} == \
                {k: v for k, v in expected.items() if k != "sha256"}  # as Zendesk lists it
            stored = attachment["stored_file"]
            assert stored["sha256"] == expected["sha256"] and stored["size"] == expected["size"]
            assert hashlib.sha256((tmp_path / stored["path"]).read_bytes()).hexdigest() == expected["sha256"]
        digests = {a["sha256"] for a in truth.values()}
        assert len(digests) < len(truth)  # shared files...
        files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file() and "index" not in p.parts]
        assert sorted(p.name for p in files) == sorted(digests)  # ...stored once each
        by_article = {a["id"]: {k: v for k, v in a.items() if k != "attachments"} for a in articles}
        assert by_article == by_id(sandbox.stream_truth("articles"))
        content_host = sandbox.content_url.split("//", 1)[1]
        log = sandbox.requests_log()["log"]
        assert sum(e["host"] == content_host for e in log) == len(truth)  # one download per attachment
        assert sum(e["path"].endswith("/attachments.json") for e in log) == len(articles)  # one list per article

        changed = [a["id"] for a in articles if a["attachments"]][:2]
        sandbox.change(articles={"update": changed})
        sandbox.advance_clock(120)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, *on)
        assert second.returncode == 0, second.stderr[-3000:]
        log = sandbox.requests_log(since=log_start)["log"]
        assert sorted(r["id"] for r in second.records("articles")) == sorted(changed)
        assert not [e for e in log if e["host"] == content_host or "/hc/article_attachments/" in e["path"]]
        for article in second.records("articles"):
            for attachment in article["attachments"]:
                assert attachment["stored_file"]["sha256"] == truth[attachment["id"]]["sha256"]
        assert second.manifest()["status"] == "complete"


def test_a_failed_article_attachment_download_fails_the_run_and_the_articles_position_stays(tmp_path):
    with SandboxProcess(tickets=40, seed=43, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        on = ("-a", "attachments=true", "-a", "streams=articles")
        broken = sandbox.article_attachments_truth()[0]
        sandbox.faults([{"endpoint": "article_attachment", "kind": "status", "status": 500, "count": -1,
                         "attachment_ids": [broken["id"]]}])
        failed = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *on, RETRY_TIMES="1",
                           ZENDESK_RETRY_BACKOFF_BASE="0")
        assert failed.returncode == 1
        (line,) = failed.failure_lines()
        assert f"article {broken['article_id']}" in line and str(broken["id"]) in line
        assert "articles" not in (failed.state() or {}).get("streams", {})  # the position did not move past it
        assert broken["article_id"] not in {r["id"] for r in failed.records("articles")}
        sandbox.faults([])
        again = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *on)  # no position saved: from the start
        assert again.returncode == 0, again.stderr[-3000:]
        (article,) = [r for r in again.records("articles") if r["id"] == broken["article_id"]]
        (stored,) = [a["stored_file"] for a in article["attachments"] if a["id"] == broken["id"]]
        assert stored["sha256"] == broken["sha256"]
