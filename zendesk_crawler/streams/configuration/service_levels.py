"""SLA policies and business-hours schedules: both returned whole, both for admins only."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import SCHEDULES_ENDPOINT, SLA_POLICIES_ENDPOINT
from zendesk_crawler.items import ScheduleRecord, SlaPolicyRecord
from zendesk_crawler.streams.base import WholeListStream


class SlaPolicyStream(WholeListStream):
    """Every SLA policy with its filter and metrics: ``/api/v2/slas/policies.json`` (one answer; Support
    Professional or Suite Growth and above, admins only)."""

    name = "sla_policies"
    path = "/api/v2/slas/policies.json"
    list_key = "sla_policies"
    label = "SLA policy list"
    endpoint = SLA_POLICIES_ENDPOINT
    record_class = SlaPolicyRecord
    needs_feature = "SLA policies on the plan"


class SchedulesStream(WholeListStream):
    """Every business-hours schedule with its intervals: ``/api/v2/business_hours/schedules.json`` (one answer;
    admins only)."""

    name = "schedules"
    path = "/api/v2/business_hours/schedules.json"
    list_key = "schedules"
    label = "schedule list"
    endpoint = SCHEDULES_ENDPOINT
    record_class = ScheduleRecord
    needs_feature = "an admin role"
