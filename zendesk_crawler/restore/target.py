"""What the target account already has, read before anything is written: how a backup's object is found there.

Every restore starts by reading the target's lists (fields, groups, organizations,
brands, forms, business rules), its users (the incremental user export: 1000 a page)
and the tickets an earlier run of this restore imported (the Search Export of the
source's marker tag, archived tickets included). An object found is reused, never
written again: a user by e-mail (or ``external_id``), a group or an organization by
name, a custom field by type and title (a system field by type), a form by name, a
brand by subdomain, a business rule by title. Reading the lists again after a write
that may or may not have happened (a timeout, a 5xx) is also how a lost answer is
recovered: lists answer at once, unlike search.
"""

from __future__ import annotations

from typing import Any

from zendesk_crawler.restore.markers import source_ticket_id
from zendesk_crawler.streams import STREAMS
from zendesk_crawler.streams.base import ListStream

#: The backup's streams whose lists say what the target has, by object type (organizations apart: the backup reads
#: their incremental export, a restore also their list, which answers at once).
LISTED_STREAMS = {"ticket_field": "ticket_fields", "user_field": "user_fields",
                  "organization_field": "organization_fields", "group": "groups", "brand": "brands",
                  "custom_status": "custom_statuses", "ticket_form": "ticket_forms", "macro": "macros",
                  "trigger": "triggers", "automation": "automations", "view": "views"}
#: Per object type: the list path, its list key, and whether it takes cursor pagination (``page[size]``): the
#: backup's own stream classes say it.
LISTS: dict[str, tuple[str, str, bool]] = {
    kind: (STREAMS[stream].path, STREAMS[stream].list_key, issubclass(STREAMS[stream], ListStream))
    for kind, stream in LISTED_STREAMS.items()}
LISTS["organization"] = ("/api/v2/organizations.json", "organizations", True)
USERS_EXPORT_PATH = "/api/v2/incremental/users/cursor.json"
ORGANIZATIONS_EXPORT_PATH = "/api/v2/incremental/organizations.json"
SEARCH_EXPORT_PATH = "/api/v2/search/export.json"
#: System ticket fields: every account has them, found by type (their titles are translated or renamed).
SYSTEM_FIELD_TYPES = {"subject", "description", "status", "tickettype", "priority", "group", "assignee",
                      "custom_status", "brand", "requester", "ticket_form"}


def match_key(kind: str, record: dict[str, Any]) -> Any:
    """How an object of ``kind`` is recognised in the target (``None``: it cannot be)."""
    if kind == "ticket_field":
        field_type = str(record.get("type") or "")
        if field_type in SYSTEM_FIELD_TYPES:
            return ("system", field_type)
        return (field_type, str(record.get("title") or ""))
    if kind in ("user_field", "organization_field"):
        return (str(record.get("type") or ""), str(record.get("key") or record.get("title") or ""))
    if kind in ("group", "organization"):
        name = record.get("name")
        return name.strip().lower() if isinstance(name, str) else None
    if kind == "custom_status":
        label = record.get("agent_label")
        return (record.get("status_category"), label.strip().lower() if isinstance(label, str) else None)
    if kind == "brand":
        return record.get("subdomain") or record.get("name")
    if kind == "ticket_form":
        return record.get("name")
    if kind in ("macro", "trigger", "automation", "view"):
        return record.get("title")
    raise KeyError(kind)


def user_keys(user: dict[str, Any]) -> list[str]:
    """How a user is recognised: e-mail (case-insensitive), then external id."""
    keys = []
    email = user.get("email")
    if isinstance(email, str) and email:
        keys.append(f"email:{email.lower()}")
    external = user.get("external_id")
    if isinstance(external, str) and external:
        keys.append(f"external:{external}")
    return keys


class TargetObjects:
    """The target's objects by match key, per type, and its users by e-mail and external id."""

    def __init__(self, source_key: str) -> None:
        self.source_key = source_key
        self.objects: dict[str, dict[Any, Any]] = {kind: {} for kind in LISTS}
        self.users: dict[str, int] = {}
        #: Tickets an earlier run imported, found by their marker: source id → target id.
        self.tickets: dict[int, int] = {}

    def add_list(self, kind: str, records: list[Any]) -> None:
        for record in records:
            if isinstance(record, dict) and record.get("id") is not None:
                key = match_key(kind, record)
                if key is not None:
                    self.objects[kind].setdefault(key, record["id"])

    def add_users(self, users: list[Any]) -> None:
        for user in users:
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                for key in user_keys(user):
                    self.users.setdefault(key, user["id"])

    def add_tickets(self, tickets: list[Any]) -> None:
        for ticket in tickets:
            if isinstance(ticket, dict) and isinstance(ticket.get("id"), int):
                source_id = source_ticket_id(self.source_key, ticket.get("tags") or [])
                if source_id is not None:
                    self.tickets.setdefault(source_id, ticket["id"])

    def find(self, kind: str, record: dict[str, Any]) -> Any:
        """The target id of the object matching a backup's record, ``None`` when the target has none."""
        key = match_key(kind, record)
        return None if key is None else self.objects[kind].get(key)

    def find_user(self, user: dict[str, Any]) -> int | None:
        for key in user_keys(user):
            if key in self.users:
                return self.users[key]
        return None
