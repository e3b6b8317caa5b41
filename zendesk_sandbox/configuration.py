"""The configuration endpoints: ticket forms, custom fields, brands, statuses, business rules, SLA policies,
schedules, dynamic content and memberships, each paginated as Zendesk's documentation says.

- Cursor pagination (``page[size]`` ≤ 100, ``page[after]``/``page[before]``; ``meta`` and ``links`` as in
  ``groups.json``), and offset pagination (``page``, ``per_page``) when no ``page[…]`` parameter is given:
  user fields, organization fields, brands, macros, triggers, automations, views, dynamic content items, group
  and organization memberships (their documentation: "Cursor pagination (recommended), Offset pagination").
- No pagination (every object in one answer; page parameters ignored): ticket forms and schedules (no pagination
  documented), custom statuses ("No pagination is provided"), SLA policies (no pagination documented; the answer
  carries ``next_page: null``, ``previous_page: null`` and ``count`` as Zendesk's example does).

The objects come from :class:`~zendesk_sandbox.generator.configuration.Configuration`; nothing here changes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from .api import JSON_TYPE, Response, _is_cursor_request, _list_cursor_page, offset_list
from .generator.configuration import LIST_KEYS


class Lists(Protocol):
    """What serves the configuration lists: ``writes.config.ConfigStore`` (seeded or default objects, and created
    ones)."""

    def records(self, stream: str) -> list[tuple[tuple[Any, ...], bytes]]: ...

    def objects(self, stream: str) -> list[bytes]: ...


@dataclass(frozen=True)
class ConfigEndpoint:
    """One configuration list: its stream (the request log's endpoint name), URL path, pagination and order."""

    stream: str
    url_path: str
    #: ``"cursor"`` (cursor, else offset, pagination) or ``"none"`` (every object at once).
    pagination: str
    #: The cursor's sort order (``api.LIST_KEY_TYPES``); unpaginated lists have none.
    order: str = ""
    #: Members after the list in an unpaginated answer (SLA policies: ``next_page``, ``previous_page``, ``count``).
    offset_tail: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.url_path.removesuffix(".json")) + r"(?:\.json)?")


ENDPOINTS = (
    ConfigEndpoint("ticket_forms", "/api/v2/ticket_forms.json", "none"),
    ConfigEndpoint("user_fields", "/api/v2/user_fields.json", "cursor", "position,id"),
    ConfigEndpoint("organization_fields", "/api/v2/organization_fields.json", "cursor", "position,id"),
    ConfigEndpoint("brands", "/api/v2/brands.json", "cursor", "name,id"),
    ConfigEndpoint("custom_statuses", "/api/v2/custom_statuses.json", "none"),
    ConfigEndpoint("macros", "/api/v2/macros.json", "cursor", "title,id"),
    ConfigEndpoint("triggers", "/api/v2/triggers.json", "cursor", "position,id"),
    ConfigEndpoint("automations", "/api/v2/automations.json", "cursor", "position,id"),
    ConfigEndpoint("views", "/api/v2/views.json", "cursor", "created_at,id"),
    ConfigEndpoint("sla_policies", "/api/v2/slas/policies.json", "none", offset_tail=True),
    ConfigEndpoint("schedules", "/api/v2/business_hours/schedules.json", "none"),
    ConfigEndpoint("dynamic_content", "/api/v2/dynamic_content/items.json", "cursor", "id"),
    ConfigEndpoint("group_memberships", "/api/v2/group_memberships.json", "cursor", "id"),
    ConfigEndpoint("organization_memberships", "/api/v2/organization_memberships.json", "cursor", "id"),
)
_PATTERNS = [(endpoint.pattern, endpoint) for endpoint in ENDPOINTS]
#: The request log's names of the cursor-paginated ones (those a ``no_cursor`` fault takes).
CURSOR_ENDPOINTS = tuple(e.stream for e in ENDPOINTS if e.pagination == "cursor")


def endpoint_of(path: str) -> ConfigEndpoint | None:
    """The configuration endpoint an API path names, else ``None``."""
    for pattern, endpoint in _PATTERNS:
        if pattern.fullmatch(path):
            return endpoint
    return None


def config_list(configuration: Lists, base_url: str, endpoint: ConfigEndpoint, query: dict[str, str]) -> Response:
    """``GET`` one configuration list, paginated as documented for it."""
    name = LIST_KEYS[endpoint.stream]
    if endpoint.pagination == "none":
        objects = configuration.objects(endpoint.stream)
        tail = b',"next_page":null,"previous_page":null,"count":%d' % len(objects) if endpoint.offset_tail else b""
        return Response(200, [JSON_TYPE], b'{"%s":[' % name.encode() + b",".join(objects) + b"]" + tail + b"}")
    if _is_cursor_request(query):
        return _list_cursor_page(base_url, endpoint.url_path, name, endpoint.order,
                                 configuration.records(endpoint.stream), query)
    return offset_list(base_url, endpoint.url_path, name, configuration.objects(endpoint.stream), query)


def truth_json(configuration: Lists, now: int, stream: str) -> bytes:
    """``{"now", "<stream>": [...]}``: every object of a configuration stream as its list serves it, in list order."""
    objects = configuration.objects(stream)
    return b'{"now":%d,"%s":[%s]}' % (now, stream.encode(), b",".join(objects))
