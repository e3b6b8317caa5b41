"""A log formatter that skips Scrapy's per-response and per-item DEBUG messages unless they would be shown.

Scrapy asks the log formatter for a "Crawled (200) <GET …>" message for every
response and a "Scraped from …" message for every item, and logs them at DEBUG.
The root logger is at DEBUG, so each one builds a log record that the handler
then drops at the usual INFO level, a cost paid for every response and item.
Returning ``None`` tells Scrapy not to log at all.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spiders import Spider
from twisted.python.failure import Failure


class QuietLogFormatter(LogFormatter):
    """Scrapy's ``LogFormatter``, minus the per-response and per-item messages below ``LOG_LEVEL``."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        settings = crawler.settings
        level = settings.get("LOG_LEVEL")
        numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        return cls(settings.getbool("LOG_ENABLED") and isinstance(numeric, int) and numeric <= logging.DEBUG)

    def crawled(  # type: ignore[override]  # None means "do not log" in Scrapy's docs, not its annotation
            self, request: Request, response: Response, spider: Spider) -> LogFormatterResult | None:
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(  # type: ignore[override]  # None means "do not log" in Scrapy's docs, not its annotation
            self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult | None:
        return super().scraped(item, response, spider) if self.debug else None
