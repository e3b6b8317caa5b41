"""What a backup's record becomes in the target account: the request body of its create, every id inside remapped.

Pure functions of a record and the :class:`~zendesk_crawler.restore.id_map.IdMap`: no requests
here. A reference the map cannot translate (a group that was not restored, a user of no
e-mail) raises :class:`Unmappable` with the reason, and the object is listed as not written
rather than written pointing at the wrong thing.

What Zendesk takes (its API reference): ``POST /api/v2/ticket_fields`` ``{"ticket_field": …}``
with ``custom_field_options`` ``[{name, value}]``; ``user_fields`` and ``organization_fields``
alike; ``groups`` ``{"group": {name, description, is_public}}``; ``organizations/create_many``
``{"organizations": […]}``; ``users/create_or_update_many`` ``{"users": […]}`` (matched by
``email`` or ``external_id``, so a retry updates instead of duplicating); ``macros``,
``triggers``, ``automations`` (``conditions`` ``{all, any}`` and ``actions``), ``views``
(``all``/``any`` conditions and ``output`` columns on create), ``ticket_forms``, ``brands``;
the Ticket Import API (``imports/tickets/create_many``) takes a ticket with its ``comments``
(``author_id``, ``value`` or ``html_body``, ``public``, ``created_at``, ``uploads``).
"""

from __future__ import annotations

import re
from typing import Any

from zendesk_crawler.restore.id_map import IdMap
from zendesk_crawler.restore.markers import account_tag, ticket_tag, user_external_id


class Unmappable(ValueError):
    """A record refers to an object the target has no counterpart of; the message says which."""


#: Fields no create takes (Zendesk assigns them, or they describe the source account).
READ_ONLY = {"id", "url", "created_at", "updated_at", "raw_title", "raw_description", "raw_name",
             "raw_title_in_portal", "raw_display_name", "system", "removable", "creator_user_id",
             "creator_id", "deleted", "default", "position_locked"}
#: Condition and action fields whose value is the id of an object of the map.
ID_FIELDS = {"group_id": "group", "assignee_id": "user", "requester_id": "user", "submitter_id": "user",
             "organization_id": "organization", "brand_id": "brand", "ticket_form_id": "ticket_form",
             "custom_status_id": "custom_status",
             "follower": "user", "cc": "user", "notification_user": "user", "notification_group": "group"}
#: Values of an id field that name no object (``current_user``, ``requester_id``, empty).
SYMBOLIC = re.compile(r"^(|current_user|current_groups|requester_id|assignee_id|all_agents|"
                      r"requester_and_ccs|none|\D.*)$")
CUSTOM_FIELD = re.compile(r"^custom_fields_(\d+)$")
#: Zendesk's statuses a ticket import takes ("deleted" is not a status a ticket can be created in).
IMPORT_STATUSES = {"new", "open", "pending", "hold", "solved", "closed"}


def writable(record: dict[str, Any], drop: set[str] | None = None) -> dict[str, Any]:
    """The record without the fields a create does not take."""
    dropped = READ_ONLY | (drop or set())
    return {key: value for key, value in record.items() if key not in dropped}


def field_key(record: dict[str, Any]) -> tuple[str, str]:
    """How a custom field is matched in the target: its type and title (case as written)."""
    return str(record.get("type") or ""), str(record.get("title") or "")


def field_payload(record: dict[str, Any]) -> dict[str, Any]:
    """A ticket, user or organization field's create body (its options by name and value)."""
    payload = writable(record, {"custom_statuses", "agent_description_raw", "title_in_portal_raw"})
    options = record.get("custom_field_options")
    if isinstance(options, list):
        payload["custom_field_options"] = [{"name": option.get("name"), "value": option.get("value")}
                                           for option in options if isinstance(option, dict)]
    return payload


def group_payload(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in ("name", "description", "is_public") if key in record}


def organization_payload(record: dict[str, Any]) -> dict[str, Any]:
    payload = {key: record[key] for key in ("name", "details", "notes", "domain_names", "tags", "external_id",
                                            "shared_tickets", "shared_comments", "organization_fields")
               if record.get(key) is not None}
    return payload


def user_payload(record: dict[str, Any], ids: IdMap, key: str) -> dict[str, Any]:
    """A user's ``create_or_update_many`` entry: matched by e-mail, else by ``external_id`` (a marker if none)."""
    payload = {name: record[name] for name in ("name", "email", "role", "phone", "time_zone", "locale", "alias",
                                               "details", "notes", "tags", "user_fields", "verified", "external_id",
                                               "signature", "moderator", "ticket_restriction", "only_private_comments")
               if record.get(name) is not None}
    if not payload.get("name"):
        payload["name"] = record.get("email") or f"User {record.get('id')}"
    if not payload.get("email") and not payload.get("external_id"):
        payload["external_id"] = user_external_id(key, int(record["id"]))
    if payload.get("email"):
        payload["verified"] = True  # restored, not invited: no verification e-mail
    payload["skip_verify_email"] = True
    organization = record.get("organization_id")
    if organization is not None and ids.has("organization", organization):
        payload["organization_id"] = ids.get("organization", organization)
    return payload


def remap_value(field: str, value: Any, ids: IdMap) -> Any:
    """A condition's or action's value with the object id it names translated."""
    kind = ID_FIELDS.get(field)
    if kind is None:
        return value
    if isinstance(value, list):
        return [remap_value(field, item, ids) for item in value]
    if value is None or (isinstance(value, str) and SYMBOLIC.match(value)):
        return value
    source_id = int(value) if isinstance(value, str) and value.isdigit() else value
    if not ids.has(kind, source_id):
        raise Unmappable(f"{field} {value} names a {kind} the restore has not written")
    target = ids.get(kind, source_id)
    return str(target) if isinstance(value, str) else target


def remap_field_name(field: str, ids: IdMap) -> str:
    """``custom_fields_<id>`` with the target's field id."""
    match = CUSTOM_FIELD.match(field)
    if not match:
        return field
    source = int(match.group(1))
    if not ids.has("ticket_field", source):
        raise Unmappable(f"{field} names a ticket field the restore has not written")
    return f"custom_fields_{ids.get('ticket_field', source)}"


def remap_rules(items: Any, ids: IdMap) -> Any:
    """Conditions (``{all, any}`` or a list) or actions, each ``{field, operator?, value}``, remapped."""
    if isinstance(items, dict):
        return {key: remap_rules(value, ids) for key, value in items.items()}
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            field = item["field"]
            item = {**item, "field": remap_field_name(field, ids), "value": remap_value(field, item.get("value"), ids)}
        out.append(item)
    return out


def business_rule_payload(stream: str, record: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    """A macro's, trigger's, automation's or view's create body."""
    payload = writable(record, {"restriction", "execution", "usage_1h", "usage_24h", "usage_7d", "usage_30d",
                                "app_installation", "raw_title", "category_id"})
    for key in ("conditions", "actions"):
        if key in payload:
            payload[key] = remap_rules(payload[key], ids)
    restriction = record.get("restriction")
    if isinstance(restriction, dict):
        payload["restriction"] = _remap_restriction(restriction, ids)
    if stream == "views":
        conditions = payload.pop("conditions", None) or {}
        payload["all"] = conditions.get("all") or []
        payload["any"] = conditions.get("any") or []
        execution = record.get("execution") or {}
        columns = [column.get("id") for column in execution.get("columns") or [] if isinstance(column, dict)]
        output: dict[str, Any] = {"columns": [_remap_column(column, ids) for column in columns]}
        for key in ("group_by", "group_order", "sort_by", "sort_order"):
            if execution.get(key) is not None:
                output[key] = _remap_column(execution[key], ids)
        payload["output"] = output
    return payload


def ticket_form_payload(record: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    payload = writable(record, {"raw_name", "raw_display_name"})
    payload["ticket_field_ids"] = [_mapped("ticket_field", field_id, ids) for field_id in
                                   record.get("ticket_field_ids") or []]
    payload["restricted_brand_ids"] = [_mapped("brand", brand, ids) for brand in
                                       record.get("restricted_brand_ids") or []]
    for key in ("agent_conditions", "end_user_conditions"):
        if record.get(key):
            payload[key] = [_remap_form_condition(condition, ids) for condition in record[key]]
    return payload


def brand_payload(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "subdomain", "brand_url", "host_mapping", "active", "signature_template")
    return {key: record[key] for key in keys if record.get(key) is not None}


def ticket_payload(record: dict[str, Any], ids: IdMap, key: str, uploads: dict[Any, str]) -> dict[str, Any]:
    """A ticket's Ticket Import body: people, group, organization, brand, form and fields mapped, its comments
    (authors mapped, times and public flags kept, ``uploads`` tokens for their stored files), and the markers."""
    status = record.get("status")
    if status not in IMPORT_STATUSES:
        raise Unmappable(f"status {status!r} cannot be imported")
    payload: dict[str, Any] = {name: record[name] for name in ("subject", "status", "priority", "type", "external_id",
                                                                "due_at", "created_at", "updated_at", "solved_at",
                                                                "is_public")
                               if record.get(name) is not None}
    payload["tags"] = [*(record.get("tags") or []), account_tag(key), ticket_tag(key, int(record["id"]))]
    for name, kind in (("requester_id", "user"), ("submitter_id", "user"), ("assignee_id", "user"),
                       ("group_id", "group"), ("organization_id", "organization"), ("brand_id", "brand"),
                       ("ticket_form_id", "ticket_form"), ("custom_status_id", "custom_status")):
        value = record.get(name)
        if value is None:
            continue
        if ids.has(kind, value):
            payload[name] = ids.get(kind, value)
        elif kind in ("user", "group"):
            raise Unmappable(f"{name} {value} names a {kind} the restore has not written")
        # a brand, form or custom status the target lacks: the target's default (compare lists it)
    for name in ("collaborator_ids", "follower_ids", "email_cc_ids"):
        people = [ids.get("user", uid) for uid in record.get(name) or [] if ids.has("user", uid)]
        if people:
            payload[name] = people
    payload["custom_fields"] = [{"id": ids.get("ticket_field", field["id"]), "value": field.get("value")}
                                for field in record.get("custom_fields") or []
                                if isinstance(field, dict) and ids.has("ticket_field", field.get("id"))
                                and field.get("value") is not None]
    payload["comments"] = [_comment_payload(comment, ids, uploads) for comment in record.get("comments") or []
                           if isinstance(comment, dict)]
    if not payload["comments"]:
        payload["description"] = record.get("description") or record.get("subject") or "-"
    return payload


def _comment_payload(comment: dict[str, Any], ids: IdMap, uploads: dict[Any, str]) -> dict[str, Any]:
    author = comment.get("author_id")
    if not ids.has("user", author):
        raise Unmappable(f"comment {comment.get('id')}'s author {author} has no user in the target")
    payload: dict[str, Any] = {"author_id": ids.get("user", author), "created_at": comment.get("created_at"),
                               "public": bool(comment.get("public", True))}
    if comment.get("html_body"):
        payload["html_body"] = comment["html_body"]
    else:
        payload["value"] = comment.get("body") or ""
    tokens = [uploads[attachment["id"]] for attachment in comment.get("attachments") or []
              if isinstance(attachment, dict) and attachment.get("id") in uploads]
    if tokens:
        payload["uploads"] = tokens
    return payload


def _mapped(kind: str, source_id: Any, ids: IdMap) -> Any:
    if not ids.has(kind, source_id):
        raise Unmappable(f"{kind} {source_id} has not been written")
    return ids.get(kind, source_id)


def _remap_restriction(restriction: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    kind = {"Group": "group", "User": "user"}.get(str(restriction.get("type")))
    if kind is None:
        return restriction
    out = dict(restriction)
    if restriction.get("id") is not None:
        out["id"] = _mapped(kind, restriction["id"], ids)
    if isinstance(restriction.get("ids"), list):
        out["ids"] = [_mapped(kind, item, ids) for item in restriction["ids"]]
    return out


def _remap_column(column: Any, ids: IdMap) -> Any:
    if isinstance(column, int) or (isinstance(column, str) and column.isdigit()):
        return _mapped("ticket_field", int(column), ids)
    return column


def _remap_form_condition(condition: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    out = dict(condition)
    if "parent_field_id" in condition:
        out["parent_field_id"] = _mapped("ticket_field", condition["parent_field_id"], ids)
    children = []
    for child in condition.get("child_fields") or []:
        if isinstance(child, dict):
            child = {**child, "id": _mapped("ticket_field", child.get("id"), ids)}
        children.append(child)
    if "child_fields" in condition:
        out["child_fields"] = children
    return out
