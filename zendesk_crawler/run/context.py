"""The run context: this run's validated spider arguments and its id, one typed object for every component.

The ``zendesk`` spider validates its arguments once (``spiders/arguments.py``), before
any request, and puts the resulting :class:`RunContext` into the crawler's settings
under :data:`RUN_CONTEXT_SETTING` while they can still change. Every other component
(the add-on, the feeds, the pipelines, the extensions, the streams) gets it the same
way, ``RunContext.of(crawler.settings)``, and never parses the arguments again. A
crawl of another spider has no context: components that need one raise
``NotConfigured``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from scrapy.settings import BaseSettings

from zendesk_crawler.config import AccountConfig
from zendesk_crawler.run.filters import TicketFilter

#: The setting that holds the run's :class:`RunContext` (set by the spider, read by everyone else).
RUN_CONTEXT_SETTING = "ZENDESK_RUN_CONTEXT"
#: The setting that names a run (the web page names the runs it starts); a new id when not set.
RUN_ID_SETTING = "ZENDESK_RUN_ID"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique name for one run: UTC start time plus a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunContext(AccountConfig):
    """The account settings (validated) plus this run's options from the spider arguments (``-a``) and its id."""

    #: The run's name in its file names and manifest: ``ZENDESK_RUN_ID`` when set, else :func:`new_run_id`.
    run_id: str
    #: The selected streams, in start order.
    streams: tuple[str, ...]
    start_time: int
    start_time_given: bool
    ignore_cursor: bool
    comments_mode: str
    #: Whether every comment's attachment files (and voice recordings) are downloaded.
    attachments: bool = False
    #: Stop the ticket export once at least this many tickets were read (a backfill in slices); 0: no limit.
    max_tickets: int = 0
    #: Export only the tickets this filter selects (``-a query=`` …, ``-a ticket_ids=``); empty: a backup run.
    ticket_filter: TicketFilter = TicketFilter()
    #: Export everything about this person (``-a user=``: an id or an e-mail address); '': not a person export.
    person: str = ""

    @property
    def is_backup(self) -> bool:
        """Whether the run exports the streams from their saved positions (and moves them): no filter, no person."""
        return not self.ticket_filter and not self.person

    @classmethod
    def of(cls, settings: BaseSettings) -> RunContext | None:
        """The context the spider put into ``settings``, or ``None`` when the crawl is not a zendesk spider's."""
        context = settings.get(RUN_CONTEXT_SETTING)
        return context if isinstance(context, RunContext) else None

    def put(self, settings: BaseSettings) -> None:
        """Hand the context to every component (called by the spider before Scrapy freezes the settings)."""
        settings.set(RUN_CONTEXT_SETTING, self, priority="spider")
        settings.set(RUN_ID_SETTING, self.run_id, priority="spider")
