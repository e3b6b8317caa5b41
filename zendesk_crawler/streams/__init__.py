"""One class per Zendesk stream, and the registry the spider picks the selected streams from."""

from __future__ import annotations

from zendesk_crawler.config import ZendeskConfig
from zendesk_crawler.streams.base import Stream
from zendesk_crawler.streams.groups import GroupStream
from zendesk_crawler.streams.organizations import OrganizationStream
from zendesk_crawler.selection.person import PersonStream
from zendesk_crawler.selection.filtered_tickets import SelectedTicketStream
from zendesk_crawler.streams.ticket_fields import TicketFieldStream
from zendesk_crawler.streams.tickets.stream import TicketStream
from zendesk_crawler.streams.users import UserStream

#: Every stream by name.
STREAMS: dict[str, type[Stream]] = {
    cls.name: cls for cls in (TicketFieldStream, GroupStream, OrganizationStream, UserStream, TicketStream)}

#: Streams another stream needs read before it starts (read, not exported, when not selected).
DEPENDENCIES: dict[str, tuple[str, ...]] = {"tickets": ("ticket_fields",)}


def stream_classes(config: ZendeskConfig) -> dict[str, type[Stream]]:
    """The stream classes of a run: a filtered or person export reads its tickets its own way."""
    if config.person:
        return {**STREAMS, "tickets": PersonStream}
    if config.ticket_filter:
        return {**STREAMS, "tickets": SelectedTicketStream}
    return STREAMS


__all__ = ["DEPENDENCIES", "STREAMS", "Stream", "stream_classes"]
