"""Holds the export location's run lock for the whole run: one run at a time per location."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.state.lock import run_lock_for
from zendesk_crawler.state.run_state import run_context
from zendesk_crawler.state.store import StateError


class RunLockHolder:
    """Takes the lock beside the state file while the crawler is built, renews it, and lets it go last.

    - Built before the components that work under the lock (``EXTENSIONS``
      order): a second run refuses to start (``RunLockedError``, a state error).
    - Renewed every third of ``ZENDESK_LOCK_TTL`` while the spider runs; a lost
      lock (another run took an expired S3 lease over) is a failure of the run,
      and the spider closes (``lock_lost``).
    - Let go on ``run_closed``, the last shutdown step (``state/shutdown.py``),
      or on ``start_refused`` when a component after it refused to start the run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        context = run_context(crawler)
        self.ttl = context.lock_ttl
        self.lock = run_lock_for(context.state_uri, crawler.settings, context.lock_ttl)
        self.lock.acquire(context.run_id)
        self.renewal: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLockHolder:
        holder = cls(crawler)
        crawler.signals.connect(holder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(holder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(holder.release, signal=zendesk_signals.start_refused)
        crawler.signals.connect(holder.release, signal=zendesk_signals.run_closed)
        return holder

    def spider_opened(self) -> None:
        self.renewal = create_looping_call(self.renew)
        self.renewal.start(self.ttl / 3, now=False)

    def renew(self) -> None:
        try:
            self.lock.renew()
        except StateError as exc:
            record_failure(self.crawler, str(exc))
            assert self.crawler.engine is not None
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="lock_lost"))

    def spider_closed(self) -> None:
        """No renewal while the run shuts down (the lock is let go at its end)."""
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()

    def release(self) -> None:
        self.lock.release()
