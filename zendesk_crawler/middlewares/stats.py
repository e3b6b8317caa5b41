"""Requests per endpoint and per stream in the stats."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from zendesk_crawler.items import (
    ENDPOINT_META,
    STREAM_META,
)


class EndpointStatsMiddleware:
    """Counts requests sent per Zendesk endpoint and per stream (retries included) in the stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EndpointStatsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        endpoint = request.meta.get(ENDPOINT_META, "other")
        self.crawler.stats.inc_value(f"zendesk/requests/{endpoint}")
        stream = request.meta.get(STREAM_META)
        if stream is not None:
            self.crawler.stats.inc_value(f"zendesk/{stream}/requests")
