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
    #: A messaging ticket's conversation log entries (every page, as returned); ``None``: not a messaging ticket.
    conversation_log: list[dict[str, Any]] | None = None


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


class TicketFormRecord(StreamRecord):
    """A ticket form as ``/api/v2/ticket_forms.json`` returned it (its ``ticket_field_ids``, conditions, brands)."""

    stream = "ticket_forms"
    xml_element = "ticket_form"


class UserFieldRecord(StreamRecord):
    """A custom user field as ``/api/v2/user_fields.json`` returned it."""

    stream = "user_fields"
    xml_element = "user_field"


class OrganizationFieldRecord(StreamRecord):
    """A custom organization field as ``/api/v2/organization_fields.json`` returned it."""

    stream = "organization_fields"
    xml_element = "organization_field"


class BrandRecord(StreamRecord):
    """A brand as ``/api/v2/brands.json`` returned it."""

    stream = "brands"
    xml_element = "brand"


class CustomStatusRecord(StreamRecord):
    """A custom ticket status as ``/api/v2/custom_statuses.json`` returned it."""

    stream = "custom_statuses"
    xml_element = "custom_status"


class MacroRecord(StreamRecord):
    """A macro as ``/api/v2/macros.json`` returned it (its ``actions`` and ``restriction``)."""

    stream = "macros"
    xml_element = "macro"


class TriggerRecord(StreamRecord):
    """A ticket trigger as ``/api/v2/triggers.json`` returned it (its ``conditions`` and ``actions``)."""

    stream = "triggers"
    xml_element = "trigger"


class AutomationRecord(StreamRecord):
    """An automation as ``/api/v2/automations.json`` returned it (its ``conditions`` and ``actions``)."""

    stream = "automations"
    xml_element = "automation"


class ViewRecord(StreamRecord):
    """A view as ``/api/v2/views.json`` returned it (its ``conditions``, ``execution`` and columns)."""

    stream = "views"
    xml_element = "view"


class SlaPolicyRecord(StreamRecord):
    """An SLA policy as ``/api/v2/slas/policies.json`` returned it (its ``filter`` and ``policy_metrics``)."""

    stream = "sla_policies"
    xml_element = "sla_policy"


class ScheduleRecord(StreamRecord):
    """A business-hours schedule as ``/api/v2/business_hours/schedules.json`` returned it (its ``intervals``)."""

    stream = "schedules"
    xml_element = "schedule"


class DynamicContentRecord(StreamRecord):
    """A dynamic content item as ``/api/v2/dynamic_content/items.json`` returned it, with its ``variants``."""

    stream = "dynamic_content"
    xml_element = "item"


class GroupMembershipRecord(StreamRecord):
    """A group membership (agent and group) as ``/api/v2/group_memberships.json`` returned it."""

    stream = "group_memberships"
    xml_element = "group_membership"


class OrganizationMembershipRecord(StreamRecord):
    """An organization membership (user and organization) as ``/api/v2/organization_memberships.json`` returned it."""

    stream = "organization_memberships"
    xml_element = "organization_membership"



class SatisfactionRatingRecord(StreamRecord):
    """A satisfaction rating as ``/api/v2/satisfaction_ratings`` returned it."""

    stream = "satisfaction_ratings"
    xml_element = "satisfaction_rating"


class CategoryRecord(StreamRecord):
    """A Help Center category with its ``translations``, as ``/api/v2/help_center/categories`` returned it."""

    stream = "categories"
    xml_element = "category"


class SectionRecord(StreamRecord):
    """A Help Center section with its ``translations``, as ``/api/v2/help_center/sections`` returned it."""

    stream = "sections"
    xml_element = "section"


class ArticleRecord(StreamRecord):
    """A Help Center article with its ``translations``, as the incremental article export returned it."""

    stream = "articles"
    xml_element = "article"


class SideConversationRecord(StreamRecord):
    """A side conversation as ``/api/v2/tickets/{id}/side_conversations`` returned it, with its ``events``."""

    stream = "side_conversations"
    xml_element = "side_conversation"
