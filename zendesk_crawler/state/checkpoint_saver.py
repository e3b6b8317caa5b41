"""Saves each incremental stream's checkpoint whenever feed files are stored, so a killed run resumes near its end."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from zendesk_crawler.items import StreamRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import stream_failed
from zendesk_crawler.run.positions import RecordVersion, record_version
from zendesk_crawler.state.checkpoint import PageTracker
from zendesk_crawler.state.feed_coverage import streams_by_feed
from zendesk_crawler.state.run_state import POSITION_KEYS, RunStateReceiver

logger = logging.getLogger(__name__)


class CheckpointSaver(RunStateReceiver):
    """Follows each incremental stream's pages to stored files and saves the positions that became safe.

    Each time a batch of feed files is stored, saves for each incremental
    stream the position after the last page all of whose records are in stored
    files (``state/checkpoint.py`` decides which), with the records stored after
    it. A stream that failed keeps the checkpoint it has.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.feed_streams = streams_by_feed(crawler.settings, self.context)
        #: Items in each stored batch file, by feed.
        self.stored_batches: dict[str, dict[int, int]] = defaultdict(dict)
        #: How many stored records after its saved position each stream's last checkpoint listed.
        self.saved_beyond: dict[str, int] = defaultdict(int)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CheckpointSaver:
        saver = cls(crawler)
        for handler, signal in [
            (saver.page_received, zendesk_signals.page_received),
            (saver.page_records, zendesk_signals.page_records),
            (saver.page_cut, zendesk_signals.page_cut),
            (saver.record_superseded, zendesk_signals.record_superseded),
            (saver.record_already_stored, zendesk_signals.record_already_stored),
            (saver.item_scraped, signals.item_scraped),
            (saver.feed_file_stored, zendesk_signals.feed_file_stored),
        ]:
            crawler.signals.connect(handler, signal=signal)
        return saver

    @property
    def trackers(self) -> dict[str, PageTracker]:
        """The incremental streams' page trackers (none before the state is loaded)."""
        return self.state.trackers if self.state is not None else {}

    def page_received(self, stream: str, page: int, position: Any, repeats: list[RecordVersion]) -> None:
        if stream in self.trackers:
            self.trackers[stream].page_started(page, position, repeats)

    def page_records(self, stream: str, page: int, count: int) -> None:
        if stream in self.trackers:
            self.trackers[stream].records_pending(page, count)

    def page_cut(self, stream: str, page: int) -> None:
        if stream in self.trackers:
            self.trackers[stream].page_cut(page)

    def record_superseded(self, stream: str, page: int) -> None:
        if stream in self.trackers:
            self.trackers[stream].record_dropped(page)

    def record_already_stored(self, stream: str, page: int, version: RecordVersion) -> None:
        if stream in self.trackers:
            self.trackers[stream].record_already_stored(page, version)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, StreamRecord) and item.page and item.stream in self.trackers:
            self.trackers[item.stream].record_exported(item.page, record_version(item))

    def feed_file_stored(self, uri: str, uri_template: str, batch_id: int, records: int, stored: bool) -> None:
        state = self.state
        if not stored or state is None:
            return  # a file not stored is a failure (state/failures.py), and no checkpoint
        assert self.crawler.stats is not None
        state.stored_files.append(uri)
        self.stored_batches[uri_template][batch_id] = records
        saved = []
        for stream in state.incremental:
            if stream_failed(self.crawler, stream):
                continue
            tracker = state.trackers[stream]
            items_stored = self._items_stored(stream)
            moved = tracker.advance(items_stored)
            beyond = [list(v) for v in tracker.stored_beyond_position(items_stored)]
            if not moved and len(beyond) <= self.saved_beyond[stream]:
                continue
            entry = state.entry(stream, tracker.safe_position, beyond, final=False, stats=self.crawler.stats)
            previous = state.entries.get(stream) or {}
            if all(entry.get(key) == previous.get(key) for key in (POSITION_KEYS[stream], "start_time")) \
                    and not beyond and not previous.get("stored_after_cursor"):
                continue  # the same position as saved (a page without records): nothing to write
            state.entries[stream] = entry
            self.saved_beyond[stream] = len(beyond)
            saved.append(f"{stream}: {items_stored} records of this run are in stored files"
                         + (f" ({len(beyond)} after the saved position)" if beyond else ""))
        if saved and state.save(self.crawler, finished=False):
            logger.info("Checkpoint: %s; saved their positions", "; ".join(saved))

    def _items_stored(self, stream: str) -> int:
        """Records of ``stream`` stored in every feed that takes it: the items of its leading stored batches.

        A feed that takes several exported streams (``-o`` with ``-a streams=`` of more
        than one) cannot say which of its items are the stream's: it allows no
        checkpoint, and the final save waits for its close.
        """
        stored = []
        for template, streams in self.feed_streams.items():
            if stream not in streams:
                continue
            if len(streams) > 1:
                return 0
            batches = self.stored_batches.get(template, {})
            count, batch = 0, 1
            while batch in batches:
                count += batches[batch]
                batch += 1
            stored.append(count)
        return min(stored, default=0)
