"""Ticket fields: the system fields and hostile custom fields (the ids the tickets' ``custom_fields`` carry)."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..encoding import dumps, iso
from .layout import HISTORY_SECONDS
from .options import Options
from .randomness import FastRandom, mix

#: Custom ticket fields: ids are those of the tickets' ``custom_fields`` (``CUSTOM_FIELD_ID + i``), then one
#: inactive field no ticket uses. (type, title, raw_title, position, active, options, tag).
CUSTOM_FIELD_ID = 360001234567
CUSTOM_FIELDS = (
    ("text", "Category", "{{dc.category}}", 12, True, None, None),
    ("integer", "Ticket <type> & more", None, 9999, True, None, None),
    ("checkbox", "a:b", None, 10, True, None, "a_b_checked"),
    ("multiselect", "Produkt · Продукт · 製品 🛒", None, 9999, True,
     (("Option A", "option_a"), ("Option B", "option_b"), ("Ключ", "ключ"), ("Smile 😀", "😀")), None),
    ("date", "1. Priority", None, 11, True, None, None),
    ("decimal", "1. Priority", None, 9999, True, None, None),
    ("textarea", "שדה ‮RTL‬ notes", None, 9, True, None, None),
    ("tagger", "Legacy region", None, 9999, False, (("EMEA", "emea"), ("APAC", "apac"), ("Americas", "amer")), None),
)
#: System ticket fields: (id, type, title, description, position, removable, system options).
SYSTEM_FIELDS = (
    (360000100001, "subject", "Subject", "", 1, False, None),
    (360000100002, "description", "Description", "Please enter the details of your request.", 2, False, None),
    (360000100003, "status", "Status", "Request status", 3, False,
     (("Open", "open"), ("Pending", "pending"), ("Solved", "solved"))),
    (360000100004, "tickettype", "Type", "Request type", 4, True,
     (("Question", "question"), ("Incident", "incident"), ("Problem", "problem"), ("Task", "task"))),
    (360000100005, "priority", "Priority", "Request priority", 5, True,
     (("Low", "low"), ("Normal", "normal"), ("High", "high"), ("Urgent", "urgent"))),
    (360000100006, "group", "Group", "Request group", 6, False, None),
    (360000100007, "assignee", "Assignee", "Agent assigned to your request", 7, False, None),
)


def ticket_field_ids() -> tuple[int, ...]:
    """Every ticket field id, ascending (system fields first)."""
    return tuple(f[0] for f in SYSTEM_FIELDS) + tuple(CUSTOM_FIELD_ID + i for i in range(len(CUSTOM_FIELDS)))


class TicketFields:
    """The seeded ticket fields."""

    def __init__(self, options: Options) -> None:
        self.options = options

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def json(self, field_id: int) -> bytes:
        """The field's JSON, encoded once and kept."""
        return dumps(self.field(field_id))

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def field(self, field_id: int) -> dict[str, Any]:
        """A system or custom ticket field, members in the order of ``ticket_fields.json`` (real responses).

        Custom fields have the ids the tickets' ``custom_fields`` carry (plus an inactive tagger no ticket uses),
        hostile titles (two the same, scripts, markup, ``a:b``), one with a dynamic-content ``raw_title``.
        """
        rng = FastRandom(mix(self.options.seed, 23, field_id))
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, self.options.epoch - HISTORY_SECONDS)
        system = next((f for f in SYSTEM_FIELDS if f[0] == field_id), None)
        custom_options: Any = None
        if system is not None:
            _, kind, title, description, position, removable, options = system
            raw_title, active, tag = title, True, None
            system_options = options
        else:
            index = field_id - CUSTOM_FIELD_ID
            kind, title, raw_title, position, active, custom_options, tag = CUSTOM_FIELDS[index]
            raw_title = raw_title or title
            description, removable, system_options = rng.choice(("", "Agents only \u2014 <i>internal</i>")), True, None
        field: dict[str, Any] = {
            "url": f"{self.options.base_url}/api/v2/ticket_fields/{field_id}.json",
            "id": field_id,
            "type": kind,
            "title": title,
            "raw_title": raw_title,
            "description": description,
            "raw_description": description,
            "position": position,
            "active": active,
            "required": False,
            "collapsed_for_agents": False,
            "regexp_for_validation": None,
            "title_in_portal": title,
            "raw_title_in_portal": raw_title,
            "visible_in_portal": system is not None and kind in ("subject", "description"),
            "editable_in_portal": system is not None and kind in ("subject", "description"),
            "required_in_portal": system is not None and kind in ("subject", "description"),
            "tag": tag,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "removable": removable,
            "key": None,
            "agent_description": None,
        }
        if system_options is not None:
            field["system_field_options"] = [{"name": name, "value": value} for name, value in system_options]
            if kind in ("status", "priority"):
                field["sub_type_id"] = 0
        if custom_options is not None:
            field["custom_field_options"] = [
                {"id": field_id * 10 + k, "name": name, "raw_name": name, "value": value, "default": False}
                for k, (name, value) in enumerate(custom_options)]
        return field
