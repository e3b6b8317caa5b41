"""A progress log a person can follow: tickets, comments, requests and the export position, every so often."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


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
