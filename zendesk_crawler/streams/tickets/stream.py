"""The ticket stream: Incremental Ticket Export pages, then each ticket's whole conversation.

Crawling only: the stream hands the raw API data of each ticket (a
:class:`~zendesk_crawler.items.TicketConversation`) to the pipelines, which
shape the exported record. The stream's :class:`~.conversations.Conversations` fetch the comments, per ticket
(``per_ticket.py``) or, with ``-a comments=events``, from the Incremental Ticket Event Export (``events.py``).
With ``-a max_tickets=N`` the stream takes N tickets and ends, inside an export page if need be (``slice.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from zendesk_crawler.api.endpoints import EXPORT_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, export_page_end
from zendesk_crawler.api.responses import PAGE_PRIORITY, by_id
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.items import TicketConversation, TicketRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import MAX_TICKETS_REACHED
from zendesk_crawler.streams.base import CursorExportStream, note_position
from zendesk_crawler.streams.tickets.conversations import Conversations, Outcome, Queued, Sideloads
from zendesk_crawler.streams.tickets.slice import Candidate, TicketSlice

logger = logging.getLogger(__name__)


class TicketStream(CursorExportStream):
    """Every ticket changed since the saved cursor (or ``start_time``), with all its comments."""

    name = "tickets"
    path = "/api/v2/incremental/tickets/cursor.json"
    list_key = "tickets"
    label = "ticket export"
    endpoint = EXPORT_ENDPOINT
    record_class = TicketRecord
    page_priority = PAGE_PRIORITY  # after the comment pages (api/responses.py)
    #: The records name custom fields by title: the ticket fields are read first.
    depends_on = ("ticket_fields",)

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        #: Newest ``updated_at`` (unix seconds) the ticket export has reached.
        self.export_position: int | None = None
        self.held_export_request: Request | None = None
        #: The tickets this run's slice takes (``-a max_tickets``; ``None``: no limit).
        self.slice = TicketSlice(config.max_tickets) if config.max_tickets else None
        #: Whether the export has been read to its end (the tickets' comments may still be coming).
        self.end_of_stream = False
        self.conversations = Conversations(self, crawler, config, next_work=self.release_export,
                                           events=config.comments_mode == "events")
        self.event_comments = self.conversations.events

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
        try:
            cursor, self.end_of_stream = export_page_end(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        self.tell(zendesk_signals.page_received, page=number, position=cursor, end_of_stream=self.end_of_stream,
                  repeats=[])
        # One outcome per ticket still to export; counted before any is handed on.
        outcomes = self.conversations.accept(tickets, sideloads, number, self.position.already_stored)
        cut = False
        if self.slice is not None:
            outcomes, cut = self._slice_of(outcomes)
            if cut:
                self.tell(zendesk_signals.page_cut, page=number)
                # The position reached is that of the tickets taken, not of the page's end.
                tickets = [_conversation(outcome).ticket for outcome in outcomes
                           if isinstance(outcome, Queued | TicketConversation)]
        self.tell(zendesk_signals.page_records, page=number, count=len(outcomes))
        yield from self.conversations.hand_on(outcomes)
        note_position(self, tickets)
        if tickets and isinstance(tickets[-1], dict):
            position = epoch(tickets[-1].get("updated_at"))
            if position is not None:
                self.export_position = max(position, self.export_position or position)
        if self.event_comments is not None:
            self.event_comments.export_reached(self.end_of_stream, self.export_position)
            yield from self.event_comments.after_export_page()
        if self.slice is not None and self.slice.full and (cut or not self.end_of_stream):
            # The end of this run's slice: once its tickets are stored, the cursor after this page is saved, or,
            # when tickets of this page are left, the cursor before it with the page's stored tickets.
            self.stats.set_value(MAX_TICKETS_REACHED, len(self.slice.taken))
            logger.info("max_tickets=%d: this run's slice has its tickets and reads no more export pages; once they "
                        "are stored, the next run goes on from %s", self.config.max_tickets,
                        "inside this export page (it skips the tickets stored)" if cut else "this export page's cursor")
            self.end_of_stream = True
        if self.end_of_stream:
            self.tell(zendesk_signals.stream_ended)
            return
        self.held_export_request = self.export_request({"cursor": cursor})
        yield from self.release_export()

    def _slice_of(self, outcomes: list[Outcome]) -> tuple[list[Outcome], bool]:
        """The outcomes of a page this run's slice takes, and whether some of the page's tickets are left.

        A ticket to hand on now or queued for its comments is the slice's to take or leave; any other outcome
        (work already under way for its ticket) is taken as it is, without counting.
        """
        assert self.slice is not None
        sliceable, candidates = [], []
        for index, outcome in enumerate(outcomes):
            if not isinstance(outcome, Queued | TicketConversation):
                continue
            sliceable.append(index)
            conversation = _conversation(outcome)
            ticket_id = conversation.ticket.get("id")
            if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
                candidates.append(Candidate(None))
            else:
                candidates.append(Candidate(ticket_id, self.conversations.is_current(conversation)))
        kept, cut = self.slice.take(candidates)
        left = set(sliceable) - {sliceable[index] for index in kept}
        return [outcome for index, outcome in enumerate(outcomes) if index not in left], cut

    def release_export(self) -> list[Request]:
        """The next export page, unless a page's worth of tickets still waits here (for events or a turn)."""
        if self.held_export_request is None or \
                self.conversations.waiting_for_comments() >= self.config.export_page_size:
            return []
        if self.event_comments is not None and self.event_comments.holds_export():
            return []  # until the event stream catches up
        request, self.held_export_request = self.held_export_request, None
        return [request]

    # --- the spider's hooks -------------------------------------------------

    def idle(self) -> list[Request]:
        """Never end with tickets still waiting: fetch them per ticket, or look their authors up."""
        if self.failed():
            return []  # the run already failed; closing is right
        return self.conversations.idle()

    def unfinished(self) -> int:
        return self.conversations.unfinished()


def _conversation(outcome: Queued | TicketConversation) -> TicketConversation:
    """The conversation of a ticket queued for its comments, or to hand on now."""
    return outcome.conversation if isinstance(outcome, Queued) else outcome
