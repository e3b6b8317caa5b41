"""The comparable view of a record: what two backups are compared on, per stream and per mode.

Without a map (two backups of one account) a record's view is the record itself, less
``_export`` (the crawler's own note on how it fetched the ticket, not Zendesk's data).

With a map (B restored from A) a view holds only what a restore can carry over, with the
references it makes turned into what survives a restore: people by e-mail, groups and
organizations by name, custom fields by title, and ids inside configuration objects through the
id map (source side) or as they are (target side). What is left out is listed in the report
(:data:`IGNORED_WHY` and the fields each stream's records had beyond their view).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from zendesk_crawler.compare.ids import Names
from zendesk_crawler.compare.stored import StoredFiles
from zendesk_crawler.restore.id_map import IdMap
from zendesk_crawler.restore.markers import PREFIX as MARKER_PREFIX
from zendesk_crawler.restore.markers import is_marker_tag
from zendesk_crawler.restore.payloads import (
    Unmappable,
    brand_payload,
    business_rule_payload,
    field_payload,
    group_payload,
    organization_payload,
    ticket_form_payload,
    writable,
)

#: Left out of the no-map view.
CHANGES_IGNORED = ("_export",)
#: The streams a restore writes, the id map's type of each.
RESTORED = {"ticket_fields": "ticket_field", "user_fields": "user_field", "organization_fields": "organization_field",
            "groups": "group", "organizations": "organization", "users": "user", "brands": "brand",
            "custom_statuses": "custom_status", "ticket_forms": "ticket_form", "macros": "macro", "triggers": "trigger",
            "automations": "automation",
            "views": "view", "tickets": "ticket"}
#: The ticket keys a ticket's view is made of.
TICKET_KEYS = ("status", "subject", "tags", "priority", "type", "custom_fields_by_title", "requester", "assignee",
               "group", "organization", "comments")
#: The user keys a restore writes (``users/create_or_update_many``), compared as they are.
USER_KEYS = ("name", "role", "phone", "time_zone", "locale", "alias", "details", "notes", "tags", "user_fields",
             "signature", "moderator", "ticket_restriction", "only_private_comments")
#: A custom status's keys: the restore finds it in the target by category and label, and writes none.
CUSTOM_STATUS_KEYS = ("status_category", "agent_label", "end_user_label", "description", "end_user_description",
                      "active")
#: Never compared in a view built by a payload: the target decides them.
TARGET_DECIDES = {"position", "subdomain", "brand_url", "host_mapping"}
#: Why what is left out is left out (the report carries this).
IGNORED_WHY = {
    "ids, url": "the target account gives every object its own id and URL; references are compared through "
                "e-mails, names, titles and the id map instead",
    "created_at, updated_at of everything but comments": "set by the target when the restore writes "
                                                         "(tickets' are imported but are not part of a ticket's view)",
    "via, channel, metadata": "how an object arrived in the source account; an import arrives through the API",
    "marker tags (zdc_restore_*) and marker external_id": "added by the restore to find its tickets again",
    "attachments the backup did not store": "Zendesk would not serve them (deleted, malware), so the restore "
                                            "could not upload them",
    "position, subdomain, brand_url, host_mapping": "the target account decides them",
    "streams a restore does not write": "history (ticket_events, satisfaction_ratings), Help Center, side "
                                        "conversations and the configuration it cannot write are not compared",
}
_TICKET_MARKER = re.compile(r"zdc_restore_[0-9a-f]{8}_([0-9]+)")
#: A custom field's title with the field's id, as ``custom_fields_by_title`` tells apart fields of one title.
_TITLE_WITH_ID = re.compile(r"(.*) \(([0-9]+)\)")


def is_deleted(record: dict[str, Any]) -> bool:
    """A record of a deleted object: ``status: deleted`` (tickets), ``deleted: true`` (groups), ``deleted_at``."""
    return record.get("status") == "deleted" or record.get("deleted") is True or bool(record.get("deleted_at"))


def changes_view(record: dict[str, Any]) -> dict[str, Any]:
    """The view of a record when two backups of one account are compared: all of it but :data:`CHANGES_IGNORED`."""
    return {key: value for key, value in record.items() if key not in CHANGES_IGNORED}


def _email(person: Any) -> str | None:
    email = person.get("email") if isinstance(person, dict) else None
    return email.lower() if isinstance(email, str) and email else None


def _name(thing: Any) -> str | None:
    name = thing.get("name") if isinstance(thing, dict) else None
    return name if isinstance(name, str) else None


def attachment_view(attachment: Any, files: StoredFiles) -> str | None:
    """An attachment as its stored file's sha256 (``… missing`` when the file is not in the backup);
    ``None`` for one the backup did not store."""
    stored = attachment.get("stored_file") if isinstance(attachment, dict) else None
    if not isinstance(stored, dict):
        return None
    sha256, path = str(stored.get("sha256")), str(stored.get("path"))
    return sha256 if files.present(path) else f"{sha256} missing"


def comment_view(comment: dict[str, Any], files: StoredFiles) -> dict[str, Any]:
    """A comment: ``html_body`` where the backup has it (else ``body``), author by e-mail, public, created_at,
    and its stored attachment files."""
    html = comment.get("html_body")
    author = comment.get("author") if isinstance(comment.get("author"), dict) else None
    attachments = [attachment_view(item, files) for item in comment.get("attachments") or []]
    return {"body": html if isinstance(html, str) and html else comment.get("body"),
            "author": _email(author), "public": comment.get("public", True) is not False,
            "created_at": comment.get("created_at"),
            "attachments": [item for item in attachments if item is not None]}


def custom_fields_view(record: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    """A ticket's custom fields by title (``custom_fields_by_title``). Where two fields share a title the
    crawler adds the field's id (``Title (<id>)``): that id is taken through the map."""
    custom = record.get("custom_fields_by_title")
    if not isinstance(custom, dict):
        return {}
    out = {}
    for title, value in custom.items():
        match = _TITLE_WITH_ID.fullmatch(str(title))
        if match and ids.has("ticket_field", int(match.group(2))):
            title = f"{match.group(1)} ({ids.get('ticket_field', int(match.group(2)))})"
        out[title] = value
    return out


def ticket_view(record: dict[str, Any], files: StoredFiles, ids: IdMap, names: Names) -> dict[str, Any]:
    """A ticket as a restore keeps it (see the module docstring); a group or organization the record does not
    name (deleted ones) by its name in the backup's own records of them."""
    tags = [tag for tag in record.get("tags") or [] if isinstance(tag, str) and not is_marker_tag(tag)]
    return {"status": record.get("status"), "subject": record.get("subject"), "tags": sorted(tags),
            "priority": record.get("priority"), "type": record.get("type"),
            "custom_fields": custom_fields_view(record, ids),
            "requester": _email(record.get("requester")), "assignee": _email(record.get("assignee")),
            "group": _name(record.get("group")) or names.get("groups", record.get("group_id")),
            "organization": _name(record.get("organization")) or names.get("organizations",
                                                                           record.get("organization_id")),
            "comments": [comment_view(comment, files) for comment in record.get("comments") or []
                         if isinstance(comment, dict)]}


def user_view(record: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    """A user: e-mail, what a restore writes of it, its organization through the map."""
    view = {key: record.get(key) for key in USER_KEYS}
    view["email"] = _email(record)
    external = record.get("external_id")
    view["external_id"] = None if isinstance(external, str) and external.startswith(MARKER_PREFIX) else external
    organization = record.get("organization_id")
    view["organization"] = ids.get("organization", organization) if ids.has("organization", organization) \
        else None if organization is None else f"unmapped {organization}"
    return view


def _payload_view(build: Callable[[], dict[str, Any]], record: dict[str, Any]) -> dict[str, Any]:
    try:
        view = build()
    except Unmappable as exc:
        view = {**writable(record), "unmappable": str(exc)}
    return {key: value for key, value in view.items() if key not in TARGET_DECIDES}


def restore_view(stream: str, record: dict[str, Any], ids: IdMap, files: StoredFiles,
                 names: Names) -> dict[str, Any]:
    """The view of a record of a restored stream, ids as ``ids`` sees them."""
    if stream == "tickets":
        return ticket_view(record, files, ids, names)
    if stream == "users":
        return user_view(record, ids)
    if stream in ("ticket_fields", "user_fields", "organization_fields"):
        return _payload_view(lambda: field_payload(record), record)
    if stream == "groups":
        return group_payload(record)
    if stream == "custom_statuses":
        return {key: record.get(key) for key in CUSTOM_STATUS_KEYS}
    if stream == "organizations":
        return _payload_view(lambda: organization_payload(record), record)
    if stream == "brands":
        return _payload_view(lambda: brand_payload(record), record)
    if stream == "ticket_forms":
        return _payload_view(lambda: ticket_form_payload(record, ids), record)
    return _payload_view(lambda: business_rule_payload(stream, record, ids), record)


def match_key(stream: str, record: dict[str, Any], source: bool) -> str | None:
    """What an object is matched by when the id map does not name it: users by e-mail, fields by type and title,
    groups, organizations and brands by name, configuration by title; a target ticket by its marker tag."""
    if stream == "tickets":
        if source:
            return str(record.get("id"))
        for tag in record.get("tags") or []:
            if isinstance(tag, str) and (match := _TICKET_MARKER.fullmatch(tag)):
                return match.group(1)
        return None
    if stream == "users":
        return _email(record)
    if stream.endswith("_fields"):
        return f"{record.get('type')}\x1f{record.get('title')}"
    if stream == "custom_statuses":
        return f"{record.get('status_category')}\x1f{record.get('agent_label')}"
    if stream in ("groups", "organizations", "brands", "ticket_forms"):
        name = record.get("name")
    else:
        name = record.get("title")
    return name if isinstance(name, str) else None


def view_keys(stream: str) -> set[str] | None:
    """The record keys a stream's restore view is made of (``None``: the keys the view itself has)."""
    if stream == "tickets":
        return set(TICKET_KEYS)
    if stream == "users":
        return {*USER_KEYS, "email", "external_id", "organization_id"}
    return None
