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

from zendesk_crawler.budget import SlidingWindowBudget, account_budget, endpoint_budget
from zendesk_crawler.items import ENDPOINT_META, INCREMENTAL_ENDPOINTS
from zendesk_crawler.outcome import record_failure

logger = logging.getLogger(__name__)



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
    """Keeps the crawler inside Zendesk's request budgets, and honours 429s account-wide.

    Scrapy's AutoThrottle adapts to latency, not to a budget, and its retry
    middleware would resend a 429 at once while every other request keeps
    going out. Zendesk's budgets are per account and per minute, so:

    - every request waits for room in a sliding one-minute window sized to the
      account budget the answers announce (``X-Rate-Limit`` /
      ``ratelimit-limit``) times ``ZENDESK_RATE_LIMIT_SHARE``, capped by
      ``ZENDESK_MAX_REQUESTS_PER_MINUTE``; Incremental Export requests also wait
      for their own budget (``ZENDESK_EXPORT_REQUESTS_PER_MINUTE``, or what a
      ``Zendesk-RateLimit-incremental-exports*`` header says);
    - when an answer says the account has no more than the other
      integrations' share left (``X-Rate-Limit-Remaining``), everything pauses
      until the window resets (``ratelimit-reset``);
    - a 429 pauses every request for its ``Retry-After``, then the rejected
      request is sent again.

    Stats: ``zendesk/rate_limited_429``, ``zendesk/rate_limit_paused_seconds``
    (pauses after a 429 or an exhausted budget) and
    ``zendesk/rate_limit_paced_seconds`` (waits for room in the window).
    """

    DEFAULT_RETRY_AFTER = 60.0
    ASSUMED_ACCOUNT_LIMIT = 200  # Zendesk's smallest plan, until an answer says more

    def __init__(self, crawler: Crawler) -> None:
        config = crawler.spider.config  # type: ignore[union-attr]
        self.crawler = crawler
        self.stats = crawler.stats
        self.share = config.rate_limit_share
        self.cap = config.max_requests_per_minute
        self.window = config.rate_limit_window
        self.max_retries = config.rate_limit_max_retries
        self.account_limit = self.ASSUMED_ACCOUNT_LIMIT
        self.account = SlidingWindowBudget(self._account_allowance(), self.window)
        self.export = SlidingWindowBudget(config.export_requests_per_minute, self.window)
        self.paused_until = 0.0
        self.export_paused_until = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateLimitMiddleware:
        return cls(crawler)

    def _account_allowance(self) -> float:
        allowance = self.account_limit * self.share
        return min(allowance, self.cap) if self.cap > 0 else allowance

    async def process_request(self, request: Request) -> None:
        is_export = request.meta.get(ENDPOINT_META) in INCREMENTAL_ENDPOINTS
        while True:
            now = time.monotonic()
            pause = max(self.paused_until, self.export_paused_until if is_export else 0.0) - now
            pace = max(self.account.delay(), self.export.delay() if is_export else 0.0)
            if pause <= 0 and pace <= 0:
                break
            if pause <= 0:
                self.stats.inc_value("zendesk/rate_limit_paced_seconds", pace)
            await asyncio.sleep(max(pause, pace))
        self.account.record()
        if is_export:
            self.export.record()

    def process_response(self, request: Request, response: Response) -> Response | Request:
        headers = _lower_headers(response)
        self._learn(request, headers)
        if response.status != 429:
            return response
        self.stats.inc_value("zendesk/rate_limited_429")
        self._pause(_seconds(headers.get("retry-after"), self.DEFAULT_RETRY_AFTER), "429 Too Many Requests")
        retries = request.meta.get("zendesk_429_retries", 0) + 1
        if retries > self.max_retries:
            record_failure(self.crawler, f"still rate limited (429) after {self.max_retries} waits: {request.url}")
            raise IgnoreRequest(f"gave up after {self.max_retries} rate-limit waits: {request.url}")
        retry = request.replace(dont_filter=True)
        retry.meta["zendesk_429_retries"] = retries
        return retry

    def _learn(self, request: Request, headers: dict[str, str]) -> None:
        """Adapt the allowances and pause when an answer says a budget is spent."""
        account = account_budget(headers)
        if account.limit and account.limit != self.account_limit:
            self.account_limit = account.limit
            self.account.limit = self._account_allowance()
            logger.info("Zendesk account budget: %d requests/minute; using up to %.0f", account.limit, self.account.limit)
        if account.remaining is not None and account.remaining <= self.account_limit - self._account_allowance():
            self._pause(_reset_seconds(account.resets_in, self.window), "the account's request budget is spent")
        export_header = next((v for k, v in headers.items() if k.startswith("zendesk-ratelimit-incremental-exports")), None)
        export = endpoint_budget(export_header)
        if export.limit:
            self.export.limit = export.limit
        if export.remaining == 0 and request.meta.get(ENDPOINT_META) in INCREMENTAL_ENDPOINTS:
            self.export_paused_until = time.monotonic() + _reset_seconds(export.resets_in, self.window)

    def _pause(self, seconds: float, why: str) -> None:
        resume_at = time.monotonic() + seconds
        if resume_at <= self.paused_until:
            return
        self.stats.inc_value("zendesk/rate_limit_paused_seconds",
                             round(resume_at - max(self.paused_until, time.monotonic()), 3))
        self.paused_until = resume_at
        logger.info("Pausing all requests for %.1f s: %s", seconds, why)


def _lower_headers(response: Response) -> dict[str, str]:
    return {key.decode("latin-1").lower(): values[0].decode("latin-1")
            for key, values in response.headers.items() if values}


def _reset_seconds(resets_in: float | None, window: float) -> float:
    """How long to pause for a spent budget: until the announced reset (at least a moment), else a window."""
    return window if resets_in is None else max(0.1, resets_in)


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(1.0, float(value)) if value is not None else default
    except ValueError:
        return default


class RetryBackoffMiddleware:
    """Waits before sending a retried request: 1, 2, 4 … seconds, up to ``ZENDESK_RETRY_BACKOFF_MAX``.

    Scrapy's ``RetryMiddleware`` (and ``get_retry_request``) resend a failed
    request as soon as the scheduler hands it out; against a struggling server
    that burns the retries in a second. This delays only the retried request.
    """

    def __init__(self, crawler: Crawler) -> None:
        config = crawler.spider.config  # type: ignore[union-attr]
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
