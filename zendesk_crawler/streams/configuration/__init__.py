"""The configuration streams, each read in full every run: what a restore needs to write an account's setup back.

Where each one is:

- ``fields.py``: ``ticket_forms``, ``user_fields``, ``organization_fields``
- ``brands.py``: ``brands``, ``custom_statuses``
- ``business_rules.py``: ``macros``, ``triggers``, ``automations``, ``views``
- ``service_levels.py``: ``sla_policies``, ``schedules``
- ``dynamic_content.py``: ``dynamic_content`` (the items, each with its variants)
- ``memberships.py``: ``group_memberships``, ``organization_memberships``

Each record is the API object with every field Zendesk returned. The lists with cursor pagination are
:class:`~zendesk_crawler.streams.base.ListStream`\\ s, those Zendesk returns whole are
:class:`~zendesk_crawler.streams.base.WholeListStream`\\ s.
"""

from __future__ import annotations

from zendesk_crawler.streams.base import Stream
from zendesk_crawler.streams.configuration.brands import BrandStream, CustomStatusStream
from zendesk_crawler.streams.configuration.business_rules import (
    AutomationStream,
    MacroStream,
    TriggerStream,
    ViewStream,
)
from zendesk_crawler.streams.configuration.dynamic_content import DynamicContentStream
from zendesk_crawler.streams.configuration.fields import OrganizationFieldStream, TicketFormStream, UserFieldStream
from zendesk_crawler.streams.configuration.memberships import GroupMembershipStream, OrganizationMembershipStream
from zendesk_crawler.streams.configuration.service_levels import SchedulesStream, SlaPolicyStream

#: The configuration streams in the order they start.
CONFIGURATION_STREAMS: tuple[type[Stream], ...] = (
    TicketFormStream, UserFieldStream, OrganizationFieldStream, BrandStream, CustomStatusStream, MacroStream,
    TriggerStream, AutomationStream, ViewStream, SlaPolicyStream, SchedulesStream, DynamicContentStream,
    GroupMembershipStream, OrganizationMembershipStream)

__all__ = ["CONFIGURATION_STREAMS"]
