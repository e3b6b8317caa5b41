"""One class per Zendesk stream, and :data:`STREAMS`, the one registry of them.

A stream's class carries everything the other components need to know about it:
its name (``-a streams=``, file names, the state's keys), its record class (the feeds
route records by it), how the state keeps its position (``position_key``) and the
streams it needs read first (``depends_on``). To add a stream: write its class on the
base of its pagination style (``streams/base.py``) and add it here.
"""

from __future__ import annotations

from zendesk_crawler.streams.base import Stream
from zendesk_crawler.streams.configuration import CONFIGURATION_STREAMS
from zendesk_crawler.streams.groups import GroupStream
from zendesk_crawler.streams.help_center import ArticleStream, CategoryStream, SectionStream
from zendesk_crawler.streams.organizations import OrganizationStream
from zendesk_crawler.streams.satisfaction_ratings import SatisfactionRatingStream
from zendesk_crawler.streams.side_conversations import SideConversationStream
from zendesk_crawler.streams.ticket_events import TicketEventStream
from zendesk_crawler.streams.ticket_fields import TicketFieldStream
from zendesk_crawler.streams.tickets.stream import TicketStream
from zendesk_crawler.streams.users import UserStream

_IN_ORDER: tuple[type[Stream], ...] = (TicketFieldStream, GroupStream, *CONFIGURATION_STREAMS, OrganizationStream,
                                       UserStream, TicketStream, SideConversationStream, SatisfactionRatingStream,
                                       CategoryStream, SectionStream, ArticleStream,
                                       TicketEventStream)
#: Every stream of a backup by name, in the order they start (all of them when ``-a streams=`` is not given).
STREAMS: dict[str, type[Stream]] = {cls.name: cls for cls in _IN_ORDER}

__all__ = ["STREAMS", "Stream"]
