"""The documents of a person export: ``person-<user id>-<run id>.json`` and ``.xml`` under the export location.

JSON: ``{"user": {…}, "identities": […], "tickets": [<ticket record>, …]}``; XML: ``<person>`` holding
``<user>``, ``<identities>`` and ``<tickets>`` with one ``<ticket>`` per record, written by the feed's XML rules
(``exporters.py``), so both hold exactly the same data as the ticket feeds do.

Why not a Scrapy feed: a feed's file name is fixed when the spider opens, and this one holds the user id,
which a person given by e-mail address only has once Zendesk answered; and the document is one object with
the profile before the records. So the documents are opened when the profile arrives, but written the Scrapy
way: the feed exporters' classes write the records, and the feed storage of the location's scheme (the
atomic local storage, S3, …) stores them. A document is stored only when the export is complete: a partial
answer to a data request is worse than a clear failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import IO, Any, ClassVar
from urllib.parse import urlparse

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedStorageProtocol
from scrapy.utils.defer import ensure_awaitable
from scrapy.utils.misc import build_from_crawler, load_object

from zendesk_crawler.api import jsoncodec
from zendesk_crawler.feeds.exporters import CompactJsonItemExporter, SafeXmlItemExporter
from zendesk_crawler.items import PersonProfile, TicketRecord
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import failure_reason, record_failure
from zendesk_crawler.state.checks import why_not_save

logger = logging.getLogger(__name__)


class PersonJsonExporter(CompactJsonItemExporter):
    """``{"user": …, "identities": […], "tickets": [`` records ``]}``."""

    def __init__(self, file: IO[bytes], profile: PersonProfile) -> None:
        super().__init__(file)
        self.profile = profile

    def start_exporting(self) -> None:
        self.file.write(b'{"user":' + jsoncodec.dumps(self.profile.user) + b',\n"identities":'
                        + jsoncodec.dumps(self.profile.identities) + b',\n"tickets":[\n')

    def finish_exporting(self) -> None:
        self.file.write(b"\n]}\n")


class PersonXmlExporter(SafeXmlItemExporter):
    """``<person><user>…</user><identities>…</identities><tickets><ticket>…</ticket>…</tickets></person>``."""

    def __init__(self, file: IO[bytes], profile: PersonProfile) -> None:
        super().__init__(file, root_element="person", item_element="ticket")
        self.profile = profile

    def start_exporting(self) -> None:
        super().start_exporting()
        parts: list[str] = ["\n"]
        self._field(parts.append, self._tag("user"), self.profile.user)
        parts.append("\n")
        self._field(parts.append, self._tag("identities"), self.profile.identities)
        parts.append("\n<tickets>\n")
        self.stream.write("".join(parts))

    def finish_exporting(self) -> None:
        self.stream.write("</tickets>\n")
        super().finish_exporting()


@dataclass
class _Document:
    """One document being written: where it goes, its feed storage and open file, its exporter."""

    uri: str
    storage: FeedStorageProtocol
    file: IO[bytes]
    exporter: CompactJsonItemExporter | SafeXmlItemExporter


class PersonDocumentWriter:
    """Writes a person export's JSON and XML documents (see the module docstring); off for other runs."""

    EXPORTERS: ClassVar[dict[str, type[PersonJsonExporter] | type[PersonXmlExporter]]] = {
        "json": PersonJsonExporter, "xml": PersonXmlExporter}

    def __init__(self, crawler: Crawler) -> None:
        config = RunContext.of(crawler.settings)
        if config is None or not config.person:
            raise NotConfigured  # no message: Scrapy would warn about it on every backup run
        self.crawler = crawler
        self.export_uri = config.export_uri
        self.run_id = config.run_id
        self.documents: list[_Document] = []
        self.tickets = 0
        #: Set when a document could not be opened: the run has failed, the records go nowhere.
        self.broken = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PersonDocumentWriter:
        writer = cls(crawler)
        crawler.signals.connect(writer.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(writer.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        return writer

    def spider_opened(self) -> None:
        """Say that the writer is on: the run's shutdown waits for its ``person_documents_closed``."""
        self.crawler.signals.send_catch_log(zendesk_signals.person_documents_opened)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, PersonProfile):
            try:
                self._open(item)
            except Exception as exc:  # any storage error: no complete document can be written
                self.broken = True
                record_failure(self.crawler, f"the person document could not be opened: {exc!r}", stream="tickets")
        elif isinstance(item, TicketRecord) and not self.broken:
            if not self.documents:
                record_failure(self.crawler, f"ticket {item.get('id')} came before the person's profile",
                               stream="tickets")
                return
            self.tickets += 1
            for document in self.documents:
                document.exporter.export_item(item)

    def _open(self, profile: PersonProfile) -> None:
        storages = self.crawler.settings.getwithbase("FEED_STORAGES")
        for extension, exporter_class in self.EXPORTERS.items():
            uri = join_uri(self.export_uri, f"person-{profile.user.get('id')}-{self.run_id}.{extension}")
            scheme = urlparse(uri).scheme if "://" in uri else ""
            storage = build_from_crawler(load_object(storages.get(scheme) or storages["file"]), self.crawler, uri,
                                         feed_options={})
            file = storage.open(self.crawler.spider)
            exporter = exporter_class(file, profile)
            exporter.start_exporting()
            self.documents.append(_Document(uri, storage, file, exporter))

    async def spider_closed(self, reason: str) -> None:
        """Store the documents if the export is complete, else leave none; then tell the run's shutdown.

        Complete means what the final save means by it for the ticket stream (``state/checks.py``):
        the same checks, run on the same stats, before the documents are stored.
        """
        try:
            problem = failure_reason(self.crawler) or why_not_save(self.crawler.stats, reason, "tickets")
            if problem or not self.documents:
                for document in self.documents:
                    document.file.close()
                    self._discard(document)
                if self.documents:
                    logger.error("The person documents were not stored: the export is incomplete (%s)", problem)
                return
            for document in self.documents:
                document.exporter.finish_exporting()
                await self._store(document)
        finally:
            self.crawler.signals.send_catch_log(zendesk_signals.person_documents_closed)

    async def _store(self, document: _Document) -> None:
        try:
            await ensure_awaitable(document.storage.store(document.file))
        except Exception as exc:  # any storage error means the document is missing
            logger.error("Could not store %s: %r", document.uri, exc)
            stored = False
        else:
            logger.info("Stored the person document %s (%d tickets)", document.uri, self.tickets)
            stored = True
        self.crawler.signals.send_catch_log(zendesk_signals.feed_file_stored, uri=document.uri,
                                            uri_template=document.uri, batch_id=1, records=self.tickets,
                                            stored=stored)

    @staticmethod
    def _discard(document: _Document) -> None:
        """Leave nothing of a document not stored (an S3 storage uploads nothing until stored)."""
        discard = getattr(document.storage, "discard", None)
        if discard is not None:
            discard()
