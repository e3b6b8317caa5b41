"""Zendesk's rate limits: an account budget per minute shared by every API endpoint, and the
incremental-export, search-export and conversation-log budgets, in fixed one-minute windows.

Headers follow ``tests/fixtures/zendesk-samples/errors.md``: every answer carries ``X-Rate-Limit``,
``X-Rate-Limit-Remaining`` and ``ratelimit-limit/-remaining/-reset``; a request over a budget
gets 429 with ``Retry-After``.

Two export budgets, as Zendesk documents them: the cursor-based user export has its own
(``incremental-exports-cursor``, twice the export limit: 20 a minute against 10), announced in
``Zendesk-RateLimit-incremental-exports-cursor`` on every answer; the ticket, ticket event and
organization exports share ``incremental-exports``, whose ``Zendesk-RateLimit-incremental-exports``
header is only sent when asked for (``export_budget_header``), because real recordings of the
ticket export do not carry one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: What the headers announce when the account budget is unlimited (0).
DISPLAYED_UNLIMITED = 700
#: The export buckets: (header name, whether the header is always sent).
EXPORTS = "incremental-exports"
CURSOR_EXPORTS = "incremental-exports-cursor"
#: The Export Search Results endpoint's own budget (documented: 100 requests a minute, counted against the account
#: budget too); its header ``Zendesk-RateLimit-search-export`` is the sandbox's guess at a name (not documented).
SEARCH_EXPORT = "search-export"
#: List Conversation Log for Ticket's own budget (documented: 100 requests a minute, 300 with High Volume, counted
#: against the account budget too), announced on every answer in ``Zendesk-RateLimit-omnilog-index`` in the
#: documented shape of the Ticketing APIs' endpoint headers (``total=100; remaining=99; resets=41``).
CONVERSATION_LOG = "omnilog-index"
#: The buckets whose header every answer carries, and what it announces as total when unlimited (0).
ANNOUNCED_TOTALS = {CURSOR_EXPORTS: 20, SEARCH_EXPORT: 100, CONVERSATION_LOG: 100}


@dataclass
class Decision:
    """Whether a request may proceed, and the headers its answer carries."""

    allowed: bool
    headers: list[tuple[str, str]] = field(default_factory=list)


class RateLimiter:
    """Counts requests in fixed windows of ``60 / time_scale`` real seconds; thread-safe.

    ``limit`` and ``export_limit`` are requests per window; 0 means unlimited. A refused
    request does not use up budget. Retry-After and resets are in real seconds, rounded up.
    ``other_usage`` is what other integrations of the account spend per window, evenly over
    the window (counted against ``limit``, so the remaining budget shrinks as time passes).
    """

    def __init__(self, limit: int = 700, export_limit: int = 10, time_scale: float = 1.0,
                 export_budget_header: bool = False, monotonic: Callable[[], float] = time.monotonic,
                 other_usage: int = 0, search_export_limit: int = 100, conversation_log_limit: int = 100) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if other_usage < 0 or (limit and other_usage >= limit):
            raise ValueError("other_usage must be between 0 and the limit")
        self.limit = limit
        self.other_usage = other_usage
        self.export_limit = export_limit
        self.search_export_limit = search_export_limit
        self.conversation_log_limit = conversation_log_limit
        self.window = 60.0 / time_scale
        self.export_budget_header = export_budget_header
        self._monotonic = monotonic
        self._start = monotonic()
        self._lock = threading.Lock()
        self._window_index = 0
        self._used = 0
        self._export_used = {EXPORTS: 0, CURSOR_EXPORTS: 0, SEARCH_EXPORT: 0, CONVERSATION_LOG: 0}
        self._others = 0

    def _roll(self, now: float) -> float:
        """Start a new window if the current one is over; return real seconds until it ends."""
        index = int((now - self._start) // self.window)
        if index != self._window_index:
            self._window_index = index
            self._used = 0
            self._export_used = {EXPORTS: 0, CURSOR_EXPORTS: 0, SEARCH_EXPORT: 0, CONVERSATION_LOG: 0}
        left = self._start + (index + 1) * self.window - now
        self._others = int(self.other_usage * (1 - left / self.window))
        return left

    def window_index(self) -> int:
        """The number (0, 1, …) of the window now running, for the request log."""
        return int((self._monotonic() - self._start) // self.window)

    def _export_limit(self, bucket: str) -> int:
        if bucket == SEARCH_EXPORT:
            return self.search_export_limit
        if bucket == CONVERSATION_LOG:
            return self.conversation_log_limit
        return self.export_limit * 2 if bucket == CURSOR_EXPORTS else self.export_limit

    def check(self, bucket: str | None, consume: bool = True) -> Decision:
        """Account one request (``bucket``: its export budget, ``None`` for other endpoints); may it proceed?

        With ``consume=False`` nothing is counted (for answers such as 401 that are not charged).
        """
        with self._lock:
            left = self._roll(self._monotonic())
            reset = max(1, math.ceil(left))
            limit = self._export_limit(bucket) if bucket else 0
            export_over = bool(limit) and self._export_used[bucket] >= limit  # type: ignore[index]  # limit is 0 without a bucket
            account_over = bool(self.limit) and self._used + self._others >= self.limit
            allowed = not export_over and not account_over
            if allowed and consume:
                self._used += 1
                if bucket:
                    self._export_used[bucket] += 1
            headers = self._headers(reset, bucket)
        if not allowed:
            headers.insert(0, ("Retry-After", str(reset)))
        return Decision(allowed, headers)

    def _headers(self, reset: int, bucket: str | None) -> list[tuple[str, str]]:
        limit = self.limit or DISPLAYED_UNLIMITED
        remaining = str(max(0, self.limit - self._used - self._others) if self.limit else DISPLAYED_UNLIMITED)
        headers = [("X-Rate-Limit", str(limit)), ("X-Rate-Limit-Remaining", remaining),
                   ("ratelimit-limit", str(limit)), ("ratelimit-remaining", remaining),
                   ("ratelimit-reset", str(reset))]
        if bucket and (bucket in ANNOUNCED_TOTALS or self.export_budget_header):
            limit = self._export_limit(bucket)
            total = limit or ANNOUNCED_TOTALS.get(bucket, 10)
            export_remaining = max(0, limit - self._export_used[bucket]) if limit else total
            headers.append((f"Zendesk-RateLimit-{bucket}",
                            f"total={total}; remaining={export_remaining}; resets={reset}"))
        return headers
