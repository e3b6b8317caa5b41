"""An independent reader of the XML feed, written from the rules in exporters.py's docstring.

Tests parse every XML file with lxml and turn it back into JSON values, so that
the JSON and XML feeds can be compared record by record.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree


def _unescape(text: str) -> str:
    return re.sub(r"\\(\\|u[0-9a-fA-F]{4})",
                  lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)


def _key(element: etree._Element) -> str:
    if element.tag != "field" or "key" not in element.attrib:
        return element.tag
    key = element.get("key")
    return _unescape(key) if element.get("key-escaped") == "true" else key


def _value(element: etree._Element) -> Any:
    kind = element.get("type")
    text = element.text or ""
    if kind == "null":
        assert text == "" and len(element) == 0
        return None
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    if kind == "number":
        return json.loads(text)
    if kind == "array":
        return [_value(child) for child in element]
    if kind == "object":
        return {_key(child): _value(child) for child in element}
    assert kind is None and len(element) == 0, f"unexpected element {element.tag} {element.attrib}"
    return _unescape(text) if element.get("escaped") == "true" else text


def read_xml_feed(data: bytes) -> list[dict[str, Any]]:
    """Parse an XML feed strictly (lxml raises on anything not well-formed) into records."""
    root = etree.fromstring(data, parser=etree.XMLParser(recover=False, huge_tree=True))
    item = ITEM_ELEMENTS[root.tag]  # <tickets><ticket>, <users><user>, …
    records = []
    for element in root:
        assert element.tag == item
        records.append({_key(child): _value(child) for child in element})
    return records


ITEM_ELEMENTS = {"tickets": "ticket", "users": "user", "organizations": "organization", "groups": "group",
                 "ticket_fields": "ticket_field", "ticket_events": "ticket_event",
                 # the configuration streams
                 "ticket_forms": "ticket_form", "user_fields": "user_field",
                 "organization_fields": "organization_field",
                 "brands": "brand", "custom_statuses": "custom_status", "macros": "macro", "triggers": "trigger",
                 "automations": "automation", "views": "view", "sla_policies": "sla_policy", "schedules": "schedule",
                 "dynamic_content": "item", "group_memberships": "group_membership",
                 "organization_memberships": "organization_membership",
                 "satisfaction_ratings": "satisfaction_rating",
                 "categories": "category", "sections": "section", "articles": "article",
                 "side_conversations": "side_conversation"}


def read_person_document(data: bytes) -> dict[str, Any]:
    """Parse a person export's XML document (``<person>``: ``<user>``, ``<identities>``, ``<tickets>``) strictly."""
    root = etree.fromstring(data, parser=etree.XMLParser(recover=False, huge_tree=True))
    assert root.tag == "person" and [child.tag for child in root] == ["user", "identities", "tickets"]
    user, identities, tickets = root
    assert all(element.tag == "ticket" for element in tickets)
    return {"user": _value(user), "identities": _value(identities),
            "tickets": [{_key(child): _value(child) for child in element} for element in tickets]}
