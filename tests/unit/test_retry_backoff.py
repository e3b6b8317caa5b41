"""The retry backoff: a retried request waits 1, 2, 4 … times the base, up to the cap, once per attempt.

The middleware waits with ``asyncio.sleep`` and takes no clock: the tests record the waits it asks for
instead of waiting them.
"""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from zendesk_crawler.middlewares import retry
from zendesk_crawler.middlewares.retry import RetryBackoffMiddleware

ACCOUNT = {"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "agent@example.com",
           "ZENDESK_API_TOKEN": "s3cret"}


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The seconds each ``asyncio.sleep`` of the middleware asked for, returned at once."""
    asked: list[float] = []

    async def record(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", record)
    return asked


def backoff(**settings: str) -> RetryBackoffMiddleware:
    return RetryBackoffMiddleware.from_crawler(get_crawler(settings_dict={**ACCOUNT, **settings}))


def test_a_first_attempt_goes_at_once(waits):
    asyncio.run(backoff().process_request(Request("https://acme.zendesk.com/api/v2/tickets.json")))
    assert waits == []


def test_each_retry_waits_twice_as_long_up_to_the_cap(waits):
    middleware = backoff(ZENDESK_RETRY_BACKOFF_BASE="0.5", ZENDESK_RETRY_BACKOFF_MAX="3")
    for attempt in range(1, 6):
        request = Request("https://acme.zendesk.com/api/v2/tickets.json", meta={"retry_times": attempt})
        asyncio.run(middleware.process_request(request))
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_an_attempt_waits_once_even_when_it_passes_again(waits):
    # A request redirected or paused by the rate limit comes through the middleware again: no second wait.
    middleware = backoff()
    request = Request("https://acme.zendesk.com/api/v2/tickets.json", meta={"retry_times": 2})
    asyncio.run(middleware.process_request(request))
    asyncio.run(middleware.process_request(request))
    assert waits == [2.0]
    request.meta["retry_times"] = 3
    asyncio.run(middleware.process_request(request))
    assert waits == [2.0, 4.0]
