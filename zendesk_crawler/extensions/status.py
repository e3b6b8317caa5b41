"""The run's status document: what the web page reads to show a run's progress, locally or on S3.

``status/status-<run id>.json`` under the export location (a folder of its own, so
it can never be taken for a feed file, ``<stream>-<run id>-NNNNN.<ext>``, or a
manifest, ``manifest-<run id>.json``, which sit directly in the location). It is
replaced atomically (``documents_for(...).write``): when the spider opens, every
``ZENDESK_PROGRESS_INTERVAL`` seconds (``0``: never in between), and a last time
when the engine stops, after every component's close, so that the finish reason
and the failure reason are final. The manifest stays the authority on how a run
ended; this document only says how far it got. Writing it never fails the run.

The format (``version`` 1), also in the README::

    {"version": 1, "run_id": "...", "state": "running" | "finished" | "failed",
     "started_at": "...Z", "updated_at": "...Z", "finish_reason": null | "finished" | ...,
     "failure": null | "one line", "requests": 12, "comments_exported": 9, "comment_pages": 3,
     "unavailable": {"sla_policies": "needs SLA policies on the plan; Zendesk answered HTTP 403 (...)"},
     "streams": {"tickets": {"records": 300, "pages": 1, "requests": 4, "position_updated_at": "...Z" | null,
                             "ended": false, "covered": 0.45 | null, "seconds_left": 120.0 | null}, ...}}
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler.api.endpoints import COMMENTS_ENDPOINT
from zendesk_crawler.extensions.progress import (
    REQUEST_COUNT,
    StreamProgress,
    progress_summary,
    stream_limits,
    stream_progress,
)
from zendesk_crawler.location.documents import Documents, documents_for, to_json
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import unavailable_in
from zendesk_crawler.run.stats_keys import COMMENTS_EXPORTED, FAILURE_REASON, requests_to
from zendesk_crawler.state.readers import as_count, as_json, as_mapping, as_number, as_text

logger = logging.getLogger(__name__)

STATUS_VERSION = 1
#: The folder of the export location that holds the status documents.
STATUS_FOLDER = "status"
RUNNING, FINISHED, FAILED = "running", "finished", "failed"


def status_uri(export_uri: str, run_id: str) -> str:
    """Where the status document of run ``run_id`` lives in an export location."""
    return join_uri(export_uri, f"{STATUS_FOLDER}/status-{run_id}.json")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_status(stats: StatsCollector, *, run_id: str, state: str, started: float, now: float,
                 progress: list[StreamProgress], finish_reason: str | None = None) -> dict[str, Any]:
    """The status document of a run at unix time ``now``, from its stats and its streams' progress."""
    get = stats.get_value
    return {
        "version": STATUS_VERSION,
        "run_id": run_id,
        "state": state,
        "started_at": _iso(started),
        "updated_at": _iso(now),
        "finish_reason": finish_reason,
        "failure": get(FAILURE_REASON),
        "requests": get(REQUEST_COUNT, 0),
        "comments_exported": get(COMMENTS_EXPORTED, 0),
        "comment_pages": get(requests_to(COMMENTS_ENDPOINT), 0),
        "unavailable": unavailable_in(stats),
        "streams": {entry.stream: {"records": entry.records, "pages": entry.pages, "requests": entry.requests,
                                   "position_updated_at": entry.position, "ended": entry.ended,
                                   "covered": entry.covered, "seconds_left": entry.seconds_left,
                                   **({"limit": entry.limit} if entry.limit else {})}
                    for entry in progress},
    }


class StatusDocumentWriter:
    """Keeps the run's status document up to date: at open, every progress interval, and once the engine stops."""

    def __init__(self, crawler: Crawler, context: RunContext, interval: float) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.settings: BaseSettings = crawler.settings
        self.run_id = context.run_id
        self.streams = list(context.streams)
        self.limits = stream_limits(context)
        self.uri = status_uri(context.export_uri, context.run_id)
        self.interval = interval
        self.documents: Documents | None = None
        self.started: float | None = None
        self.finish_reason: str | None = None
        self.failing = False
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatusDocumentWriter:
        context = RunContext.of(crawler.settings)
        if context is None:
            raise NotConfigured("not a zendesk spider's crawl")
        ext = cls(crawler, context, crawler.settings.getfloat("ZENDESK_PROGRESS_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self) -> None:
        self.started = time.time()
        self.write()
        if self.interval > 0:
            self.task = create_looping_call(self.write)
            self.task.start(self.interval, now=False)

    def spider_closed(self, reason: str) -> None:
        # The other components may still be closing (the manifest, the final checks): the last write waits for
        # the engine to stop.
        if self.task is not None and self.task.running:
            self.task.stop()
        self.finish_reason = reason

    def engine_stopped(self) -> None:
        if self.started is None:  # the spider never opened: there is no run to tell about
            return
        failed = self.stats.get_value(FAILURE_REASON) is not None or self.finish_reason != "finished"
        self.write(FAILED if failed else FINISHED)

    def write(self, state: str = RUNNING) -> None:
        """Replace the document; a failure is a warning (the first of a row of them), never the run's failure."""
        assert self.started is not None
        now = time.time()
        progress = [stream_progress(self.stats, stream, now, self.started, self.limits.get(stream, 0))
                    for stream in self.streams]
        document = build_status(self.stats, run_id=self.run_id, state=state, started=self.started, now=now,
                                progress=progress, finish_reason=self.finish_reason if state != RUNNING else None)
        try:
            if self.documents is None:
                self.documents = documents_for(self.uri, self.settings)
            self.documents.write(self.uri, to_json(document))
        except Exception as exc:  # any storage error: the status is a courtesy to the page, the export goes on
            if not self.failing:
                logger.warning("Could not write the status document %s: %s", self.uri, exc)
            self.failing = True
            return
        self.failing = False


@dataclass(frozen=True)
class RunStatus:
    """A run's status document (``extensions/status.py``): how far it got, and, once it ended, how."""

    run_id: str
    state: str
    started_at: str | None
    updated_at: str | None
    finish_reason: str | None
    failure: str | None
    requests: int
    comments: int
    comment_pages: int
    streams: list[StreamProgress]
    #: The streams the account does not have, with what they need and Zendesk's answer.
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def tickets(self) -> int | None:
        """Ticket records exported so far (``None``: the run exports no tickets)."""
        return next((entry.records for entry in self.streams if entry.stream == "tickets"), None)

    @property
    def position(self) -> str | None:
        """The ticket stream's position reached: the ``updated_at`` of the newest ticket read."""
        return next((entry.position for entry in self.streams if entry.stream == "tickets"), None)

    def summary(self) -> str:
        """The text of the crawler's progress line for this status."""
        return progress_summary(self.requests, self.streams, self.comments, self.comment_pages)


def read_status(text: str | None, run_id: str) -> RunStatus | None:
    """The status document of run ``run_id`` (``None``: none yet, another run's, another version, not one)."""
    document = as_json(text)
    if not isinstance(document, dict) or document.get("version") != STATUS_VERSION \
            or document.get("run_id") != run_id or as_text(document.get("state")) is None:
        return None
    entries = as_mapping(document.get("streams"))
    streams = [StreamProgress(str(name), as_count(entry.get("records")), as_count(entry.get("pages")),
                              as_count(entry.get("requests")), entry.get("ended") is True,
                              as_text(entry.get("position_updated_at")), as_number(entry.get("covered")),
                              as_number(entry.get("seconds_left")), as_count(entry.get("limit")))
               for name, entry in entries.items() if isinstance(entry, dict)]
    return RunStatus(run_id, document["state"], as_text(document.get("started_at")),
                     as_text(document.get("updated_at")),
                     as_text(document.get("finish_reason")), as_text(document.get("failure")),
                     as_count(document.get("requests")), as_count(document.get("comments_exported")),
                     as_count(document.get("comment_pages")), streams,
                     {str(name): why for name, why in as_mapping(document.get("unavailable")).items()
                      if isinstance(why, str)})
