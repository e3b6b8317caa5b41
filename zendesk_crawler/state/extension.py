"""The run state extension: loads the saved position, checkpoints it, decides and writes the final save and manifest."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.asyncio import create_looping_call

from zendesk_crawler import signals as zendesk_signals
from zendesk_crawler.config import ZendeskConfig, join_uri
from zendesk_crawler.outcome import failure_reason, record_failure
from zendesk_crawler.state.checkpoint import PageTracker, TicketVersion, ticket_version
from zendesk_crawler.state.checks import TICKET_STREAM_ENDED, feed_failures, why_not_save
from zendesk_crawler.state.lock import run_lock_for
from zendesk_crawler.state.store import (STATE_VERSION, StateError, StateStore, documents_for, is_local,
                                         local_path, to_json)
from zendesk_crawler.storages import remove_stale_partials

logger = logging.getLogger(__name__)


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunStateExtension:
    """Owns the state file: loads the saved cursor before the first request, moves it only past stored records.

    - Before the spider opens: takes the export location's run lock (a second
      run refuses to start), removes files a killed run left half-written, and
      loads the state (an unreadable one stops the run).
    - During the run: each time a batch of feed files is stored, saves the
      cursor of the last export page all of whose records are in stored files
      (a checkpoint: a crashed backfill resumes near where it died).
    - At the end: saves the final cursor only when the spider finished, reached
      the end of the ticket stream, nothing failed and every feed was stored
      (Scrapy's ``feed_exporter_closed`` signal and the feed-export stats).
      Otherwise the state keeps the last checkpoint: the next run exports those
      changes again, so duplicates are possible and losses are not.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        config = ZendeskConfig.from_run_settings(crawler.settings)
        if config is None:
            raise NotConfigured("not a zendesk spider's crawl")
        self.config = config
        self.run_id = crawler.settings.get("ZENDESK_RUN_ID")
        self.documents = documents_for(self.config.state_uri, crawler.settings)
        self.store = StateStore(self.config.state_uri, self.documents)
        self.lock = run_lock_for(self.config.state_uri, crawler.settings, self.config.lock_ttl)
        self.lock.acquire(self.run_id)
        try:
            if is_local(self.config.export_uri):
                remove_stale_partials(local_path(self.config.export_uri))
            self.previous = self._load_previous()
        except BaseException:
            self.lock.release()
            raise
        self.lock_renewal: Any = None
        self.started_at = _utc_now()
        self.saved_cursor: str | None = None
        #: Where the export starts when no cursor was saved yet: a checkpoint's start_time, else the argument.
        self.start_time = self.config.start_time
        #: Ticket versions after the saved cursor that an interrupted run already stored (see state/checkpoint.py).
        self.already_stored: set[TicketVersion] = set()
        if self.previous and not self.config.ignore_cursor:
            tickets = self.previous["streams"].get("tickets", {})
            self.saved_cursor = tickets.get("cursor")
            if not self.saved_cursor and isinstance(tickets.get("start_time"), int):
                self.start_time = tickets["start_time"]
            self.already_stored = {tuple(v) for v in tickets.get("stored_after_cursor") or []
                                   if isinstance(v, list) and len(v) == 2}
        #: Export pages from the spider's signals, for checkpoints, and the last page's cursor.
        self.pages = PageTracker()
        self.export_cursor: str | None = None
        self.stored_files: list[str] = []
        #: Items in each stored batch file, by feed.
        self.stored_batches: dict[str, dict[int, int]] = defaultdict(dict)
        self.saved_beyond_cursor = 0
        self.feeds_failed = 0
        self.feeds_closed = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStateExtension:
        ext = cls(crawler)
        for handler, signal in [
            (ext.spider_opened, signals.spider_opened),
            (ext.item_scraped, signals.item_scraped),
            (ext.feed_slot_closed, signals.feed_slot_closed),
            (ext.feed_exporter_closed, signals.feed_exporter_closed),
            (ext.spider_closed, signals.spider_closed),
            (ext.spider_error, signals.spider_error),
            (ext.item_error, signals.item_error),
            (ext.pages.page_started, zendesk_signals.export_page_received),
            (ext.pages.tickets_pending, zendesk_signals.export_page_tickets),
            (ext.pages.ticket_dropped, zendesk_signals.ticket_superseded),
            (ext.pages.ticket_already_stored, zendesk_signals.ticket_already_stored),
            (ext.export_page_received, zendesk_signals.export_page_received),
        ]:
            crawler.signals.connect(handler, signal=signal)
        return ext

    def _load_previous(self) -> dict[str, Any] | None:
        try:
            previous = self.store.load()
        except StateError:
            if not self.config.ignore_cursor:
                raise
            logger.warning("Ignoring the unreadable state file %s (ignore_cursor=true); it will be replaced",
                           self.config.state_uri)
            return None
        if previous and previous.get("base_url") not in (None, self.config.base_url) and not self.config.ignore_cursor:
            raise StateError(
                f"the state file {self.config.state_uri} belongs to {previous.get('base_url')}, not "
                f"{self.config.base_url}: use another ZENDESK_EXPORT_URI, or -a ignore_cursor=true to start over"
            )
        return previous

    def export_page_received(self, cursor: str | None, end_of_stream: bool) -> None:
        self.export_cursor = cursor or self.export_cursor
        self.crawler.stats.set_value(TICKET_STREAM_ENDED, end_of_stream)

    def spider_opened(self) -> None:
        self.crawler.signals.send_catch_log(zendesk_signals.resume_position, cursor=self.saved_cursor,
                                            start_time=self.start_time, already_stored=self.already_stored)
        self.lock_renewal = create_looping_call(self._renew_lock)
        self.lock_renewal.start(self.config.lock_ttl / 3, now=False)
        if self.saved_cursor:
            previous = self.previous or {}
            since = ((previous.get("checkpoint") or {}).get("saved_at")
                     or (previous.get("last_run") or {}).get("finished_at") or "an unknown time")
            logger.info("Resuming from the cursor saved in %s at %s", self.config.state_uri, since)
            if self.config.start_time_given:
                logger.warning("start_time is ignored: a saved cursor exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.")
        else:
            why = "ignore_cursor=true" if self.config.ignore_cursor else f"no saved cursor in {self.config.state_uri}"
            start = datetime.fromtimestamp(self.start_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if self.start_time != self.config.start_time:
                why = "the start_time of the interrupted run checkpointed in the state file"
                if self.config.start_time_given:
                    logger.warning("start_time is ignored: an interrupted run checkpointed its own. "
                                   "Pass -a ignore_cursor=true to export again from start_time.")
            logger.info("Starting from start_time=%s (%s) (%s)", self.start_time, start, why)
        if self.already_stored:
            logger.info("Skipping %d tickets the interrupted run already stored after its cursor",
                        len(self.already_stored))

    def _renew_lock(self) -> None:
        try:
            self.lock.renew()
        except StateError as exc:
            record_failure(self.crawler, str(exc))
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="lock_lost"))  # type: ignore[union-attr]

    def spider_error(self, failure: Any, response: Any) -> None:
        """A callback raised: whatever it was handling may be missing from the export."""
        record_failure(self.crawler, f"unexpected error while handling {response.url}: {failure.value!r}")

    def item_error(self, item: Any, failure: Any) -> None:
        """A pipeline raised: that ticket was not exported."""
        ticket_id = item.ticket.get("id") if hasattr(item, "ticket") else None
        record_failure(self.crawler, f"ticket {ticket_id} could not be exported: {failure.value!r}")

    # --- checkpoints --------------------------------------------------------

    def item_scraped(self, item: Any) -> None:
        page = getattr(item, "export_page", 0)
        if page:
            self.pages.ticket_exported(page, ticket_version(item))

    def feed_slot_closed(self, slot: Any) -> None:
        failed = feed_failures(self.crawler.stats)
        if failed > self.feeds_failed:
            self.feeds_failed = failed
            record_failure(self.crawler, f"the feed file {slot.uri} could not be stored (see the error above)")
            return
        self.stored_files.append(slot.uri)
        self.stored_batches[slot.uri_template][slot.batch_id] = slot.itemcount
        if failure_reason(self.crawler) is not None:
            return
        pages = self.pages
        stored = self._items_stored(slot)
        moved = pages.advance(stored)
        beyond = [list(v) for v in pages.stored_beyond_cursor(stored) if v[0] is not None]
        if not moved and len(beyond) <= self.saved_beyond_cursor:
            return
        if self._save(self._state(pages.safe_cursor or self.saved_cursor, finished=False, beyond=beyond)):
            self.saved_beyond_cursor = len(beyond)
            logger.info("Checkpoint: %d records of this run are in stored files; saved the cursor%s", stored,
                        f" and {len(beyond)} stored tickets after it" if beyond else "")

    def _items_stored(self, slot: Any) -> int:
        """Records stored in every feed: the items of its leading stored batches (1, 2, … without a gap)."""
        feeds = self.crawler.settings.getdict("FEEDS") or {slot.uri_template: {}}
        stored = []
        for template in feeds:
            batches = self.stored_batches.get(str(template), {})
            count, batch = 0, 1
            while batch in batches:
                count += batches[batch]
                batch += 1
            stored.append(count)
        return min(stored)

    # --- end of the run -----------------------------------------------------

    def feed_exporter_closed(self) -> None:
        self.feeds_closed.set()

    async def spider_closed(self, reason: str) -> None:
        if self.lock_renewal is not None and self.lock_renewal.running:
            self.lock_renewal.stop()
        try:
            if self.crawler.get_extension(FeedExporter) is not None:
                await self.feeds_closed.wait()
            problem = why_not_save(self.crawler.stats, reason)
            if problem:
                record_failure(self.crawler, problem)
                logger.error("Final cursor not saved: the next run starts from %s",
                             "the last checkpoint" if self.pages.safe_cursor
                             else "the previous cursor" if self.saved_cursor else "start_time")
            elif self._save(self._state(self.export_cursor or self.saved_cursor, finished=True)):
                self.crawler.stats.set_value("zendesk/state_saved", self.config.state_uri)
                logger.info("Saved the cursor to %s", self.config.state_uri)
            self._write_manifest(reason)
        finally:
            self.lock.release()

    def _save(self, state: dict[str, Any]) -> bool:
        """Save the state; a failure to save fails the run (the cursor did not move)."""
        try:
            self.store.save(state)
        except (OSError, StateError) as exc:
            record_failure(self.crawler, f"the state could not be saved to {self.config.state_uri}: {exc}")
            return False
        return True

    def _write_manifest(self, reason: str) -> None:
        """Leave ``manifest-<run id>.json`` beside the feeds: what this run stored, and whether it is complete."""
        failure = failure_reason(self.crawler)
        stats = self.crawler.stats
        manifest = {
            "run_id": self.run_id,
            "status": "failed" if failure else "complete",
            "failure": failure,
            "finish_reason": reason,
            "started_at": self.started_at,
            "finished_at": _utc_now(),
            "base_url": self.config.base_url,
            "cursor_before": self.saved_cursor,
            "cursor_after": None if failure else (self.export_cursor or self.saved_cursor),
            "tickets_exported": stats.get_value("zendesk/tickets_exported", 0),
            "comments_exported": stats.get_value("zendesk/comments_exported", 0),
            "deleted_tickets_exported": stats.get_value("zendesk/tickets_deleted", 0),
            "files": sorted(self.stored_files),
        }
        uri = join_uri(self.config.export_uri, f"manifest-{self.run_id}.json")
        try:
            documents_for(uri, self.crawler.settings).write(uri, to_json(manifest))
        except (OSError, StateError) as exc:
            record_failure(self.crawler, f"the run manifest could not be written to {uri}: {exc}")

    def _state(self, cursor: str | None, finished: bool, beyond: list[list[Any]] | None = None) -> dict[str, Any]:
        stats = self.crawler.stats
        previous = self.previous or {}
        run = {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "started_from": {"cursor": self.saved_cursor} if self.saved_cursor
            else {"start_time": self.start_time},
            "tickets_exported": stats.get_value("zendesk/tickets_exported", 0),
            "comments_exported": stats.get_value("zendesk/comments_exported", 0),
            "deleted_tickets_exported": stats.get_value("zendesk/tickets_deleted", 0),
            "requests": stats.get_value("downloader/request_count", 0),
            "files": list(self.stored_files),
        }
        tickets: dict[str, Any] = {
            "cursor": cursor,
            "position_updated_at": stats.get_value(
                "zendesk/position_updated_at",
                (previous.get("streams") or {}).get("tickets", {}).get("position_updated_at")),
        }
        state = {"version": STATE_VERSION, "base_url": self.config.base_url, "streams": {"tickets": tickets}}
        if finished:
            state["last_run"] = {**run, "finished_at": _utc_now()}
        else:
            tickets["stored_after_cursor"] = beyond or []
            if cursor is None:
                tickets["start_time"] = self.start_time
            state["last_run"] = previous.get("last_run")
            state["checkpoint"] = {**run, "saved_at": _utc_now()}
        return state
