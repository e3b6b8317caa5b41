"""The order in which a run shuts down, in one place.

When the engine closes the spider it sends Scrapy's ``spider_closed`` to every
receiver at once (``send_catch_log_async``: with the asyncio reactor one task per
receiver, gathered; a synchronous receiver runs to its end when its task first
runs, in the order receivers were connected). So nothing may depend on the order
of ``spider_closed`` receivers beyond this: the spider itself is connected first
(Scrapy builds it before the extensions), so its ``closed()`` has left what the
final checks read in the stats before any extension's receiver runs.

:class:`ShutdownCoordinator` is the one ``spider_closed`` receiver that waits.
It waits for each output writer that is on, then sends the crawler's own
shutdown signals (``run/signals.py``) one after the other, each when every
receiver of the one before has finished (``send_catch_log_async`` awaited):

1. the output writers close (Scrapy's ``spider_closed``): Scrapy's feed exporter
   stores the last batch of every feed and sends ``feed_exporter_closed``
   (when ``EXTENSIONS`` has it); the person document writer stores its
   documents and sends ``person_documents_closed`` (when it is on: it says so
   with ``person_documents_opened`` when the spider opens). Each stored file
   is told with ``feed_file_stored``, and may still checkpoint positions
   (``state/checkpoint_saver.py``);
2. ``outputs_closed``: the final checks and the final positions
   (``state/final_save.py``);
3. ``final_save_done``: the manifest (``state/manifest_writer.py``);
4. ``run_closed``: the run lock is let go (``state/run_lock.py``), also when a
   step before failed.

A person export without its document writer (``EXTENSIONS`` disables it) has
written no document: that fails the run before step 2.
"""

from __future__ import annotations

import asyncio

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.state.run_state import run_context


class ShutdownCoordinator:
    """Waits for the output writers that are on, then sends the shutdown steps in order (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.person_export = bool(run_context(crawler).person)
        self.person_writer_on = False
        # Set by the writers' own signals, which may come before this receiver of spider_closed first runs.
        self.feeds_closed = asyncio.Event()
        self.person_documents_closed = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShutdownCoordinator:
        coordinator = cls(crawler)
        crawler.signals.connect(coordinator.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(coordinator.person_documents_opened, signal=zendesk_signals.person_documents_opened)
        crawler.signals.connect(coordinator.person_documents_done, signal=zendesk_signals.person_documents_closed)
        crawler.signals.connect(coordinator.spider_closed, signal=signals.spider_closed)
        return coordinator

    def feed_exporter_closed(self) -> None:
        self.feeds_closed.set()

    def person_documents_opened(self) -> None:
        self.person_writer_on = True

    def person_documents_done(self) -> None:
        self.person_documents_closed.set()

    async def spider_closed(self, reason: str) -> None:
        send = self.crawler.signals.send_catch_log_async
        try:
            await self._outputs_closed()
            await send(zendesk_signals.outputs_closed, reason=reason)
            await send(zendesk_signals.final_save_done, reason=reason)
        finally:
            await send(zendesk_signals.run_closed, reason=reason)

    async def _outputs_closed(self) -> None:
        if self.crawler.get_extension(FeedExporter) is not None:
            await self.feeds_closed.wait()
        if not self.person_export:
            return
        if not self.person_writer_on:
            record_failure(self.crawler, "a person export needs the PersonDocumentWriter extension, "
                                         "which EXTENSIONS disables: no document was written")
            return
        await self.person_documents_closed.wait()
