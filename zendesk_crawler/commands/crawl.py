"""``scrapy crawl`` with an exit status scheduled jobs can trust.

Scrapy's own ``crawl`` exits 0 whenever the spider could start, even if every
request failed. This one exits 0 only when the run finished and nothing was
recorded as failed (see ``outcome.py``); otherwise it prints one line saying why
and exits 1. Configuration and state errors are reported the same way, before
any request is sent, instead of as a traceback. Streams the account does not have
(unavailable, not failed) are named on a last line of their own, whatever the exit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import cast

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from zendesk_crawler.config import ConfigError
from zendesk_crawler.errors import StateError
from zendesk_crawler.location.files import keep_private
from zendesk_crawler.run.outcome import failure_reason, unavailable_streams

EXIT_FAILED = 1
EXIT_CONFIG = 2


class Command(ScrapyCrawlCommand):
    """Run a spider; exit non-zero with one clear line when the export is incomplete."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        keep_private()  # feeds, attachments, state, manifests, logs: the owner's only
        if len(args) != 1:
            return super().run(args, opts)
        assert self.crawler_process is not None
        try:
            crawler = self._create_crawler(args[0])
        except ConfigError as exc:
            return self._fail(EXIT_CONFIG, f"configuration error: {exc}")
        startup_errors: list[BaseException] = []

        def note_task_error(task: asyncio.Future[None]) -> None:
            if not task.cancelled() and (error := task.exception()):
                startup_errors.append(error)

        def note_failure(failure: Failure) -> None:
            # A Failure holds its exception once made (its annotation allows None for the moment before).
            startup_errors.append(cast(BaseException, failure.value))

        crawl = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(crawl, asyncio.Future):
            crawl.add_done_callback(note_task_error)
        else:
            # AsyncCrawlerProcess gives the Task above; CrawlerProcess, on the Twisted reactor, a Deferred.
            cast("Deferred[None]", crawl).addErrback(note_failure)
        if not startup_errors:
            self.crawler_process.start()
        if startup_errors:
            error = startup_errors[0]
            if isinstance(error, (ConfigError, StateError)):
                kind = "configuration error" if isinstance(error, ConfigError) else "state error"
                return self._fail(EXIT_CONFIG, f"{kind}: {error}")
            return self._fail(EXIT_FAILED, f"the crawl could not start: {type(error).__name__}: {error}")
        reason = self._failure(crawler)
        if reason:
            self._fail(EXIT_FAILED, reason)
        if crawler.stats is not None and (unavailable := unavailable_streams(crawler)):
            print("zendesk_crawler: unavailable (the account does not have them; not a failure): "
                  + "; ".join(f"{stream}: {why}" for stream, why in unavailable.items()), file=sys.stderr, flush=True)

    @staticmethod
    def _failure(crawler: Crawler) -> str | None:
        if crawler.stats is None:
            return "the crawl could not start"
        reason = failure_reason(crawler)
        if reason:
            return reason
        finish = crawler.stats.get_value("finish_reason")
        if finish != "finished":
            return f"the run did not finish ({finish})"
        return None

    def _fail(self, code: int, message: str) -> None:
        self.exitcode = code
        print(f"zendesk_crawler: FAILED: {message}", file=sys.stderr, flush=True)
