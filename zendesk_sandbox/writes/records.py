"""Creating users, organizations, groups and ticket fields: stored in the :class:`~zendesk_sandbox.account.Account`,
so that the exports, lists, sideloads and searches serve them as they serve seeded records.

Sources (https://developer.zendesk.com/api-reference/ticketing/ ...):
- *Users* ``users/users/``: Create User (``POST /api/v2/users``, ``{"user": {...}}``, 201; agents may create end
  users, only admins agents and admins; "Name: is too short" without a name; a second user with an e-mail address
  already in use is refused: ``Email: … is already being used by another user``), Create Many Users
  (``POST /api/v2/users/create_many``, "Accepts an array of up to 100 user objects", a job status whose results have
  ``index``, ``id``, ``status: "Created"``, ``email``; a failed user ``{index, error, details, status: "Failed"}``),
  Create Or Update Many Users (``POST /api/v2/users/create_or_update_many``, up to 100, "matches by ``email`` or
  ``external_id``": an existing user is updated, ``status: "Updated"``).
- *Organizations* ``organizations/organizations/``: Create Organization (201, "You must provide a unique name";
  ``Name: has already been taken``), Create Many Organizations (up to 100, a job status; results ``{index, id}``).
- *Groups* ``groups/groups/``: Create Group (admins; ``name`` required).
- *Ticket Fields* ``tickets/ticket_fields/``: Create Ticket Field (admins; ``type`` and ``title`` required; drop-down
  (``tagger``) and multi-select fields need ``custom_field_options``, each ``name`` and ``value``).
"""

from __future__ import annotations

from typing import Any

from ..account import Account
from ..encoding import iso
from ..generator.layout import FIRST_USER_ID
from .errors import Invalid, taken

ROLES = ("end-user", "agent", "admin")
TICKET_FIELD_TYPES = ("checkbox", "date", "decimal", "integer", "multiselect", "partialcreditcard", "regexp",
                      "tagger", "text", "textarea", "lookup")


def _name(payload: dict[str, Any], field: str = "name") -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(field, f"{field.title()}: is too short (minimum one character)", "BlankValue")
    return value


def user_record(account: Account, user_id: int, payload: dict[str, Any], now: int,
                before: dict[str, Any] | None = None) -> dict[str, Any]:
    """A user object in the members and order of the seeded users, from a request's ``user`` (merged over
    ``before`` for an update)."""
    base = account.generator.users.user(FIRST_USER_ID)
    stamp = iso(now)
    if before is None:
        record: dict[str, Any] = {key: None for key in base}
        record.update(id=user_id, url=f"{account.generator.options.base_url}/api/v2/users/{user_id}.json",
                      created_at=stamp, time_zone="Amsterdam", iana_time_zone="Europe/Amsterdam", locale_id=1,
                      locale="en-US", role="end-user", verified=False, tags=[], active=True, shared=False,
                      shared_agent=False, moderator=False, ticket_restriction="requested", only_private_comments=False,
                      restricted_agent=True, suspended=False, report_csv=False, user_fields={})
    else:
        record = dict(before)
    for key, value in payload.items():
        if key in record and key not in ("id", "url", "created_at", "updated_at"):
            record[key] = value
    role = record.get("role")
    if role not in ROLES:
        raise Invalid("role", f"Role: {role!r} is not a role")
    staff = role != "end-user"
    record.update(moderator=staff, restricted_agent=not staff, ticket_restriction=None if staff else "requested",
                  role_type=4 if role == "admin" else 0 if role == "agent" else None, updated_at=stamp)
    return record


def create_user(account: Account, payload: Any, now: int) -> dict[str, Any]:
    """Validate and store a new user (Create User); raises :class:`Invalid`."""
    if not isinstance(payload, dict):
        raise Invalid("user", "User: an object is expected")
    _name(payload)
    with account.lock:
        email = payload.get("email")
        if isinstance(email, str) and account.user_id_by_email(email) is not None:
            raise Invalid("email", f"Email: {email} is already being used by another user", "DuplicateValue")
        record = user_record(account, account.next_id("users"), payload, now)
        account.insert("users", record)
    return record


def create_or_update_user(account: Account, payload: Any, now: int) -> tuple[dict[str, Any], bool]:
    """Create Or Update: the user matched by ``email`` or ``external_id`` is updated, else one is created.
    Returns (record, created)."""
    if not isinstance(payload, dict):
        raise Invalid("user", "User: an object is expected")
    with account.lock:
        match = None
        if isinstance(payload.get("email"), str):
            match = account.user_id_by_email(payload["email"])
        if match is None and payload.get("external_id") is not None:
            match = next((uid for uid in account.user_ids() if not account.is_deleted_user(uid)
                          and account.user(uid).get("external_id") == payload["external_id"]), None)
        if match is None:
            return create_user(account, payload, now), True
        record = user_record(account, match, payload, now, before=account.user(match))
        account.replace("users", record)
    return record, False


def create_organization(account: Account, payload: Any, now: int) -> dict[str, Any]:
    """Validate and store a new organization (names are unique, case-insensitively); raises :class:`Invalid`."""
    if not isinstance(payload, dict):
        raise Invalid("organization", "Organization: an object is expected")
    name = _name(payload)
    with account.lock:
        wanted = name.strip().lower()
        if any(not account.organization(oid).get("deleted_at") and account.organization(oid)["name"].lower() == wanted
               for oid in account.organization_ids()):
            raise taken("name", "Name")
        organization_id = account.next_id("organizations")
        stamp = iso(now)
        record = {"url": f"{account.generator.options.base_url}/api/v2/organizations/{organization_id}.json",
                  "id": organization_id, "name": name, "shared_tickets": bool(payload.get("shared_tickets", False)),
                  "shared_comments": bool(payload.get("shared_comments", False)),
                  "external_id": payload.get("external_id"), "created_at": stamp, "updated_at": stamp,
                  "domain_names": list(payload.get("domain_names") or []), "details": payload.get("details"),
                  "notes": payload.get("notes"), "group_id": payload.get("group_id"),
                  "tags": list(payload.get("tags") or []),
                  "organization_fields": dict(payload.get("organization_fields") or {}), "deleted_at": None}
        account.insert("organizations", record)
    return record


def create_group(account: Account, payload: Any, now: int) -> dict[str, Any]:
    """Validate and store a new group; raises :class:`Invalid`."""
    if not isinstance(payload, dict):
        raise Invalid("group", "Group: an object is expected")
    name = _name(payload)
    with account.lock:
        group_id = account.next_id("groups")
        stamp = iso(now)
        record = {"url": f"{account.generator.options.base_url}/api/v2/groups/{group_id}.json", "id": group_id,
                  "is_public": bool(payload.get("is_public", True)), "name": name,
                  "description": payload.get("description") or "", "default": False, "deleted": False,
                  "created_at": stamp, "updated_at": stamp}
        account.insert("groups", record)
    return record


def ticket_field_record(account: Account, field_id: int, payload: dict[str, Any], stamp: str) -> dict[str, Any]:
    """A custom ticket field in the seeded fields' members and order; raises :class:`Invalid`."""
    kind = payload.get("type")
    if kind not in TICKET_FIELD_TYPES:
        raise Invalid("type", f"Type: is not included in the list ({', '.join(TICKET_FIELD_TYPES)})")
    title = payload.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Invalid("title", "Title: cannot be blank", "BlankValue")
    description = payload.get("description") or ""
    raw_title = payload.get("raw_title") or title
    record: dict[str, Any] = {
        "url": f"{account.generator.options.base_url}/api/v2/ticket_fields/{field_id}.json", "id": field_id,
        "type": kind, "title": title, "raw_title": raw_title, "description": description,
        "raw_description": payload.get("raw_description") or description,
        "position": int(payload.get("position") or 9999), "active": bool(payload.get("active", True)),
        "required": bool(payload.get("required", False)),
        "collapsed_for_agents": bool(payload.get("collapsed_for_agents", False)),
        "regexp_for_validation": payload.get("regexp_for_validation"),
        "title_in_portal": payload.get("title_in_portal") or title,
        "raw_title_in_portal": payload.get("raw_title_in_portal") or payload.get("title_in_portal") or title,
        "visible_in_portal": bool(payload.get("visible_in_portal", False)),
        "editable_in_portal": bool(payload.get("editable_in_portal", False)),
        "required_in_portal": bool(payload.get("required_in_portal", False)),
        "tag": payload.get("tag"), "created_at": stamp, "updated_at": stamp, "removable": True,
        "key": None, "agent_description": payload.get("agent_description")}
    if kind in ("tagger", "multiselect"):
        options = payload.get("custom_field_options")
        if not isinstance(options, list) or not options or not all(
                isinstance(o, dict) and o.get("name") and o.get("value") for o in options):
            raise Invalid("custom_field_options", "Field options: each option needs a name and a value", "BlankValue")
        record["custom_field_options"] = [
            {"id": field_id * 10 + k, "name": o["name"], "raw_name": o.get("raw_name") or o["name"],
             "value": o["value"], "default": bool(o.get("default", False))} for k, o in enumerate(options)]
    return record


def create_ticket_field(account: Account, payload: Any, now: int) -> dict[str, Any]:
    """Validate and store a new custom ticket field; raises :class:`Invalid`."""
    if not isinstance(payload, dict):
        raise Invalid("ticket_field", "Ticket field: an object is expected")
    with account.lock:
        record = ticket_field_record(account, account.next_id("ticket_fields"), payload, iso(now))
        account.insert("ticket_fields", record)
    return record


def add_partial(account: Account) -> None:
    """``--account partial``: a new account that already has some of the seeded account's people and fields, under
    other ids: three end users and the person of interest (an agent) with the e-mail addresses the seeded users of
    the same seed have, and a custom ticket field of the type and title of the first seeded one ("Category",
    text). A restore must reuse them (match users by e-mail, fields by type and title), not create them again."""
    generator = account.generator
    users = generator.users
    now = generator.options.epoch
    stamp = iso(now)
    with account.lock:
        for seeded_id in (*users.end_user_ids[:3], users.person_id):
            user_id = account.next_id("users")
            seeded = users.user(seeded_id)
            account.insert("users", {**seeded, "id": user_id, "organization_id": None,
                                     "url": f"{generator.options.base_url}/api/v2/users/{user_id}.json",
                                     "default_group_id": None, "created_at": stamp, "updated_at": stamp})
        account.insert("ticket_fields", ticket_field_record(
            account, account.next_id("ticket_fields"), {"type": "text", "title": "Category"}, stamp))
