"""Progress a person can follow on a backfill that takes hours: per stream, records, position, share covered, time left.

Scrapy's ``PeriodicLog`` prints the raw stats (and deltas) as a dict; a
person following a backfill needs, per stream, how far through the time range
the export is and how long the rest should take, so this extension computes
that from the same stats. It shows a live display (``rich``) when the output is
a terminal and Scrapy's log goes elsewhere (``LOG_FILE``, as ``make demo`` does);
otherwise it logs one progress line every ``ZENDESK_PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler.api.endpoints import COMMENTS_ENDPOINT
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import (
    COMMENTS_EXPORTED,
    records_exported,
    requests_to,
    stream_ended,
    stream_first_updated_at,
    stream_pages,
    stream_position_updated_at,
    stream_requests,
)

logger = logging.getLogger(__name__)

#: Scrapy's own count of the requests sent (retries included).
REQUEST_COUNT = "downloader/request_count"

#: Seconds between redraws of the live display.
LIVE_REFRESH = 0.5


@dataclass
class StreamProgress:
    """How far one stream is, from the stats."""

    stream: str
    records: int
    pages: int
    requests: int
    ended: bool
    #: ``updated_at`` of the newest record read (incremental streams), else ``None``.
    position: str | None
    #: Share of the time range from the first record read to now that the stream has covered (0..1), if known.
    covered: float | None
    #: Estimated seconds left at the rate so far, if known.
    seconds_left: float | None
    #: The records this run takes at most (``-a max_tickets`` for the tickets; 0: no limit): then ``covered`` is
    #: the share of the slice, not of the time range.
    limit: int = 0

    def line(self) -> str:
        """One line for a log: ``tickets: 1200 records from 2 pages, 45% of the time range (position …), about 3 min
        left``."""
        text = f"{self.stream}: {self.records} records from {self.pages} pages"
        if self.ended:
            return text + ", done"
        if self.limit:
            text += f", {self.covered or 0:.0%} of the slice (max_tickets={self.limit})"
        elif self.covered is not None:
            text += f", {self.covered:.0%} of the time range (position {self.position})"
        if self.seconds_left is not None:
            text += f", about {_duration(self.seconds_left)} left"
        return text


def stream_progress(stats: StatsCollector, stream: str, now: float, started: float,
                    limit: int = 0) -> StreamProgress:
    """The progress of ``stream`` at unix time ``now`` for a run started at ``started``; ``limit``: the records
    the run takes at most (a slice of ``-a max_tickets``; 0: to the end of the stream)."""
    get = stats.get_value
    position = get(stream_position_updated_at(stream))
    first, reached = epoch(get(stream_first_updated_at(stream))), epoch(position)
    ended = bool(get(stream_ended(stream)))
    records = get(records_exported(stream), 0)
    covered = seconds_left = None
    if limit:
        covered = min(1.0, records / limit)
    elif first is not None and reached is not None and now > first:
        covered = min(1.0, max(0.0, (reached - first) / (now - first)))
    elapsed = now - started
    if covered is not None and 0 < covered < 1 and elapsed > 0:
        seconds_left = elapsed * (1 - covered) / covered
    return StreamProgress(stream, records, get(stream_pages(stream), 0),
                          get(stream_requests(stream), 0), ended, position, 1.0 if ended else covered,
                          0.0 if ended else seconds_left, limit)


def stream_limits(context: RunContext) -> dict[str, int]:
    """The records each stream of the run takes at most: the tickets' ``-a max_tickets`` (others: none)."""
    return {"tickets": context.max_tickets} if context.max_tickets else {}


def progress_summary(requests: int, streams: list[StreamProgress], comments: int, comment_pages: int) -> str:
    """The progress line's text: ``12 requests; tickets: …; users: …; comments: 9 from 3 comment pages``."""
    return "; ".join([f"{requests} requests", *(entry.line() for entry in streams),
                      f"comments: {comments} from {comment_pages} comment pages"])


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressLog:
    """Shows each exported stream's progress: a live display on a terminal, else a log line every so often."""

    def __init__(self, crawler: Crawler, interval: float, streams: list[str], live: bool,
                 limits: dict[str, int] | None = None) -> None:
        self.stats = crawler.stats
        self.interval = interval
        self.streams = streams
        self.limits = limits or {}
        self.live = LiveDisplay(streams) if live else None
        self.started = time.time()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("ZENDESK_PROGRESS_INTERVAL")
        config = RunContext.of(crawler.settings)
        if interval <= 0 or config is None:
            raise NotConfigured
        log_on_terminal = crawler.settings.getbool("LOG_ENABLED") and not crawler.settings.get("LOG_FILE")
        live = sys.stderr.isatty() and not log_on_terminal and crawler.settings.getbool("ZENDESK_PROGRESS_LIVE")
        ext = cls(crawler, interval, list(config.streams), live, stream_limits(config))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = time.time()
        if self.live is not None:
            self.live.start()
        self.task = create_looping_call(self.show)
        self.task.start(LIVE_REFRESH if self.live is not None else self.interval, now=False)

    def progress(self) -> list[StreamProgress]:
        now = time.time()
        return [stream_progress(self.stats, stream, now, self.started, self.limits.get(stream, 0))
                for stream in self.streams]

    def show(self) -> None:
        if self.live is not None:
            self.live.update(self.progress())
        else:
            self.log()

    def log(self) -> None:
        get = self.stats.get_value
        logger.info("Progress: %s", progress_summary(get(REQUEST_COUNT, 0), self.progress(), get(COMMENTS_EXPORTED, 0),
                                                     get(requests_to(COMMENTS_ENDPOINT), 0)))

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live is not None:
            self.live.update(self.progress())
            self.live.stop()
        self.log()


class LiveDisplay:
    """A ``rich`` progress bar per stream, redrawn in place on the terminal."""

    def __init__(self, streams: list[str]) -> None:
        from rich.progress import BarColumn, Progress, TextColumn  # only on a terminal

        self.progress = Progress(TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.fields[text]}"),
                                 transient=False)
        self.tasks = {stream: self.progress.add_task(stream, total=1000, text="waiting") for stream in streams}

    def start(self) -> None:
        self.progress.start()

    def update(self, progress: list[StreamProgress]) -> None:
        for entry in progress:
            text = f"{entry.records} records, {entry.requests} requests"
            if entry.ended:
                text += ", done"
            elif entry.seconds_left is not None:
                text += f", about {_duration(entry.seconds_left)} left"
            self.progress.update(self.tasks[entry.stream], completed=1000 * (entry.covered or 0), text=text)

    def stop(self) -> None:
        self.progress.stop()
