"""Extensions: the run's state (saved cursor) and a progress log a person can follow."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler.outcome import failure_reason, record_failure
from zendesk_crawler.state import STATE_VERSION, StateError, state_store

logger = logging.getLogger(__name__)


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunStateExtension:
    """Loads the saved cursor before the first request; saves the new one only after a complete run.

    The cursor moves only when the spider finished normally, reached the end of
    the export stream, no failure was recorded, and every feed was stored
    (Scrapy's ``feed_exporter_closed`` signal, checked against the feed-export
    stats). Anything else leaves the previous state untouched, so the next run
    exports the same changes again: duplicates are possible, losses are not.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        spider = crawler.spider
        self.config = spider.config  # type: ignore[union-attr]
        self.store = state_store(self.config.state_uri)
        self.started_at = _utc_now()
        self.stored_files: list[str] = []
        self.feeds_closed = asyncio.Event()
        self.previous = self._load_previous()
        self.saved_cursor: str | None = None
        if self.previous and not self.config.ignore_cursor:
            self.saved_cursor = self.previous.get("cursor")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStateExtension:
        if not hasattr(crawler.spider, "config"):
            raise NotConfigured("not a zendesk spider")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(ext.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def spider_error(self, failure: Any, response: Any) -> None:
        """A callback raised: whatever it was handling may be missing from the export."""
        record_failure(self.crawler, f"unexpected error while handling {response.url}: {failure.value!r}")

    def item_error(self, item: Any, failure: Any) -> None:
        """A pipeline raised: that ticket was not exported."""
        ticket_id = item.ticket.get("id") if hasattr(item, "ticket") else None
        record_failure(self.crawler, f"ticket {ticket_id} could not be exported: {failure.value!r}")

    def _load_previous(self) -> dict[str, Any] | None:
        try:
            previous = self.store.load()
        except StateError:
            if not self.config.ignore_cursor:
                raise
            logger.warning("Ignoring the unreadable state file %s (ignore_cursor=true); it will be replaced",
                           self.config.state_uri)
            return None
        if previous and previous.get("base_url") not in (None, self.config.base_url):
            if not self.config.ignore_cursor:
                raise StateError(
                    f"the state file {self.config.state_uri} belongs to {previous.get('base_url')}, not "
                    f"{self.config.base_url}: use another ZENDESK_EXPORT_URI, or -a ignore_cursor=true to start over"
                )
        return previous

    def spider_opened(self) -> None:
        if self.saved_cursor:
            last = (self.previous or {}).get("last_run") or {}
            logger.info("Resuming from the cursor saved in %s (last run finished %s)",
                        self.config.state_uri, last.get("finished_at", "at an unknown time"))
            if self.config.start_time_given:
                logger.warning("start_time is ignored: a saved cursor exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.")
        else:
            why = "ignore_cursor=true" if self.config.ignore_cursor else f"no saved cursor in {self.config.state_uri}"
            start = datetime.fromtimestamp(self.config.start_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            logger.info("Starting from start_time=%s (%s) (%s)", self.config.start_time, start, why)

    def feed_slot_closed(self, slot: Any) -> None:
        self.stored_files.append(slot.uri)

    def feed_exporter_closed(self) -> None:
        self.feeds_closed.set()

    async def spider_closed(self, reason: str) -> None:
        if self.crawler.get_extension(FeedExporter) is not None:
            await self.feeds_closed.wait()
        problem = self._why_not_save(reason)
        if problem:
            record_failure(self.crawler, problem)
            logger.error("State not saved: the next run starts again from %s",
                         "the previous cursor" if self.saved_cursor else "start_time")
            return
        self.store.save(self._new_state())
        self.crawler.stats.set_value("zendesk/state_saved", self.config.state_uri)
        logger.info("Saved the cursor to %s", self.config.state_uri)

    def _why_not_save(self, reason: str) -> str | None:
        stats = self.crawler.stats
        failed_feeds = sum(value for key, value in stats.get_stats().items()
                           if key.startswith("feedexport/failed_count/"))
        if failure_reason(self.crawler):
            return failure_reason(self.crawler)
        if reason != "finished":
            return f"the run was stopped before it finished ({reason})"
        if failed_feeds:
            return f"{failed_feeds} feed file(s) could not be stored (see the errors above)"
        if not self.crawler.spider.end_of_stream:  # type: ignore[union-attr]
            return "the export did not reach the end of the ticket stream"
        return None

    def _new_state(self) -> dict[str, Any]:
        stats = self.crawler.stats
        spider = self.crawler.spider
        previous = self.previous or {}
        return {
            "version": STATE_VERSION,
            "base_url": self.config.base_url,
            "cursor": spider.export_cursor or self.saved_cursor,  # type: ignore[union-attr]
            "position_updated_at": stats.get_value("zendesk/position_updated_at",
                                                   previous.get("position_updated_at")),
            "last_run": {
                "run_id": self.crawler.settings.get("ZENDESK_RUN_ID"),
                "started_at": self.started_at,
                "finished_at": _utc_now(),
                "started_from": {"cursor": self.saved_cursor} if self.saved_cursor
                else {"start_time": self.config.start_time},
                "tickets_exported": stats.get_value("zendesk/tickets_exported", 0),
                "comments_exported": stats.get_value("zendesk/comments_exported", 0),
                "deleted_tickets_exported": stats.get_value("zendesk/tickets_deleted", 0),
                "requests": stats.get_value("downloader/request_count", 0),
                "files": self.stored_files,
            },
        }


class ProgressLog:
    """Logs tickets and comments exported, requests sent and the export position every so often."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.stats = crawler.stats
        self.interval = interval
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("ZENDESK_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        get = self.stats.get_value
        logger.info(
            "Progress: %d tickets and %d comments exported; %d requests (%d export pages, %d comment pages); "
            "export position: updated_at %s",
            get("zendesk/tickets_exported", 0), get("zendesk/comments_exported", 0),
            get("downloader/request_count", 0), get("zendesk/requests/incremental_tickets", 0),
            get("zendesk/requests/ticket_comments", 0), get("zendesk/position_updated_at", "not reached yet"),
        )

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log()
