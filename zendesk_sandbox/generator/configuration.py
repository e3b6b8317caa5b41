"""The account's configuration: forms, custom fields, brands, statuses, business rules, SLAs, schedules, dynamic
content and memberships, as the configuration endpoints list them.

Everything points at the rest of the account by id: triggers, automations, macros and views name real groups,
agents (``assignee_id``), custom ticket fields (``custom_fields_<id>``), brands, ticket forms and custom statuses;
ticket forms list real ticket field ids; memberships join the real agents and groups, end users and organizations;
the custom organization and user fields carry the keys the organizations' and users' records use. Hostile: titles
that repeat, many scripts, markup, dynamic-content placeholders, empty condition sets, values of every JSON type.

A fixed size (more than 150 macros, so the cursor lists take several pages at small page sizes), built once per
sandbox in a few milliseconds, each object encoded once. Member order copies ``tests/fixtures/zendesk-samples``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from .. import content
from ..encoding import dumps, iso
from .groups import DELETED_GROUP_ID, GROUP_IDS
from .layout import HISTORY_SECONDS
from .options import Options
from .organizations import ORGANIZATION_FIELD_KEYS, Organizations
from .randomness import FastRandom, mix
from .states import CUSTOM_STATUS_IDS
from .ticket_fields import CUSTOM_FIELD_ID, CUSTOM_FIELDS, ticket_field_ids
from .users import Users

#: Brands: (id, name, subdomain, active, default); the tickets carry the first two (see ``tickets.brand_of``).
BRANDS = (
    (360000333444, "Sandbox Support", "sandbox", True, True),
    (360000333445, "Sandbox Ünïcode 🛒 Store", "store", True, False),
    (360000333446, "<Legacy> & \"Old\" brand", "legacy", False, False),
)
BRAND_IDS = tuple(brand[0] for brand in BRANDS)
#: Ticket forms: (id, name, active, default, end_user_visible, restricted brand ids); the tickets carry the first two.
TICKET_FORMS = (
    (360000222333, "Default Ticket Form", True, True, True, ()),
    (360000222334, "Störung · Сбой · 障害 {{dc.category}}", True, False, True, (360000333445,)),
    (360000222335, "Billing <b>form</b> & \"refunds\"", True, False, False, ()),
    (360000222336, "Retired form", False, False, False, (360000333446,)),
)
TICKET_FORM_IDS = tuple(form[0] for form in TICKET_FORMS)
#: Custom statuses beyond the system ones the tickets carry: (id, category, agent label, active, default).
EXTRA_STATUSES = (
    (360000111226, "open", "Escalated — 升级 🔥", True, False),
    (360000111227, "pending", "Waiting on <vendor> & \"partner\"", True, False),
    (360000111228, "hold", "Parked ‮RTL‬", False, False),
    (360000111229, "solved", "Solved (auto)", True, False),
)
#: Locales of the dynamic content variants: (locale id, sample text).
DC_LOCALES = ((1, "Hello — thanks for writing in!"), (8, "Grüße – danke für Ihre Nachricht."),
              (16, "Bonjour, merci pour votre message ! « ça va ? »"), (66, "مرحبا، شكرا لتواصلك معنا"),
              (30, "שלום, תודה שפנית אלינו"), (67, "お問い合わせありがとうございます。"),
              (27, "Здравствуйте! Спасибо за обращение."))
#: How many of each kind (the macros span several cursor pages at ``ZENDESK_LIST_PAGE_SIZE`` of 100 or less).
COUNTS = {"macros": 160, "triggers": 40, "automations": 12, "views": 30, "dynamic_content": 12}
#: The first id of each kind.
FIRST_IDS = {"user_fields": 360000444000, "organization_fields": 360000555000, "macros": 360000600000,
             "triggers": 360000700000, "automations": 360000800000, "views": 360000900000,
             "sla_policies": 360001000000, "schedules": 360001100000, "dynamic_content": 360001200000,
             "variants": 360001300000, "group_memberships": 360001400000, "organization_memberships": 360001500000}
#: Custom user fields: (key, type, title); the users' ``user_fields`` carry ``plan`` and ``account_no``.
USER_FIELDS = (("plan", "dropdown", "Plan"), ("account_no", "integer", "Account №"),
               ("vip", "checkbox", "VIP 🌟"), ("1st_contact", "date", "First contact"),
               ("notes_ключ", "textarea", "Notes <internal> & \"private\""), ("a:b", "regexp", "a:b"))
#: The type of each organization field key (``ORGANIZATION_FIELD_KEYS``, the keys every organization carries).
ORGANIZATION_FIELD_TYPES = ("text", "integer", "decimal", "checkbox", "text", "textarea", "dropdown", "date")
#: Each stream's list key and the sort order its cursor list uses (``api.LIST_KEY_TYPES``).
LIST_KEYS = {"ticket_forms": "ticket_forms", "user_fields": "user_fields", "organization_fields": "organization_fields",
             "brands": "brands", "custom_statuses": "custom_statuses", "macros": "macros", "triggers": "triggers",
             "automations": "automations", "views": "views", "sla_policies": "sla_policies", "schedules": "schedules",
             "dynamic_content": "items", "group_memberships": "group_memberships",
             "organization_memberships": "organization_memberships"}
STREAMS = tuple(LIST_KEYS)


#: A view's ``all`` conditions must check one of these (Create View: "at least one condition in the all array that
#: checks one of the following fields: status, type, group_id, assignee_id, or requester_id"; custom_status_id in
#: accounts with custom statuses, the sandbox's reading).
VIEW_KEY_FIELDS = ("status", "type", "group_id", "assignee_id", "requester_id", "custom_status_id")


def _viewable(conditions: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """A view's conditions as Zendesk takes them: a status condition first when ``all`` checks no key field."""
    if any(c["field"] in VIEW_KEY_FIELDS for c in conditions["all"]):
        return conditions
    return {**conditions, "all": [{"field": "status", "operator": "less_than", "value": "solved"}, *conditions["all"]]}


class Configuration:
    """The seeded configuration objects, per stream in list order as (sort key, JSON); built on first use."""

    def __init__(self, options: Options, users: Users, organizations: Organizations) -> None:
        self.options = options
        self.users = users
        self.organizations = organizations

    # ------------------------------------------------------------- reading

    def records(self, stream: str) -> list[tuple[tuple[Any, ...], bytes]]:
        """The stream's objects in the list's order, each as (its cursor sort key, its JSON)."""
        return self._built[stream]

    def objects(self, stream: str) -> list[bytes]:
        """The stream's objects' JSON in list order."""
        return [json_ for _, json_ in self._built[stream]]

    @cached_property
    def _built(self) -> dict[str, list[tuple[tuple[Any, ...], bytes]]]:
        builders: dict[str, Callable[[], list[tuple[tuple[Any, ...], dict[str, Any]]]]] = {
            "ticket_forms": self._ticket_forms, "user_fields": self._user_fields,
            "organization_fields": self._organization_fields, "brands": self._brands,
            "custom_statuses": self._custom_statuses, "macros": self._macros, "triggers": self._triggers,
            "automations": self._automations, "views": self._views, "sla_policies": self._sla_policies,
            "schedules": self._schedules, "dynamic_content": self._dynamic_content,
            "group_memberships": self._group_memberships, "organization_memberships": self._organization_memberships,
        }
        return {stream: sorted(((key, dumps(obj)) for key, obj in build()), key=lambda r: r[0])
                for stream, build in builders.items()}

    # ------------------------------------------------------------- helpers

    def _rng(self, kind: int, record_id: int) -> FastRandom:
        return FastRandom(mix(self.options.seed, 60 + kind, record_id))

    def _times(self, rng: FastRandom) -> tuple[str, str]:
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, self.options.epoch - HISTORY_SECONDS)
        return iso(created), iso(updated)

    def _url(self, path: str) -> str:
        return f"{self.options.base_url}/api/v2/{path}.json"

    def _agents(self) -> tuple[int, ...]:
        return self.users.agent_ids

    def _live_groups(self) -> tuple[int, ...]:
        return tuple(gid for gid in GROUP_IDS if gid != DELETED_GROUP_ID)

    def _ticket_conditions(self, rng: FastRandom, count: int) -> list[dict[str, Any]]:
        """Conditions that point at the account's objects by id (the ids as strings, as Zendesk gives them)."""
        field = CUSTOM_FIELD_ID + rng.randrange(len(CUSTOM_FIELDS))
        pool = [
            {"field": "group_id", "operator": "is", "value": str(rng.choice(GROUP_IDS))},
            {"field": "assignee_id", "operator": "is", "value": str(rng.choice(self._agents()))},
            {"field": "brand_id", "operator": "is", "value": str(rng.choice(BRAND_IDS))},
            {"field": "ticket_form_id", "operator": "is", "value": str(rng.choice(TICKET_FORM_IDS))},
            {"field": "custom_status_id", "operator": "includes",
             "value": [str(rng.choice(tuple(CUSTOM_STATUS_IDS.values()))), str(EXTRA_STATUSES[0][0])]},
            {"field": f"custom_fields_{field}", "operator": "is", "value": rng.choice(("option_a", "ключ", "😀"))},
            {"field": "organization_id", "operator": "is", "value": str(rng.choice(self.organizations.ids))},
            {"field": "requester_id", "operator": "is", "value": str(rng.choice(self.users.end_user_ids))},
            {"field": "status", "operator": "less_than", "value": "solved"},
            {"field": "current_tags", "operator": "includes", "value": rng.choice(("vip billing", "ключ 😀", ""))},
            {"field": "subject_includes_word", "operator": "includes", "value": rng.choice(content.SCRIPTS)[:30]},
            {"field": "priority", "operator": "is_not", "value": "low"},
        ]
        start = rng.randrange(len(pool))
        return [pool[(start + k * 5) % len(pool)] for k in range(count)]

    def _ticket_actions(self, rng: FastRandom, count: int) -> list[dict[str, Any]]:
        """Actions that set the account's objects by id."""
        field = CUSTOM_FIELD_ID + rng.randrange(len(CUSTOM_FIELDS))
        pool = [
            {"field": "group_id", "value": str(rng.choice(self._live_groups()))},
            {"field": "assignee_id", "value": str(rng.choice(self._agents()))},
            {"field": "brand_id", "value": str(rng.choice(BRAND_IDS[:2]))},
            {"field": "ticket_form_id", "value": str(rng.choice(TICKET_FORM_IDS[:3]))},
            {"field": "custom_status_id", "value": str(rng.choice(EXTRA_STATUSES)[0])},
            {"field": f"custom_fields_{field}", "value": rng.choice(("billing", "12.50", ["option_a", "ключ"]))},
            {"field": "set_tags", "value": rng.choice(("vip ключ", "😀 <b>tag</b>"))},
            {"field": "priority", "value": rng.choice(("high", "urgent"))},
            {"field": "notification_group", "value": [str(rng.choice(self._live_groups())), "{{ticket.title}} 🔔",
                                                      "Ticket {{ticket.id}}: " + rng.choice(content.SCRIPTS)]},
            {"field": "notification_user", "value": [str(rng.choice(self._agents())), "[{{ticket.account}}] Re",
                                                     rng.choice(content.MARKUP)]},
            {"field": "follower", "value": str(rng.choice(self._agents()))},
        ]
        start = rng.randrange(len(pool))
        return [pool[(start + k * 3) % len(pool)] for k in range(count)]

    def _condition_sets(self, rng: FastRandom) -> dict[str, list[dict[str, Any]]]:
        shape = rng.randrange(4)
        if shape == 0:  # the least Zendesk takes: one "all" condition (a trigger or a view with none is refused)
            return {"all": [{"field": "status", "operator": "less_than", "value": "solved"}], "any": []}
        return {"all": self._ticket_conditions(rng, 1 + rng.randrange(3)),
                "any": self._ticket_conditions(rng, rng.randrange(3)) if shape > 1 else []}

    def _title(self, rng: FastRandom, kind: str, index: int) -> tuple[str, str]:
        """A title and its raw title: repeats, scripts, markup, emoji, dynamic-content placeholders."""
        choice = index % 7
        if choice == 0:
            return f"{kind} (same title)", f"{kind} (same title)"
        if choice == 1:
            title = f"{rng.choice(content.SCRIPTS)[:40]} #{index}"
            return title, title
        if choice == 2:
            return f"Greeting #{index}", "{{dc.greeting}} " + f"#{index}"
        if choice == 3:
            title = f"{rng.choice(content.MARKUP)[:30]} #{index}"
            return title, title
        title = f"{kind} {rng.choice(content.EMOJI)} #{index}"
        return title, title

    # ------------------------------------------------------------- streams

    def _ticket_forms(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        custom = [CUSTOM_FIELD_ID + i for i in range(len(CUSTOM_FIELDS))]
        system = [fid for fid in ticket_field_ids() if fid < CUSTOM_FIELD_ID]
        for position, (form_id, name, active, default, visible, brands) in enumerate(TICKET_FORMS):
            rng = self._rng(1, form_id)
            created, updated = self._times(rng)
            fields = system[:2] + [system[2 + k] for k in range(len(system) - 2) if rng.random() < 0.8] + \
                [fid for fid in custom if rng.random() < 0.7]
            raw_name = name.replace("{{dc.category}}", "").strip()
            out.append(((form_id,), {
                "id": form_id,
                "url": self._url(f"ticket_forms/{form_id}"),
                "name": raw_name if "{{" in name else name,
                "raw_name": name,
                "display_name": raw_name,
                "raw_display_name": name,
                "end_user_visible": visible,
                "position": position,
                "ticket_field_ids": fields,
                "active": active,
                "default": default,
                "in_all_brands": not brands,
                "restricted_brand_ids": list(brands),
                "end_user_conditions": [] if position != 1 else [
                    {"parent_field_id": custom[2], "parent_field_type": "checkbox", "value": True,
                     "child_fields": [{"id": custom[0], "is_required": False}]}],
                "agent_conditions": [] if position != 1 else [
                    {"parent_field_id": custom[3], "parent_field_type": "multiselect", "value": "ключ",
                     "child_fields": [{"id": custom[1], "is_required": True,
                                       "required_on_statuses": {"type": "SOME_STATUSES",
                                                                "statuses": ["solved"]}}]}],
                "created_at": created,
                "updated_at": updated,
            }))
        return out

    def _custom_fields(self, kind: int, path: str, rows: list[tuple[str, str, str]]
                       ) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        for index, (key, field_type, title) in enumerate(rows):
            field_id = FIRST_IDS[path] + index
            rng = self._rng(kind, field_id)
            created, updated = self._times(rng)
            field: dict[str, Any] = {
                "url": self._url(f"{path}/{field_id}"),
                "id": field_id,
                "type": field_type,
                "key": key,
                "title": title,
                "description": rng.choice(("", "Set by the CRM sync", content.MARKUP[2])),
                "raw_title": "{{dc.category}}" if index == 4 else title,
                "raw_description": "",
                "position": index if index % 3 else 9999,
                "active": index != len(rows) - 1,
                "system": False,
                "regexp_for_validation": r"\A[0-9]+\z" if field_type == "regexp" else None,
                "created_at": created,
                "updated_at": updated,
            }
            field["raw_description"] = field["description"]
            if field_type == "dropdown":
                field["custom_field_options"] = [
                    {"id": field_id * 10 + k, "name": name, "raw_name": name, "value": value}
                    for k, (name, value) in enumerate((("Gold", "gold"), ("Free", "free"), ("Prämie 💎", "premium")))]
            out.append(((field["position"], field_id), field))
        return out

    def _user_fields(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return self._custom_fields(2, "user_fields", list(USER_FIELDS))

    def _organization_fields(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        rows = [(key, kind, key.replace("_", " ").title()) for key, kind
                in zip(ORGANIZATION_FIELD_KEYS, ORGANIZATION_FIELD_TYPES, strict=True)]
        return self._custom_fields(3, "organization_fields", rows)

    def _brands(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        for brand_id, name, subdomain, active, default in BRANDS:
            rng = self._rng(4, brand_id)
            created, updated = self._times(rng)
            logo = None if not active else {
                "url": self._url(f"attachments/{brand_id + 9000}"),
                "id": brand_id + 9000,
                "file_name": f"{subdomain}_logo.png",
                "content_url": f"{self.options.base_url}/system/brands/{brand_id}/{subdomain}_logo.png",
                "mapped_content_url": f"https://{subdomain}.example.com/system/brands/{subdomain}_logo.png",
                "content_type": "image/png",
                "size": rng.randint(2000, 200000),
                "thumbnails": [],
            }
            out.append(((name, brand_id), {
                "id": brand_id,
                "url": self._url(f"brands/{brand_id}"),
                "name": name,
                "brand_url": f"https://{subdomain}.example.com",
                "has_help_center": default,
                "help_center_state": "enabled" if default else "disabled",
                "active": active,
                "default": default,
                "is_deleted": False,
                "logo": logo,
                "ticket_form_ids": [form[0] for form in TICKET_FORMS if not form[5] or brand_id in form[5]],
                "signature_template": "{{agent.signature}}\n" + rng.choice(content.SCRIPTS)[:40],
                "created_at": created,
                "updated_at": updated,
                "subdomain": f"{subdomain}-sandbox",
                "host_mapping": None if default else f"{subdomain}.example.com",
            }))
        return out

    def _custom_statuses(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        rows = [(sid, "solved" if status == "closed" else status,
                 "Closed" if status == "closed" else status.title(), True, status not in ("closed",))
                for status, sid in CUSTOM_STATUS_IDS.items()] + list(EXTRA_STATUSES)
        out = []
        for status_id, category, label, active, default in rows:
            rng = self._rng(5, status_id)
            created, updated = self._times(rng)
            description = rng.choice((None, "", "Ticket is waiting — " + rng.choice(content.SCRIPTS)[:30]))
            out.append(((status_id,), {
                "url": self._url(f"custom_statuses/{status_id}"),
                "id": status_id,
                "status_category": category,
                "agent_label": label,
                "raw_agent_label": label,
                "end_user_label": "Awaiting your reply" if category == "pending" else label,
                "raw_end_user_label": "Awaiting your reply" if category == "pending" else label,
                "description": description,
                "raw_description": description,
                "end_user_description": None,
                "raw_end_user_description": None,
                "active": active,
                "default": default,
                "created_at": created,
                "updated_at": updated,
            }))
        return out

    def _macros(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        for index in range(COUNTS["macros"]):
            macro_id = FIRST_IDS["macros"] + index
            rng = self._rng(6, macro_id)
            created, updated = self._times(rng)
            title, raw_title = self._title(rng, "Macro", index)
            actions = self._ticket_actions(rng, 1 + rng.randrange(4))
            if rng.random() < 0.5:
                actions.append({"field": "comment_value_html",
                                "value": f"<p>{rng.choice(content.SCRIPTS)}</p> {{{{ticket.requester.name}}}}"})
            restriction = rng.choice((None, None, {"type": "Group", "id": GROUP_IDS[1], "ids": list(GROUP_IDS[1:3])},
                                      {"type": "User", "id": rng.choice(self._agents())}))
            out.append(((title, macro_id), {
                "url": self._url(f"macros/{macro_id}"),
                "id": macro_id,
                "title": title,
                "active": index % 11 != 5,
                "updated_at": updated,
                "created_at": created,
                "default": False,
                "position": index if index % 4 else 9999,
                "description": rng.choice((None, "", rng.choice(content.SPECIAL))),
                "actions": actions,
                "restriction": restriction,
                "raw_title": raw_title,
            }))
        return out

    def _triggers(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        for index in range(COUNTS["triggers"]):
            trigger_id = FIRST_IDS["triggers"] + index
            rng = self._rng(7, trigger_id)
            created, updated = self._times(rng)
            title, raw_title = self._title(rng, "Trigger", index)
            position = index // 2 + 1  # two triggers share each position
            out.append(((position, trigger_id), {
                "url": self._url(f"triggers/{trigger_id}"),
                "id": trigger_id,
                "title": title,
                "active": index % 9 != 4,
                "updated_at": updated,
                "created_at": created,
                "default": index < 2,
                "actions": self._ticket_actions(rng, 1 + rng.randrange(3)),
                "conditions": self._condition_sets(rng),
                "description": rng.choice((None, "Routes VIP tickets — " + rng.choice(content.SCRIPTS)[:30])),
                "position": position,
                "raw_title": raw_title,
                "category_id": str(360000123000 + index % 3),
            }))
        return out

    def _automations(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        for index in range(COUNTS["automations"]):
            automation_id = FIRST_IDS["automations"] + index
            rng = self._rng(8, automation_id)
            created, updated = self._times(rng)
            title, raw_title = self._title(rng, "Automation", index)
            conditions = self._condition_sets(rng)
            # Zendesk requires a time-based condition in every automation.
            conditions["all"] = [{"field": rng.choice(("SOLVED", "PENDING", "NEW")), "operator": "greater_than",
                                  "value": str(rng.randint(1, 720))}, *conditions["all"]]
            out.append(((index, automation_id), {
                "url": self._url(f"automations/{automation_id}"),
                "id": automation_id,
                "title": title,
                "active": index % 5 != 3,
                "updated_at": updated,
                "created_at": created,
                "default": index == 0,
                "actions": self._ticket_actions(rng, 1 + rng.randrange(3)),
                "conditions": conditions,
                "position": index,
                "raw_title": raw_title,
            }))
        return out

    def _views(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        base = [("subject", "Subject", False, False), ("requester", "Requester", True, True),
                ("created", "Requested", False, True), ("group", "Group", True, True),
                ("assignee", "Assignee", True, True), ("brand", "Brand", True, True)]
        for index in range(COUNTS["views"]):
            view_id = FIRST_IDS["views"] + index
            rng = self._rng(9, view_id)
            created, updated = self._times(rng)
            title, raw_title = self._title(rng, "View", index)
            columns = [{"id": cid, "title": ctitle, "filterable": filterable, "sortable": sortable}
                       for cid, ctitle, filterable, sortable in base if cid == "subject" or rng.random() < 0.6]
            customs = [{"id": CUSTOM_FIELD_ID + k, "title": CUSTOM_FIELDS[k][1], "type": CUSTOM_FIELDS[k][0],
                        "url": self._url(f"ticket_fields/{CUSTOM_FIELD_ID + k}")}
                       for k in range(len(CUSTOM_FIELDS) - 1) if rng.random() < 0.3]
            sort = rng.choice((None, {"id": "created", "title": "Requested", "filterable": False, "sortable": True,
                                      "order": "desc"}))
            group = rng.choice((None, {"id": "group", "title": "Group", "filterable": True, "sortable": True,
                                       "order": "asc"}))
            restriction = rng.choice((None, {"type": "Group", "id": GROUP_IDS[3], "ids": [GROUP_IDS[3]]},
                                      {"type": "User", "id": rng.choice(self._agents())}))
            out.append(((created, view_id), {
                "url": self._url(f"views/{view_id}"),
                "id": view_id,
                "title": title,
                "active": index % 6 != 2,
                "updated_at": updated,
                "created_at": created,
                "default": index < 3,
                "position": index,
                "description": rng.choice((None, rng.choice(content.SCRIPTS))),
                "execution": {
                    "group_by": group and group["id"],
                    "group_order": "asc",
                    "sort_by": sort and sort["id"],
                    "sort_order": "desc",
                    "group": group,
                    "sort": sort,
                    "columns": columns + [{"id": c["id"], "title": c["title"], "type": c["type"], "url": c["url"]}
                                          for c in customs],
                    "fields": columns,
                    "custom_fields": customs,
                },
                "conditions": _viewable(self._condition_sets(rng)) if index % 5 else {
                    "all": [{"field": "status", "operator": "less_than", "value": "solved"}], "any": []},
                "restriction": restriction,
                "raw_title": raw_title,
            }))
        return out

    def _sla_policies(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        rows = (("Urgent incidents ⏱", [{"field": "ticket_type_id", "operator": "is", "value": "2"}]),
                ("VIP brand · فرع", [{"field": "brand_id", "operator": "is", "value": str(BRAND_IDS[1])},
                                      {"field": "group_id", "operator": "is", "value": str(GROUP_IDS[1])}]),
                ("<Billing> & \"refunds\"", [{"field": "ticket_form_id", "operator": "is",
                                             "value": str(TICKET_FORM_IDS[2])},
                                            {"field": f"custom_fields_{CUSTOM_FIELD_ID}", "operator": "is",
                                             "value": "billing"}]),
                ("Organizations (any)", []))
        out = []
        for index, (title, conditions) in enumerate(rows):
            policy_id = FIRST_IDS["sla_policies"] + index
            rng = self._rng(10, policy_id)
            created, updated = self._times(rng)
            metrics = [{"priority": priority, "metric": metric, "target": rng.randint(10, 2880),
                        "business_hours": rng.random() < 0.5}
                       for priority in ("low", "normal", "high", "urgent")
                       for metric in ("first_reply_time", "requester_wait_time") if rng.random() < 0.7]
            any_conditions = [{"field": "organization_id", "operator": "is",
                               "value": str(self.organizations.ids[k])} for k in range(2)] if index == 3 else []
            out.append(((index + 1, policy_id), {
                "url": self._url(f"slas/policies/{policy_id}"),
                "id": policy_id,
                "title": title,
                "description": rng.choice(("", "For urgent incidents, we respond within 10 minutes.")),
                "position": index + 1,
                "filter": {"all": conditions, "any": any_conditions},
                "policy_metrics": metrics,
                "created_at": created,
                "updated_at": updated,
            }))
        return out

    def _schedules(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        rows = (("Business Hours", "Amsterdam", [(1440 * day + 540, 1440 * day + 1020) for day in range(1, 6)]),
                ("Ночная смена 🌙", "Moscow", [(1440 * day + 1320, 1440 * (day + 1)) for day in range(0, 7)]),
                ("<APAC> & \"weekend\"", "Tokyo", []))
        out = []
        for index, (name, zone, intervals) in enumerate(rows):
            schedule_id = FIRST_IDS["schedules"] + index
            rng = self._rng(11, schedule_id)
            created, updated = self._times(rng)
            out.append(((name, schedule_id), {
                "url": self._url(f"business_hours/schedules/{schedule_id}"),
                "id": schedule_id,
                "name": name,
                "time_zone": zone,
                "created_at": created,
                "updated_at": updated,
                "intervals": [{"start_time": start, "end_time": end} for start, end in intervals],
            }))
        return out

    def _dynamic_content(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        names = ["greeting", "category"] + [f"snippet_{k}" for k in range(COUNTS["dynamic_content"] - 2)]
        out = []
        for index, name in enumerate(names):
            item_id = FIRST_IDS["dynamic_content"] + index
            rng = self._rng(12, item_id)
            created, updated = self._times(rng)
            locales = [DC_LOCALES[0]] + [loc for loc in DC_LOCALES[1:] if rng.random() < 0.5]
            variants = []
            for k, (locale_id, text) in enumerate(locales):
                variant_id = FIRST_IDS["variants"] + index * 10 + k
                variants.append({
                    "url": self._url(f"dynamic_content/items/{item_id}/variants/{variant_id}"),
                    "id": variant_id,
                    "content": text if k % 3 else f"{text} {rng.choice(content.EMOJI)} {rng.choice(content.MARKUP)}",
                    "locale_id": locale_id,
                    "outdated": k == 2,
                    "active": k != 3,
                    "default": k == 0,
                    "created_at": created,
                    "updated_at": updated,
                })
            out.append(((item_id,), {
                "url": self._url(f"dynamic_content/items/{item_id}"),
                "id": item_id,
                "name": name if index < 2 else f"{name} — {rng.choice(content.SCRIPTS)[:20]}",
                "placeholder": "{{dc." + name + "}}",
                "default_locale_id": 1,
                "outdated": index % 4 == 3,
                "created_at": created,
                "updated_at": updated,
                "variants": variants,
            }))
        return out

    def _group_memberships(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        number = 0
        live = self._live_groups()
        for agent in self._agents():
            rng = self._rng(13, agent)
            groups = [live[0]] + [gid for gid in live[1:] if rng.random() < 0.35]
            for gid in groups:
                membership_id = FIRST_IDS["group_memberships"] + number
                number += 1
                created, updated = self._times(rng)
                out.append(((membership_id,), {
                    "url": self._url(f"group_memberships/{membership_id}"),
                    "id": membership_id,
                    "user_id": agent,
                    "group_id": gid,
                    "default": gid == live[0],
                    "created_at": created,
                    "updated_at": updated,
                }))
        return out

    def _organization_memberships(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        out = []
        number = 0
        ids = self.organizations.ids
        for index, user_id in enumerate(self.users.end_user_ids):
            if user_id in self.users.deleted_ids:
                continue
            organization = self.users.identity(user_id)[2]
            if organization is None:
                continue
            rng = self._rng(14, user_id)
            organizations = [organization]
            other = ids[(ids.index(organization) + 1 + index) % len(ids)]
            if index % 4 == 1 and other != organization:  # a second, not the default, organization
                organizations.append(other)
            for k, oid in enumerate(organizations):
                membership_id = FIRST_IDS["organization_memberships"] + number
                number += 1
                created, updated = self._times(rng)
                out.append(((membership_id,), {
                    "url": self._url(f"organization_memberships/{membership_id}"),
                    "id": membership_id,
                    "user_id": user_id,
                    "organization_id": oid,
                    "default": k == 0,
                    "organization_name": self.organizations.organization(oid)["name"],
                    "view_tickets": rng.random() < 0.5,
                    "created_at": created,
                    "updated_at": updated,
                }))
        return out
