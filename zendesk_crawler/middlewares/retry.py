"""Backoff before a retried request."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler

from zendesk_crawler.config import AccountConfig


class RetryBackoffMiddleware:
    """Waits before sending a retried request: 1, 2, 4 … seconds, up to ``ZENDESK_RETRY_BACKOFF_MAX``.

    Scrapy's ``RetryMiddleware`` (and ``get_retry_request``) resend a failed
    request as soon as the scheduler hands it out; against a struggling server
    that burns the retries in a second. This delays only the retried request.
    """

    def __init__(self, crawler: Crawler) -> None:
        config = AccountConfig.from_settings(crawler.settings)
        self.base = config.retry_backoff_base
        self.cap = config.retry_backoff_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        attempt = request.meta.get("retry_times", 0)
        if attempt and request.meta.get("zendesk_backoff_done") != attempt:
            request.meta["zendesk_backoff_done"] = attempt
            await asyncio.sleep(min(self.cap, self.base * 2 ** (attempt - 1)))
