"""The rate-limit middleware on real requests and answers: pacing by the announced headers, 429 pauses of every
request or of one export budget, the export buckets.

The middleware reads ``time.monotonic`` and waits on asyncio; it takes no clock. So these tests use only
what needs no time to pass: whether a request goes at once or waits (one turn of an event loop), and the answers
that wake it. Budgets that run out within a window, and windows that end, are ``test_budget.py``'s (with a
clock given to the budget).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from zendesk_crawler.api.endpoints import (
    ATTACHMENT_ENDPOINT,
    COMMENTS_ENDPOINT,
    CONVERSATION_LOG_ENDPOINT,
    ENDPOINT_META,
    EVENTS_ENDPOINT,
    EXPORT_ENDPOINT,
    ORGANIZATIONS_EXPORT_ENDPOINT,
    SEARCH_EXPORT_ENDPOINT,
    USERS_EXPORT_ENDPOINT,
)
from zendesk_crawler.middlewares.ratelimit import RateLimitMiddleware, export_bucket
from zendesk_crawler.run.stats_keys import RATE_LIMITED_429, RUN_FAILURE_COUNT

ACCOUNT = {"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "agent@example.com",
           "ZENDESK_API_TOKEN": "s3cret"}
API = "https://acme.zendesk.com/api/v2"


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    # Cancel the requests still waiting; again if a wake-up swallowed a cancel (asyncio.wait_for can, in 3.11).
    while waiting := [task for task in asyncio.all_tasks(loop) if not task.done()]:
        for task in waiting:
            task.cancel()
        run_once(loop)
    loop.close()


def run_once(loop: asyncio.AbstractEventLoop) -> None:
    """One turn of the event loop: every callback ready now runs, nothing waits for time to pass."""
    loop.call_soon(loop.stop)
    loop.run_forever()


def middleware(**settings: str) -> RateLimitMiddleware:
    return RateLimitMiddleware.from_crawler(get_crawler(settings_dict={**ACCOUNT, **settings}))


def request(path: str = "/tickets/1/comments.json", endpoint: str = COMMENTS_ENDPOINT,
            base: str = API) -> Request:
    return Request(base + path, meta={ENDPOINT_META: endpoint})


def send(loop: asyncio.AbstractEventLoop, limiter: RateLimitMiddleware, sent: Request) -> asyncio.Task[None]:
    """Hand a request to the middleware and run the loop once: the task is done if the request may go now."""
    task = loop.create_task(limiter.process_request(sent))
    run_once(loop)
    return task


def answer(limiter: RateLimitMiddleware, sent: Request, status: int = 200, **headers: str) -> TextResponse | Request:
    return limiter.process_response(sent, TextResponse(sent.url, status=status, request=sent,
                                                       headers={k.replace("_", "-"): v for k, v in headers.items()}))


def test_requests_go_at_once_while_the_budget_has_room(loop):
    limiter = middleware()
    first = request()
    assert send(loop, limiter, first).done()
    answer(limiter, first, X_Rate_Limit="700", X_Rate_Limit_Remaining="699", ratelimit_reset="60")
    assert all(send(loop, limiter, request(f"/tickets/{n}/comments.json")).done() for n in range(20))


def test_a_spent_window_holds_requests_until_an_answer_announces_room(loop):
    limiter = middleware()
    early, late = request("/tickets/1/comments.json"), request("/tickets/2/comments.json")
    assert send(loop, limiter, early).done() and send(loop, limiter, late).done()
    answer(limiter, early, X_Rate_Limit="700", X_Rate_Limit_Remaining="0", ratelimit_reset="3600")
    waiting = send(loop, limiter, request("/tickets/3/comments.json"))
    assert not waiting.done()
    # The answer to the later request says the window has room (another integration's spending ended).
    answer(limiter, late, X_Rate_Limit="700", X_Rate_Limit_Remaining="500", ratelimit_reset="3600")
    loop.run_until_complete(waiting)


def test_only_the_share_of_the_announced_budget_is_used(loop):
    limiter = middleware(ZENDESK_RATE_LIMIT_SHARE="0.5")
    first = request()
    assert send(loop, limiter, first).done()
    answer(limiter, first, X_Rate_Limit="100", X_Rate_Limit_Remaining="99", ratelimit_reset="3600")
    went = [send(loop, limiter, request(f"/tickets/{n}/comments.json")).done() for n in range(60)]
    assert went == [True] * 49 + [False] * 11  # 50 of the window's 100, the first one included


def test_a_429_pauses_every_api_request_and_sends_the_rejected_one_again(loop):
    limiter = middleware()
    rejected = request()
    assert send(loop, limiter, rejected).done()
    retry = answer(limiter, rejected, status=429, Retry_After="3600")
    assert isinstance(retry, Request) and retry.url == rejected.url and retry.dont_filter
    assert retry.meta["zendesk_429_retries"] == 1
    assert limiter.stats.get_value(RATE_LIMITED_429) == 1
    assert not send(loop, limiter, retry).done()
    assert not send(loop, limiter, request("/groups.json", "groups")).done()
    assert not send(loop, limiter, request("/incremental/tickets/cursor.json", EXPORT_ENDPOINT)).done()
    # File downloads and other hosts are no API calls: they go on.
    assert send(loop, limiter, request("/attachments/token/a/?name=x.png", ATTACHMENT_ENDPOINT)).done()
    assert send(loop, limiter, request("/x.png", "other", base="https://acme.zdusercontent.com")).done()


def test_a_429_of_an_export_pauses_only_that_export_budget(loop):
    limiter = middleware()
    users = request("/incremental/users/cursor.json", USERS_EXPORT_ENDPOINT)
    assert send(loop, limiter, users).done()
    answer(limiter, users, status=429, Retry_After="3600")
    assert not send(loop, limiter, request("/incremental/users/cursor.json?cursor=b", USERS_EXPORT_ENDPOINT)).done()
    assert send(loop, limiter, request("/incremental/tickets/cursor.json", EXPORT_ENDPOINT)).done()
    assert send(loop, limiter, request()).done()


def test_a_request_still_rate_limited_after_its_retries_fails_its_stream(loop):
    limiter = middleware(ZENDESK_RATE_LIMIT_MAX_RETRIES="2")
    rejected = request()
    rejected.meta.update({"zendesk_429_retries": 2, "zendesk_stream": "tickets"})
    with pytest.raises(IgnoreRequest, match="gave up after 2 rate-limit waits"):
        answer(limiter, rejected, status=429, Retry_After="1")
    assert limiter.stats.get_value("zendesk/failure_count") == 1
    assert limiter.stats.get_value(RUN_FAILURE_COUNT) is None  # the stream's failure, not the run's


@pytest.mark.parametrize("endpoint, bucket", [
    (EXPORT_ENDPOINT, "incremental-exports"),
    (EVENTS_ENDPOINT, "incremental-exports"),
    (ORGANIZATIONS_EXPORT_ENDPOINT, "incremental-exports"),
    (USERS_EXPORT_ENDPOINT, "incremental-exports-cursor"),
    (SEARCH_EXPORT_ENDPOINT, "search-export"),
    (CONVERSATION_LOG_ENDPOINT, "omnilog-index"),
    (COMMENTS_ENDPOINT, None),
    (None, None),
])
def test_each_export_spends_the_budget_its_header_names(endpoint, bucket):
    assert export_bucket(endpoint) == bucket


def test_an_export_bucket_is_paced_by_its_own_header(loop):
    limiter = middleware(ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000")
    first = request("/incremental/tickets/cursor.json", EXPORT_ENDPOINT)
    assert send(loop, limiter, first).done()
    answer(limiter, first, Zendesk_RateLimit_incremental_exports="total=10; remaining=0; resets=3600")
    assert not send(loop, limiter, request("/incremental/tickets/cursor.json?cursor=b", EXPORT_ENDPOINT)).done()
    assert send(loop, limiter, request("/incremental/users/cursor.json", USERS_EXPORT_ENDPOINT)).done()
    assert send(loop, limiter, request()).done()


def test_conversation_logs_are_paced_by_their_own_budget(loop):
    log = "/tickets/{}/conversation_log"
    # Until an answer announces it: ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE in the sliding window.
    limiter = middleware(ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE="2")
    first, second = request(log.format(1), CONVERSATION_LOG_ENDPOINT), request(log.format(2), CONVERSATION_LOG_ENDPOINT)
    assert send(loop, limiter, first).done() and send(loop, limiter, second).done()
    assert not send(loop, limiter, request(log.format(3), CONVERSATION_LOG_ENDPOINT)).done()
    assert send(loop, limiter, request()).done()  # comments and the exports do not wait for it
    # Then what Zendesk-RateLimit-omnilog-index announces.
    limiter = middleware()
    first = request(log.format(1), CONVERSATION_LOG_ENDPOINT)
    assert send(loop, limiter, first).done()
    answer(limiter, first, Zendesk_RateLimit_omnilog_index="total=100; remaining=0; resets=3600")
    assert not send(loop, limiter, request(log.format(2), CONVERSATION_LOG_ENDPOINT)).done()
    assert send(loop, limiter, request()).done()
    assert send(loop, limiter, request("/incremental/tickets/cursor.json", EXPORT_ENDPOINT)).done()
