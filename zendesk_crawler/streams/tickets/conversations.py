"""What every ticket stream shares: each ticket once, in its newest version, with its whole conversation.

:class:`TicketConversations` is mixed into the streams that read tickets (the incremental ticket export of a
backup, a filter's or a person's selection): it accepts the ticket objects of a page, drops repeats and
superseded versions, fetches each ticket's comments per ticket (``comments/per_ticket.py``, a bounded number
at once) and hands each finished conversation on. It is the ``ConversationSink`` the comment fetchers use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.streams.tickets.per_ticket import TicketComments
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.items import COMMENTS_NOT_REQUESTED, COMMENTS_TICKET_DELETED, TicketConversation
from zendesk_crawler.run.positions import record_version
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.run.stats_keys import MALFORMED_TICKETS, TICKETS_ALREADY_STORED, TICKETS_REPEATED, TICKETS_SUPERSEDED, TICKETS_WITHOUT_ID

logger = logging.getLogger(__name__)


class TicketConversations:
    """The conversation half of a ticket stream; the stream class it is mixed into brings the pages.

    The stream implements :meth:`release_export` (the next page of its source, when the tickets waiting for
    comments are few) and may override :meth:`waits_for_events`.
    """

    #: The records name custom fields by title: the ticket fields are read first.
    depends_on = ("ticket_fields",)

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)  # type: ignore[call-arg]  # the Stream class mixed with
        # Newest updated_at seen per ticket id (see _version): drops repeats of a version and
        # versions superseded while their comments were being fetched.
        self.ticket_versions: dict[int, Any] = {}
        #: Whether the stream's source has been read to its end (its comments may still be coming).
        self.end_of_stream = False
        self.per_ticket = TicketComments(self, crawler, config.base_url, config.comments_page_size,
                                         config.tickets_in_progress, inline_images=config.attachments)

    def accept(self, ticket: Any, sideloads: Sideloads, page: int) -> Iterator[Any]:
        """One outcome per ticket to export: a conversation to hand on, ``Queued`` or ``WAITING``."""
        if not isinstance(ticket, dict):
            self.stats.inc_value(MALFORMED_TICKETS)
            logger.warning("Skipped an entry that is not a ticket object: %.200r", ticket)
            return
        ticket_id = ticket.get("id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            # Without an id there are no comments to ask for; keep what Zendesk sent.
            self.stats.inc_value(TICKETS_WITHOUT_ID)
            logger.warning("Ticket without a numeric id exported as received: %.200r", ticket)
            yield TicketConversation(ticket=ticket, comments_status=COMMENTS_NOT_REQUESTED, export_page=page)
            return
        version = _version(ticket)
        seen_before = ticket_id in self.ticket_versions
        if seen_before and self.ticket_versions[ticket_id] == version:
            self.stats.inc_value(TICKETS_REPEATED)
            return
        self.ticket_versions[ticket_id] = version
        if self.position.already_stored and record_version(ticket) in self.position.already_stored:
            # Stored by the interrupted run this one resumes (after its checkpointed cursor).
            self.stats.inc_value(TICKETS_ALREADY_STORED)
            self.tell(zendesk_signals.record_already_stored, page=page, version=record_version(ticket))
            return
        conversation = sideloads.conversation(ticket, page)
        deleted = ticket.get("status") == "deleted"
        if self.waits_for_events(conversation, seen_before, deleted):
            yield WAITING
            return
        if deleted:
            # Zendesk deletes a deleted ticket's comments: asking would be a 404.
            conversation.comments_status = COMMENTS_TICKET_DELETED
            yield from self.finished(conversation)
            return
        yield Queued(conversation)

    def waits_for_events(self, conversation: TicketConversation, seen_before: bool, deleted: bool) -> bool:
        """Whether the ticket's comments come from the event export instead (only in events mode)."""
        return False

    def release_export(self) -> list[Request]:
        """The next page of the stream's source, if it may go now."""
        raise NotImplementedError

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
        self.stats.inc_value(TICKETS_SUPERSEDED)
        self.tell(zendesk_signals.record_superseded, page=conversation.export_page)

    def ticket_done(self) -> list[Request]:
        self.per_ticket.done()
        return self.per_ticket.start() + self.release_export()

    def fetch_per_ticket(self, conversations: list[TicketConversation]) -> list[Request]:
        self.per_ticket.queue(conversations)
        return self.per_ticket.start() + self.release_export()

    def export_progress(self) -> tuple[bool, int | None]:
        return self.end_of_stream, None

    # --- the spider's hooks -------------------------------------------------

    def idle(self) -> list[Request]:
        """Never end with tickets still waiting for their comments."""
        if self.failed():
            return []  # the run already failed; closing is right
        return self.per_ticket.start() + self.release_export()

    def unfinished(self) -> int:
        return self.per_ticket.unfinished()


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
