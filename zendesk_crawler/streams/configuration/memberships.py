"""Who belongs where: agents in groups, users in organizations."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import GROUP_MEMBERSHIPS_ENDPOINT, ORGANIZATION_MEMBERSHIPS_ENDPOINT
from zendesk_crawler.items import GroupMembershipRecord, OrganizationMembershipRecord
from zendesk_crawler.streams.base import ListStream


class GroupMembershipStream(ListStream):
    """Every group membership of the account: ``/api/v2/group_memberships.json``, cursor pages."""

    name = "group_memberships"
    path = "/api/v2/group_memberships.json"
    list_key = "group_memberships"
    label = "group membership list"
    endpoint = GROUP_MEMBERSHIPS_ENDPOINT
    record_class = GroupMembershipRecord


class OrganizationMembershipStream(ListStream):
    """Every organization membership of the account: ``/api/v2/organization_memberships.json``, cursor pages."""

    name = "organization_memberships"
    path = "/api/v2/organization_memberships.json"
    list_key = "organization_memberships"
    label = "organization membership list"
    endpoint = ORGANIZATION_MEMBERSHIPS_ENDPOINT
    record_class = OrganizationMembershipRecord
