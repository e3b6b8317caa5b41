"""The organization stream: the time-based Incremental Organization Export."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import ORGANIZATIONS_EXPORT_ENDPOINT
from zendesk_crawler.items import OrganizationRecord
from zendesk_crawler.streams.base import TimeExportStream


class OrganizationStream(TimeExportStream):
    """Organizations changed since the saved ``start_time``; deleted ones come with ``deleted_at``."""

    name = "organizations"
    path = "/api/v2/incremental/organizations.json"
    list_key = "organizations"
    label = "organization export"
    endpoint = ORGANIZATIONS_EXPORT_ENDPOINT
    record_class = OrganizationRecord
