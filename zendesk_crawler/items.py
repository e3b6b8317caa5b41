"""What the spider hands to the pipelines: raw API data of one ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Request meta keys shared by the spider and the components that watch it.
ENDPOINT_META = "zendesk_endpoint"  # which Zendesk endpoint a request calls (for stats and budgets)
PAGE_META = "zendesk_page"  # the number (1, 2, … in stream order) of the export page a request fetches
EXPORT_ENDPOINT = "incremental_tickets"
EVENTS_ENDPOINT = "incremental_ticket_events"
COMMENTS_ENDPOINT = "ticket_comments"
USERS_ENDPOINT = "users_show_many"
#: Endpoints under Zendesk's Incremental Export budget (10 requests a minute).
INCREMENTAL_ENDPOINTS = frozenset({EXPORT_ENDPOINT, EVENTS_ENDPOINT})

#: Values of ``TicketConversation.comments_source``.
SOURCE_TICKET_COMMENTS = "ticket_comments"
SOURCE_TICKET_EVENTS = "ticket_events"

#: Values of ``TicketConversation.comments_status``.
COMMENTS_COMPLETE = "complete"
COMMENTS_TICKET_DELETED = "ticket_deleted"
COMMENTS_NOT_FOUND = "not_found"
COMMENTS_NOT_REQUESTED = "not_requested"  # the ticket came without an id


@dataclass
class TicketConversation:
    """One ticket as the API returned it, with every comment page and the users sideloaded with them.

    ``ticket`` is the ticket object from the Incremental Ticket Export,
    ``comments`` the comment objects of every page in API order, ``users`` the
    sideloaded user objects by id (from the export page and the comment pages).
    """

    ticket: dict[str, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments_status: str = COMMENTS_COMPLETE
    #: Number of the export page (1, 2, … in stream order) the ticket came in.
    export_page: int = 0
    #: Where the comments came from: the ticket's comments endpoint or the ticket event export.
    comments_source: str = SOURCE_TICKET_COMMENTS


class TicketRecord(dict):
    """The exported record of a ticket (a plain dict to every exporter), knowing its export page."""

    export_page: int = 0
