"""The ticket history: the time-based Incremental Ticket Event Export, every audit with its child events.

Each record is a ticket event object as Zendesk returns it: the audit's ``id``,
``ticket_id``, ``timestamp``, ``created_at``, ``updater_id``, ``via`` and
``system``, and its ``child_events`` (Create and Change events with the field's
new value and ``previous_value``, Notification and Cc events with their
recipients, comments, …). The pages are asked with ``include=comment_events``:
a comment is part of a ticket's history, so its child event carries the
comment's body as in events comment mode (and the records are the same in both
comment modes). Ticket events never change, so a record's version is its
``created_at`` (``run/positions.py``): the events of a page's ``end_time``
second that the next page brings again are stored once.

**One read in events comment mode.** With ``-a comments=events`` the ticket
stream reads this export for the comments (``tickets/events.py``). Then this
stream asks for no page of its own: the ticket stream's reader sends each page
it reads with the ``ticket_event_page`` signal, this stream makes its records
of it, and the reader hands them on. The reader starts at the earlier of the
run's ``start_time`` (what the comments need) and this stream's saved
``start_time`` (learnt from the ``resume_position`` signal). Events before this
stream's saved position were stored by an earlier run: they are skipped, and
the position it saves never goes back before it.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler

from zendesk_crawler.api.endpoints import EVENTS_ENDPOINT
from zendesk_crawler.items import StreamRecord, TicketEventRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import stream_pages
from zendesk_crawler.streams.base import TimeExportStream

#: The stream's name (``-a streams=``, the files, the state).
TICKET_EVENTS = "ticket_events"


def shares_event_reads(config: RunContext) -> bool:
    """Whether the ticket stream's event reader brings the ``ticket_events`` pages (one read for both)."""
    return config.comments_mode == "events" and "tickets" in config.streams and TICKET_EVENTS in config.streams


class TicketEventStream(TimeExportStream):
    """Every ticket event since the saved ``start_time``, each audit with its child events."""

    name = TICKET_EVENTS
    path = "/api/v2/incremental/ticket_events.json"
    list_key = "ticket_events"
    label = "ticket event export"
    endpoint = EVENTS_ENDPOINT
    record_class = TicketEventRecord

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        #: Whether the pages come from the ticket stream's event reader (events comment mode).
        self.shared = shares_event_reads(config)
        if self.shared:
            crawler.signals.connect(self.shared_page, signal=zendesk_signals.ticket_event_page)

    def export_params(self, start_time: int) -> dict[str, Any]:
        # Comments are part of the history; Zendesk's default scope ("agent") would miss AI-agent tickets.
        return {**super().export_params(start_time), "include": "comment_events", "support_type_scope": "all"}

    def start_requests(self) -> list[Request]:
        return [] if self.shared else super().start_requests()

    def shared_page(self, page: dict[str, Any], start_time: int) -> list[StreamRecord]:
        """A page the ticket stream's event reader read: this stream's records of it (the reader hands them on)."""
        if self.failed():
            return []
        self.pages_requested += 1
        self.stats.inc_value(stream_pages(self.name))
        records, _ = self.read_time_page(page, self.pages_requested, start_time, floor=self.position.start_time)
        return records
