"""Scrapy's feed exporter, with batches that also close on time, so checkpoints come at least every so often."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedSlot
from scrapy.spiders import Spider
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler.compat import BatchFeedExporter, BatchFile, watch_store
from zendesk_crawler.config import checkpoint_interval_setting
from zendesk_crawler.run import signals as zendesk_signals

logger = logging.getLogger(__name__)


class CheckpointingFeedExporter(BatchFeedExporter):
    """``FeedExporter`` whose batch feeds also start a new file every ``ZENDESK_CHECKPOINT_INTERVAL`` seconds.

    Scrapy closes a batch only when it holds ``batch_item_count`` items, and
    the state can checkpoint the cursor only past stored files: with 5000
    tickets a file, a slow backfill killed after minutes would have stored nothing.
    Here every batch feed with items closes (and the next batch starts) when
    the interval has passed, whichever comes first; all feeds roll together,
    so the JSON and XML batches keep holding the same records. Empty batches
    never roll, so a run writes at most one file per format per interval
    beyond its full batches. Scrapy has no time-based batches (its
    ``%(batch_time)s`` only names files), hence this subclass, which reuses
    Scrapy's own batch rollover (through ``compat.BatchFeedExporter``).

    It also tells, for each feed file, whether it was stored
    (``zendesk_crawler.run.signals.feed_file_stored``): Scrapy counts failed stores
    per storage class and closes slots concurrently, so its stats and its
    ``feed_slot_closed`` signal cannot say which file failed (see ``compat.watch_store``).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.interval = checkpoint_interval_setting(crawler.settings)
        self.spider: Spider | None = None
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CheckpointingFeedExporter:
        exporter = super().from_crawler(crawler)
        crawler.signals.connect(exporter.stop_timer, signals.spider_closed)
        return exporter

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        self.spider = spider
        if self.interval > 0:
            self.timer = create_looping_call(self.roll_batches)
            self.timer.start(self.interval, now=False)

    def batch_started(self, slot: FeedSlot) -> None:
        watch_store(slot, lambda stored: self._tell_stored(slot, stored))

    def _tell_stored(self, slot: FeedSlot, stored: bool) -> None:
        file = self.batch_file(slot)
        self.crawler.signals.send_catch_log(zendesk_signals.feed_file_stored, uri=file.uri,
                                            uri_template=file.uri_template, batch_id=file.batch_id,
                                            records=file.records, stored=stored)

    def stop_timer(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()

    def roll_batches(self) -> None:
        """Close every batch feed's current file that holds items, and start its next batch."""
        assert self.spider is not None
        self.roll_over(self.spider, holds_records_of_a_batch_feed)


def holds_records_of_a_batch_feed(file: BatchFile) -> bool:
    """Whether a checkpoint rolls this file: a batch feed's file with records (an empty one never rolls)."""
    return bool(file.batch_item_count and file.records)
