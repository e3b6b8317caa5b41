"""Item pipelines: shape each ticket's raw API data into one self-contained conversation record."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from zendesk_crawler.comment_events import FIELDS_NOT_IN_EVENTS
from zendesk_crawler.items import COMMENTS_TICKET_DELETED, SOURCE_TICKET_EVENTS, TicketConversation, TicketRecord


class ConversationPipeline:
    """Builds the exported record of a ticket.

    The record is the ticket object exactly as Zendesk returned it (every key,
    in API order, values untouched), followed by:

    - ``requester`` and ``assignee``: ``{id, name, email, role}`` resolved from
      the sideloaded users (``None`` when the ticket has none; name, email and
      role ``None`` when the user was not sideloaded, e.g. a deleted user);
    - ``comments``: every comment object exactly as returned, in chronological
      order, each with an added ``author`` resolved the same way;
    - ``_export``: how complete the comments are (``complete``,
      ``ticket_deleted``, ``not_found`` or ``not_requested``), how many there
      are, where they came from (``ticket_comments`` or ``ticket_events``) and,
      for comments from events, which comment fields events do not carry.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConversationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, TicketConversation):
            return item
        record = build_record(item)
        self.stats.inc_value("zendesk/tickets_exported")
        self.stats.inc_value("zendesk/comments_exported", len(record["comments"]))
        if item.comments_status == COMMENTS_TICKET_DELETED:
            self.stats.inc_value("zendesk/tickets_deleted")
        return record


def build_record(conversation: TicketConversation) -> TicketRecord:
    """The conversation record of one ticket (see :class:`ConversationPipeline`)."""
    ticket, users = conversation.ticket, conversation.users
    comments = sorted(conversation.comments, key=_chronological)
    record = TicketRecord(ticket)
    record.export_page = conversation.export_page
    record["requester"] = resolve_user(ticket.get("requester_id"), users)
    record["assignee"] = resolve_user(ticket.get("assignee_id"), users)
    record["comments"] = [{**comment, "author": resolve_user(comment.get("author_id"), users)}
                          if isinstance(comment, dict) else comment for comment in comments]
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


def _chronological(comment: Any) -> tuple[str, int]:
    if not isinstance(comment, dict):
        return ("", 0)
    created_at = comment.get("created_at")
    comment_id = comment.get("id")
    return (created_at if isinstance(created_at, str) else "",
            comment_id if isinstance(comment_id, int) and not isinstance(comment_id, bool) else 0)
