"""A stream the account does not have (``Stream.needs_feature``): unavailable, not failed.

Its first page answered 403 or 404 marks it unavailable with Zendesk's answer (logged once); any other failure of
it still fails the run; the final save leaves its saved position as it was; the manifest names it; the streams
waiting for it are unavailable too. The run-state part runs the real components on Scrapy's signals, as
``test_run_state_components.py`` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import TextResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from tests.unit.test_run_state_components import build_crawler, state
from tests.unit.test_streams import create_spider, respond
from zendesk_crawler import settings as project_settings
from zendesk_crawler.api.endpoints import FEATURE_META
from zendesk_crawler.items import OrganizationRecord, UserRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import failure_reason, mark_unavailable, unavailable_streams
from zendesk_crawler.run.stats_keys import STATE_SAVED
from zendesk_crawler.streams.groups import GroupStream

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
FORBIDDEN = {"error": {"title": "Forbidden", "message": "You do not have access to this page. Please contact the "
                                                        "account owner of this help desk for further help."}}


class HelpCenterGroups(GroupStream):
    """The group stream as if it needed the Help Center: a real stream's pages, a feature's answers."""

    needs_feature = "the Help Center"


def feature_stream(tmp_path: Path) -> HelpCenterGroups:
    spider = create_spider(tmp_path, streams="groups")
    groups = spider.streams["groups"]
    return HelpCenterGroups(spider.crawler, groups.config)


def failed_with(stream: HelpCenterGroups, status: int, body: Any) -> None:
    """The stream's first request, answered ``status`` after Scrapy's retries: its errback gets Scrapy's error."""
    request = stream.start_requests()[0]
    response = TextResponse(request.url, status=status, body=json.dumps(body).encode(), request=request,
                            headers={"Content-Type": "application/json"})
    stream.page_failed(Failure(HttpError(response)))


@pytest.mark.parametrize("status, body, answer", [
    (404, NOT_FOUND, "HTTP 404 (RecordNotFound: Not found)"),
    (403, FORBIDDEN, "HTTP 403 (Forbidden: You do not have access to this page. Please contact the account owner "
                     "of this help desk for further help.)"),
])
def test_a_403_or_404_of_the_first_page_marks_the_stream_unavailable_with_zendesks_answer(tmp_path, caplog, status,
                                                                                         body, answer):
    stream = feature_stream(tmp_path)
    with caplog.at_level(logging.WARNING):
        failed_with(stream, status, body)
        failed_with(stream, status, body)  # a second answer (another of its requests) is not logged again

    why = f"needs the Help Center; Zendesk answered {answer}"
    assert unavailable_streams(stream.crawler) == {"groups": why}
    assert failure_reason(stream.crawler) is None and not stream.failed()
    lines = [record.getMessage() for record in caplog.records if "unavailable" in record.getMessage()]
    assert lines == [f"The groups stream is unavailable, skipped (not a failure; the next run asks again): {why}"]
    assert "tok" not in lines[0]  # Zendesk's answer, never the request's credentials


def test_the_requests_of_a_feature_stream_say_so_and_the_others_do_not(tmp_path):
    assert feature_stream(tmp_path).start_requests()[0].meta[FEATURE_META] == "the Help Center"
    plain = create_spider(tmp_path, streams="groups").streams["groups"]
    assert FEATURE_META not in plain.start_requests()[0].meta


def test_a_500_a_later_page_or_a_stream_that_needs_no_feature_fails_as_before(tmp_path):
    server_error = feature_stream(tmp_path)
    failed_with(server_error, 500, {"error": "InternalError"})
    assert server_error.failed() and unavailable_streams(server_error.crawler) == {}

    later = feature_stream(tmp_path)
    first = later.start_requests()[0]
    page = {"groups": [{"id": 1}], "meta": {"has_more": True, "after_cursor": "c1"},
            "links": {"next": f"{first.url}&page[after]=c1"}}
    next(iter(later.parse_page(respond(first, page))))  # one page read: the account has the feature
    failed_with(later, 404, NOT_FOUND)
    assert later.failed() and unavailable_streams(later.crawler) == {}

    plain = create_spider(tmp_path, streams="groups").streams["groups"]
    request = plain.start_requests()[0]
    plain.page_failed(Failure(HttpError(TextResponse(request.url, status=404, body=b"{}", request=request))))
    assert plain.failed() and unavailable_streams(plain.crawler) == {}
    assert "check ZENDESK_SUBDOMAIN" in failure_reason(plain.crawler)


def test_a_stream_that_also_failed_is_a_failure_not_unavailable(tmp_path):
    stream = feature_stream(tmp_path)
    failed_with(stream, 404, NOT_FOUND)
    stream.fail("the group list stopped: something else")
    assert unavailable_streams(stream.crawler) == {}


def test_the_streams_waiting_for_an_unavailable_stream_are_unavailable_too(tmp_path):
    spider = create_spider(tmp_path, streams="tickets")  # tickets wait for the ticket fields
    mark_unavailable(spider.crawler, "ticket_fields", "needs X; Zendesk answered HTTP 403")
    assert unavailable_streams(spider.crawler) == {
        "ticket_fields": "needs X; Zendesk answered HTTP 403",
        "tickets": "needs the ticket_fields stream, which needs X; Zendesk answered HTTP 403",
    }
    assert "tickets" in spider.started  # it never starts, and is not counted as waiting when the spider closes


def test_403_and_404_are_not_retried():
    codes = Settings(vars(project_settings)).getlist("RETRY_HTTP_CODES")
    assert 403 not in codes and 404 not in codes and 500 in codes


# --- the final save and the manifest -----------------------------------------------------------------------


async def a_run(crawler: Crawler, unavailable: dict[str, str], reason: str = "finished") -> None:
    """users and organizations read one page each to their end, but those in ``unavailable`` (marked so)."""
    send = crawler.signals.send_catch_log_async
    await send(signals.spider_opened, spider=crawler.spider)
    async for _ in crawler.spider.start():  # the streams' first requests (no engine sends them)
        pass
    pages = {"users": ("cursor-1", UserRecord.from_page({"id": 7, "updated_at": "2026-01-01T00:00:00Z"}, 1)),
             "organizations": (1767225600,
                               OrganizationRecord.from_page({"id": 3, "updated_at": "2026-01-01T00:00:00Z"}, 1))}
    for stream, (position, record) in pages.items():
        if stream in unavailable:
            mark_unavailable(crawler, stream, unavailable[stream])
            continue
        await send(zendesk_signals.page_received, stream=stream, page=1, position=position, end_of_stream=True,
                   repeats=[])
        await send(zendesk_signals.page_records, stream=stream, page=1, count=1)
        await send(signals.item_scraped, item=record, response=None, spider=crawler.spider)
        await send(zendesk_signals.stream_ended, stream=stream)
    await send(signals.spider_closed, spider=crawler.spider, reason=reason)


def manifest_of(export: Path, crawler: Crawler) -> dict[str, Any]:
    return json.loads((export / f"manifest-{crawler.settings['ZENDESK_RUN_ID']}.json").read_text())


def run(export: Path, unavailable: dict[str, str]) -> Crawler:
    feeds = {str(export / "records-%(batch_id)05d-%(batch_time)s.json"): {"format": "json"}}
    crawler = build_crawler(export, feeds=feeds, start_time="0", streams="organizations,users")
    asyncio.run(a_run(crawler, unavailable))
    return crawler


def test_an_unavailable_stream_keeps_its_saved_position_and_the_run_is_complete(tmp_path):
    run(tmp_path, {})
    before = state(tmp_path)["streams"]["organizations"]
    why = "needs the Help Center; Zendesk answered HTTP 404 (RecordNotFound: Not found)"

    crawler = run(tmp_path, {"organizations": why})

    assert failure_reason(crawler) is None
    assert crawler.stats.get_value(STATE_SAVED) == str(tmp_path / "state.json")
    saved = state(tmp_path)["streams"]
    assert saved["organizations"] == before  # untouched: the next run asks again from there
    assert saved["users"]["cursor"] == "cursor-1"
    manifest = manifest_of(tmp_path, crawler)
    assert manifest["status"] == "complete" and manifest["failure"] is None
    assert manifest["unavailable"] == {"organizations": why}
    entry = manifest["streams"]["organizations"]
    assert entry["unavailable"] == why and entry["complete"] is False and entry["position_after"] is None
    assert entry["problem"] == f"unavailable: {why}"  # what readers that know no "unavailable" key show
    assert manifest["streams"]["users"] == {**manifest["streams"]["users"], "complete": True, "problem": None,
                                            "unavailable": None}


def test_nothing_is_remembered_as_unavailable(tmp_path):
    run(tmp_path, {"organizations": "needs the Help Center; Zendesk answered HTTP 404"})
    crawler = run(tmp_path, {})
    manifest = manifest_of(tmp_path, crawler)
    assert manifest["unavailable"] == {} and manifest["streams"]["organizations"]["complete"] is True
    assert state(tmp_path)["streams"]["organizations"]["start_time"] == 1767225600


def test_an_unavailable_stream_is_stopped_and_sends_nothing_more(tmp_path):
    stream = feature_stream(tmp_path)
    assert not stream.stopped()
    failed_with(stream, 404, NOT_FOUND)
    assert stream.stopped() and not stream.failed()
