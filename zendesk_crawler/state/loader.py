"""Loads the state file before the spider opens and tells each incremental stream where it resumes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from zendesk_crawler.location.documents import documents_for
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.positions import StreamPosition, saved_version
from zendesk_crawler.state.checkpoint import PageTracker
from zendesk_crawler.state.run_state import POSITION_KEYS, RunState, run_context, utc_now
from zendesk_crawler.state.store import StateError, StateStore

logger = logging.getLogger(__name__)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StateLoader:
    """Reads the state file (an unreadable one, or one of another account, stops the run before it starts).

    Built after the run lock is taken (``EXTENSIONS`` order). When the spider
    opens it hands the :class:`~zendesk_crawler.state.run_state.RunState` to the
    other run-state components (``state_loaded``), then tells each incremental
    stream its position (``resume_position``) and logs where it starts.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        context = run_context(crawler)
        try:
            store = StateStore(context.state_uri, documents_for(context.state_uri, crawler.settings))
            previous = _load_previous(store, context)
        except BaseException:
            crawler.signals.send_catch_log(zendesk_signals.start_refused)
            raise
        entries: dict[str, dict[str, Any]] = dict((previous or {}).get("streams") or {})
        # A filtered or person export moves no position: it has no incremental stream.
        incremental = [name for name in context.streams if name in POSITION_KEYS] if context.is_backup else []
        self.state = RunState(
            context=context, store=store, previous=previous, started_at=utc_now(),
            resume={name: _resume_position(context, entries, name) for name in incremental},
            entries=entries, trackers={name: PageTracker() for name in incremental})

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StateLoader:
        loader = cls(crawler)
        crawler.signals.connect(loader.spider_opened, signal=signals.spider_opened)
        return loader

    def spider_opened(self) -> None:
        self.crawler.signals.send_catch_log(zendesk_signals.state_loaded, state=self.state)
        for stream, position in self.state.resume.items():
            self.crawler.signals.send_catch_log(zendesk_signals.resume_position, stream=stream, position=position)
            self._log_start(stream, position)

    def _log_start(self, stream: str, position: StreamPosition) -> None:
        context = self.state.context
        if position.cursor:
            previous = self.state.previous or {}
            since = ((previous.get("checkpoint") or {}).get("saved_at")
                     or (previous.get("last_run") or {}).get("finished_at") or "an unknown time")
            logger.info("%s: Resuming from the cursor saved in %s at %s", stream, context.state_uri, since)
            if context.start_time_given:
                logger.warning("%s: start_time is ignored: a saved cursor exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.", stream)
            return
        saved = not context.ignore_cursor and bool(self.state.entries.get(stream))
        if position.start_time != context.start_time or saved:
            # A cursor stream without a cursor: an earlier run stopped inside its first page (interrupted, or a
            # slice of -a max_tickets), with the records it stored listed after that start_time.
            why = (f"the start_time saved in {context.state_uri}" if POSITION_KEYS[stream] == "cursor"
                   else f"the position saved in {context.state_uri}")
            if context.start_time_given and position.start_time != context.start_time:
                logger.warning("%s: start_time is ignored: %s exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.", stream, why)
        else:
            why = "ignore_cursor=true" if context.ignore_cursor else f"no saved position in {context.state_uri}"
        logger.info("%s: Starting from start_time=%s (%s) (%s)", stream, position.start_time,
                    _iso(position.start_time), why)
        if position.already_stored:
            logger.info("%s: Skipping %d records an earlier run already stored after its position", stream,
                        len(position.already_stored))


def _load_previous(store: StateStore, context: RunContext) -> dict[str, Any] | None:
    try:
        previous = store.load()
    except StateError:
        if not context.ignore_cursor:
            raise
        logger.warning("Ignoring the unreadable state file %s (ignore_cursor=true); it will be replaced",
                       context.state_uri)
        return None
    if previous and previous.get("base_url") not in (None, context.base_url) and not context.ignore_cursor:
        raise StateError(
            f"the state file {context.state_uri} belongs to {previous.get('base_url')}, not "
            f"{context.base_url}: use another ZENDESK_EXPORT_URI, or -a ignore_cursor=true to start over"
        )
    return previous


def _resume_position(context: RunContext, entries: dict[str, dict[str, Any]], stream: str) -> StreamPosition:
    """Where a stream resumes: its saved cursor or start_time, else the run's start_time."""
    entry = {} if context.ignore_cursor else entries.get(stream) or {}
    start_time = entry.get("start_time")
    return StreamPosition(
        cursor=entry.get("cursor"),
        start_time=start_time if isinstance(start_time, int) and not isinstance(start_time, bool)
        else context.start_time,
        already_stored={version for v in entry.get("stored_after_cursor") or []
                        if (version := saved_version(v)) is not None},
    )
