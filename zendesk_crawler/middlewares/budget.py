"""Zendesk's request budgets: what the server announces, a sliding-window fallback, and the headers.

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

    The fallback when answers announce nothing (and the hard cap of
    ``ZENDESK_MAX_REQUESTS_PER_MINUTE``): staying under the limit in every
    sliding window keeps every fixed window under it too.
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


class AnnouncedBudget:
    """Paces requests by what the server last said: how many are left in its window, and when it resets.

    Zendesk counts requests in fixed windows and says so on every answer
    (``remaining``, and ``reset`` in whole seconds). That is the truth about
    the account: it includes what other integrations spend, and the window
    length is whatever the server uses. So:

    - a reading (from the answer to request number ``seq``) sets what is left
      for us: the announced ``remaining`` less every request we sent after
      ``seq`` (they may not have been counted yet: a conservative guess that
      the next answers correct); when the ``allowance`` is less than the
      ``limit`` (a share, a hard cap), never more than the allowance less what
      we sent in this window, so the rest stays free for other integrations;
    - the window's end is the earliest ``now + reset`` of its readings: each is
      an upper bound (``reset`` is rounded up), and many answers make it tight;
    - each reading also bounds the end from below (``reset`` whole seconds
      from when its request was sent, less one); once the end has passed, a
      new window begins with the ``allowance`` less the requests sent after
      that lower bound (they may have reached the server after the turn), until
      a reading of the new window says otherwise; answers to requests sent
      before the new window describe the old one and are ignored;
    - a reading whose lower bound lies beyond the current window's upper bound
      means the server's window already turned: it starts the new window
      (bounds from send and receive times, so slow answers are no false turn).

    ``has_reading`` is false until the first reading: callers then fall back to
    a sliding window of the configured length.
    """

    #: A request unanswered for this long is gone (an answer that never reached the middleware, such as a
    #: redirect): it no longer counts as possibly uncounted. Far beyond DOWNLOAD_TIMEOUT and its retries.
    STALE_AFTER = 900.0

    def __init__(self, fallback_window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.fallback_window = fallback_window
        self.clock = clock
        #: Requests we may still send in the server's current window (``None``: nothing announced yet).
        self.left: float | None = None
        #: Upper bound of the current window's end (monotonic seconds); ``None``: unknown.
        self.window_end: float | None = None
        #: Lower bound of the current window's end: the end comes after it.
        self.end_after = float("-inf")
        self.allowance = 0.0
        self.limit = 0.0
        self.sent = 0  # requests sent so far (sequence numbers)
        self.window_first = 0  # sequence number of the first request of the current window
        self.applied = -1  # sequence number of the newest reading applied
        #: Send time by sequence number of the requests not answered yet.
        self.unanswered: dict[int, float] = {}
        #: (send time, sequence number) of the requests sent in the current window.
        self.window_sends: deque[tuple[float, int]] = deque()

    @property
    def has_reading(self) -> bool:
        return self.left is not None

    def set_allowance(self, limit: float, allowance: float) -> None:
        """The server's limit per window, and how many of its requests we may use (the rest is left to others)."""
        self.limit = limit
        self.allowance = allowance

    def record(self) -> int:
        """Count one request sent now; returns its sequence number (give it back with its reading)."""
        self._roll()
        seq, now = self.sent, self.clock()
        self.sent += 1
        self.unanswered[seq] = now
        self.window_sends.append((now, seq))
        if self.left is not None:
            self.left -= 1
        return seq

    def delay(self) -> float:
        """Seconds until one more request fits (0: now); ``inf`` when spent until an answer says more."""
        self._roll()
        if self.left is None or self.left >= 1:
            return 0.0
        if self.window_end is None:
            if self.unanswered:
                return float("inf")  # their answers will say how much is left
            # Spent, and no answer is on its way to say when the window ends (answers without
            # rate-limit headers, failed requests): assume the configured window.
            self.window_end = self.clock() + self.fallback_window
            self.end_after = self.window_end - 1
        return max(0.0, self.window_end - self.clock())

    def answered(self, seq: int) -> float | None:
        """Request ``seq`` got an answer (or failed): the server will not count it later. Returns its send time."""
        return self.unanswered.pop(seq, None)

    def reading(self, seq: int, remaining: int, resets_in: float | None) -> None:
        """Apply what the answer to request ``seq`` announced (``resets_in``: ``None`` when not said)."""
        sent_at = self.answered(seq)
        self._roll()
        if seq < self.window_first or seq <= self.applied:
            return  # about an earlier window, or older than what we know
        now = self.clock()
        sent_at = now if sent_at is None else sent_at
        if resets_in is None:
            # No reset announced: a window of the configured length from the first such reading.
            self.window_end = min(self.window_end or now + self.fallback_window, now + self.fallback_window)
            self.end_after = max(self.end_after, self.window_end - 1)
        else:
            # The server wrote the reset between sending and receiving: it bounds the end both ways.
            upper, lower = now + resets_in, sent_at + resets_in - 1
            if self.window_end is not None and lower >= self.window_end:
                # This answer's window ends after the current one's latest possible end: it turned.
                self._start_window(after=self.end_after)
                self.window_end = upper
            elif self.window_end is None or upper < self.window_end:
                self.window_end = upper
            self.end_after = max(self.end_after, lower)
        self.applied = seq
        # Requests sent after seq may not be counted yet, nor older ones still unanswered (they can
        # reach the server after seq did): both are taken as spent until an answer says otherwise.
        self.left = remaining - (self.sent - seq - 1) - sum(1 for older in self.unanswered if older < seq)
        if self.allowance < self.limit:
            self.left = min(self.left, self.allowance - len(self.window_sends))

    def _roll(self) -> None:
        now = self.clock()
        while self.unanswered and (oldest := next(iter(self.unanswered.items())))[1] < now - self.STALE_AFTER:
            del self.unanswered[oldest[0]]
        if self.window_end is not None and now >= self.window_end:
            self._start_window(after=self.end_after)
            self.window_end = None
            self.left = self.allowance - len(self.window_sends)

    def _start_window(self, after: float) -> None:
        """A new window began after ``after``: requests sent since then may count in it."""
        while self.window_sends and self.window_sends[0][0] <= after:
            self.window_sends.popleft()
        self.window_first = self.window_sends[0][1] if self.window_sends else self.sent
        self.end_after = float("-inf")


class Budget:
    """One of Zendesk's budgets: paced by what the answers announce, by a sliding window until they say anything."""

    def __init__(self, window: float, limit: float, allowance: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.announced = AnnouncedBudget(window, clock)
        self.fallback = SlidingWindowBudget(allowance, window, clock)
        self.set_allowance(limit, allowance)

    @property
    def allowance(self) -> float:
        return self.announced.allowance

    def set_allowance(self, limit: float, allowance: float) -> None:
        """The limit per window, and how much of it we may use."""
        self.announced.set_allowance(limit, allowance)
        self.fallback.limit = allowance

    def delay(self) -> float:
        """Seconds until one more request fits (0: now)."""
        return self.announced.delay() if self.announced.has_reading else self.fallback.delay()

    def record(self) -> int:
        """Count one request sent now; returns its sequence number for :meth:`reading`."""
        self.fallback.record()
        return self.announced.record()

    def answered(self, seq: int) -> bool:
        """Request ``seq`` got an answer or failed; whether it was still outstanding."""
        return self.announced.answered(seq) is not None

    def reading(self, seq: int, remaining: int, resets_in: float | None) -> None:
        """What the answer to request ``seq`` announced."""
        self.announced.reading(seq, remaining, resets_in)


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
