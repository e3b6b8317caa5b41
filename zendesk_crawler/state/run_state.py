"""What the run-state components share about one run: the state document as loaded, each stream's entry in it,
where each incremental stream resumed, its page tracker, the feed files stored, and each stream's final outcome.

The loader (``state/loader.py``) builds one :class:`RunState` before the spider opens and hands it to the other
run-state components with the ``state_loaded`` signal, the way Scrapy hands an item or a response to the
receivers of its signals: no component reads it out of another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.run.stats_keys import (
    COMMENTS_EXPORTED,
    TICKETS_DELETED,
    TICKETS_EXPORTED,
    records_exported,
    stream_position_updated_at,
)
from zendesk_crawler.state.checkpoint import PageTracker
from zendesk_crawler.state.store import STATE_VERSION, StateError, StateStore
from zendesk_crawler.streams import STREAMS

#: How each incremental stream's state keeps its position: a cursor, or a time-based export's start_time.
POSITION_KEYS = {name: stream.position_key for name, stream in STREAMS.items() if stream.position_key}


def utc_now() -> str:
    """Now, as the state file and the manifest write times (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_context(crawler: Crawler) -> RunContext:
    """The run's context; a crawl of another spider has none, and the run-state components stay off (quietly)."""
    context = RunContext.of(crawler.settings)
    if context is None:
        raise NotConfigured
    return context


@dataclass
class RunState:
    """One run's state: the loaded document, the entries that will be saved, and what they are made from."""

    context: RunContext
    store: StateStore
    #: The state document as the run found it (``None``: none yet, or an unreadable one ignored).
    previous: dict[str, Any] | None
    started_at: str
    #: Where each incremental stream starts (a filtered or person export has none: it moves no position).
    resume: dict[str, StreamPosition]
    #: Each stream's entry as the state file holds it now (streams not exported keep theirs untouched).
    entries: dict[str, dict[str, Any]]
    trackers: dict[str, PageTracker]
    #: The feed files (and person documents) stored so far, in the order they were stored.
    stored_files: list[str] = field(default_factory=list)
    #: Each exported stream's problem found by the final checks (``None``: complete).
    outcomes: dict[str, str | None] = field(default_factory=dict)

    @property
    def incremental(self) -> list[str]:
        """The exported streams whose positions this run moves."""
        return list(self.resume)

    def saved_position(self, stream: str) -> Any:
        """The position ``stream`` resumed from (its cursor, or its start_time)."""
        position = self.resume[stream]
        return position.cursor if POSITION_KEYS[stream] == "cursor" else position.start_time

    def entry(self, stream: str, position: Any, beyond: list[list[Any]], final: bool,
              stats: StatsCollector) -> dict[str, Any]:
        """The state's entry for a stream at ``position`` (a checkpoint's, or the final one)."""
        if position is None:
            position = self.saved_position(stream)
        previous = self.entries.get(stream) or {}
        entry: dict[str, Any] = {
            POSITION_KEYS[stream]: position,
            "position_updated_at": stats.get_value(stream_position_updated_at(stream),
                                                   previous.get("position_updated_at")),
        }
        if not final or beyond:
            entry["stored_after_cursor"] = beyond
        if POSITION_KEYS[stream] == "cursor" and position is None:
            entry["start_time"] = self.resume[stream].start_time
        return entry

    def save(self, crawler: Crawler, finished: bool) -> bool:
        """Save the state; a failure to save fails the run (the positions did not move)."""
        assert crawler.stats is not None
        try:
            self.store.save(self._document(finished, crawler.stats))
        except (OSError, StateError) as exc:
            record_failure(crawler, f"the state could not be saved to {self.context.state_uri}: {exc}")
            return False
        return True

    def _run_facts(self, stats: StatsCollector) -> dict[str, Any]:
        return {
            "run_id": self.context.run_id,
            "started_at": self.started_at,
            "streams": list(self.context.streams),
            "started_from": {stream: ({"cursor": p.cursor} if p.cursor else {"start_time": p.start_time})
                             for stream, p in self.resume.items()},
            "tickets_exported": stats.get_value(TICKETS_EXPORTED, 0),
            "comments_exported": stats.get_value(COMMENTS_EXPORTED, 0),
            "deleted_tickets_exported": stats.get_value(TICKETS_DELETED, 0),
            "records_exported": {stream: stats.get_value(records_exported(stream), 0)
                                 for stream in self.context.streams},
            "requests": stats.get_value("downloader/request_count", 0),
            "files": list(self.stored_files),
        }

    def _document(self, finished: bool, stats: StatsCollector) -> dict[str, Any]:
        previous = self.previous or {}
        state: dict[str, Any] = {"version": STATE_VERSION, "base_url": self.context.base_url,
                                 "streams": dict(self.entries)}
        if finished:
            state["last_run"] = {**self._run_facts(stats), "finished_at": utc_now()}
        else:
            state["last_run"] = previous.get("last_run")
            state["checkpoint"] = {**self._run_facts(stats), "saved_at": utc_now()}
        return state


class RunStateReceiver:
    """Base of the components that act on the run state the loader hands round with ``state_loaded``.

    Off (``NotConfigured``) for another spider's crawl; ``state`` is ``None`` until the state is loaded.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.context = run_context(crawler)
        self.state: RunState | None = None
        crawler.signals.connect(self.state_loaded, signal=zendesk_signals.state_loaded)

    def state_loaded(self, state: RunState) -> None:
        self.state = state
