"""Zendesk's rate-limit rules: the account budget, the export and search budgets, 429 waits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from zendesk_crawler.api.endpoints import (
    ATTACHMENT_ENDPOINT,
    CONVERSATION_LOG_ENDPOINT,
    ENDPOINT_META,
    INCREMENTAL_ENDPOINTS,
    SEARCH_EXPORT_ENDPOINT,
    STREAM_META,
    USERS_EXPORT_ENDPOINT,
)
from zendesk_crawler.config import AccountConfig
from zendesk_crawler.middlewares.auth import origin
from zendesk_crawler.middlewares.budget import (
    Budget,
    SlidingWindowBudget,
    account_budget,
    endpoint_budget,
)
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.run.stats_keys import RATE_LIMIT_PACED_SECONDS, RATE_LIMIT_PAUSED_SECONDS, RATE_LIMITED_429

logger = logging.getLogger(__name__)



class RateLimitMiddleware:
    """Keeps the crawler inside Zendesk's request budgets as the answers announce them; honours 429s.

    Scrapy's AutoThrottle adapts to latency, not to a budget, and its retry
    middleware would resend a 429 at once while every other request keeps
    going out. Zendesk's budgets are per account and per window, and every
    answer says what is left of the window and when it resets, so:

    - the account budget (``X-Rate-Limit`` / ``ratelimit-limit``,
      ``…-remaining``, ``ratelimit-reset``) is paced by what the answers
      announce (:class:`~zendesk_crawler.middlewares.budget.AnnouncedBudget`): requests go
      while the window has room and this crawler has used less than its
      ``ZENDESK_RATE_LIMIT_SHARE`` of it, then wait for the announced reset. The
      window's length is never assumed: a server with 6-second windows is
      used 10 times a minute;
    - Incremental Export requests are paced the same way by a
      ``Zendesk-RateLimit-incremental-exports*`` header when answers carry one,
      else by ``ZENDESK_EXPORT_REQUESTS_PER_MINUTE`` in a sliding
      ``ZENDESK_RATE_LIMIT_WINDOW`` (real ticket exports carry no such header);
      the Search Export and the conversation log requests likewise on their own
      budgets (``Zendesk-RateLimit-search-export``, ``Zendesk-RateLimit-omnilog-index``;
      ``ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE`` until one is announced);
    - until the first answer, and on answers without rate-limit headers, a
      sliding window of ``ZENDESK_RATE_LIMIT_WINDOW`` seconds is the fallback;
      ``ZENDESK_MAX_REQUESTS_PER_MINUTE`` is always a hard cap over that window;
    - a 429 pauses every request for its ``Retry-After`` (a 429 of an export:
      the requests of that export budget), then the rejected request is sent again;
    - Incremental Export requests take the export budget first come, first
      served: the tickets, users, organizations and ticket event exports each
      keep one page request out at a time, so they share the budget in turns
      and a long ticket backfill never waits behind a whole users export.

    Stats: ``zendesk/rate_limited_429``, ``zendesk/rate_limit_paused_seconds``
    (pauses after a 429) and ``zendesk/rate_limit_paced_seconds`` (wall time
    during which requests waited for budget).
    """

    DEFAULT_RETRY_AFTER = 60.0
    ASSUMED_ACCOUNT_LIMIT = 200  # Zendesk's smallest plan, until an answer says more
    SEQ_META = "zendesk_budget_seq"

    def __init__(self, crawler: Crawler) -> None:
        config = AccountConfig.from_settings(crawler.settings)
        self.crawler = crawler
        self.stats = crawler.stats
        self.origin = origin(config.base_url)
        self.share = config.rate_limit_share
        self.window = config.rate_limit_window
        self.max_retries = config.rate_limit_max_retries
        self.max_requests_per_minute = config.max_requests_per_minute
        self.account_limit = self.ASSUMED_ACCOUNT_LIMIT
        self.account = Budget(self.window, self.account_limit, self._account_allowance())
        #: One budget per Incremental Export bucket (see ``export_bucket``), created on first use.
        self.exports: dict[str, Budget] = {}
        self.export_requests_per_minute = config.export_requests_per_minute
        #: Budgets whose rate is documented (or set), used until a header announces one.
        self.bucket_rates = {SEARCH_EXPORT_BUCKET: SEARCH_EXPORT_RATE,
                             CONVERSATION_LOG_BUCKET: config.conversation_log_requests_per_minute}
        self.cap = (SlidingWindowBudget(config.max_requests_per_minute, self.window)
                    if config.max_requests_per_minute > 0 else None)
        self.paused_until = 0.0
        #: After a 429 of an export: when that export budget may be used again (the others go on).
        self.bucket_paused_until: dict[str | None, float] = {}
        self.paced_until = 0.0
        self.logged_window_end: float | None = None
        self._wake: asyncio.Event | None = None
        #: Per export bucket, the requests waiting for it in arrival order (only the first may take it).
        self.export_queues: dict[str, deque[object]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateLimitMiddleware:
        return cls(crawler)

    def _account_allowance(self) -> float:
        allowance = self.account_limit * self.share
        cap = self.max_requests_per_minute
        return min(allowance, cap) if cap > 0 else allowance

    def _export_budget(self, bucket: str) -> Budget:
        if bucket not in self.exports:
            rate = self.bucket_rates.get(bucket, self.export_requests_per_minute)
            self.exports[bucket] = Budget(self.window, rate, rate)
        return self.exports[bucket]

    def _pace(self, bucket: str | None) -> float:
        """Seconds until a request may go as far as the budgets are concerned."""
        account = self.account.delay()
        window_end = self.account.announced.window_end
        if account > 0 and self.account.announced.has_reading and window_end != self.logged_window_end:
            self.logged_window_end = window_end
            logger.info("The account's request budget for this window is spent; waiting %.1f s for its reset",
                        account)
        delays = [account, self.cap.delay() if self.cap else 0.0]
        if bucket is not None:
            delays.append(self._export_budget(bucket).delay())
        return max(delays)

    async def process_request(self, request: Request) -> None:
        if request.meta.get(ENDPOINT_META) == ATTACHMENT_ENDPOINT or origin(request.url) != self.origin:
            return  # file downloads and other hosts are not API calls: no budget (their own slot bounds them)
        bucket = export_bucket(request.meta.get(ENDPOINT_META))
        self._answered(request)  # a redirected or retried request: its earlier attempt is done
        turn = object()
        queue = self.export_queues.setdefault(bucket, deque()) if bucket is not None else None
        if queue is not None:
            queue.append(turn)
        try:
            while True:
                now = time.monotonic()
                pause = max(self.paused_until, self.bucket_paused_until.get(bucket, 0.0)) - now
                pace = self._pace(bucket)
                if pause <= 0 and pace <= 0 and (queue is None or queue[0] is turn):
                    break
                # Not its turn yet: it waits for the export request ahead of it to leave.
                await self._sleep(max(pause, min(pace, self.window)) if pause > 0 or pace > 0 else self.window)
                if pause <= 0 and pace > 0:
                    self._count_paced(now, time.monotonic())
        finally:
            if queue is not None:
                queue.remove(turn)
                self._wake_waiting()  # the next export request's turn
        request.meta[self.SEQ_META] = (self.account.record(),
                                       self._export_budget(bucket).record() if bucket is not None else None)
        if self.cap:
            self.cap.record()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake as soon as an answer brings a new reading (room may have come back)."""
        if self._wake is None:
            self._wake = asyncio.Event()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def _count_paced(self, start: float, end: float) -> None:
        """Add the part of [start, end) not already counted: wall time, not the sum over waiting requests."""
        added = end - max(start, self.paced_until)
        if added > 0:
            _add_seconds(self.stats, RATE_LIMIT_PACED_SECONDS, added)
            self.paced_until = end

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._answered(request)

    def _answered(self, request: Request) -> None:
        """The request will not reach the server later: it no longer counts as possibly uncounted."""
        account_seq, export_seq = request.meta.get(self.SEQ_META) or (None, None)
        done = account_seq is not None and self.account.answered(account_seq)
        bucket = export_bucket(request.meta.get(ENDPOINT_META))
        done |= export_seq is not None and bucket is not None and self._export_budget(bucket).answered(export_seq)
        if done:
            self._wake_waiting()  # a budget waiting for this answer may now know enough

    def process_response(self, request: Request, response: Response) -> Response | Request:
        headers = _lower_headers(response)
        self._learn(request, headers)
        self._answered(request)  # also when the answer announced nothing
        if response.status != 429:
            return response
        self.stats.inc_value(RATE_LIMITED_429)
        self._pause(_seconds(headers.get("retry-after"), self.DEFAULT_RETRY_AFTER), "429 Too Many Requests",
                    export_bucket(request.meta.get(ENDPOINT_META)))
        retries = request.meta.get("zendesk_429_retries", 0) + 1
        if retries > self.max_retries:
            record_failure(self.crawler, f"still rate limited (429) after {self.max_retries} waits: {request.url}",
                           stream=request.meta.get(STREAM_META))
            raise IgnoreRequest(f"gave up after {self.max_retries} rate-limit waits: {request.url}")
        retry = request.replace(dont_filter=True)
        retry.meta["zendesk_429_retries"] = retries
        return retry

    def _learn(self, request: Request, headers: dict[str, str]) -> None:
        """Take what the answer says about the budgets, and wake the requests waiting for room."""
        account_seq, export_seq = request.meta.get(self.SEQ_META) or (None, None)
        account = account_budget(headers)
        if account.limit and account.limit != self.account_limit:
            self.account_limit = account.limit
            self.account.set_allowance(account.limit, self._account_allowance())
            logger.info("Zendesk account budget: %d requests per window; using up to %.0f",
                        account.limit, self.account.allowance)
        if account.remaining is not None and account_seq is not None:
            self.account.reading(account_seq, account.remaining, account.resets_in)
        bucket = export_bucket(request.meta.get(ENDPOINT_META))
        if bucket is not None:
            budget = self._export_budget(bucket)
            export = endpoint_budget(headers.get(f"zendesk-ratelimit-{bucket}"))
            if export.limit:
                budget.set_allowance(export.limit, export.limit)
            if export.remaining is not None and export_seq is not None:
                budget.reading(export_seq, export.remaining, export.resets_in)
        self._wake_waiting()

    def _wake_waiting(self) -> None:
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    def _pause(self, seconds: float, why: str, bucket: str | None) -> None:
        """Pause every request, or after a 429 of an export only the requests of that export budget."""
        resume_at = time.monotonic() + seconds
        paused_until = self.bucket_paused_until.get(bucket, 0.0) if bucket else self.paused_until
        if resume_at <= max(paused_until, self.paused_until):
            return
        _add_seconds(self.stats, RATE_LIMIT_PAUSED_SECONDS,
                     resume_at - max(paused_until, self.paused_until, time.monotonic()))
        if bucket:
            self.bucket_paused_until[bucket] = resume_at
            logger.info("Pausing the requests of the %s budget for %.1f s: %s", bucket, seconds, why)
        else:
            self.paused_until = resume_at
            logger.info("Pausing all requests for %.1f s: %s", seconds, why)


#: The Search Export API's own limit, "100 requests per minute per account" (counted against the account's too);
#: the name of its header is not documented (``Zendesk-RateLimit-search-export`` is assumed, as the sandbox sends).
SEARCH_EXPORT_BUCKET = "search-export"
SEARCH_EXPORT_RATE = 100.0
#: List Conversation Log for Ticket's own budget (100 requests a minute, 300 with High Volume; counted against the
#: account's too), announced like the Ticketing APIs' ``Zendesk-RateLimit-tickets-index``.
CONVERSATION_LOG_BUCKET = "omnilog-index"


def export_bucket(endpoint: str | None) -> str | None:
    """The endpoint budget (an Incremental Export's, the Search Export's) an endpoint spends, by the name of its
    ``Zendesk-RateLimit-…`` header.

    Zendesk's cursor-based user export has its own budget (20 a minute,
    announced as ``Zendesk-RateLimit-incremental-exports-cursor``); the ticket,
    ticket event and organization exports share ``incremental-exports`` (10 a
    minute); the Search Export API has its own (100 a minute), and so has the conversation log (``omnilog-index``,
    100 a minute). Readings of one bucket never pace another. Until a header says more, a bucket is paced at its
    documented rate (the conversation log's: ``ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE``), else
    ``ZENDESK_EXPORT_REQUESTS_PER_MINUTE``.
    """
    if endpoint == USERS_EXPORT_ENDPOINT:
        return "incremental-exports-cursor"
    if endpoint == SEARCH_EXPORT_ENDPOINT:
        return SEARCH_EXPORT_BUCKET
    if endpoint == CONVERSATION_LOG_ENDPOINT:
        return CONVERSATION_LOG_BUCKET
    return "incremental-exports" if endpoint in INCREMENTAL_ENDPOINTS else None


def _lower_headers(response: Response) -> dict[str, str]:
    return {key.decode("latin-1").lower(): values[0].decode("latin-1")
            for key, values in response.headers.items() if values}


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(1.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _add_seconds(stats: StatsCollector, key: str, seconds: float) -> None:
    """Add ``seconds``, to the millisecond, to a stat counted in seconds."""
    stats.inc_value(key, round(seconds, 3))  # type: ignore[arg-type]  # annotated int, but inc_value adds any number
