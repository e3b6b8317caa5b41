"""The configuration lists as the account has them: the seeded objects (or, in a new account, Zendesk's defaults)
plus those created by ``POST`` to the lists' own paths (``/api/v2/ticket_forms``, ``/api/v2/macros``, ...).

Create endpoints (each ``POST`` to the list's path, body ``{"<singular>": {...}}``, answer 201
``{"<singular>": {...}}``; admins only; a view's ``all`` conditions must check status, type, group, assignee or
requester): Ticket Forms, User Fields, Organization Fields, Brands, Macros, Triggers,
Automations, Views (https://developer.zendesk.com/api-reference/ticketing/ ...
``tickets/ticket_forms/#create-ticket-form``,
``users/user_fields/#create-user-field``, ``organizations/organization_fields/#create-organization-field``,
``account-configuration/brands/#create-brand``, ``business-rules/macros/#create-macro``,
``business-rules/triggers/#create-trigger``, ``business-rules/automations/#create-automation``,
``business-rules/views/#create-view``). Validations as documented there: a macro needs ``title`` and ``actions``; a
trigger and an automation ``title``, ``conditions`` (``all`` or ``any``) and ``actions``; a view ``title`` and
``all`` or ``any`` conditions; a brand ``name`` and a unique ``subdomain``; a custom user or organization field
``type``, ``title`` and a unique ``key``; a ticket form ``name``. Stored members follow the seeded objects' (the
recorded samples in ``tests/fixtures/zendesk-samples``), the values as given, the rest Zendesk's defaults.

A new account's defaults (``--account empty``): the "Default Ticket Form", the default brand, the standard triggers
(names from *About the standard Support triggers*, support.zendesk.com/hc/en-us/articles/4408828984346), and views,
automations and macros by the titles a new account shows (from Zendesk's help center on default views, automations
and macros, **not re-read this session**).
"""

from __future__ import annotations

import threading
from typing import Any

from .. import configuration
from ..clock import Clock
from ..encoding import dumps, iso
from ..generator import Generator
from ..generator.configuration import VIEW_KEY_FIELDS
from ..generator.states import CUSTOM_STATUS_IDS
from ..generator.ticket_fields import SYSTEM_FIELDS
from .errors import Invalid, taken

#: Streams a ``POST`` creates in, with the request's and answer's key.
SINGULAR = {"ticket_forms": "ticket_form", "user_fields": "user_field", "organization_fields": "organization_field",
            "brands": "brand", "macros": "macro", "triggers": "trigger", "automations": "automation",
            "views": "view"}
FIRST_IDS = {stream: 369000000000 + k * 1_000_000 for k, stream in enumerate(SINGULAR)}
ORDERS = {e.stream: e.order for e in configuration.ENDPOINTS}
#: Field types of custom user and organization fields.
FIELD_TYPES = ("checkbox", "date", "decimal", "dropdown", "integer", "lookup", "multiselect", "regexp", "text",
               "textarea")
DEFAULT_TRIGGERS = ("Notify requester and CCs of received request", "Notify requester of new proactive ticket",
                    "Notify requester and CCs of comment update", "Notify assignee of comment update",
                    "Notify assignee of assignment", "Notify assignee of reopened ticket", "Notify group of assignment",
                    "Notify all agents of received request", "Auto-assign to first email responding agent")
DEFAULT_VIEWS = ("Your unsolved tickets", "Unassigned tickets", "All unsolved tickets", "Recently updated tickets",
                 "Pending tickets", "Recently solved tickets", "Deleted tickets")
DEFAULT_AUTOMATIONS = ("Close ticket 4 days after status is set to solved", "Pending notification 24 hours",
                       "Pending notification 5 days")
DEFAULT_MACROS = ("Close and redirect to topics", "Customer not responding", "Downgrade and inform", "Take it!")


def _key(stream: str, obj: dict[str, Any]) -> tuple[Any, ...]:
    order = ORDERS.get(stream) or "id"
    return tuple(obj[name] for name in order.split(","))


def _text(payload: dict[str, Any], name: str, label: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(name, f"{label}: cannot be blank", "BlankValue")
    return value


def _conditions(payload: dict[str, Any], required: bool) -> dict[str, Any]:
    conditions = payload.get("conditions")
    if conditions is None and ("all" in payload or "any" in payload):  # views take all/any at the top level
        conditions = {"all": payload.get("all") or [], "any": payload.get("any") or []}
    if not isinstance(conditions, dict):
        conditions = {}
    out = {"all": conditions.get("all") or [], "any": conditions.get("any") or []}
    if required and not out["all"] and not out["any"]:
        raise Invalid("conditions", "Conditions: must have at least one condition", "BlankValue")
    return out


def _actions(payload: dict[str, Any]) -> list[Any]:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        raise Invalid("actions", "Actions: must have at least one action", "BlankValue")
    return actions


class ConfigStore:
    """Every configuration list: base objects (seeded or defaults) and created ones; thread-safe."""

    def __init__(self, generator: Generator, clock: Clock, base_url: str) -> None:
        self.generator = generator
        self.clock = clock
        self.base_url = base_url
        self._lock = threading.Lock()
        self._seeded = generator.options.account == "seeded"
        self._created: dict[str, list[tuple[tuple[Any, ...], bytes, dict[str, Any]]]] = {s: [] for s in ORDERS}
        self._next = dict(FIRST_IDS)
        self._base: dict[str, list[tuple[tuple[Any, ...], bytes]]] = {}
        if not self._seeded:
            self._add_defaults()

    # ------------------------------------------------------------- reading

    def records(self, stream: str) -> list[tuple[tuple[Any, ...], bytes]]:
        """The stream's objects in list order as (cursor key, JSON)."""
        base = self.generator.configuration.records(stream) if self._seeded else self._base.get(stream, [])
        with self._lock:
            created = [(key, json_) for key, json_, _ in self._created[stream]]
        return sorted([*base, *created], key=lambda record: record[0])

    def objects(self, stream: str) -> list[bytes]:
        return [json_ for _, json_ in self.records(stream)]

    def created(self, stream: str) -> list[dict[str, Any]]:
        with self._lock:
            return [obj for _, _, obj in self._created[stream]]

    # ------------------------------------------------------------- writing

    def create(self, stream: str, payload: Any) -> dict[str, Any]:
        """Validate and store one object; raises :class:`Invalid` as Zendesk refuses it."""
        if not isinstance(payload, dict):
            raise Invalid("base", f"{SINGULAR[stream]}: an object is expected")
        with self._lock:
            record_id = self._next[stream]
            now = iso(self.clock.now_int())
            obj = getattr(self, f"_{stream}")(record_id, payload, now)
            self._next[stream] = record_id + 1
            self._created[stream].append((_key(stream, obj), dumps(obj), obj))
        return obj

    def _url(self, stream: str, record_id: int) -> str:
        path = configuration.endpoint_of(f"/api/v2/{stream}.json")
        prefix = path.url_path.removesuffix(".json") if path else f"/api/v2/{stream}"
        return f"{self.base_url}{prefix}/{record_id}.json"

    def _existing(self, stream: str) -> list[dict[str, Any]]:
        import json

        base = self.generator.configuration.records(stream) if self._seeded else self._base.get(stream, [])
        return [json.loads(json_) for _, json_ in base] + [obj for _, _, obj in self._created[stream]]

    def _ticket_forms(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        name = _text(payload, "name", "Name")
        field_ids = payload.get("ticket_field_ids") or [f[0] for f in SYSTEM_FIELDS]
        display = payload.get("display_name") or name
        return {"id": record_id, "url": self._url("ticket_forms", record_id), "name": name,
                "raw_name": payload.get("raw_name") or name, "display_name": display,
                "raw_display_name": payload.get("raw_display_name") or display,
                "end_user_visible": bool(payload.get("end_user_visible", True)),
                "position": int(payload.get("position") or 0), "ticket_field_ids": list(field_ids),
                "active": bool(payload.get("active", True)), "default": bool(payload.get("default", False)),
                "in_all_brands": bool(payload.get("in_all_brands", True)),
                "restricted_brand_ids": list(payload.get("restricted_brand_ids") or []),
                "end_user_conditions": list(payload.get("end_user_conditions") or []),
                "agent_conditions": list(payload.get("agent_conditions") or []), "created_at": now, "updated_at": now}

    def _custom_field(self, stream: str, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        kind = payload.get("type")
        if kind not in FIELD_TYPES:
            raise Invalid("type", f"Type: is not included in the list ({', '.join(FIELD_TYPES)})")
        title = _text(payload, "title", "Title")
        key = _text(payload, "key", "Key")
        if any(f.get("key") == key for f in self._existing(stream)):
            raise taken("key", "Key")
        description = payload.get("description") or ""
        field: dict[str, Any] = {
            "url": self._url(stream, record_id), "id": record_id, "type": kind, "key": key, "title": title,
            "description": description, "raw_title": payload.get("raw_title") or title,
            "raw_description": payload.get("raw_description") or description,
            "position": int(payload.get("position") or 0), "active": bool(payload.get("active", True)),
            "system": False, "regexp_for_validation": payload.get("regexp_for_validation"),
            "created_at": now, "updated_at": now}
        if kind in ("dropdown", "multiselect"):
            options = payload.get("custom_field_options")
            if not isinstance(options, list) or not options:
                raise Invalid("custom_field_options", "Field options: must have at least one option", "BlankValue")
            field["custom_field_options"] = [
                {"id": record_id * 10 + k, "name": o.get("name"), "raw_name": o.get("raw_name") or o.get("name"),
                 "value": o.get("value"), "default": bool(o.get("default", False))}
                for k, o in enumerate(options) if isinstance(o, dict)]
        return field

    def _user_fields(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        return self._custom_field("user_fields", record_id, payload, now)

    def _organization_fields(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        return self._custom_field("organization_fields", record_id, payload, now)

    def _brands(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        name = _text(payload, "name", "Name")
        subdomain = _text(payload, "subdomain", "Subdomain")
        if any(b.get("subdomain") == subdomain for b in self._existing("brands")):
            raise taken("subdomain", "Subdomain")
        return {"id": record_id, "url": self._url("brands", record_id), "name": name,
                "brand_url": f"https://{subdomain}.zendesk.com", "has_help_center": False,
                "help_center_state": "disabled", "active": bool(payload.get("active", True)),
                "default": bool(payload.get("default", False)), "is_deleted": False, "logo": None,
                "ticket_form_ids": list(payload.get("ticket_form_ids") or []),
                "signature_template": payload.get("signature_template") or "{{agent.signature}}",
                "created_at": now, "updated_at": now, "subdomain": subdomain,
                "host_mapping": payload.get("host_mapping")}

    def _rule(self, stream: str, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        title = _text(payload, "title", "Title")
        position = payload.get("position")
        position = position if isinstance(position, int) else len(self._existing(stream)) + 1
        return {"url": self._url(stream, record_id), "id": record_id, "title": title,
                "active": bool(payload.get("active", True)), "updated_at": now, "created_at": now,
                "default": False, "position": position, "description": payload.get("description"),
                "raw_title": payload.get("raw_title") or title}

    def _macros(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        rule = self._rule("macros", record_id, payload, now)
        actions = _actions(payload)
        raw_title = rule.pop("raw_title")
        return {**rule, "actions": actions, "restriction": payload.get("restriction"), "raw_title": raw_title}

    def _triggers(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        rule = self._rule("triggers", record_id, payload, now)
        conditions, actions = _conditions(payload, True), _actions(payload)
        return {"url": rule["url"], "id": record_id, "title": rule["title"], "active": rule["active"],
                "updated_at": now, "created_at": now, "default": False, "actions": actions,
                "conditions": conditions, "description": rule["description"], "position": rule["position"],
                "raw_title": rule["raw_title"], "category_id": payload.get("category_id")}

    def _automations(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        rule = self._rule("automations", record_id, payload, now)
        conditions, actions = _conditions(payload, True), _actions(payload)
        return {"url": rule["url"], "id": record_id, "title": rule["title"], "active": rule["active"],
                "updated_at": now, "created_at": now, "default": False, "actions": actions,
                "conditions": conditions, "position": rule["position"], "raw_title": rule["raw_title"]}

    def _views(self, record_id: int, payload: dict[str, Any], now: str) -> dict[str, Any]:
        rule = self._rule("views", record_id, payload, now)
        conditions = _conditions(payload, True)
        if not any(isinstance(c, dict) and c.get("field") in VIEW_KEY_FIELDS for c in conditions["all"]):
            raise Invalid("all", "All conditions: must include a condition on status, type, group, assignee or "
                                 "requester", "InvalidValue")
        output: dict[str, Any] = payload["output"] if isinstance(payload.get("output"), dict) else {}
        execution = payload.get("execution") if isinstance(payload.get("execution"), dict) else {
            "group_by": output.get("group_by"), "group_order": output.get("group_order") or "asc",
            "sort_by": output.get("sort_by"), "sort_order": output.get("sort_order") or "desc",
            "group": None, "sort": None,
            "columns": [{"id": c, "title": c} for c in output.get("columns") or []], "fields": [],
            "custom_fields": []}
        return {"url": rule["url"], "id": record_id, "title": rule["title"], "active": rule["active"],
                "updated_at": now, "created_at": now, "default": False, "position": rule["position"],
                "description": rule["description"], "execution": execution, "conditions": conditions,
                "restriction": payload.get("restriction"), "raw_title": rule["raw_title"]}

    # ------------------------------------------------------------ defaults

    def _add_defaults(self) -> None:
        """A new account's objects: built like created ones, but part of the account from the start (not written)."""
        now = iso(self.generator.options.epoch)
        defaults: dict[str, list[dict[str, Any]]] = {
            "ticket_forms": [{"name": "Default Ticket Form", "default": True, "position": 0}],
            "brands": [{"name": "Sandbox", "subdomain": "sandbox", "default": True}],
            "triggers": [{"title": t, "position": k + 1, "active": not t.startswith("Auto-assign"),
                          "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
                          "actions": [{"field": "notification_user", "value": ["requester_id", "{{ticket.title}}",
                                                                               "{{ticket.comments_formatted}}"]}]}
                         for k, t in enumerate(DEFAULT_TRIGGERS)],
            "automations": [{"title": t, "position": k + 1,
                             "conditions": {"all": [{"field": "SOLVED" if k == 0 else "PENDING",
                                                     "operator": "greater_than", "value": "96" if k == 0 else "24"}]},
                             "actions": [{"field": "status", "value": "closed"}]}
                            for k, t in enumerate(DEFAULT_AUTOMATIONS)],
            "views": [{"title": t, "position": k + 1,
                       "conditions": {"all": [{"field": "status", "operator": "less_than", "value": "solved"}]}}
                      for k, t in enumerate(DEFAULT_VIEWS)],
            "macros": [{"title": t, "actions": [{"field": "status", "value": "solved"}]} for t in DEFAULT_MACROS],
        }
        for stream, payloads in defaults.items():
            built = []
            for payload in payloads:
                record_id = self._next[stream]
                self._next[stream] += 1
                obj = getattr(self, f"_{stream}")(record_id, payload, now)
                obj["default"] = True if stream != "macros" else False
                if stream == "ticket_forms":
                    obj["default"] = True
                built.append((_key(stream, obj), dumps(obj)))
                self._base[stream] = sorted(built, key=lambda r: r[0])
        self._base["custom_statuses"] = self._statuses(now)

    def _statuses(self, now: str) -> list[tuple[tuple[Any, ...], bytes]]:
        """The system statuses a new account has (the seeded ones without the extra custom statuses)."""
        out = []
        for status, status_id in CUSTOM_STATUS_IDS.items():
            category = "solved" if status == "closed" else status
            label = status.title()
            out.append(((status_id,), dumps({
                "url": f"{self.base_url}/api/v2/custom_statuses/{status_id}.json", "id": status_id,
                "status_category": category, "agent_label": label, "raw_agent_label": label,
                "end_user_label": label, "raw_end_user_label": label, "description": None, "raw_description": None,
                "end_user_description": None, "raw_end_user_description": None, "active": True,
                "default": status != "closed", "created_at": now, "updated_at": now})))
        return out
