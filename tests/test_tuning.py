"""The CPU tuning components: quiet log formatter and garbage collector thresholds."""

import gc

from scrapy import Spider
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from zendesk_crawler.gc_tuning import GC_THRESHOLDS, GarbageCollectorTuning
from zendesk_crawler.logformatter import QuietLogFormatter


def formatter(**settings):
    return QuietLogFormatter.from_crawler(get_crawler(Spider, settings))


def test_per_response_and_per_item_messages_exist_only_at_debug():
    request = Request("http://127.0.0.1/api/v2/tickets/1/comments.json")
    response = TextResponse(request.url, body=b"{}", request=request)
    spider = Spider("zendesk")
    debug = formatter(LOG_LEVEL="DEBUG")
    crawled = debug.crawled(request, response, spider)
    assert "Crawled (200)" in crawled["msg"] % crawled["args"]
    assert debug.scraped({"id": 1}, response, spider) is not None
    for quiet in (formatter(LOG_LEVEL="INFO"), formatter(LOG_LEVEL="WARNING"),
                  formatter(LOG_LEVEL="DEBUG", LOG_ENABLED=False)):
        assert quiet.crawled(request, response, spider) is None
        assert quiet.scraped({"id": 1}, response, spider) is None
    # Messages that matter are untouched.
    error = formatter(LOG_LEVEL="INFO").download_error(Failure(ValueError("x")), request, spider)
    assert error is not None and error["msg"]


def test_gc_thresholds_are_raised_for_the_run_and_restored_after():
    before = gc.get_threshold()
    tuning = GarbageCollectorTuning()
    tuning.engine_started()
    try:
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        tuning.engine_stopped()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
