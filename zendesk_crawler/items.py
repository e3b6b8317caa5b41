"""What the streams hand to the pipelines: the raw API data of a ticket, and one record type per stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

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
    #: The ``groups`` and ``organizations`` sideloaded with the ticket's export page, by id.
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments_status: str = COMMENTS_COMPLETE
    #: Number of the export page (1, 2, … in stream order) the ticket came in.
    export_page: int = 0
    #: Where the comments came from: the ticket's comments endpoint or the ticket event export.
    comments_source: str = SOURCE_TICKET_COMMENTS


@dataclass
class PersonProfile:
    """A person export's subject: the user object and every identity, as Zendesk returned them."""

    user: dict[str, Any]
    identities: list[dict[str, Any]]


class StreamRecord(dict):
    """An exported record (a plain dict to every exporter) that knows its stream and the page it came in.

    Feeds route records by class (``item_classes``); the run state follows
    each stream's pages to the stored files by ``stream`` and ``page``.
    """

    stream: ClassVar[str] = ""
    #: The XML element of one record (the feed's root element is the stream's name).
    xml_element: ClassVar[str] = ""
    #: Number of the stream page (1, 2, … in stream order) the record came in; 0: not tracked.
    page: int = 0

    @classmethod
    def from_page(cls, data: dict[str, Any], page: int) -> Self:
        """The record of an API object of page ``page``, every field as Zendesk returned it."""
        record = cls(data)
        record.page = page
        return record


class TicketRecord(StreamRecord):
    """A ticket with its whole conversation (built by ``pipelines.ConversationPipeline``)."""

    stream = "tickets"
    xml_element = "ticket"
    #: The keys of the account's custom fields in ticket-field order (not exported: the CSV's columns).
    custom_field_keys: list[str] = []


class UserRecord(StreamRecord):
    """A user as the Incremental User Export returned it (deleted users: ``active: false``)."""

    stream = "users"
    xml_element = "user"


class OrganizationRecord(StreamRecord):
    """An organization as the Incremental Organization Export returned it (deleted ones: ``deleted_at``)."""

    stream = "organizations"
    xml_element = "organization"


class GroupRecord(StreamRecord):
    """A group as ``/api/v2/groups.json`` returned it."""

    stream = "groups"
    xml_element = "group"


class TicketFieldRecord(StreamRecord):
    """A ticket field (system or custom) as ``/api/v2/ticket_fields.json`` returned it."""

    stream = "ticket_fields"
    xml_element = "ticket_field"


class TicketEventRecord(StreamRecord):
    """An audit of a ticket as the Incremental Ticket Event Export returned it, with its ``child_events`` (field
    changes with their ``previous_value``, comments with ``include=comment_events``, notifications, …)."""

    stream = "ticket_events"
    xml_element = "ticket_event"
