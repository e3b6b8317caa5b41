"""Requests per endpoint and per stream in the stats."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from zendesk_crawler.api.endpoints import ENDPOINT_META, STREAM_META
from zendesk_crawler.run.stats_keys import requests_to, stream_requests


class EndpointStatsMiddleware:
    """Counts requests sent per Zendesk endpoint and per stream (retries included) in the stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EndpointStatsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        endpoint = request.meta.get(ENDPOINT_META, "other")
        self.crawler.stats.inc_value(requests_to(endpoint))
        stream = request.meta.get(STREAM_META)
        if stream is not None:
            self.crawler.stats.inc_value(stream_requests(stream))
