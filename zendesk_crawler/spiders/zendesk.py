"""The ``zendesk`` spider: a router that starts each selected stream and keeps the run open while they work.

Each stream (``zendesk_crawler/streams/``) builds its own requests and reads its
own pages; the spider only decides when a stream starts (after the streams it
depends on have been read), asks the streams for waiting work when the engine is
idle, and leaves what the run-state checks need in the stats when it closes.

A stream the account does not have (``stream_unavailable``) makes the streams that
depend on it unavailable too: they would wait for it forever, and what they lack is
the same feature, not a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import mark_unavailable
from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.run.stats_keys import stream_not_started, stream_unfinished
from zendesk_crawler.selection.filtered_tickets import SelectedTicketStream
from zendesk_crawler.selection.person import PersonStream
from zendesk_crawler.spiders.arguments import parse_run_arguments
from zendesk_crawler.streams import STREAMS, Stream


class ZendeskSpider(Spider):
    """Exports the selected streams (``-a streams=``; every stream by default) from their saved positions."""

    name = "zendesk"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ZendeskSpider:
        config = parse_run_arguments(crawler.settings, kwargs)
        config.put(crawler.settings)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.streams = _streams_for(crawler, config)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.resume_from, signal=zendesk_signals.resume_position)
        crawler.signals.connect(spider.stream_ended, signal=zendesk_signals.stream_ended)
        crawler.signals.connect(spider.stream_unavailable, signal=zendesk_signals.stream_unavailable)
        return spider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.streams: dict[str, Stream] = {}
        #: Streams that have been read to their end (a stream waiting on them may start).
        self.ended: set[str] = set()
        self.started: set[str] = set()

    def resume_from(self, stream: str, position: StreamPosition) -> None:
        """Where the run state says a stream resumes (told before the first request)."""
        if stream in self.streams:
            self.streams[stream].resume_from(position)

    async def start(self) -> AsyncIterator[Request]:
        for request in self._ready_requests():
            yield request

    def _ready_requests(self) -> list[Request]:
        """First requests of the streams not started yet whose dependencies have been read."""
        requests = []
        for name, stream in self.streams.items():
            if name not in self.started and all(dep in self.ended for dep in stream.depends_on):
                self.started.add(name)
                if not stream.stopped():
                    requests += stream.start_requests()
        return requests

    def stream_ended(self, stream: str) -> None:
        """A stream was read to its end: start the streams that waited for it."""
        self.ended.add(stream)
        assert self.crawler.engine is not None
        for request in self._ready_requests():
            self.crawler.engine.crawl(request)

    def stream_unavailable(self, stream: str, why: str) -> None:
        """The account does not have what ``stream`` needs: the streams waiting for it are unavailable too."""
        for name, waiting in self.streams.items():
            if stream in waiting.depends_on and name not in self.started:
                self.started.add(name)  # it never starts: unavailable, not waiting
                mark_unavailable(self.crawler, name, f"needs the {stream} stream, which {why}")

    def spider_idle(self) -> None:
        """Never close while a stream still has work waiting (tickets waiting for events, say)."""
        assert self.crawler.engine is not None
        requests = [request for stream in self.streams.values() if stream.name in self.started
                    for request in stream.idle()]
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def closed(self, reason: str) -> None:
        """Leave in the stats what the run-state checks need: records accepted but neither exported nor
        dropped, and the streams that never started because a stream they need did not end."""
        for stream in self.streams.values():
            self.crawler.stats.set_value(stream_unfinished(stream.name), stream.unfinished())
            if stream.name not in self.started:
                waited_for = [dep for dep in stream.depends_on if dep not in self.ended]
                self.crawler.stats.set_value(stream_not_started(stream.name), ", ".join(waited_for))


def _streams_for(crawler: Crawler, config: RunContext) -> dict[str, Stream]:
    """The selected streams, and the streams they depend on (read, not exported, when not selected).

    A filtered or person export reads its tickets its own way: its ticket stream replaces the backup's.
    """
    classes = dict(STREAMS)
    if config.person:
        classes["tickets"] = PersonStream
    elif config.ticket_filter:
        classes["tickets"] = SelectedTicketStream
    names = list(config.streams)
    needed = {dep for name in names for dep in classes[name].depends_on}
    return {name: cls(crawler, config, export=name in names)
            for name, cls in classes.items() if name in names or name in needed}
