"""The attachment files pipeline: Scrapy's ``FilesPipeline``, content-addressed and kept in the export location.

Why a subclass, and where it departs from ``FilesPipeline``:

- files are stored by the sha256 of their bytes (``attachments/<sha256[:2]>/<sha256>``),
  not by a hash of the URL: the same bytes under many attachment ids (an e-mail
  signature logo on 40,000 tickets) are one file. A content path is only known
  after the download, so "already stored" is decided by the location's index
  (``index.py``) instead of ``FilesPipeline.media_to_download``'s stat of a URL path;
- an empty body is a file (Zendesk redacts an attachment to an empty ``redacted.txt``),
  where ``FilesPipeline`` calls it an error;
- the result goes into each attachment object as ``stored_file`` (the record stays
  otherwise byte-exact) instead of a ``files`` field, and a download that fails after
  the retries fails the record's stream (tickets, articles) by name and drops the record,
  so no stored feed file ever holds a record whose files are missing and the position
  never passes it;
- local files are written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline, FSFilesStore, S3FilesStore
from scrapy.pipelines.media import FileException, FileInfo, MediaPipeline
from scrapy.utils.defer import ensure_awaitable
from twisted.python.failure import Failure

from zendesk_crawler import compat
from zendesk_crawler.api.endpoints import ATTACHMENT_ENDPOINT, ENDPOINT_META, STREAM_META, VOICE_RECORDING_ENDPOINT
from zendesk_crawler.items import ArticleRecord, StreamRecord, TicketRecord
from zendesk_crawler.location.files import write_atomically
from zendesk_crawler.location.paths import is_local
from zendesk_crawler.pipelines.attachment_index import AttachmentIndex, digest_path, stored_file
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.run.stats_keys import (
    ATTACHMENTS_ALREADY_STORED,
    ATTACHMENTS_DOWNLOADED,
    ATTACHMENTS_DOWNLOADED_BYTES,
    ATTACHMENTS_FAILED,
    ATTACHMENTS_FILES_STORED,
    ATTACHMENTS_SAME_BYTES_ALREADY_STORED,
    ATTACHMENTS_STORED_BYTES,
    attachments_skipped,
)

logger = logging.getLogger(__name__)

#: The downloader slot of attachment downloads (``DOWNLOAD_SLOTS``, set by the add-on): its own
#: concurrency, so downloads never take the API's slot and at most that many bodies are in memory.
DOWNLOAD_SLOT = "zendesk-attachments"
#: Request meta: the size Zendesk declares for the file (``None``: unknown, as for recordings).
EXPECTED_SIZE_META = "zendesk_expected_size"


class AtomicFSFilesStore(FSFilesStore):
    """``FSFilesStore`` that writes each file to a temporary name, fsyncs it and renames it into place."""

    def persist_file(self, path: str | PathLike[str], buf: BytesIO, info: MediaPipeline.SpiderInfo, meta: Any = None,
                     headers: Any = None) -> None:
        write_atomically(Path(self.basedir, path), buf.getbuffer())  # durable before a feed or the index names it


class S3FilesStoreWithoutAcl(S3FilesStore):
    """``S3FilesStore`` that sends an ACL only when ``FILES_STORE_S3_ACL`` names one.

    Scrapy's store always sends ``ACL=private``; buckets with ACLs disabled (the
    AWS default since 2023) refuse any PUT that carries an ACL, while the feeds,
    stored by Scrapy's S3 feed storage, send none.
    """

    def persist_file(self, path: str, buf: BytesIO, info: MediaPipeline.SpiderInfo, meta: Any = None,
                     headers: Any = None) -> Any:
        return compat.put_s3_file(self, path, buf)


def why_not_served(attachment: dict[str, Any]) -> str | None:
    """Why Zendesk will not serve an attachment (``deleted``, ``malware_found``), or ``None``."""
    if attachment.get("deleted"):
        return "deleted"
    if attachment.get("malware_scan_result") == "malware_found" and not attachment.get("malware_access_override"):
        return "malware_found"
    return None


@dataclass
class Download:
    """One file a record needs: an attachment object (or a voice comment) and where its bytes come from."""

    key: str
    url: str
    #: The object that gets the result, under ``field`` (``stored_file`` or ``recording_stored_file``).
    holder: dict[str, Any]
    field: str
    #: The record the file belongs to, for a person: ``ticket 12``, ``article 360003000004``.
    owner: str
    name: str
    endpoint: str
    #: The size Zendesk declares (attachments), to tell the file's bytes from anything else served.
    size: int | None = None


#: The records whose files the pipeline stores, and what a person calls their owner.
OWNERS: dict[type[StreamRecord], str] = {TicketRecord: "ticket", ArticleRecord: "article"}


class AttachmentFilesPipeline(FilesPipeline):
    """Stores every attachment and voice recording of each ticket record, and every attachment of each Help
    Center article record (``attachments``, listed by the article stream), then lets the record go on."""

    STORE_SCHEMES = {**FilesPipeline.STORE_SCHEMES, "": AtomicFSFilesStore, "file": AtomicFSFilesStore,
                     "s3": S3FilesStoreWithoutAcl}

    def __init__(self, store_uri: str, *, crawler: Crawler, config: RunContext, index: AttachmentIndex) -> None:
        super().__init__(store_uri, crawler=crawler)
        # content_url always redirects to Zendesk's content host; credentials stay behind
        # (ZendeskAuthMiddleware sends them to the account's origin only).
        compat.follow_redirects(self)
        self.config = config
        self.index = index
        self.pending: dict[int, tuple[list[Download], list[Request]]] = {}
        #: Digests whose file is being written now, and the event set when it is done.
        self.storing: dict[str, asyncio.Event] = {}
        #: Downloads handed to the downloader at once (see ``media_to_download``), and the requests holding a place.
        self.downloading = asyncio.Semaphore(config.attachment_downloads)
        self.holding_place: set[Request] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttachmentFilesPipeline:
        config = RunContext.of(crawler.settings)
        if config is None or not config.attachments:
            raise NotConfigured("attachments are off (-a attachments=true turns them on)")
        compat.configure_file_stores(cls, crawler.settings)
        index = AttachmentIndex(config.export_uri, config.run_id, crawler.settings)
        index.load()
        # Scrapy's S3 store puts its prefix right before the path: the location as a "directory".
        store_uri = config.export_uri if is_local(config.export_uri) else config.export_uri.rstrip("/") + "/"
        pipeline = cls(store_uri, crawler=crawler, config=config, index=index)
        crawler.signals.connect(pipeline.flush_index, signal=zendesk_signals.feed_file_stored)
        crawler.signals.connect(pipeline.close_index, signal=signals.spider_closed)
        return pipeline

    def flush_index(self) -> None:
        """Write the index entries of the files stored since the last segment."""
        self.index.flush()

    def close_index(self) -> None:
        """Write the last entries, and compact the index when it has grown by many runs' segments."""
        self.index.compact()

    # --- which files a record needs --------------------------------------------

    def downloads(self, record: StreamRecord) -> list[Download]:
        """The files of a record still to download; the others get their ``stored_file`` now."""
        out: list[Download] = []
        owner = f"{OWNERS[type(record)]} {record.get('id')}"
        if isinstance(record, ArticleRecord):
            for attachment in record.get("attachments") or []:
                if isinstance(attachment, dict):
                    self._plan_attachment(out, attachment, f"article_attachment:{attachment.get('id')}", owner)
            return out
        for comment in record.get("comments") or []:
            if not isinstance(comment, dict):
                continue
            for attachment in comment.get("attachments") or []:
                if isinstance(attachment, dict):
                    self._plan_attachment(out, attachment, f"attachment:{attachment.get('id')}", owner)
            data = comment.get("data")
            recording = data.get("recording_url") if isinstance(data, dict) else None
            if isinstance(recording, str) and recording:
                self._plan(out, Download(f"recording:{recording}", recording, comment, "recording_stored_file",
                                         owner, f"the recording of comment {comment.get('id')}",
                                         VOICE_RECORDING_ENDPOINT))
        return out

    def _plan_attachment(self, out: list[Download], attachment: dict[str, Any], key: str, owner: str) -> None:
        size = attachment.get("size")
        self._plan(out, Download(
            key, str(attachment.get("content_url")), attachment, "stored_file", owner,
            f"attachment {attachment.get('id')} ({attachment.get('file_name')!r})", ATTACHMENT_ENDPOINT,
            size if isinstance(size, int) and not isinstance(size, bool) else None), why_not_served(attachment))

    def _plan(self, out: list[Download], download: Download, why_not: str | None = None) -> None:
        """Give a file its ``stored_file`` now (skipped, or stored already), or add it to the downloads."""
        if why_not is None and download.size is not None and download.size > self.config.attachment_max_bytes:
            why_not = "too_large"
        if why_not is not None:
            self._skip(download, why_not)
            return
        stored = self.index.get(download.key)
        if stored is not None and download.size in (None, stored["size"]):
            download.holder[download.field] = stored
            self.crawler.stats.inc_value(ATTACHMENTS_ALREADY_STORED)
        elif not download.url.startswith(("http://", "https://")):
            self._skip(download, "no_url")
        else:  # not stored yet, or stored with other bytes than Zendesk now declares (redacted since, say)
            out.append(download)

    def _skip(self, download: Download, why: str) -> None:
        download.holder[download.field] = None
        self.crawler.stats.inc_value(attachments_skipped(why))
        logger.warning("%s: %s not stored: %s", download.owner.capitalize(), download.name, why)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if type(item) not in OWNERS:
            return []
        downloads = self.downloads(item)
        requests = [Request(d.url, callback=NO_CALLBACK, meta={
            ENDPOINT_META: d.endpoint, STREAM_META: item.stream, "download_slot": DOWNLOAD_SLOT,
            "download_maxsize": self.config.attachment_max_bytes, EXPECTED_SIZE_META: d.size}) for d in downloads]
        self.pending[id(item)] = (downloads, requests)
        return requests

    # --- storing a download ----------------------------------------------------

    async def media_to_download(  # type: ignore[override]  # Scrapy awaits what this returns: a coroutine too
            self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None) -> FileInfo | None:
        # "Already stored" was decided from the index (see the module docstring): every request here is downloaded.
        # At most ZENDESK_ATTACHMENT_DOWNLOADS files are handed to the downloader at once. MediaPipeline
        # hands it every file of every waiting record at once, and Scrapy counts requests waiting for their
        # downloader slot against CONCURRENT_REQUESTS: hundreds of queued files would stop the API requests
        # (BENCHMARKS.md). This also bounds the bodies in memory to that many times the size cap. The place
        # is held until media_downloaded (the file stored) or media_failed, whichever ends the download.
        await self.downloading.acquire()
        self.holding_place.add(request)
        return None

    def _give_place_back(self, request: Request) -> None:
        if request in self.holding_place:  # media_failed also follows a media_downloaded that raised
            self.holding_place.remove(request)
            self.downloading.release()

    def media_failed(self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo) -> Any:
        self._give_place_back(request)
        try:
            super().media_failed(failure, request, info)
        except FileException as exc:
            raise FileException(str(failure.value) or str(exc)) from exc  # keep why (FilesPipeline drops it)

    async def media_downloaded(  # type: ignore[override]  # a skipped file's result is no FileInfo: {"skipped": why}
            self, response: Response, request: Request, info: MediaPipeline.SpiderInfo, *,
            item: Any = None) -> FileInfo | dict[str, Any]:
        try:
            return await self._file_of(response, request, info, item)
        finally:
            self._give_place_back(request)

    async def _file_of(self, response: Response, request: Request, info: MediaPipeline.SpiderInfo,
                       item: Any) -> FileInfo | dict[str, Any]:
        if response.status == 404 and request.meta.get(ENDPOINT_META) == VOICE_RECORDING_ENDPOINT:
            return {"skipped": "not_found"}  # a call whose recording Zendesk no longer keeps
        if response.status != 200:
            return await super().media_downloaded(response, request, info, item=item)  # raises
        expected = request.meta.get(EXPECTED_SIZE_META)
        if expected is not None and len(response.body) != expected:
            # Not the file's bytes: a page in its place (a file flagged as malware since), or a changed file.
            return {"skipped": "unexpected_content"}
        # An empty body is a file too (a redacted attachment); FilesPipeline would call it an error.
        return await self._store(response, request, info)

    async def _store(self, response: Response, request: Request, info: MediaPipeline.SpiderInfo) -> dict[str, Any]:
        body = response.body
        sha256 = hashlib.sha256(body).hexdigest()
        path = digest_path(sha256)
        stats = self.crawler.stats
        stats.inc_value(ATTACHMENTS_DOWNLOADED)
        stats.inc_value(ATTACHMENTS_DOWNLOADED_BYTES, len(body))
        while sha256 in self.storing:  # the same bytes are being written for another attachment
            await self.storing[sha256].wait()
        if self.index.has_digest(sha256):
            stats.inc_value(ATTACHMENTS_SAME_BYTES_ALREADY_STORED)
        else:
            self.storing[sha256] = done = asyncio.Event()
            try:
                await ensure_awaitable(compat.file_store(self).persist_file(path, BytesIO(body), info))
                self.index.digests.add(sha256)
            finally:
                del self.storing[sha256]
                done.set()
            stats.inc_value(ATTACHMENTS_FILES_STORED)
            stats.inc_value(ATTACHMENTS_STORED_BYTES, len(body))
        return {"url": request.url, "path": path, "checksum": sha256, "size": len(body), "status": "downloaded"}

    def item_completed(  # type: ignore[override]  # the results are media_downloaded's, not only FileInfo
            self, results: list[tuple[bool, Any]], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        downloads, requests = self.pending.pop(id(item), ([], []))
        # MediaPipeline keeps every result for the run; the index remembers them.
        compat.forget_results(info, (self.crawler.request_fingerprinter.fingerprint(r) for r in requests))
        failed = []
        for download, (ok, result) in zip(downloads, results, strict=True):  # one result per request, in order
            why = result.getErrorMessage() if not ok and isinstance(result, Failure) else ""
            if ok and "skipped" in result:
                self._skip(download, result["skipped"])
            elif ok:
                entry = stored_file(result["path"], result["checksum"], result["size"])
                download.holder[download.field] = entry
                self.index.add(download.key, entry)
            elif "max size" in why:
                self._skip(download, "too_large")  # larger than ZENDESK_ATTACHMENT_MAX_BYTES once downloading
            else:
                failed.append((download, result))
        if failed:
            stats = self.crawler.stats
            stats.inc_value(ATTACHMENTS_FAILED, len(failed))
            for download, failure in failed:
                why = failure.getErrorMessage() if isinstance(failure, Failure) else str(failure)
                record_failure(self.crawler, f"{download.owner}: {download.name} could not be downloaded"
                                             f" from {download.url}: {why or 'see the error above'}",
                               stream=item.stream)
            raise DropItem(f"{OWNERS[type(item)]} {item.get('id')}: {len(failed)} attachment file(s) could not be "
                           "stored")
        return item
