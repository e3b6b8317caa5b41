"""Each ticket once, in its newest version: the versions a ticket stream has seen."""

from __future__ import annotations

import re
from typing import Any, cast

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.items import TicketConversation
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.stats_keys import TICKETS_SUPERSEDED
from zendesk_crawler.streams.tickets.conversation_log import ConversationLogs
from zendesk_crawler.streams.tickets.handle import StreamHandle
from zendesk_crawler.streams.tickets.ticket_ids import TicketVersionMap

_WHOLE_SECOND_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class TicketVersions:
    """The newest ``updated_at`` seen per ticket id: drops repeats of a version, and versions superseded while
    their comments were being fetched (a ticket changed during the run comes again later in the stream)."""

    def __init__(self, handle: StreamHandle, crawler: Crawler, logs: ConversationLogs | None = None) -> None:
        self.handle = handle
        self.crawler = crawler
        #: Messaging tickets' conversation logs, read before such a ticket is finished.
        self.logs = logs
        #: Eight bytes a ticket (``ticket_ids.py``): the map lasts the whole run.
        self.newest = TicketVersionMap()

    @property
    def stats(self) -> StatsCollector:
        """The crawler's stats (created after the spider, so looked up when used)."""
        return self.crawler.stats

    def seen(self, ticket_id: int) -> bool:
        """Whether a version of the ticket came before in this run."""
        return ticket_id in self.newest

    def see(self, ticket: dict[str, Any]) -> bool:
        """Note a version of a ticket with an id; ``False`` when it is the newest version seen already (a repeat)."""
        version = _version(ticket)
        if self.newest.get(ticket["id"], _NOT_SEEN) == version:
            return False
        self.newest[ticket["id"]] = version
        return True

    def is_current(self, conversation: TicketConversation) -> bool:
        """Whether the conversation is of the newest version of its ticket seen."""
        # Only a ticket with an integer id gets a conversation that comes here (``Conversations._accept``).
        ticket_id = cast(int, conversation.ticket.get("id"))
        return self.newest.get(ticket_id) == _version(conversation.ticket)

    def finished(self, conversation: TicketConversation) -> list[TicketConversation | Request]:
        """The conversation to hand on, unless a newer version of its ticket came since (then nothing).

        A messaging ticket's conversation log is read first: then its first request comes instead, and the
        conversation comes through here again once the log is read.
        """
        if not self.is_current(conversation):
            self.superseded(conversation.export_page)
            return []
        if self.logs is not None and self.logs.needs_log(conversation):
            return list(self.logs.read(conversation, self.finished))
        return [conversation]

    def superseded(self, export_page: int) -> None:
        """A conversation of export page ``export_page`` needs no record: a newer version of its ticket is
        exported instead."""
        self.stats.inc_value(TICKETS_SUPERSEDED)
        self.handle.tell(zendesk_signals.record_superseded, page=export_page)


_NOT_SEEN = object()


def _version(ticket: dict[str, Any]) -> Any:
    """A ticket version as the map keeps it: ``updated_at`` as unix seconds, else as given.

    The map holds an entry for every ticket of the run; an int fits its
    eight-byte slots. Only Zendesk's whole-second form
    (``2026-01-31T12:00:00Z``) is converted, so two different versions never
    become one.
    """
    updated_at = ticket.get("updated_at")
    if isinstance(updated_at, str) and _WHOLE_SECOND_UTC.fullmatch(updated_at):
        seconds = epoch(updated_at)
        return updated_at if seconds is None else seconds
    return updated_at
