"""Item pipelines: shape each ticket's raw API data into one self-contained conversation record; count records."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from zendesk_crawler.items import (
    COMMENTS_TICKET_DELETED,
    SOURCE_TICKET_EVENTS,
    StreamRecord,
    TicketConversation,
    TicketRecord,
)
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.stats_keys import COMMENTS_EXPORTED, TICKETS_DELETED, TICKETS_EXPORTED, records_exported
from zendesk_crawler.streams.tickets.events import FIELDS_NOT_IN_EVENTS


class ConversationPipeline:
    """Builds the exported record of a ticket.

    The record is the ticket object exactly as Zendesk returned it (every key,
    in API order, values untouched), followed by:

    - ``requester`` and ``assignee``: ``{id, name, email, role}`` resolved from
      the sideloaded users (``None`` when the ticket has none; name, email and
      role ``None`` when the user was not sideloaded, e.g. a deleted user);
    - ``organization`` and ``group``: ``{id, name}`` from the sideloads
      (``None`` when the ticket has none; name ``None`` when not sideloaded);
    - ``custom_fields_by_title``: each entry of ``custom_fields`` as
      ``title: value``, titles from the ticket fields (see :class:`FieldTitles`);
      ``custom_fields`` itself stays as Zendesk sent it;
    - ``comments``: every comment object exactly as returned, in chronological
      order, each with an added ``author`` resolved the same way;
    - ``conversation_log``: for a ticket that came through messaging only, every entry of its
      ``/conversation_log`` as returned (the messages that are not comments among them);
    - ``_export``: how complete the comments are (``complete``,
      ``ticket_deleted``, ``not_found`` or ``not_requested``), how many there
      are, where they came from (``ticket_comments`` or ``ticket_events``) and,
      for comments from events, which comment fields events do not carry.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.titles = FieldTitles([])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConversationPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.ticket_fields_loaded, signal=zendesk_signals.ticket_fields_loaded)
        return pipeline

    def ticket_fields_loaded(self, fields: list[Any]) -> None:
        """The account's ticket fields were read (before the first ticket): their titles name custom fields."""
        self.titles = FieldTitles(fields)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, StreamRecord):
            self.stats.inc_value(records_exported(item.stream))
            return item
        if not isinstance(item, TicketConversation):
            return item
        record = build_record(item, self.titles)
        self.stats.inc_value(records_exported("tickets"))
        self.stats.inc_value(TICKETS_EXPORTED)
        self.stats.inc_value(COMMENTS_EXPORTED, len(record["comments"]))
        if item.comments_status == COMMENTS_TICKET_DELETED:
            self.stats.inc_value(TICKETS_DELETED)
        return record


def build_record(conversation: TicketConversation, titles: FieldTitles) -> TicketRecord:
    """The conversation record of one ticket (see :class:`ConversationPipeline`)."""
    ticket, users = conversation.ticket, conversation.users
    comments = sorted(conversation.comments, key=_chronological)
    record = TicketRecord.from_page(ticket, conversation.export_page)
    record["requester"] = resolve_user(ticket.get("requester_id"), users)
    record["assignee"] = resolve_user(ticket.get("assignee_id"), users)
    record["organization"] = resolve_named(ticket.get("organization_id"), conversation.organizations)
    record["group"] = resolve_named(ticket.get("group_id"), conversation.groups)
    record["custom_fields_by_title"] = titles.name(ticket.get("custom_fields"))
    record.custom_field_keys = titles.custom_keys
    record["comments"] = [{**comment, "author": resolve_user(comment.get("author_id"), users)}
                          if isinstance(comment, dict) else comment for comment in comments]
    if conversation.conversation_log is not None:
        record["conversation_log"] = conversation.conversation_log
    record["_export"] = {"comments": conversation.comments_status, "comment_count": len(comments),
                         "comments_source": conversation.comments_source}
    if conversation.comments_source == SOURCE_TICKET_EVENTS:
        record["_export"]["comment_fields_missing"] = FIELDS_NOT_IN_EVENTS
    return record


def resolve_user(user_id: Any, users: dict[Any, dict[str, Any]]) -> dict[str, Any] | None:
    """``{id, name, email, role}`` of a user, with ``None`` for what the sideloads did not say."""
    if user_id is None:
        return None
    user = (users.get(user_id) if isinstance(user_id, int) else None) or {}
    return {"id": user_id, "name": user.get("name"), "email": user.get("email"), "role": user.get("role")}


def resolve_named(object_id: Any, objects: dict[Any, dict[str, Any]]) -> dict[str, Any] | None:
    """``{id, name}`` of a group or organization, name ``None`` when it was not sideloaded (deleted, say)."""
    if object_id is None:
        return None
    found = (objects.get(object_id) if isinstance(object_id, int) else None) or {}
    return {"id": object_id, "name": found.get("name")}


#: Ticket field types of custom fields (the others are Zendesk's system fields: subject, status, …).
CUSTOM_FIELD_TYPES = frozenset({"text", "textarea", "checkbox", "date", "integer", "decimal", "regexp",
                                "partialcreditcard", "multiselect", "tagger", "lookup"})


class FieldTitles:
    """Names a ticket's custom field values by the titles of the account's ticket fields.

    The key of a value is its field's ``title``. Titles are not unique in
    Zendesk: when several ticket fields share a title, each of them is keyed
    ``"<title> (<field id>)"``, so no value hides another. A value whose field
    is not among the ticket fields (deleted since) is keyed ``"(<field id>)"``.
    Keys follow the order of ``custom_fields``.
    """

    def __init__(self, fields: list[Any]) -> None:
        titles = {field["id"]: field.get("title") for field in fields
                  if isinstance(field, dict) and isinstance(field.get("id"), int)}
        counts: dict[Any, int] = {}
        for title in titles.values():
            counts[title] = counts.get(title, 0) + 1
        self.keys = {field_id: str(title) if counts[title] == 1 and isinstance(title, str) and title
                     else f"{title} ({field_id})" for field_id, title in titles.items()}
        #: The keys of the account's custom fields, in ticket-field order (the CSV's custom columns).
        self.custom_keys = [self.keys[field["id"]] for field in fields if isinstance(field, dict)
                            and field.get("id") in self.keys and field.get("type") in CUSTOM_FIELD_TYPES]

    def name(self, custom_fields: Any) -> dict[str, Any]:
        """``{key: value}`` for each ``{id, value}`` entry of a ticket's ``custom_fields``."""
        if not isinstance(custom_fields, list):
            return {}
        named = {}
        for entry in custom_fields:
            if isinstance(entry, dict) and "id" in entry:
                field_id = entry["id"]
                named[self.keys.get(field_id, f"({field_id})")] = entry.get("value")
        return named


def _chronological(comment: Any) -> tuple[str, int]:
    if not isinstance(comment, dict):
        return ("", 0)
    created_at = comment.get("created_at")
    comment_id = comment.get("id")
    return (created_at if isinstance(created_at, str) else "",
            comment_id if isinstance(comment_id, int) and not isinstance(comment_id, bool) else 0)
