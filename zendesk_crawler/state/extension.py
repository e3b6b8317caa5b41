"""The run state extension: loads each stream's saved position, checkpoints it, decides and writes the final save."""

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
from scrapy.utils.misc import load_object

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.location.paths import is_local, join_uri, local_path
from zendesk_crawler.items import StreamRecord
from zendesk_crawler.api.endpoints import STREAM_META
from zendesk_crawler.selection.person_document import PersonDocumentWriter
from zendesk_crawler.run.outcome import failure_reason, record_failure, stream_failed
from zendesk_crawler.run.positions import RecordVersion, StreamPosition, record_version
from zendesk_crawler.state.checkpoint import PageTracker
from zendesk_crawler.state.checks import stream_ended_key, why_not_save
from zendesk_crawler.state.lock import run_lock_for
from zendesk_crawler.state.manifest import build_manifest
from zendesk_crawler.state.store import STATE_VERSION, StateError, StateStore, documents_for, \
    to_json
from zendesk_crawler.location.files import remove_stale_partials
from zendesk_crawler.streams import STREAMS
from zendesk_crawler.run.stats_keys import COMMENTS_EXPORTED, STATE_SAVED, TICKETS_DELETED, TICKETS_EXPORTED, records_exported, stream_position_updated_at

logger = logging.getLogger(__name__)

#: How each incremental stream's state keeps its position: a cursor, or a time-based export's start_time.
POSITION_KEYS = {name: stream.position_key for name, stream in STREAMS.items() if stream.position_key}


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunStateExtension:
    """Owns the state file: loads each stream's saved position, moves it only past stored records.

    - Before the spider opens: takes the export location's run lock (a second
      run refuses to start), removes files a killed run left half-written, and
      loads the state (an unreadable one stops the run).
    - During the run: each time a batch of feed files is stored, saves for each
      incremental stream the position after the last page all of whose records
      are in stored files (a checkpoint: a crashed backfill resumes near where
      it died).
    - At the end: saves a stream's final position only when the checks in
      ``checks.py`` pass for it (the run finished, every feed was stored, the
      stream reached its end and nothing of it failed). A stream that fails
      keeps its last checkpoint; the streams that completed save theirs.
      Duplicates are possible on the next run, losses are not.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        config = RunContext.of(crawler.settings)
        if config is None:
            raise NotConfigured("not a zendesk spider's crawl")
        self.config = config
        self.run_id = config.run_id
        #: The exported streams (selected with -a streams=), and the incremental ones among them.
        self.streams = list(config.streams)
        self.feed_streams = self._feed_streams()
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
        # A filtered or person export moves no position: it has no incremental stream.
        self.incremental = [name for name in self.streams if name in POSITION_KEYS] if config.is_backup else []
        #: Each stream's entry as the state file holds it now (streams not exported keep theirs untouched).
        self.entries: dict[str, dict[str, Any]] = dict((self.previous or {}).get("streams") or {})
        self.resume = {name: self._resume_position(name) for name in self.incremental}
        self.trackers = {name: PageTracker() for name in self.incremental}
        self.stored_files: list[str] = []
        #: Items in each stored batch file, by feed.
        self.stored_batches: dict[str, dict[int, int]] = defaultdict(dict)
        self.saved_beyond: dict[str, int] = defaultdict(int)
        self.feeds_closed = asyncio.Event()
        self.person_documents_closed = asyncio.Event()
        #: Each exported stream's problem found by the final checks (``None``: complete).
        self.outcomes: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStateExtension:
        ext = cls(crawler)
        for handler, signal in [
            (ext.spider_opened, signals.spider_opened),
            (ext.item_scraped, signals.item_scraped),
            (ext.feed_file_stored, zendesk_signals.feed_file_stored),
            (ext.feed_exporter_closed, signals.feed_exporter_closed),
            (ext.person_documents_done, zendesk_signals.person_documents_closed),
            (ext.spider_closed, signals.spider_closed),
            (ext.spider_error, signals.spider_error),
            (ext.item_error, signals.item_error),
            (ext.page_received, zendesk_signals.page_received),
            (ext.stream_ended, zendesk_signals.stream_ended),
            (ext.page_records, zendesk_signals.page_records),
            (ext.record_superseded, zendesk_signals.record_superseded),
            (ext.record_already_stored, zendesk_signals.record_already_stored),
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

    def _resume_position(self, stream: str) -> StreamPosition:
        """Where a stream resumes: its saved cursor or start_time, else the run's start_time."""
        entry = {} if self.config.ignore_cursor else self.entries.get(stream) or {}
        start_time = entry.get("start_time")
        return StreamPosition(
            cursor=entry.get("cursor"),
            start_time=start_time if isinstance(start_time, int) and not isinstance(start_time, bool)
            else self.config.start_time,
            already_stored={tuple(v) for v in entry.get("stored_after_cursor") or []
                            if isinstance(v, list) and len(v) == 2},
        )

    def _feed_streams(self) -> dict[str, set[str]]:
        """The streams whose records each feed takes (``item_classes``; a feed without them takes every stream).

        A stream no feed takes would move its position past records stored
        nowhere: that configuration is refused before the first request.
        """
        if self.config.person:
            return {}  # the person document writer takes the records, not feeds
        classes = {stream.record_class: name for name, stream in STREAMS.items()}
        out = {}
        for uri, options in (self.crawler.settings.getdict("FEEDS") or {}).items():
            names = {classes.get(load_object(c)) for c in (options or {}).get("item_classes") or ()}
            out[str(uri)] = {n for n in names if n} or set(self.streams)
        untaken = [stream for stream in self.streams if not any(stream in taken for taken in out.values())]
        if untaken:
            raise ConfigError(f"no feed takes the records of {', '.join(untaken)}: add a feed for them to FEEDS "
                              f"or leave them out with -a streams=")
        return out

    # --- signals from the streams ---------------------------------------------

    def page_received(self, stream: str, page: int, position: Any, end_of_stream: bool,
                      repeats: list[RecordVersion]) -> None:
        if stream in self.trackers:
            self.trackers[stream].page_started(page, position, repeats)

    def person_documents_done(self) -> None:
        self.person_documents_closed.set()

    def stream_ended(self, stream: str) -> None:
        """The stream was read to its end (or to the end of this run's slice, ``-a max_tickets``)."""
        self.crawler.stats.set_value(stream_ended_key(stream), True)

    def page_records(self, stream: str, page: int, count: int) -> None:
        if stream in self.trackers:
            self.trackers[stream].records_pending(page, count)

    def record_superseded(self, stream: str, page: int) -> None:
        if stream in self.trackers:
            self.trackers[stream].record_dropped(page)

    def record_already_stored(self, stream: str, page: int, version: RecordVersion) -> None:
        if stream in self.trackers:
            self.trackers[stream].record_already_stored(page, version)

    def spider_opened(self) -> None:
        for stream, position in self.resume.items():
            self.crawler.signals.send_catch_log(zendesk_signals.resume_position, stream=stream, position=position)
            self._log_start(stream, position)
        self.lock_renewal = create_looping_call(self._renew_lock)
        self.lock_renewal.start(self.config.lock_ttl / 3, now=False)

    def _log_start(self, stream: str, position: StreamPosition) -> None:
        if position.cursor:
            previous = self.previous or {}
            since = ((previous.get("checkpoint") or {}).get("saved_at")
                     or (previous.get("last_run") or {}).get("finished_at") or "an unknown time")
            logger.info("%s: Resuming from the cursor saved in %s at %s", stream, self.config.state_uri, since)
            if self.config.start_time_given:
                logger.warning("%s: start_time is ignored: a saved cursor exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.", stream)
            return
        if position.start_time != self.config.start_time:
            why = ("the start_time of the interrupted run checkpointed in the state file"
                   if POSITION_KEYS[stream] == "cursor" else f"the position saved in {self.config.state_uri}")
            if self.config.start_time_given:
                logger.warning("%s: start_time is ignored: %s exists. "
                               "Pass -a ignore_cursor=true to export again from start_time.", stream, why)
        else:
            why = "ignore_cursor=true" if self.config.ignore_cursor else \
                f"no saved position in {self.config.state_uri}"
        logger.info("%s: Starting from start_time=%s (%s) (%s)", stream, position.start_time,
                    _iso(position.start_time), why)
        if position.already_stored:
            logger.info("%s: Skipping %d records an earlier run already stored after its position", stream,
                        len(position.already_stored))

    def _renew_lock(self) -> None:
        try:
            self.lock.renew()
        except StateError as exc:
            record_failure(self.crawler, str(exc))
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="lock_lost"))  # type: ignore[union-attr]

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

    # --- checkpoints --------------------------------------------------------

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, StreamRecord) and item.page and item.stream in self.trackers:
            self.trackers[item.stream].record_exported(item.page, record_version(item))

    def feed_file_stored(self, uri: str, uri_template: str, batch_id: int, records: int, stored: bool) -> None:
        if not stored:
            streams = self.feed_streams.get(uri_template, set(self.streams))
            record_failure(self.crawler, f"the feed file {uri} could not be stored (see the error above)",
                           stream=next(iter(streams)) if len(streams) == 1 else None)
            return
        self.stored_files.append(uri)
        self.stored_batches[uri_template][batch_id] = records
        saved = []
        for stream in self.incremental:
            if stream_failed(self.crawler, stream):
                continue
            tracker = self.trackers[stream]
            stored = self._items_stored(stream)
            moved = tracker.advance(stored)
            beyond = [list(v) for v in tracker.stored_beyond_position(stored) if v[0] is not None]
            if not moved and len(beyond) <= self.saved_beyond[stream]:
                continue
            entry = self._entry(stream, tracker.safe_position, beyond, final=False)
            previous = self.entries.get(stream) or {}
            if all(entry.get(key) == previous.get(key) for key in (POSITION_KEYS[stream], "start_time")) \
                    and not beyond and not previous.get("stored_after_cursor"):
                continue  # the same position as saved (a page without records): nothing to write
            self.entries[stream] = entry
            self.saved_beyond[stream] = len(beyond)
            saved.append(f"{stream}: {stored} records of this run are in stored files"
                         + (f" ({len(beyond)} after the saved position)" if beyond else ""))
        if saved and self._save(finished=False):
            logger.info("Checkpoint: %s; saved their positions", "; ".join(saved))

    def _items_stored(self, stream: str) -> int:
        """Records of ``stream`` stored in every feed that takes it: the items of its leading stored batches.

        A feed that takes several exported streams (``-o`` with ``-a streams=`` of more
        than one) cannot say which of its items are the stream's: it allows no
        checkpoint, and the final save waits for its close.
        """
        stored = []
        for template, streams in self.feed_streams.items():
            if stream not in streams:
                continue
            if len(streams) > 1:
                return 0
            batches = self.stored_batches.get(template, {})
            count, batch = 0, 1
            while batch in batches:
                count += batches[batch]
                batch += 1
            stored.append(count)
        return min(stored, default=0)

    # --- end of the run -----------------------------------------------------

    def feed_exporter_closed(self) -> None:
        self.feeds_closed.set()

    async def spider_closed(self, reason: str) -> None:
        if self.lock_renewal is not None and self.lock_renewal.running:
            self.lock_renewal.stop()
        try:
            if self.crawler.get_extension(FeedExporter) is not None:
                await self.feeds_closed.wait()
            if self.config.person:
                if self.crawler.get_extension(PersonDocumentWriter) is None:
                    record_failure(self.crawler, "a person export needs the PersonDocumentWriter extension, "
                                                 "which EXTENSIONS disables: no document was written")
                else:
                    await self.person_documents_closed.wait()
            for stream in self.streams:
                problem = why_not_save(self.crawler.stats, reason, stream)
                self.outcomes[stream] = problem
                if problem:
                    record_failure(self.crawler, problem, stream=stream)
                    if stream in self.trackers:
                        logger.error("The final %s position was not saved: the next run starts from %s", stream,
                                     "the last checkpoint" if self.trackers[stream].safe_position is not None
                                     else "the previous position" if (self.entries.get(stream) or {})
                                     else "start_time")
                elif stream in self.trackers:
                    tracker = self.trackers[stream]
                    position = tracker.last_position if tracker.last_position is not None else \
                        self._saved_position(stream)
                    self.entries[stream] = self._entry(stream, position, [list(v) for v in tracker.last_repeats],
                                                       final=True)
            if any(problem is None for stream, problem in self.outcomes.items() if stream in self.trackers) \
                    and self._save(finished=True):
                self.crawler.stats.set_value(STATE_SAVED, self.config.state_uri)
                saved = [s for s in self.incremental if self.outcomes[s] is None]
                logger.info("Saved the final position of %s to %s", ", ".join(saved), self.config.state_uri)
            self._write_manifest(reason)
        finally:
            self.lock.release()

    def _saved_position(self, stream: str) -> Any:
        position = self.resume[stream]
        return position.cursor if POSITION_KEYS[stream] == "cursor" else position.start_time

    def _entry(self, stream: str, position: Any, beyond: list[list[Any]], final: bool) -> dict[str, Any]:
        """The state's entry for a stream at ``position`` (a checkpoint's, or the final one)."""
        if position is None:
            position = self._saved_position(stream)
        previous = self.entries.get(stream) or {}
        entry: dict[str, Any] = {
            POSITION_KEYS[stream]: position,
            "position_updated_at": self.crawler.stats.get_value(stream_position_updated_at(stream),
                                                                previous.get("position_updated_at")),
        }
        if not final or beyond:
            entry["stored_after_cursor"] = beyond
        if POSITION_KEYS[stream] == "cursor" and position is None:
            entry["start_time"] = self.resume[stream].start_time
        return entry

    def _save(self, finished: bool) -> bool:
        """Save the state; a failure to save fails the run (the positions did not move)."""
        try:
            self.store.save(self._state(finished))
        except (OSError, StateError) as exc:
            record_failure(self.crawler, f"the state could not be saved to {self.config.state_uri}: {exc}")
            return False
        return True

    def _run_facts(self) -> dict[str, Any]:
        stats = self.crawler.stats
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "streams": self.streams,
            "started_from": {stream: ({"cursor": p.cursor} if p.cursor else {"start_time": p.start_time})
                             for stream, p in self.resume.items()},
            "tickets_exported": stats.get_value(TICKETS_EXPORTED, 0),
            "comments_exported": stats.get_value(COMMENTS_EXPORTED, 0),
            "deleted_tickets_exported": stats.get_value(TICKETS_DELETED, 0),
            "records_exported": {stream: stats.get_value(records_exported(stream), 0)
                                 for stream in self.streams},
            "requests": stats.get_value("downloader/request_count", 0),
            "files": list(self.stored_files),
        }

    def _state(self, finished: bool) -> dict[str, Any]:
        previous = self.previous or {}
        state: dict[str, Any] = {"version": STATE_VERSION, "base_url": self.config.base_url,
                                 "streams": dict(self.entries)}
        if finished:
            state["last_run"] = {**self._run_facts(), "finished_at": _utc_now()}
        else:
            state["last_run"] = previous.get("last_run")
            state["checkpoint"] = {**self._run_facts(), "saved_at": _utc_now()}
        return state

    def _write_manifest(self, reason: str) -> None:
        """Leave ``manifest-<run id>.json`` beside the feeds: what this run stored, and whether it is complete."""
        saved = {stream: (self.entries.get(stream) or {}).get(POSITION_KEYS[stream])
                 for stream in self.trackers if self.outcomes.get(stream) is None}
        manifest = build_manifest(
            self.crawler.stats, run_id=self.run_id, finish_reason=reason, failure=failure_reason(self.crawler),
            started_at=self.started_at, finished_at=_utc_now(), base_url=self.config.base_url,
            streams=self.streams, outcomes=self.outcomes, resumed_from=self.resume, saved_positions=saved,
            files=self.stored_files, max_tickets=self.config.max_tickets, attachments=self.config.attachments,
            ticket_filter=self.config.ticket_filter.describe() if self.config.ticket_filter else None,
            person=self.config.person or None)
        uri = join_uri(self.config.export_uri, f"manifest-{self.run_id}.json")
        try:
            documents_for(uri, self.crawler.settings).write(uri, to_json(manifest))
        except (OSError, StateError) as exc:
            record_failure(self.crawler, f"the run manifest could not be written to {uri}: {exc}")
