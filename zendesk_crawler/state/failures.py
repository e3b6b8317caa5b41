"""Records as run failures what Scrapy reports going wrong: a callback or a pipeline that raised, a feed file not
stored (``run/outcome.py`` keeps the first reason; the final checks and the exit status read it)."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from zendesk_crawler.api.endpoints import STREAM_META
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.state.feed_coverage import streams_by_feed
from zendesk_crawler.state.run_state import run_context


class FailureRecorder:
    """Turns ``spider_error``, ``item_error`` and an unstored feed file into a failure of their stream (or the run)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        context = run_context(crawler)
        self.streams = set(context.streams)
        self.feed_streams = streams_by_feed(crawler.settings, context)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_error, signal=signals.spider_error)
        crawler.signals.connect(recorder.item_error, signal=signals.item_error)
        crawler.signals.connect(recorder.feed_file_stored, signal=zendesk_signals.feed_file_stored)
        return recorder

    def spider_error(self, failure: Any, response: Any) -> None:
        """A callback raised: whatever it was handling may be missing from the export."""
        record_failure(self.crawler, f"unexpected error while handling {response.url}: {failure.value!r}",
                       stream=response.meta.get(STREAM_META))

    def item_error(self, item: Any, failure: Any) -> None:
        """A pipeline raised: that record was not exported."""
        if hasattr(item, "ticket"):
            record_failure(self.crawler, f"ticket {item.ticket.get('id')} could not be exported: {failure.value!r}",
                           stream="tickets")
            return
        stream = getattr(item, "stream", None) or None
        record_failure(self.crawler, f"a {stream} record could not be exported: {failure.value!r}", stream=stream)

    def feed_file_stored(self, uri: str, uri_template: str, stored: bool) -> None:
        """A feed file that could not be stored fails its stream, or the run when the feed takes several."""
        if stored:
            return
        streams = self.feed_streams.get(uri_template, self.streams)
        record_failure(self.crawler, f"the feed file {uri} could not be stored (see the error above)",
                       stream=next(iter(streams)) if len(streams) == 1 else None)
