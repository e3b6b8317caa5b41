"""Removes the files a killed run left half-written in a local export location, before the run starts."""

from __future__ import annotations

from scrapy.crawler import Crawler

from zendesk_crawler.location.files import remove_stale_partials
from zendesk_crawler.location.paths import is_local, local_path
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.state.run_state import run_context


class StalePartialCleanup:
    """Deletes a local export location's stale partial files while the crawler is built.

    Built after the run lock is taken (``EXTENSIONS`` order), so no other run's
    files are being written there. An S3 location has no partial objects: an
    upload appears whole or not at all.
    """

    def __init__(self, crawler: Crawler) -> None:
        context = run_context(crawler)
        if not is_local(context.export_uri):
            return
        try:
            remove_stale_partials(local_path(context.export_uri))
        except BaseException:
            crawler.signals.send_catch_log(zendesk_signals.start_refused)
            raise

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StalePartialCleanup:
        return cls(crawler)
