"""What every ticket stream has: each ticket once, in its newest version, with its whole conversation.

A ticket stream (the incremental ticket export of a backup, a filter's or a person's selection) reads the
ticket objects of its pages and hands them to its :class:`Conversations`, which drops repeats, superseded
versions and tickets an interrupted run already stored, and fetches each ticket's comments: per ticket
(``per_ticket.py``, a bounded number at once) or from the ticket event export (``events.py``, ``-a
comments=events``). The fetchers see the stream only through :class:`~.handle.StreamHandle`, and ask for
the stream's next source page through the one :data:`~.handle.NextWork` callable they are given.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from zendesk_crawler.items import COMMENTS_NOT_REQUESTED, COMMENTS_TICKET_DELETED, TicketConversation
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.positions import RecordVersion, record_version
from zendesk_crawler.run.stats_keys import (
    MALFORMED_TICKETS,
    TICKETS_ALREADY_STORED,
    TICKETS_REPEATED,
    TICKETS_WITHOUT_ID,
)
from zendesk_crawler.streams.tickets.conversation_log import ConversationLogs
from zendesk_crawler.streams.tickets.events import EventComments
from zendesk_crawler.streams.tickets.handle import NextWork, StreamHandle
from zendesk_crawler.streams.tickets.per_ticket import TicketComments
from zendesk_crawler.streams.tickets.versions import TicketVersions

logger = logging.getLogger(__name__)


class Conversations:
    """A ticket stream's conversations: which tickets are exported, and where their comments come from.

    ``events``: the comments of the tickets the event export covers come from it (``-a comments=events``).
    """

    def __init__(self, handle: StreamHandle, crawler: Crawler, config: RunContext, next_work: NextWork,
                 events: bool = False) -> None:
        self.handle = handle
        self.crawler = crawler
        #: Messaging tickets' conversation logs, read before such a ticket is finished (``conversation_log.py``).
        self.logs = ConversationLogs(handle, crawler, config)
        self.versions = TicketVersions(handle, crawler, self.logs)
        self.per_ticket = TicketComments(handle, self.versions, next_work, crawler, config)
        #: The event export's comments (events mode only).
        self.events = EventComments(handle, self.versions, self.per_ticket, next_work, crawler, config) \
            if events else None
        self.next_work = next_work

    @property
    def stats(self) -> StatsCollector:
        """The crawler's stats (created after the spider, so looked up when used)."""
        return self.crawler.stats

    def accept(self, tickets: list[Any], sideloads: Sideloads, page: int,
               already_stored: set[RecordVersion]) -> list[Outcome]:
        """One outcome per ticket of page ``page`` to export: a conversation to hand on now, ``Queued`` for its
        comments, or ``WAITING`` for the event export. ``already_stored``: versions an interrupted run stored."""
        return [outcome for ticket in tickets for outcome in self._accept(ticket, sideloads, page, already_stored)]

    def _accept(self, ticket: Any, sideloads: Sideloads, page: int,
                already_stored: set[RecordVersion]) -> list[Outcome]:
        if not isinstance(ticket, dict):
            self.stats.inc_value(MALFORMED_TICKETS)
            logger.warning("Skipped an entry that is not a ticket object: %.200r", ticket)
            return []
        ticket_id = ticket.get("id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            # Without an id there are no comments to ask for; keep what Zendesk sent.
            self.stats.inc_value(TICKETS_WITHOUT_ID)
            logger.warning("Ticket without a numeric id exported as received: %.200r", ticket)
            return [TicketConversation(ticket=ticket, comments_status=COMMENTS_NOT_REQUESTED, export_page=page)]
        seen_before = self.versions.seen(ticket_id)
        if not self.versions.see(ticket):
            self.stats.inc_value(TICKETS_REPEATED)
            return []
        if already_stored and record_version(ticket) in already_stored:
            # Stored by the interrupted run this one resumes (after its checkpointed cursor).
            self.stats.inc_value(TICKETS_ALREADY_STORED)
            self.handle.tell(zendesk_signals.record_already_stored, page=page, version=record_version(ticket))
            return []
        conversation = sideloads.conversation(ticket, page)
        deleted = ticket.get("status") == "deleted"
        if self.events is not None and self.events.offer(conversation, seen_before, deleted):
            return [WAITING]
        if deleted:
            # Zendesk deletes a deleted ticket's comments: asking would be a 404.
            conversation.comments_status = COMMENTS_TICKET_DELETED
            return list(self.versions.finished(conversation))
        return [Queued(conversation)]

    def hand_on(self, outcomes: list[Outcome]) -> list[TicketConversation | Request]:
        """The conversations ready now, then the first comment requests of the tickets queued for them."""
        ready: list[TicketConversation | Request] = [out for out in outcomes
                                                     if isinstance(out, TicketConversation | Request)]
        self.per_ticket.queue([out.conversation for out in outcomes if isinstance(out, Queued)])
        return ready + self.per_ticket.start()

    def is_current(self, conversation: TicketConversation) -> bool:
        """Whether the conversation is of the newest version of its ticket seen (else it will be dropped)."""
        return self.versions.is_current(conversation)

    def waiting_for_comments(self) -> int:
        """Tickets queued for their comments and not started yet."""
        return self.per_ticket.backlog()

    def idle(self) -> list[Request]:
        """Requests for tickets still waiting when the spider is idle (never end with tickets waiting)."""
        requests = self.events.idle() if self.events is not None else []
        return requests or (self.per_ticket.start() + self.next_work())

    def unfinished(self) -> int:
        """Tickets accepted whose conversation is not finished yet."""
        waiting = self.events.unfinished() if self.events is not None else 0
        return waiting + self.per_ticket.unfinished() + self.logs.unfinished()


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


class Waiting:
    """Outcome of a ticket that waits for the event stream."""

    __slots__ = ()


WAITING = Waiting()


#: What :meth:`Conversations.accept` makes of a ticket (a request: a deleted messaging ticket's log, never).
Outcome = TicketConversation | Request | Queued | Waiting
