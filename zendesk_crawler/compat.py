"""The Scrapy internals the crawler relies on, in one place, each with why no public hook does the job.

Scrapy documents its feed storages, exporters and signals, the ``FilesPipeline`` hooks
(``file_path``, ``get_media_requests``, ``item_completed``) and helpers such as
``create_looping_call``; it documents neither the batch rollover of its feed exporter
nor how a media pipeline follows redirects, keeps its results or reaches its file store.
``feeds/checkpointing.py`` and ``pipelines/attachments.py`` reach those only through this
module. ``PRIVATE_API`` names every internal used here (and the undocumented hooks the
attachment pipeline overrides), and ``tests/unit/test_compat.py`` checks each against the
installed Scrapy, so an upgrade that renames or reshapes one fails the tests instead of a
nightly backup. A new use of an internal adds a line to ``PRIVATE_API``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Any

from scrapy.extensions.feedexport import FeedExporter, FeedSlot, apply_uri_params
from scrapy.pipelines import media as scrapy_media
from scrapy.pipelines.files import FilesPipeline, FilesStoreProtocol, FSFilesStore, S3FilesStore
from scrapy.pipelines.media import MediaPipeline
from scrapy.settings import BaseSettings
from scrapy.spiders import Spider
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, ensure_awaitable
from twisted.internet.defer import Deferred


@dataclass(frozen=True)
class PrivateName:
    """A Scrapy name this project relies on without Scrapy documenting it.

    ``parameters``: for a function, its parameter names as ``inspect.signature`` gives
    them (``self`` included for methods read off the class); ``None`` for an attribute,
    which the test looks for on a real object. ``calls``: text the function's source must
    contain, for a call inside Scrapy this project's code depends on.
    """

    owner: Any
    name: str
    parameters: tuple[str, ...] | None = None
    calls: str | None = None


PRIVATE_API: list[PrivateName] = [
    # BatchFeedExporter: the feed exporter's batch rollover.
    PrivateName(FeedExporter, "_start_new_batch",
                ("self", "batch_id", "uri", "feed_options", "spider", "uri_template")),
    PrivateName(FeedExporter, "_schedule_slot_close", ("self", "slot", "spider")),
    PrivateName(FeedExporter, "_get_uri_params", ("self", "spider", "uri_params_function", "slot")),
    PrivateName(FeedExporter, "_close_slot", ("self", "slot", "spider"), calls="slot.storage.store("),
    PrivateName(FeedExporter, "slots"),
    PrivateName(FeedExporter, "feeds"),
    PrivateName(FeedSlot, "storage"),
    PrivateName(FeedSlot, "uri"),
    PrivateName(FeedSlot, "uri_template"),
    PrivateName(FeedSlot, "batch_id"),
    PrivateName(FeedSlot, "itemcount"),
    # The media pipeline's redirects, stores and results.
    PrivateName(MediaPipeline, "_handle_statuses", ("self", "allow_redirects")),
    PrivateName(MediaPipeline, "allow_redirects"),
    PrivateName(FilesPipeline, "_update_stores", ("settings",)),
    PrivateName(FilesPipeline, "STORE_SCHEMES"),
    PrivateName(FilesPipeline, "store"),
    PrivateName(MediaPipeline.SpiderInfo, "downloaded"),
    PrivateName(S3FilesStore, "_headers_to_botocore_kwargs", ("self", "headers")),
    PrivateName(S3FilesStore, "HEADERS"),
    PrivateName(S3FilesStore, "POLICY"),
    PrivateName(S3FilesStore, "s3_client"),
    PrivateName(S3FilesStore, "bucket"),
    PrivateName(S3FilesStore, "prefix"),
    # Overridden by pipelines/attachments.py: marked "Overridable Interface" in Scrapy's source, not in its docs.
    PrivateName(MediaPipeline, "media_to_download", ("self", "request", "info", "item")),
    PrivateName(MediaPipeline, "media_downloaded", ("self", "response", "request", "info", "item")),
    PrivateName(MediaPipeline, "media_failed", ("self", "failure", "request", "info")),
    # The download place media_to_download takes is given back by media_downloaded or media_failed: a download
    # that raises (or whose media_downloaded raised) ends in media_failed.
    PrivateName(MediaPipeline, "_check_media_to_download", ("self", "request", "info", "item"),
                calls="self.media_failed("),
    PrivateName(FSFilesStore, "persist_file", ("self", "path", "buf", "info", "meta", "headers")),
    PrivateName(FSFilesStore, "basedir"),
    PrivateName(S3FilesStore, "persist_file", ("self", "path", "buf", "info", "meta", "headers")),
    PrivateName(scrapy_media, "FileException"),
]


# --- the feed exporter --------------------------------------------------------


@dataclass(frozen=True)
class BatchFile:
    """The file a feed slot is writing: its URI, its feed, its batch number and the records it holds so far."""

    uri: str
    uri_template: str
    batch_id: int
    records: int
    #: The feed's ``batch_item_count`` (0: the feed is not batched).
    batch_item_count: int


class BatchFeedExporter(FeedExporter):
    """Scrapy's ``FeedExporter`` with public names for its batch rollover.

    Scrapy starts a feed's next file only inside ``item_scraped``, once a batch holds
    ``batch_item_count`` items, through the private ``_start_new_batch``,
    ``_schedule_slot_close`` and ``_get_uri_params``; no setting or signal closes a
    batch early or announces a new one (``feed_slot_closed`` comes after the store).
    Subclasses get ``batch_started`` (every new file, the first of each feed included,
    and those of Scrapy's own rollover) and ``roll_over`` (close files now, the way
    Scrapy's rollover does: same URI parameters, next ``batch_id``, the close awaited at
    ``close_spider``).
    """

    def _start_new_batch(self, batch_id: int, uri: str, feed_options: dict[str, Any], spider: Spider,
                         uri_template: str) -> FeedSlot:
        slot = super()._start_new_batch(batch_id=batch_id, uri=uri, feed_options=feed_options, spider=spider,
                                        uri_template=uri_template)
        self.batch_started(slot)
        return slot

    def batch_started(self, slot: FeedSlot) -> None:
        """Called with each new batch's slot before it takes an item."""

    def batch_file(self, slot: FeedSlot) -> BatchFile:
        """What ``slot`` is writing now."""
        return BatchFile(slot.uri, slot.uri_template, slot.batch_id, slot.itemcount,
                         self.feeds[slot.uri_template]["batch_item_count"])

    def roll_over(self, spider: Spider, wanted: Callable[[BatchFile], bool]) -> None:
        """Close the current file of every feed whose ``BatchFile`` is ``wanted`` and start that feed's next batch."""
        self.slots = [self._next_batch(slot, spider) if wanted(self.batch_file(slot)) else slot
                      for slot in self.slots]

    def _next_batch(self, slot: FeedSlot, spider: Spider) -> FeedSlot:
        # The same steps, in the same order, as FeedExporter.item_scraped when a batch is full.
        options = self.feeds[slot.uri_template]
        uri_params = self._get_uri_params(spider, options["uri_params"], slot)
        self._schedule_slot_close(slot, spider)
        return self._start_new_batch(batch_id=slot.batch_id + 1, uri=apply_uri_params(slot.uri_template, uri_params),
                                     feed_options=options, spider=spider, uri_template=slot.uri_template)


def watch_store(slot: FeedSlot, tell: Callable[[bool], None]) -> None:
    """Call ``tell(True)`` once ``slot``'s file is stored, ``tell(False)`` if its store raised (then re-raised).

    Wraps the slot's ``storage.store``, which ``FeedExporter._close_slot`` calls by
    attribute at close time. ``feed_slot_closed`` comes after the store too, but it
    carries only the slot, not whether the store succeeded; Scrapy counts failures per
    storage class (``feedexport/failed_count/<class>``) while several slots close at
    once, and it runs signal handlers in no set order, so neither can name the file that
    failed. ``tell`` runs before Scrapy logs the store's outcome, as it did before this
    module, and also when the store is cancelled, where ``feed_slot_closed`` never comes.
    """
    store = slot.storage.store

    async def store_and_tell(file: IO[bytes]) -> None:
        try:
            await ensure_awaitable(store(file))
        except BaseException:
            tell(False)
            raise
        tell(True)

    slot.storage.store = store_and_tell  # type: ignore[assignment]  # this one storage's store, wrapped in place


# --- the media pipeline -------------------------------------------------------


def follow_redirects(pipeline: MediaPipeline) -> None:
    """Let the downloader follow the redirects of ``pipeline``'s requests, whatever ``MEDIA_ALLOW_REDIRECTS`` says.

    ``MEDIA_ALLOW_REDIRECTS`` is read once in ``MediaPipeline.__init__`` into
    ``allow_redirects`` and the request meta set by the private ``_handle_statuses``;
    a pipeline that must always follow redirects (Zendesk's ``content_url`` always
    redirects) has no public way to say so but the project-wide setting.
    """
    pipeline.allow_redirects = True
    pipeline._handle_statuses(True)


def configure_file_stores(pipeline_class: type[FilesPipeline], settings: BaseSettings) -> None:
    """Give the store classes of ``pipeline_class.STORE_SCHEMES`` their settings (AWS credentials, ACLs).

    ``FilesPipeline.from_crawler`` does it through the private ``_update_stores`` and then
    builds the pipeline from ``FILES_STORE``; a pipeline that takes its store URI from
    elsewhere (the export location) needs the first step without the second.
    """
    pipeline_class._update_stores(settings)


def file_store(pipeline: FilesPipeline) -> FilesStoreProtocol:
    """The store ``pipeline`` writes files to (``FilesPipeline.store``, built from ``STORE_SCHEMES``).

    The public way to store is ``file_downloaded``, which writes to ``file_path`` and
    computes an MD5 of the body on the way; a pipeline that names files by their sha256
    and writes each distinct content once calls the store itself.
    """
    return pipeline.store


def forget_results(info: MediaPipeline.SpiderInfo, fingerprints: Iterable[bytes]) -> None:
    """Drop the kept results of these request fingerprints from ``info``.

    ``MediaPipeline`` keeps every download's result in ``SpiderInfo.downloaded`` for the
    whole run, so that a later item asking for the same URL gets it without a download;
    with the location's own index of stored files that cache only grows, and no hook
    empties it.
    """
    for fingerprint in fingerprints:
        info.downloaded.pop(fingerprint, None)


def put_s3_file(store: S3FilesStore, path: str, buf: BytesIO) -> Deferred[Any]:
    """Upload ``buf`` as ``path`` like ``S3FilesStore.persist_file``, with an ACL only if ``FILES_STORE_S3_ACL`` is set.

    ``S3FilesStore.persist_file`` always sends ``ACL=POLICY`` (``FILES_STORE_S3_ACL``, set
    on the class by ``_update_stores``), and no setting leaves it out; this reuses the
    store's client, bucket, prefix and ``HEADERS`` (through the private
    ``_headers_to_botocore_kwargs``) so the object is otherwise the same.
    """
    buf.seek(0)
    extra = store._headers_to_botocore_kwargs(store.HEADERS)
    if store.POLICY:
        extra["ACL"] = store.POLICY
    return deferred_from_coro(run_in_thread(store.s3_client.put_object, Bucket=store.bucket,
                                            Key=f"{store.prefix}{path}", Body=buf, **extra))
