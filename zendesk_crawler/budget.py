"""Zendesk's request budgets: a sliding-window counter and the rate-limit headers.

Kept free of Scrapy so the arithmetic can be tested on its own; the
``RateLimitMiddleware`` in ``middlewares.py`` applies it to requests.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class SlidingWindowBudget:
    """Allows at most ``limit`` events in any span of ``window`` seconds.

    Zendesk counts requests in fixed one-minute windows; staying under the
    limit in every sliding window keeps every fixed window under it too.
    """

    def __init__(self, limit: float, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sent: deque[float] = deque()

    def delay(self) -> float:
        """Seconds to wait before one more event fits (0 when it fits now)."""
        now = self.clock()
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        allowed = max(1, int(self.limit))
        if len(self.sent) < allowed:
            return 0.0
        return self.sent[len(self.sent) - allowed] + self.window - now

    def record(self) -> None:
        """Count one event now."""
        self.sent.append(self.clock())


@dataclass(frozen=True)
class BudgetReading:
    """What one answer's headers say about a budget (``None``: not said)."""

    limit: int | None = None
    remaining: int | None = None
    resets_in: float | None = None


def _first_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name.lower())
        if value is None:
            continue
        try:
            return int(float(value.strip()))
        except ValueError:
            continue
    return None


def account_budget(headers: Mapping[str, str]) -> BudgetReading:
    """The account-wide budget from ``X-Rate-Limit*`` / ``ratelimit-*`` / ``rate-limit*`` headers.

    Zendesk renamed these over the years. ``headers`` maps lower-case names to values.
    """
    limit = _first_int(headers, "X-Rate-Limit", "ratelimit-limit", "rate-limit")
    remaining = _first_int(headers, "X-Rate-Limit-Remaining", "ratelimit-remaining", "rate-limit-remaining")
    resets = _first_int(headers, "ratelimit-reset", "rate-limit-reset")
    return BudgetReading(limit, remaining, resets)


_FIELD = re.compile(r"(total|remaining|resets)\s*=\s*(\d+)")


def endpoint_budget(header_value: str | None) -> BudgetReading:
    """Parse ``Zendesk-RateLimit-<endpoint>: total=N; remaining=N; resets=S``."""
    if not header_value:
        return BudgetReading()
    fields = {name: int(value) for name, value in _FIELD.findall(header_value)}
    return BudgetReading(fields.get("total"), fields.get("remaining"), fields.get("resets"))
