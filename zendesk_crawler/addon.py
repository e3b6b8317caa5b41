"""The Scrapy add-on that wires the crawler's components into the project (``ADDONS`` in settings.py)."""

from __future__ import annotations

from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from zendesk_crawler.config import attachment_downloads_setting
from zendesk_crawler.feeds.defaults import add_default_feeds
from zendesk_crawler.pipelines.attachments import DOWNLOAD_SLOT
from zendesk_crawler.run.context import RunContext

#: Downloader middlewares: credentials for the account's origin only, retry backoff, the budgets, stats.
DOWNLOADER_MIDDLEWARES = {
    "zendesk_crawler.middlewares.auth.ZendeskAuthMiddleware": 350,
    "zendesk_crawler.middlewares.retry.RetryBackoffMiddleware": 540,
    "zendesk_crawler.middlewares.ratelimit.RateLimitMiddleware": 560,
    "zendesk_crawler.middlewares.stats.EndpointStatsMiddleware": 950,
}
ITEM_PIPELINES = {
    "zendesk_crawler.pipelines.conversations.ConversationPipeline": 300,
    # Off unless -a attachments=true (it raises NotConfigured).
    "zendesk_crawler.pipelines.attachments.AttachmentFilesPipeline": 400,
}
EXTENSIONS = {
    # Scrapy's feed exporter, with batches that also close every ZENDESK_CHECKPOINT_INTERVAL seconds.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "zendesk_crawler.feeds.checkpointing.CheckpointingFeedExporter": 0,
    # The run state, built in this order (state/shutdown.py has the order they shut down in): the FEEDS check
    # before the lock is taken, the stale files' cleanup and the state's loading under it.
    "zendesk_crawler.state.feed_coverage.FeedCoverageCheck": 100,
    "zendesk_crawler.state.run_lock.RunLockHolder": 101,
    "zendesk_crawler.state.stale_partials.StalePartialCleanup": 102,
    "zendesk_crawler.state.loader.StateLoader": 103,
    "zendesk_crawler.state.failures.FailureRecorder": 104,
    "zendesk_crawler.state.checkpoint_saver.CheckpointSaver": 105,
    "zendesk_crawler.state.final_save.FinalSave": 106,
    "zendesk_crawler.state.manifest_writer.ManifestWriter": 107,
    "zendesk_crawler.state.shutdown.ShutdownCoordinator": 108,
    # Off unless -a user= (it raises NotConfigured).
    "zendesk_crawler.selection.person_document.PersonDocumentWriter": 200,
    "zendesk_crawler.extensions.progress.ProgressLog": 500,
    "zendesk_crawler.extensions.status.StatusDocumentWriter": 510,
    "zendesk_crawler.extensions.housekeeping.GarbageCollectorTuning": 900,
    "zendesk_crawler.extensions.housekeeping.CancelledTimerSweep": 900,
}
FEED_EXPORTERS = {
    "json": "zendesk_crawler.feeds.exporters.CompactJsonItemExporter",
    "jsonl": "zendesk_crawler.feeds.exporters.CompactJsonLinesItemExporter",
    "xml": "zendesk_crawler.feeds.exporters.SafeXmlItemExporter",
    "csv": "zendesk_crawler.feeds.csvexport.FlatCsvItemExporter",
    "ticket_csv": "zendesk_crawler.feeds.csvexport.TicketCsvItemExporter",
    "comment_csv": "zendesk_crawler.feeds.csvexport.CommentCsvItemExporter",
}
FEED_STORAGES = {
    "": "zendesk_crawler.feeds.storages.AtomicFileFeedStorage",
    "file": "zendesk_crawler.feeds.storages.AtomicFileFeedStorage",
}

#: Set by the add-on: the requests it added to ``CONCURRENT_REQUESTS`` for attachment downloads.
ATTACHMENT_ROOM_SETTING = "ZENDESK_ATTACHMENT_REQUEST_ROOM"


class ZendeskAddon:
    """Adds the middlewares, pipeline, extensions, exporters, storages and default feeds of a backup run.

    Idempotent, and it only adds to the component dictionaries: a project or a
    ``-s`` setting can still move, replace or disable any component by its
    path, and ``-o``/``-O`` or ``FEEDS`` replace the default feeds.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        for name, components in (("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES),
                                 ("ITEM_PIPELINES", ITEM_PIPELINES), ("EXTENSIONS", EXTENSIONS)):
            for path, order in components.items():
                settings.setdefault_in_component_priority_dict(name, load_object(path), order)
        for name, classes in (("FEED_EXPORTERS", FEED_EXPORTERS), ("FEED_STORAGES", FEED_STORAGES)):
            settings.set(name, {**classes, **settings.getdict(name)}, priority="addon")
        add_default_feeds(settings)
        # Attachment downloads get a downloader slot of their own, with its own concurrency, and room in
        # CONCURRENT_REQUESTS beside the API requests (which wait for their budget inside it).
        downloads = attachment_downloads_setting(settings)
        settings.set("DOWNLOAD_SLOTS", {DOWNLOAD_SLOT: {"concurrency": downloads, "delay": 0},
                                        **settings.getdict("DOWNLOAD_SLOTS")}, priority="addon")
        # The room is remembered, so a second application does not add it again.
        context = RunContext.of(settings)
        room = downloads if context is not None and context.attachments else 0
        added = settings.getint(ATTACHMENT_ROOM_SETTING, 0)
        if room != added:
            settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS") - added + room,
                         priority=settings.getpriority("CONCURRENT_REQUESTS") or "addon")
            settings.set(ATTACHMENT_ROOM_SETTING, room, priority="addon")
