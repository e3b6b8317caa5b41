"""Base classes of the streams, one per pagination style Zendesk uses for them.

- :class:`CursorExportStream`: cursor-based incremental export (tickets, users):
  ``start_time`` once, then ``cursor`` (``after_cursor``) until ``end_of_stream``;
  the last ``after_cursor`` is the position the next run starts from.
- :class:`TimeExportStream`: time-based incremental export (organizations):
  ``start_time``; each page says its ``end_time`` (its last record's second) and the
  next page starts at ``end_time`` again, so that second's records come twice.
- :class:`ListStream`: a plain list with cursor pagination (``page[size]``,
  ``meta.has_more``, ``meta.after_cursor``), read in full every run (groups, ticket fields,
  most configuration streams).
- :class:`WholeListStream`: a list Zendesk returns whole in one answer, without pagination,
  read in full every run (ticket forms, custom statuses, SLA policies, schedules).

A stream builds its requests, reads its pages and yields its records; it tells the
run state what happens through signals (a page arrived, how many records it holds,
a record needs no export) and records its failures under its own name, so a failing
stream keeps its saved position while the others save theirs.

A stream of a feature an account may not have (``needs_feature``: the Help Center, an
add-on, a plan feature, an admin role) whose first page Zendesk answers 403 or 404
is *unavailable*, not failed (``run/outcome.py``'s ``mark_unavailable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, cast
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import ENDPOINT_META, FEATURE_META, PAGE_META, STREAM_META
from zendesk_crawler.api.pagination import PaginationError, check_whole_list, export_page_end, next_page_cursor
from zendesk_crawler.api.responses import STREAM_PAGE_PRIORITY, describe, json_object, short_answer
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.items import StreamRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.outcome import mark_unavailable, record_failure, stream_failed, unavailable_streams
from zendesk_crawler.run.positions import RecordVersion, StreamPosition, record_version, version_time
from zendesk_crawler.run.stats_keys import (
    MALFORMED_RESPONSES,
    stream_already_stored,
    stream_first_updated_at,
    stream_malformed,
    stream_pages,
    stream_position_updated_at,
    stream_repeated,
)

logger = logging.getLogger(__name__)

#: Request meta of a time-based export page: the ``start_time`` it asks for.
START_TIME_META = "zendesk_start_time"

class Stream:
    """One Zendesk stream: its endpoint, list key and record class; subclasses add the pagination."""

    #: The stream's name (``-a streams=``, file names, the state's ``streams`` keys).
    name: ClassVar[str]
    #: The API path of the stream's pages.
    path: ClassVar[str]
    #: The key of the page's list of objects.
    list_key: ClassVar[str]
    #: What a person calls the source in a failure line ("the ticket export stopped: …").
    label: ClassVar[str]
    #: The endpoint's name in stats, budgets and the sandbox's request log.
    endpoint: ClassVar[str]
    record_class: ClassVar[type[StreamRecord]]
    #: How the state keeps the stream's position (``cursor`` or ``start_time``); ``None``: read in full each run.
    position_key: ClassVar[str | None] = None
    #: The scheduler priority of the stream's pages (see ``api.py``).
    page_priority: ClassVar[int] = STREAM_PAGE_PRIORITY
    #: Streams read to their end before this one starts (read, not exported, when not selected).
    depends_on: ClassVar[tuple[str, ...]] = ()
    #: What the endpoint needs that an account may lack, as a person names it ("the Help Center", "the
    #: Collaboration add-on", "SLA policies on the plan", "an admin role"); ``None``: every account has it.
    #: A 403 or 404 of the stream's first page then marks the stream unavailable instead of failing it.
    needs_feature: ClassVar[str | None] = None

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        self.crawler = crawler
        self.config = config
        #: Whether the stream's records are exported (a stream read only for another stream's sake is not).
        self.export = export
        self.position = StreamPosition(start_time=config.start_time)
        self.pages_requested = 0

    @property
    def stats(self) -> StatsCollector:
        """The crawler's stats (created after the spider, so looked up when used)."""
        return self.crawler.stats

    def resume_from(self, position: StreamPosition) -> None:
        """Where the run state says this stream resumes (told before the first request)."""
        self.position = position

    def start_requests(self) -> list[Request]:
        """The stream's first request(s)."""
        raise NotImplementedError

    def idle(self) -> list[Request]:
        """Requests for work still waiting when the spider has nothing else to do (none by default)."""
        return []

    def unfinished(self) -> int:
        """Records accepted but neither exported nor dropped (left in the stats when the spider closes)."""
        return 0

    # --- helpers for subclasses ----------------------------------------------

    def page_request(self, params: dict[str, Any], meta: dict[str, Any] | None = None) -> Request:
        """A request for the next page of the stream, numbered in stream order."""
        self.pages_requested += 1
        query = f"?{urlencode(params)}" if params else ""
        return self.request(f"{self.config.base_url}{self.path}{query}", self.parse_page,
                            self.page_failed, self.page_priority, self.endpoint,
                            {PAGE_META: self.pages_requested, **(meta or {})})

    def request(self, url: str, callback: Callable[..., Any], errback: Callable[[Failure], Any], priority: int,
                endpoint: str, meta: dict[str, Any]) -> Request:
        """A request of this stream (its failures are this stream's)."""
        feature = {FEATURE_META: self.needs_feature} if self.needs_feature else {}
        return Request(url, callback=callback, errback=errback, priority=priority,
                       meta={ENDPOINT_META: endpoint, STREAM_META: self.name, **feature, **meta})

    def parse_page(self, response: Response) -> Iterator[Any]:
        """Callback of the stream's pages: a page that is not the expected JSON is retried, else read."""
        page = self.page_json(response)
        if page is None:
            yield from self.malformed(response)
            return
        self.stats.inc_value(stream_pages(self.name))
        yield from self.read_page(page, response.meta[PAGE_META], response)

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        """The records and requests of one page (numbered 1, 2, … in stream order)."""
        raise NotImplementedError

    def page_failed(self, failure: Failure) -> None:
        """Errback of the stream's pages: after Scrapy's retries, the stream cannot be complete.

        But a stream that ``needs_feature`` and whose first page is answered 403 or
        404 is unavailable: the account does not have the feature (a later page so
        answered is a failure: the account had it a moment ago).
        """
        response = getattr(failure.value, "response", None)
        if response is not None and self.feature_missing(response):
            self.unavailable(f"needs {self.needs_feature}; Zendesk answered {short_answer(response)}")
            return
        hint = " (check ZENDESK_SUBDOMAIN or ZENDESK_URL)" if response is not None and response.status == 404 else ""
        self.fail(f"the {self.label} stopped: {describe(failure)}{hint}")

    def feature_missing(self, response: Response) -> bool:
        """Whether ``response`` (a failed request's) is Zendesk's answer to a stream of a feature the account
        does not have: a 403 or 404 before any page of the stream was read."""
        return (self.needs_feature is not None and response.status in (403, 404)
                and not self.stats.get_value(stream_pages(self.name)))

    def unavailable(self, why: str) -> None:
        """The account does not have what the stream needs: not a failure, the saved position stays."""
        mark_unavailable(self.crawler, self.name, why)

    def fail(self, why: str) -> None:
        """The stream cannot be complete: the run fails and the stream keeps its saved position."""
        record_failure(self.crawler, why, stream=self.name)

    def failed(self) -> bool:
        """Whether this stream (or the whole run) failed: no point in more requests for it."""
        return stream_failed(self.crawler, self.name)

    def stopped(self) -> bool:
        """Whether the stream failed (or the run did) or the account does not have it: no point in more requests
        for it (a stream with requests of its own, one per ticket say, asks before each)."""
        return self.failed() or self.name in unavailable_streams(self.crawler)

    def tell(self, signal: object, **arguments: Any) -> None:
        self.crawler.signals.send_catch_log(signal, stream=self.name, **arguments)

    def page_json(self, response: Response) -> dict[str, Any] | None:
        """The page's JSON object if it has the stream's list, else ``None``."""
        return json_object(response, self.list_key)

    def retry_or_fail(self, response: Response, give_up: Callable[[str], None]) -> Iterator[Request]:
        """Retry a response whose body is not the expected JSON (truncated, an HTML error page), like a 5xx."""
        self.stats.inc_value(MALFORMED_RESPONSES)
        # A response a callback gets carries its request, and the spider is running while callbacks are.
        request, spider = cast(Request, response.request), cast(Spider, self.crawler.spider)
        retry = get_retry_request(request, spider=spider, reason="malformed_response",
                                  max_retry_times=self.crawler.settings.getint("RETRY_TIMES"))
        if retry is not None:
            yield retry
            return
        give_up(f"the answer from {response.url} (HTTP {response.status}) is not the expected JSON, after retries")

    def malformed(self, response: Response) -> Iterator[Request]:
        """A page that is not the expected JSON: retried, and after the retries the stream fails."""
        return self.retry_or_fail(response, lambda why: self.fail(f"the {self.label} stopped: {why}"))

    def records(self, objects: list[Any], page: int, repeats: set[RecordVersion] | None = None) -> list[StreamRecord]:
        """The records of a page's objects, but those an earlier run stored and this run's ``repeats``.

        Those an earlier run stored (listed with the saved position) are told to the
        run state as already stored: they stay listed in the next checkpoints.
        ``repeats`` (the previous page's last second, which a time-based export
        serves again) are skipped silently: they belong to the previous page, whose
        records may not be stored yet, and are listed with its position once they are.
        """
        out = []
        for obj in objects:
            if not isinstance(obj, dict):
                self.stats.inc_value(stream_malformed(self.name))
                logger.warning("Skipped a %s entry that is not an object: %.200r", self.name, obj)
                continue
            version = record_version(obj)
            if version[0] is not None and repeats and version in repeats:
                self.stats.inc_value(stream_repeated(self.name))
                continue
            if version[0] is not None and version in self.position.already_stored:
                self.stats.inc_value(stream_already_stored(self.name))
                self.tell(zendesk_signals.record_already_stored, page=page, version=version)
                continue
            out.append(self.record_class.from_page(obj, page))
        return out

    def hand_on(self, records: list[StreamRecord], page: int) -> list[StreamRecord]:
        """Tell the run state how many records page ``page`` exports, and return them (none if not exported)."""
        if not self.export:
            records = []
        self.tell(zendesk_signals.page_records, page=page, count=len(records))
        return records


class CursorExportStream(Stream):
    """Cursor-based incremental export: ``start_time`` once, then ``cursor`` until ``end_of_stream``."""

    position_key = "cursor"

    def export_params(self) -> dict[str, Any]:
        """Parameters every page request carries besides the position."""
        return {"per_page": self.config.export_page_size}

    def start_requests(self) -> list[Request]:
        position = self.position
        start = {"cursor": position.cursor} if position.cursor else {"start_time": position.start_time}
        return [self.export_request(start)]

    def export_request(self, position: dict[str, Any]) -> Request:
        return self.page_request({**position, **self.export_params()})

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        try:
            cursor, end = export_page_end(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        self.tell(zendesk_signals.page_received, page=number, position=cursor, end_of_stream=end, repeats=[])
        yield from self.hand_on(self.records(page[self.list_key], number), number)
        note_position(self, page[self.list_key])
        if end:
            self.tell(zendesk_signals.stream_ended)
            return
        yield self.export_request({"cursor": cursor})


class TimeExportStream(Stream):
    """Time-based incremental export: ``start_time``; the next page starts at the page's ``end_time``.

    The records of the ``end_time`` second come again at the start of the next
    page: they are exported once (by ``(id, updated_at)``), and the run state
    keeps them with the saved ``start_time`` so the next run skips them too.
    """

    position_key = "start_time"

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        #: Versions of the last page's ``end_time`` second (the next page starts with them again).
        self.repeats: set[RecordVersion] = set()

    def start_requests(self) -> list[Request]:
        return [self.export_request(self.position.start_time)]

    def export_request(self, start_time: int) -> Request:
        return self.page_request(self.export_params(start_time), meta={START_TIME_META: start_time})

    def export_params(self, start_time: int) -> dict[str, Any]:
        """The parameters of the page at ``start_time``."""
        return {"start_time": start_time, "per_page": self.config.export_page_size}

    def page_ends(self, page: dict[str, Any]) -> bool:
        """Whether the stream ends with this page (the Incremental Exports' ``end_of_stream``)."""
        return bool(page.get("end_of_stream"))

    def checked_end_time(self, page: dict[str, Any], objects: list[Any], start_time: int | None,
                         end: bool) -> int | None:
        """The page's ``end_time``, where the next page starts; ``None`` (the stream failed) when it has none that
        can be used, or when it names ``start_time`` again on a page that is not the last."""
        end_time = page.get("end_time")
        if end and not objects and end_time is None and start_time is not None:
            end_time = start_time  # an empty last page: the position stays where it was
        if not isinstance(end_time, int) or isinstance(end_time, bool) or (
                start_time is not None and end_time < start_time):
            self.fail(f"the {self.label} stopped: the page at start_time={start_time} has no usable end_time")
            return None
        if not end and end_time == start_time:
            # A full page within one second: asking from end_time again would return the same page forever.
            self.fail(f"the {self.label} stopped: {self.full_second(end_time)}")
            return None
        return end_time

    def full_second(self, second: int) -> str:
        """Why the stream cannot go on past a full page of changes within ``second``."""
        return (f"more records changed in the second {second} than one page holds "
                f"(per_page={self.config.export_page_size})")

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        records, next_start = self.read_time_page(page, number, response.meta[START_TIME_META])
        yield from records
        if next_start is not None:
            yield self.export_request(next_start)

    def read_time_page(self, page: dict[str, Any], number: int, start_time: int | None,
                       floor: int | None = None) -> tuple[list[StreamRecord], int | None]:
        """The records of page ``number``, asked from ``start_time``, and where the next page starts (``None``: the
        stream ended or failed).

        ``floor``: the stream's saved position when the pages were asked from an earlier second (another reader's
        pages, see ``streams/ticket_events.py``): what lies before it was stored by an earlier run and is skipped,
        and the position told never goes back before it.
        """
        end = self.page_ends(page)
        objects = page[self.list_key]
        end_time = self.checked_end_time(page, objects, start_time, end)
        if end_time is None:
            return [], None
        next_start = end_time
        if floor is not None and end_time < floor:
            end_time = floor
        if floor is not None:
            objects = [obj for obj in objects if not isinstance(obj, dict) or not _before(obj, floor)]
        previous, self.repeats = self.repeats, {
            version for obj in objects if isinstance(obj, dict) and (version := record_version(obj))[0] is not None
            and epoch(version[1]) == end_time}
        if not objects:  # nothing new: the second the position names still has the records it had
            self.repeats = previous or {v for v in self.position.already_stored if epoch(v[1]) == end_time}
        self.tell(zendesk_signals.page_received, page=number, position=end_time, end_of_stream=end,
                  repeats=sorted(self.repeats, key=repr))
        records = self.hand_on(self.records(objects, number, repeats=previous), number)
        note_position(self, objects)
        if end:
            self.tell(zendesk_signals.stream_ended)
            return records, None
        return records, next_start


class ListStream(Stream):
    """A list read in full every run, with cursor pagination (``page[size]``, ``page[after]``)."""

    def list_params(self) -> dict[str, Any]:
        """Parameters every page request carries besides the page position."""
        return {"page[size]": self.config.list_page_size}

    def start_requests(self) -> list[Request]:
        return [self.page_request(self.list_params())]

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        objects = page[self.list_key]
        self.page_read(objects)
        yield from [] if not self.export else self.records(objects, 0)
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        if after is not None:
            yield self.page_request({**self.list_params(), "page[after]": after})
            return
        self.tell(zendesk_signals.page_received, page=number, position=None, end_of_stream=True, repeats=[])
        self.list_ended()
        self.tell(zendesk_signals.stream_ended)

    def page_read(self, objects: list[Any]) -> None:
        """Hook: a page of the list was read."""

    def list_ended(self) -> None:
        """Hook: every page of the list was read."""


class WholeListStream(Stream):
    """A list Zendesk returns whole in one answer (no pagination documented), read in full every run.

    One request; an answer that says more follows (``next_page``, ``meta.has_more``) fails the stream,
    as nothing could ask for the rest.
    """

    def start_requests(self) -> list[Request]:
        return [self.page_request({})]

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        try:
            check_whole_list(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        yield from [] if not self.export else self.records(page[self.list_key], 0)
        self.tell(zendesk_signals.page_received, page=number, position=None, end_of_stream=True, repeats=[])
        self.tell(zendesk_signals.stream_ended)


def note_position(stream: Stream, objects: list[Any]) -> None:
    """Keep the first and the newest ``updated_at`` the stream read in the stats (progress, the state's position)."""
    stamps = [stamp for obj in (objects[:1] + objects[-1:])
              if isinstance(obj, dict) and isinstance(stamp := version_time(obj), str)]
    if stamps:
        stream.stats.set_value(stream_first_updated_at(stream.name),
                               stream.stats.get_value(stream_first_updated_at(stream.name)) or stamps[0])
        stream.stats.set_value(stream_position_updated_at(stream.name), stamps[-1])




def _before(obj: dict[str, Any], second: int) -> bool:
    """Whether an object's version is of a time before ``second`` (unix seconds)."""
    stamp = version_time(obj)
    seconds = epoch(stamp) if isinstance(stamp, str) else None
    return seconds is not None and seconds < second
