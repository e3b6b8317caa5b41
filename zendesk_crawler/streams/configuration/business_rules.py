"""The business rules: macros, triggers, automations and views, each with its conditions and actions.

Zendesk documents every one of these lists as "Allowed For: Agents", so they need no feature: an admin's
credentials (which a backup needs for the incremental exports) read them all, personal macros and views included.
"""

from __future__ import annotations

from zendesk_crawler.api.endpoints import AUTOMATIONS_ENDPOINT, MACROS_ENDPOINT, TRIGGERS_ENDPOINT, VIEWS_ENDPOINT
from zendesk_crawler.items import AutomationRecord, MacroRecord, TriggerRecord, ViewRecord
from zendesk_crawler.streams.base import ListStream


class MacroStream(ListStream):
    """Every macro, shared and personal (an admin sees the agents' personal ones too): ``/api/v2/macros.json``."""

    name = "macros"
    path = "/api/v2/macros.json"
    list_key = "macros"
    label = "macro list"
    endpoint = MACROS_ENDPOINT
    record_class = MacroRecord


class TriggerStream(ListStream):
    """Every ticket trigger, active or not: ``/api/v2/triggers.json``, cursor pages."""

    name = "triggers"
    path = "/api/v2/triggers.json"
    list_key = "triggers"
    label = "trigger list"
    endpoint = TRIGGERS_ENDPOINT
    record_class = TriggerRecord


class AutomationStream(ListStream):
    """Every automation, active or not: ``/api/v2/automations.json``, cursor pages."""

    name = "automations"
    path = "/api/v2/automations.json"
    list_key = "automations"
    label = "automation list"
    endpoint = AUTOMATIONS_ENDPOINT
    record_class = AutomationRecord


class ViewStream(ListStream):
    """Every view, shared and personal, with its conditions, execution and columns: ``/api/v2/views.json``."""

    name = "views"
    path = "/api/v2/views.json"
    list_key = "views"
    label = "view list"
    endpoint = VIEWS_ENDPOINT
    record_class = ViewRecord
