"""The ticket stream: Incremental Ticket Export pages, then each ticket's whole conversation.

Crawling only: the stream hands the raw API data of each ticket (a
:class:`~zendesk_crawler.items.TicketConversation`) to the pipelines, which
shape the exported record. Comments come per ticket (``comments/per_ticket.py``)
or, with ``-a comments=events``, from the Incremental Ticket Event Export
(``comments/events.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from zendesk_crawler import signals as zendesk_signals
from zendesk_crawler.api import PAGE_PRIORITY, by_id
from zendesk_crawler.comments.events import EventComments
from zendesk_crawler.comments.per_ticket import TicketComments
from zendesk_crawler.config import ZendeskConfig
from zendesk_crawler.items import (COMMENTS_NOT_REQUESTED, COMMENTS_TICKET_DELETED, EXPORT_ENDPOINT,
                                   TicketConversation, TicketRecord)
from zendesk_crawler.positions import record_version
from zendesk_crawler.streams.base import CursorExportStream, note_position
from zendesk_crawler.timestamps import epoch

logger = logging.getLogger(__name__)


class TicketStream(CursorExportStream):
    """Every ticket changed since the saved cursor (or ``start_time``), with all its comments."""

    name = "tickets"
    path = "/api/v2/incremental/tickets/cursor.json"
    list_key = "tickets"
    label = "ticket export"
    endpoint = EXPORT_ENDPOINT
    record_class = TicketRecord
    page_priority = PAGE_PRIORITY  # after the comment pages (api.py)

    def __init__(self, crawler: Crawler, config: ZendeskConfig, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        # Newest updated_at seen per ticket id (see _version): drops repeats of a version and
        # versions superseded while their comments were being fetched.
        self.ticket_versions: dict[int, Any] = {}
        self.end_of_stream = False
        #: Newest ``updated_at`` (unix seconds) the ticket export has reached.
        self.export_position: int | None = None
        self.held_export_request: Request | None = None
        #: Tickets of the export pages read so far (for ``-a max_tickets``).
        self.tickets_read = 0
        self.per_ticket = TicketComments(self, crawler, config.base_url, config.comments_page_size,
                                         config.tickets_in_progress, inline_images=config.attachments)
        self.event_comments = EventComments(self, crawler, config) if config.comments_mode == "events" else None

    def export_params(self) -> dict[str, Any]:
        return {
            "per_page": self.config.export_page_size,
            # Sideloads: authors of the ticket, and the names of its group and organization.
            "include": "users,groups,organizations",
            # Zendesk's default scope is "agent": AI-agent tickets would be missed.
            "support_type_scope": "all",
        }

    def start_requests(self) -> list[Request]:
        requests = super().start_requests()
        if self.event_comments is not None:
            requests += self.event_comments.start_requests()
        return requests

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        """One page of the cursor export: a comments request (or a record) per ticket, then the next page."""
        tickets = page["tickets"]
        sideloads = Sideloads(by_id(page.get("users")), by_id(page.get("groups")), by_id(page.get("organizations")))
        if self.event_comments is not None:
            self.event_comments.users_seen(sideloads.users)
        cursor, self.end_of_stream = self.page_end(page)
        self.tell(zendesk_signals.page_received, page=number, position=cursor, end_of_stream=self.end_of_stream,
                  repeats=[])
        # One outcome per ticket still to export; counted before any is handed on.
        outcomes = [out for ticket in tickets for out in self._ticket(ticket, sideloads, number)]
        self.tell(zendesk_signals.page_records, page=number, count=len(outcomes))
        yield from (out for out in outcomes if isinstance(out, TicketConversation))
        self.per_ticket.queue([out.conversation for out in outcomes if isinstance(out, Queued)])
        yield from self.per_ticket.start()
        note_position(self, tickets)
        if tickets and isinstance(tickets[-1], dict):
            position = epoch(tickets[-1].get("updated_at"))
            if position is not None:
                self.export_position = max(position, self.export_position or position)
        if self.event_comments is not None:
            yield from self.event_comments.after_export_page()
        self.tickets_read += len(tickets)
        if not self.end_of_stream and self.config.max_tickets and self.tickets_read >= self.config.max_tickets:
            # The end of this run's slice: the cursor after this page is saved once its tickets are stored.
            self.stats.set_value("zendesk/tickets/max_tickets_reached", self.tickets_read)
            logger.info("max_tickets=%d reached after %d tickets: the next run goes on from this page's cursor",
                        self.config.max_tickets, self.tickets_read)
            self.end_of_stream = True
        if self.end_of_stream:
            self.tell(zendesk_signals.stream_ended)
            return
        self.held_export_request = self.export_request({"cursor": cursor})
        yield from self.release_export()

    def _ticket(self, ticket: Any, sideloads: Sideloads, page: int) -> Iterator[Any]:
        """One outcome per ticket to export: a conversation to hand on, ``Queued`` or ``WAITING``."""
        if not isinstance(ticket, dict):
            self.stats.inc_value("zendesk/malformed_tickets")
            logger.warning("Skipped an export entry that is not a ticket object: %.200r", ticket)
            return
        ticket_id = ticket.get("id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            # Without an id there are no comments to ask for; keep what Zendesk sent.
            self.stats.inc_value("zendesk/tickets_without_id")
            logger.warning("Ticket without a numeric id exported as received: %.200r", ticket)
            yield TicketConversation(ticket=ticket, comments_status=COMMENTS_NOT_REQUESTED, export_page=page)
            return
        version = _version(ticket)
        seen_before = ticket_id in self.ticket_versions
        if seen_before and self.ticket_versions[ticket_id] == version:
            self.stats.inc_value("zendesk/tickets_repeated")
            return
        self.ticket_versions[ticket_id] = version
        if self.position.already_stored and record_version(ticket) in self.position.already_stored:
            # Stored by the interrupted run this one resumes (after its checkpointed cursor).
            self.stats.inc_value("zendesk/tickets_already_stored")
            self.tell(zendesk_signals.record_already_stored, page=page, version=record_version(ticket))
            return
        conversation = sideloads.conversation(ticket, page)
        deleted = ticket.get("status") == "deleted"
        if self.event_comments is not None and self.event_comments.offer(conversation, seen_before, deleted):
            yield WAITING
            return
        if deleted:
            # Zendesk deletes a deleted ticket's comments: asking would be a 404.
            conversation.comments_status = COMMENTS_TICKET_DELETED
            yield from self.finished(conversation)
            return
        yield Queued(conversation)

    def release_export(self) -> list[Request]:
        """The next export page, unless a page's worth of tickets still waits here (for events or a turn)."""
        if self.held_export_request is None or self.per_ticket.backlog() >= self.config.export_page_size:
            return []
        if self.event_comments is not None and self.event_comments.holds_export():
            return []  # until the event stream catches up
        request, self.held_export_request = self.held_export_request, None
        return [request]

    # --- what the comment fetchers need (comments/sink.py) ------------------

    def finished(self, conversation: TicketConversation) -> list[TicketConversation]:
        if not self.is_current(conversation):
            # A newer version of this ticket came later in the stream; it is exported instead.
            self.superseded(conversation)
            return []
        return [conversation]

    def is_current(self, conversation: TicketConversation) -> bool:
        return self.ticket_versions.get(conversation.ticket.get("id")) == _version(conversation.ticket)

    def superseded(self, conversation: TicketConversation) -> None:
        self.stats.inc_value("zendesk/tickets_superseded")
        self.tell(zendesk_signals.record_superseded, page=conversation.export_page)

    def ticket_done(self) -> list[Request]:
        self.per_ticket.done()
        return self.per_ticket.start() + self.release_export()

    def fetch_per_ticket(self, conversations: list[TicketConversation]) -> list[Request]:
        self.per_ticket.queue(conversations)
        return self.per_ticket.start() + self.release_export()

    def export_progress(self) -> tuple[bool, int | None]:
        return self.end_of_stream, self.export_position

    # --- the spider's hooks -------------------------------------------------

    def idle(self) -> list[Request]:
        """Never end with tickets still waiting: fetch them per ticket, or look their authors up."""
        if self.failed():
            return []  # the run already failed; closing is right
        requests = self.event_comments.idle() if self.event_comments is not None else []
        return requests or (self.per_ticket.start() + self.release_export())

    def unfinished(self) -> int:
        waiting = self.event_comments.unfinished() if self.event_comments is not None else 0
        return waiting + self.per_ticket.unfinished()


class Sideloads:
    """The users, groups and organizations sideloaded with one export page, by id."""

    def __init__(self, users: dict[int, dict[str, Any]], groups: dict[int, dict[str, Any]],
                 organizations: dict[int, dict[str, Any]]) -> None:
        self.users, self.groups, self.organizations = users, groups, organizations

    def conversation(self, ticket: dict[str, Any], page: int) -> TicketConversation:
        """A ticket's conversation with the sideloads its record refers to."""
        ids = (ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id"))
        return TicketConversation(
            ticket=ticket, export_page=page,
            users={uid: self.users[uid] for uid in ids if isinstance(uid, int) and uid in self.users},
            groups=_pick(self.groups, ticket.get("group_id")),
            organizations=_pick(self.organizations, ticket.get("organization_id")),
        )


def _pick(objects: dict[int, dict[str, Any]], object_id: Any) -> dict[int, dict[str, Any]]:
    return {object_id: objects[object_id]} if isinstance(object_id, int) and object_id in objects else {}


class Queued:
    """Outcome of a ticket queued for its comments requests."""

    __slots__ = ("conversation",)

    def __init__(self, conversation: TicketConversation) -> None:
        self.conversation = conversation


#: Outcome of a ticket that waits for the event stream.
WAITING = object()

_WHOLE_SECOND_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _version(ticket: dict[str, Any]) -> Any:
    """A ticket version as the dedupe map keeps it: ``updated_at`` as unix seconds, else as given.

    The map holds an entry for every ticket of the run; an int takes half the
    memory of the timestamp string. Only Zendesk's whole-second form
    (``2026-01-31T12:00:00Z``) is converted, so two different versions never
    become one.
    """
    updated_at = ticket.get("updated_at")
    if isinstance(updated_at, str) and _WHOLE_SECOND_UTC.fullmatch(updated_at):
        seconds = epoch(updated_at)
        return updated_at if seconds is None else seconds
    return updated_at
