"""The ticket field stream: ``/api/v2/ticket_fields.json``, read in full every run.

The ticket records name their custom fields by these fields' titles, so when
tickets are exported the ticket fields are read first, exported or not.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from zendesk_crawler.api.endpoints import TICKET_FIELDS_ENDPOINT
from zendesk_crawler.items import TicketFieldRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.streams.base import ListStream


class TicketFieldStream(ListStream):
    """Every ticket field, system and custom, active or not; tells the ticket records their titles."""

    name = "ticket_fields"
    path = "/api/v2/ticket_fields.json"
    list_key = "ticket_fields"
    label = "ticket field list"
    endpoint = TICKET_FIELDS_ENDPOINT
    record_class = TicketFieldRecord

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        self.fields: list[Any] = []

    def page_read(self, objects: list[Any]) -> None:
        self.fields.extend(objects)

    def list_ended(self) -> None:
        self.crawler.signals.send_catch_log(zendesk_signals.ticket_fields_loaded, fields=self.fields)
