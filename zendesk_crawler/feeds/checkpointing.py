"""Scrapy's feed exporter, with batches that also close on time, so checkpoints come at least every so often."""

from __future__ import annotations

import logging
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FeedSlot, apply_uri_params
from scrapy.spiders import Spider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import ensure_awaitable

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.config import checkpoint_interval_setting

logger = logging.getLogger(__name__)


class CheckpointingFeedExporter(FeedExporter):
    """``FeedExporter`` whose batch feeds also start a new file every ``ZENDESK_CHECKPOINT_INTERVAL`` seconds.

    Scrapy closes a batch only when it holds ``batch_item_count`` items, and
    the state can checkpoint the cursor only past stored files: with 5000
    tickets a file, a slow backfill killed after minutes had stored nothing.
    Here every batch feed with items closes (and the next batch starts) when
    the interval has passed, whichever comes first; all feeds roll together,
    so the JSON and XML batches keep holding the same records. Empty batches
    never roll, so a run writes at most one file per format per interval
    beyond its full batches. Scrapy has no time-based batches (its
    ``%(batch_time)s`` only names files), hence this subclass, which reuses
    the parent's own batch rollover.

    It also tells, for each feed file, whether it was stored
    (``zendesk_crawler.run.signals.feed_file_stored``): Scrapy counts failed stores
    per storage class and closes slots concurrently, so its stats and its
    ``feed_slot_closed`` signal cannot say which file failed.
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

    def _start_new_batch(self, batch_id: int, uri: str, feed_options: dict[str, Any], spider: Spider,
                         uri_template: str) -> FeedSlot:
        slot = super()._start_new_batch(batch_id=batch_id, uri=uri, feed_options=feed_options, spider=spider,
                                        uri_template=uri_template)
        store = slot.storage.store

        async def store_and_tell(file: IO[bytes]) -> None:
            try:
                await ensure_awaitable(store(file))
            except BaseException:
                self._tell_stored(slot, False)
                raise
            self._tell_stored(slot, True)

        slot.storage.store = store_and_tell  # type: ignore[method-assign]
        return slot

    def _tell_stored(self, slot: FeedSlot, stored: bool) -> None:
        self.crawler.signals.send_catch_log(zendesk_signals.feed_file_stored, uri=slot.uri,
                                            uri_template=slot.uri_template, batch_id=slot.batch_id,
                                            records=slot.itemcount, stored=stored)

    def stop_timer(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()

    def roll_batches(self) -> None:
        """Close every batch feed's current file that holds items, and start its next batch."""
        assert self.spider is not None
        slots = []
        for slot in self.slots:
            options = self.feeds[slot.uri_template]
            if not options["batch_item_count"] or not slot.itemcount:
                slots.append(slot)
                continue
            uri_params = self._get_uri_params(self.spider, options["uri_params"], slot)
            self._schedule_slot_close(slot, self.spider)
            slots.append(self._start_new_batch(batch_id=slot.batch_id + 1,
                                               uri=apply_uri_params(slot.uri_template, uri_params),
                                               feed_options=options, spider=self.spider,
                                               uri_template=slot.uri_template))
        self.slots = slots
