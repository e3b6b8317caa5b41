"""Downloader middlewares: authentication, Zendesk's rate-limit rules, per-endpoint stats."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from zendesk_crawler.outcome import record_failure

logger = logging.getLogger(__name__)

ENDPOINT_META = "zendesk_endpoint"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class ZendeskAuthMiddleware:
    """Sends the account's credentials to the account's own base URL, and nowhere else.

    Scrapy's ``HttpAuthMiddleware`` knows only Basic auth and matches a domain
    (any port, any scheme); Zendesk also takes OAuth Bearer tokens, and
    attachment URLs may point at other hosts, so credentials are bound to the
    exact origin (scheme, host, port) of the configured base URL.

    A 401 or 403 from the account stops the run at once: retrying rejected
    credentials only burns the budget.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ZendeskAuthMiddleware:
        return cls(crawler)

    def _config(self):
        return self.crawler.spider.config  # type: ignore[union-attr]

    def process_request(self, request: Request) -> None:
        config = self._config()
        if _origin(request.url) == _origin(config.base_url):
            request.headers["Authorization"] = config.auth_header
        else:
            request.headers.pop("Authorization", None)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in (401, 403) and _origin(request.url) == _origin(self._config().base_url):
            what = "rejected" if response.status == 401 else "not allowed (the user needs admin access)"
            reason = (
                f"Zendesk answered {response.status}: the credentials ({self._config().auth_kind}) were {what} "
                f"for {self._config().base_url}"
            )
            if self.crawler.stats.get_value("zendesk/auth_failed") is None:
                self.crawler.stats.set_value("zendesk/auth_failed", response.status)
                record_failure(self.crawler, reason)
                assert self.crawler.engine is not None
                asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="auth_failed"))
            raise IgnoreRequest(reason)
        return response


class RateLimitMiddleware:
    """Honours Zendesk's 429 ``Retry-After`` for the whole account.

    Scrapy's retry middleware would retry a 429 at once, while every other
    request keeps going out: Zendesk's budget is per account, so a 429 pauses
    all requests until the window closes, and the rejected request is sent again
    afterwards. Counts 429s and the seconds paused in the stats.
    """

    DEFAULT_RETRY_AFTER = 60

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_retries = crawler.settings.getint("ZENDESK_RATE_LIMIT_MAX_RETRIES", 30)
        self.paused_until = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateLimitMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        while (wait := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response | Request:
        if response.status != 429:
            return response
        stats = self.crawler.stats
        stats.inc_value("zendesk/rate_limited_429")
        wait = self._retry_after(response)
        resume_at = time.monotonic() + wait
        if resume_at > self.paused_until:
            stats.inc_value("zendesk/rate_limit_paused_seconds", round(resume_at - max(self.paused_until, time.monotonic()), 3))
            self.paused_until = resume_at
            logger.info("Zendesk rate limit reached (429): pausing all requests for %.0f s", wait)
        retries = request.meta.get("zendesk_429_retries", 0) + 1
        if retries > self.max_retries:
            record_failure(self.crawler, f"still rate limited (429) after {self.max_retries} waits: {request.url}")
            raise IgnoreRequest(f"gave up after {self.max_retries} rate-limit waits: {request.url}")
        retry = request.replace(dont_filter=True)
        retry.meta["zendesk_429_retries"] = retries
        return retry

    def _retry_after(self, response: Response) -> float:
        raw = response.headers.get("Retry-After")
        try:
            return max(1.0, float(raw.decode("ascii")))
        except (AttributeError, ValueError, UnicodeDecodeError):
            return self.DEFAULT_RETRY_AFTER


class EndpointStatsMiddleware:
    """Counts requests sent per Zendesk endpoint (retries included) in the stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EndpointStatsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        endpoint = request.meta.get(ENDPOINT_META, "other")
        self.crawler.stats.inc_value(f"zendesk/requests/{endpoint}")
