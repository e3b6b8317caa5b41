"""The group stream: ``/api/v2/groups.json``, read in full every run, deleted groups included."""

from __future__ import annotations

from typing import Any

from zendesk_crawler.api.endpoints import GROUPS_ENDPOINT
from zendesk_crawler.items import GroupRecord
from zendesk_crawler.streams.base import ListStream


class GroupStream(ListStream):
    """Every group of the account, deleted ones too (``deleted: true``): tickets may still name them."""

    name = "groups"
    path = "/api/v2/groups.json"
    list_key = "groups"
    label = "group list"
    endpoint = GROUPS_ENDPOINT
    record_class = GroupRecord

    def list_params(self) -> dict[str, Any]:
        # Zendesk leaves deleted groups out of the list unless asked (estuary/connectors PR 2007).
        return {**super().list_params(), "exclude_deleted": "false"}
