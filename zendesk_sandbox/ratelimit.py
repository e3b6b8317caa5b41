"""Zendesk's rate limits: an account budget per minute shared by every API endpoint, and the
separate incremental-export budget, in fixed one-minute windows.

Headers follow ``shared/zendesk-samples/errors.md``: every answer carries ``X-Rate-Limit``,
``X-Rate-Limit-Remaining`` and ``ratelimit-limit/-remaining/-reset``; a request over a budget
gets 429 with ``Retry-After``. The ``Zendesk-RateLimit-incremental-exports-cursor`` header is
only sent when asked for, because real recordings of the tickets export do not carry it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

#: What the headers announce when the account budget is unlimited (0).
DISPLAYED_UNLIMITED = 700
EXPORT_BUDGET_HEADER = "Zendesk-RateLimit-incremental-exports-cursor"


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
                 other_usage: int = 0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if other_usage < 0 or (limit and other_usage >= limit):
            raise ValueError("other_usage must be between 0 and the limit")
        self.limit = limit
        self.other_usage = other_usage
        self.export_limit = export_limit
        self.window = 60.0 / time_scale
        self.export_budget_header = export_budget_header
        self._monotonic = monotonic
        self._start = monotonic()
        self._lock = threading.Lock()
        self._window_index = 0
        self._used = 0
        self._export_used = 0
        self._others = 0

    def _roll(self, now: float) -> float:
        """Start a new window if the current one is over; return real seconds until it ends."""
        index = int((now - self._start) // self.window)
        if index != self._window_index:
            self._window_index = index
            self._used = 0
            self._export_used = 0
        left = self._start + (index + 1) * self.window - now
        self._others = int(self.other_usage * (1 - left / self.window))
        return left

    def window_index(self) -> int:
        """The number (0, 1, …) of the window now running, for the request log."""
        return int((self._monotonic() - self._start) // self.window)

    def check(self, is_export: bool, consume: bool = True, export_header: str | None = None) -> Decision:
        """Account one request (``is_export`` for ``/api/v2/incremental/...``) and say if it may proceed.

        With ``consume=False`` nothing is counted (for answers such as 401 that are not charged).
        ``export_header`` names the export budget header (default ``EXPORT_BUDGET_HEADER``).
        """
        with self._lock:
            left = self._roll(self._monotonic())
            reset = max(1, math.ceil(left))
            export_over = bool(self.export_limit) and self._export_used >= self.export_limit
            account_over = bool(self.limit) and self._used + self._others >= self.limit
            allowed = not (is_export and export_over) and not account_over
            if allowed and consume:
                self._used += 1
                if is_export:
                    self._export_used += 1
            headers = self._headers(reset, is_export, export_header or EXPORT_BUDGET_HEADER)
        if not allowed:
            headers.insert(0, ("Retry-After", str(reset)))
        return Decision(allowed, headers)

    def _headers(self, reset: int, is_export: bool, export_header: str) -> list[tuple[str, str]]:
        limit = self.limit or DISPLAYED_UNLIMITED
        remaining = str(max(0, self.limit - self._used - self._others) if self.limit else DISPLAYED_UNLIMITED)
        headers = [("X-Rate-Limit", str(limit)), ("X-Rate-Limit-Remaining", remaining),
                   ("ratelimit-limit", str(limit)), ("ratelimit-remaining", remaining),
                   ("ratelimit-reset", str(reset))]
        if is_export and self.export_budget_header:
            total = self.export_limit or 10
            export_remaining = max(0, self.export_limit - self._export_used) if self.export_limit else total
            headers.append((export_header, f"total={total}; remaining={export_remaining}; resets={reset}"))
        return headers
