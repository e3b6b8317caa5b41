"""The runtime tuning components: quiet log formatter, garbage collector thresholds, timer sweep."""

import gc

from scrapy import Spider
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from zendesk_crawler.extensions.housekeeping import (
    GC_THRESHOLDS,
    TIMER_SWEEP_INTERVAL,
    CancelledTimerSweep,
    GarbageCollectorTuning,
)
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


def test_timer_sweep_fires_a_twisted_timer_while_the_engine_runs():
    clock = Clock()
    sweep = CancelledTimerSweep(clock)
    sweep.engine_started()
    assert [call.getTime() for call in clock.getDelayedCalls()] == [TIMER_SWEEP_INTERVAL]
    clock.advance(TIMER_SWEEP_INTERVAL)
    assert [call.getTime() for call in clock.getDelayedCalls()] == [2 * TIMER_SWEEP_INTERVAL]
    sweep.engine_stopped()
    assert clock.getDelayedCalls() == []
