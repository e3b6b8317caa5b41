"""The ``zendesk_restore`` spider: writes a backup into an account, in dependency order, never an object twice.

``scrapy crawl zendesk_restore -a source=<backup location> -a target=<host>`` (README,
"Restore"). It is a Scrapy crawl like the backup, so it has the crawl's credentials for
the account's origin only, its header-driven pacing and 429 waits, retries with backoff
(for reads and the writes that are safe to repeat), stats, exit status and scrapyd
deployment. The spider is a router: the work is ``restore/restorer.py``'s, one step after
another, each started when the engine is idle.

Before any request: the arguments are checked (``restore/context.py``), the backup is read
enough to know its account, and the restore's location is locked, so that two restores
into one location never run at once.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from zendesk_crawler.location.documents import documents_for, to_json
from zendesk_crawler.location.paths import is_local, join_uri, local_path
from zendesk_crawler.location.reader import location_for
from zendesk_crawler.restore.backup import Backup
from zendesk_crawler.restore.context import check_source_account, parse_restore_arguments
from zendesk_crawler.restore.id_map import MapStore
from zendesk_crawler.restore.journal import JOURNAL_NAME
from zendesk_crawler.restore.restorer import Restorer
from zendesk_crawler.run.outcome import failure_reason, record_failure
from zendesk_crawler.state.lock import RunLock, run_lock_for


class ZendeskRestoreSpider(Spider):
    """Restores a backup (``-a source=``) into the configured account (``-a target=``, named again on purpose)."""

    name = "zendesk_restore"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ZendeskRestoreSpider:
        settings = crawler.settings
        context = parse_restore_arguments(settings, kwargs)
        backup = Backup(location_for(context.source, settings))
        check_source_account(context, backup.source_host())
        context.put(settings)
        spider = super().from_crawler(crawler, *args, **kwargs)
        if is_local(context.export_uri):
            local_path(context.export_uri).mkdir(mode=0o700, parents=True, exist_ok=True)
        spider.lock = run_lock_for(join_uri(context.export_uri, JOURNAL_NAME), settings, context.lock_ttl)
        spider.lock.acquire(context.run_id)
        documents = documents_for(context.export_uri, settings)
        store = MapStore(location_for(context.export_uri, settings), documents, context.export_uri, context.run_id)
        spider.restorer = Restorer(crawler, context, backup, store, documents)
        spider.started_at = _now()
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.spider_closed, signal=signals.spider_closed)
        return spider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.restorer: Restorer
        self.lock: RunLock
        self.started_at = ""

    async def start(self) -> AsyncIterator[Request]:
        for request in self.restorer.start():
            yield request

    def spider_idle(self) -> None:
        """Every request of a step is answered: start the next step (the spider closes after the last)."""
        if failure_reason(self.crawler) is not None:
            return  # a read of the target failed: nothing more is written
        requests = self.restorer.due()
        if not requests and self.restorer.waiting:
            raise DontCloseSpider  # asked again in a few seconds (Scrapy sends spider_idle every 5 s)
        requests = requests or self.restorer.advance()
        if not requests:
            return
        assert self.crawler.engine is not None
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def spider_closed(self, reason: str) -> None:
        """Store the rest of the id map, write the restore's manifest, say what a dry run would do."""
        restorer, context = self.restorer, self.restorer.context
        try:
            restorer.store.flush()
            report = restorer.report
            if report.refused and failure_reason(self.crawler) is None:
                record_failure(self.crawler, report.last_line() or "the target refused objects")
            manifest = {"run_id": context.run_id, "kind": "restore", "dry_run": context.dry_run,
                        "source": context.source, "source_account": restorer.backup.source_host(),
                        "target": context.target_host, "streams": list(context.streams),
                        "ticket_ids": sorted(context.ticket_ids), "started_at": self.started_at,
                        "finished_at": _now(), "finish_reason": reason, "failure": failure_reason(self.crawler),
                        "map_files": restorer.store.files, "map_lines": restorer.store.lines,
                        "pending_imports": restorer.journal.as_dict(), **report.as_dict()}
            uri = join_uri(context.export_uri, f"restore-manifest-{context.run_id}.json")
            documents_for(uri, self.crawler.settings).write(uri, to_json(manifest))
            if context.dry_run:
                print("zendesk_restore: dry run, nothing written. It would do:", file=sys.stdout)
                for line in report.plan_lines():
                    print(f"  {line}", file=sys.stdout)
                sys.stdout.flush()
        finally:
            self.lock.release()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
