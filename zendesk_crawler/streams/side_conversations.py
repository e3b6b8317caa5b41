"""Side conversations (the Collaboration add-on): only the tickets that have them are asked.

Zendesk documents an Incremental Side Conversation Event Export
(``GET /api/v2/tickets/side_conversations/events?start_time=``, time-based like the other
exports: ``end_time``, ``next_page``, ``end_of_stream``): every side conversation event (a
message created or replied to, a state change) since ``start_time``, each with its ``ticket_id``.
The stream reads it from its own saved position, and for each ticket with events on a page lists
that ticket's side conversations with their events sideloaded
(``GET /api/v2/tickets/{id}/side_conversations?include=events``, ``next_page`` pages). A record
is one side conversation as listed, with ``ticket_id`` and ``events`` (every event of it, in the
order Zendesk lists them).

So a run costs the export's pages plus one list (page) per ticket that has side conversation
activity since the position: nothing for the tickets without side conversations, and one request
in all for an account without the add-on (the export's first page answers 403: the stream is
unavailable). A page's position is saved only once the side conversations of every ticket of the
page are in stored files (each ticket counts as one pending record until its list is read), so a
killed run loses none. The events of a page's last second come again on the next page; a ticket
whose events there are all repeats, or older than the newest ``updated_at`` its list had when this
run listed it, is not listed again, and a side conversation version is exported once per run.

Across runs (a run killed at any moment and resumed, or the next daily run), a version is exported once too:
the saved position lists the versions ``(id, created_at)`` of its second's events (their tickets were listed) and
the versions ``(id, updated_at)`` of the side conversations stored after it (a checkpoint inside the export); a
resumed run lists no ticket for those events, and exports no side conversation version listed there, or last
changed before the position, or whose every event is one the earlier run handled: the earlier run listed its
ticket after those events, so it stored that version.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import SIDE_CONVERSATION_EVENTS_ENDPOINT, SIDE_CONVERSATIONS_ENDPOINT
from zendesk_crawler.api.responses import COMMENTS_PRIORITY, describe, json_object
from zendesk_crawler.api.timestamps import epoch, unix_time
from zendesk_crawler.items import SideConversationRecord, StreamRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.positions import RecordVersion, StreamPosition, record_version, version_of
from zendesk_crawler.run.stats_keys import (
    SIDE_CONVERSATION_TICKETS,
    SIDE_CONVERSATION_TICKETS_GONE,
    stream_already_stored,
)
from zendesk_crawler.streams.base import START_TIME_META, TimeExportStream

logger = logging.getLogger(__name__)

SIDE_CONVERSATIONS_PATH = "/api/v2/tickets/{ticket_id}/side_conversations.json"
#: Events a full export page holds (Zendesk's time-based exports return up to 1000 items a page).
EXPORT_PAGE_EVENTS = 1000


def event_version(event: Any) -> RecordVersion:
    """``(id, created_at)`` of a side conversation event (an event does not change); ``(None, None)`` for one a
    checkpoint cannot list."""
    return version_of(event.get("id"), event.get("created_at")) if isinstance(event, dict) else (None, None)


def page_tickets(events: list[Any], repeats: set[RecordVersion], covered: dict[int, float]) -> list[int]:
    """The tickets (in first-seen order) to list for an export page: those with an event that is not one of
    ``repeats`` (the previous page's last second, or those the saved position lists) and is newer than what this
    run's list of the ticket held (``covered``: the newest ``updated_at`` among its side conversations when it was
    listed)."""
    tickets: dict[int, None] = {}
    for event in events:
        if not isinstance(event, dict) or event_version(event) in repeats:
            continue
        ticket_id = event.get("ticket_id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            continue
        if ticket_id in covered and precise_time(event.get("created_at")) <= covered[ticket_id]:
            continue  # an event the ticket's list already held (listed for an earlier page)
        tickets.setdefault(ticket_id)
    return list(tickets)


def precise_time(timestamp: Any) -> float:
    """Unix time of a side conversation timestamp with its fraction (``2018-11-20T16:58:36.453+00:00``);
    ``inf`` when it is not one (such an event is never taken as covered)."""
    moment = unix_time(timestamp)
    return math.inf if moment is None else moment


def last_second_versions(events: list[Any], end_time: int) -> set[RecordVersion]:
    """Versions of a page's events of its ``end_time`` second (the next page starts with them again)."""
    return {version for event in events if (version := event_version(event))[0] is not None
            and epoch(version[1]) == end_time}


def stored_earlier(record: dict[str, Any], position: StreamPosition) -> bool:
    """Whether the run that saved ``position`` stored this version of a side conversation already: the position
    lists it, or it last changed before the position, or every event of it is one that run handled (before the
    position, or listed with it) and it did not change after its last event. That run listed the ticket after
    each event it handled, in files stored before the position was saved."""
    if record_version(record) in position.already_stored:
        return True
    updated = precise_time(record.get("updated_at"))
    if updated < position.start_time:
        return True
    events = [event for event in record.get("events") or [] if isinstance(event, dict)]
    times = [precise_time(event.get("created_at")) for event in events]
    return bool(events) and updated <= max(times) and all(
        at < position.start_time or event_version(event) in position.already_stored
        for event, at in zip(events, times, strict=True))


def page_ends_stream(page: dict[str, Any], events: list[Any]) -> bool:
    """Whether an export page is the last: its ``end_of_stream`` (every incremental export has it, the docs say);
    the documented example of this export shows none, so without one a page of fewer than 1000 events (the
    exports' page size) is the last."""
    end = page.get("end_of_stream")
    return bool(end) if isinstance(end, bool) else len(events) < EXPORT_PAGE_EVENTS


def side_conversation_records(page: dict[str, Any], ticket_id: int, number: int) -> list[SideConversationRecord]:
    """One record per side conversation of a list page: the object as listed, ``ticket_id``, its ``events``."""
    events: dict[Any, list[Any]] = {}
    for event in page.get("events") or []:
        if isinstance(event, dict):
            events.setdefault(event.get("side_conversation_id"), []).append(event)
    records = []
    for side_conversation in page["side_conversations"]:
        if not isinstance(side_conversation, dict):
            continue
        record = SideConversationRecord.from_page(side_conversation, number)
        record.setdefault("ticket_id", ticket_id)
        record["events"] = events.get(side_conversation.get("id"), [])
        records.append(record)
    return records


class SideConversationStream(TimeExportStream):
    """Side conversations of the tickets with side conversation events since the saved ``start_time``."""

    name = "side_conversations"
    path = "/api/v2/tickets/side_conversations/events.json"
    list_key = "events"
    label = "side conversation export"
    endpoint = SIDE_CONVERSATION_EVENTS_ENDPOINT
    record_class = SideConversationRecord
    needs_feature = "the Collaboration add-on"

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        #: Side conversation versions ``(id, updated_at)`` exported in this run.
        self.exported: set[tuple[Any, Any]] = set()
        #: Per ticket listed in this run: the newest ``updated_at`` of its side conversations then (its events up to
        #: there need no new list); ``inf`` for a ticket that answered 403/404.
        self.covered: dict[int, float] = {}
        #: Tickets of the current page whose list is not read yet, and the next export page held until then.
        self.open_tickets = 0
        self.held: Request | None = None

    def start_requests(self) -> list[Request]:
        # ``repeats``: the previous page's last-second events (the next page starts with them again); at the start,
        # those the saved position lists.
        self.repeats = set(self.position.already_stored)
        return super().start_requests()

    def export_params(self, start_time: int) -> dict[str, Any]:
        # The export takes start_time only (Zendesk documents no per_page for it).
        return {"start_time": start_time}

    def page_ends(self, page: dict[str, Any]) -> bool:
        return page_ends_stream(page, page[self.list_key])

    def full_second(self, second: int) -> str:
        return f"more side conversation events in the second {second} than one page holds"

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        start_time = response.meta[START_TIME_META]
        events = page[self.list_key]
        end = self.page_ends(page)
        end_time = self.checked_end_time(page, events, start_time, end)
        if end_time is None:
            return
        tickets = page_tickets(events, self.repeats, self.covered)
        if events:
            self.repeats = last_second_versions(events, end_time)
        # The position's second's events are listed with it: the next run lists no ticket for them again.
        repeats = sorted((v for v in self.repeats if epoch(v[1]) == end_time), key=repr)
        self.tell(zendesk_signals.page_received, page=number, position=end_time, end_of_stream=end, repeats=repeats)
        # Each ticket is one pending record of this page until its side conversations are handed on.
        self.tell(zendesk_signals.page_records, page=number, count=len(tickets))
        self.stats.inc_value(SIDE_CONVERSATION_TICKETS, len(tickets))
        self.open_tickets = len(tickets)
        for ticket_id in tickets:
            yield self.list_request(ticket_id, number, None)
        if end:
            self.tell(zendesk_signals.stream_ended)
            return
        self.held = self.export_request(end_time)
        yield from self.release()

    def release(self) -> list[Request]:
        """The next export page, once every ticket of the current page was listed."""
        if self.open_tickets or self.held is None or self.stopped():
            return []
        request, self.held = self.held, None
        return [request]

    def unfinished(self) -> int:
        return self.open_tickets

    def list_request(self, ticket_id: int, number: int, url: str | None) -> Request:
        url = url or f"{self.config.base_url}{SIDE_CONVERSATIONS_PATH.format(ticket_id=ticket_id)}?include=events"
        return self.request(url, self.parse_list, self.list_failed, COMMENTS_PRIORITY, SIDE_CONVERSATIONS_ENDPOINT,
                            {"ticket_id": ticket_id, "export_page": number, "handle_httpstatus_list": [403, 404]})

    def parse_list(self, response: Response) -> Iterator[Any]:
        """One page of a ticket's side conversations: its records, then its next page or the next export page."""
        ticket_id, number = response.meta["ticket_id"], response.meta["export_page"]
        if response.status in (403, 404):
            # The export answered, so the add-on is there: the ticket was deleted, or is not visible to us.
            self.stats.inc_value(SIDE_CONVERSATION_TICKETS_GONE)
            self.covered[ticket_id] = math.inf
            logger.warning("The side conversations of ticket %s answered %d (deleted?); none exported for it",
                           ticket_id, response.status)
            yield from self.ticket_done(number)
            return
        page = json_object(response, "side_conversations")
        if page is None:
            yield from self.retry_or_fail(response, lambda why: self.fail(
                f"the side conversations of ticket {ticket_id} could not be read: {why}"))
            return
        listed = side_conversation_records(page, ticket_id, number)
        self.covered[ticket_id] = max([self.covered.get(ticket_id, -math.inf),
                                       *(precise_time(record.get("updated_at")) for record in listed)])
        records: list[StreamRecord] = [record for record in listed if self.is_new(record, number)]
        self.exported.update((record.get("id"), record.get("updated_at")) for record in records)
        yield from self.hand_on(records, number)
        next_page = page.get("next_page")
        if isinstance(next_page, str) and next_page:
            yield self.list_request(ticket_id, number, next_page)
            return
        yield from self.ticket_done(number)

    def is_new(self, record: SideConversationRecord, number: int) -> bool:
        """Whether a listed side conversation version is to be exported: neither this run nor the one it resumes
        from exported it (a version the saved position lists stays listed in this run's checkpoints)."""
        version = (record.get("id"), record.get("updated_at"))
        if version in self.exported:
            return False
        if not stored_earlier(record, self.position):
            return True
        self.stats.inc_value(stream_already_stored(self.name))
        if version in self.position.already_stored:
            self.tell(zendesk_signals.record_already_stored, page=number, version=version)
        return False

    def ticket_done(self, number: int) -> list[Request]:
        """A ticket of export page ``number`` was listed: its pending place is let go."""
        self.tell(zendesk_signals.record_superseded, page=number)
        self.open_tickets -= 1
        return self.release()

    def list_failed(self, failure: Failure) -> None:
        """Errback of list pages: the stream cannot be complete (its position stays)."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on the Failure an errback gets
        self.fail(f"the side conversations of ticket {request.meta['ticket_id']} could not be read: "
                  f"{describe(failure)}")
