"""The records of an XML feed, decoded by the rules of ``feeds/exporters.py`` (``SafeXmlItemExporter``).

``<tickets><ticket>…</ticket>…</tickets>``: each child of the root is a record. Strings are
text; a ``type`` attribute marks ``null``, ``boolean``, ``number``, ``array`` (children
``<value>``) and ``object``; a key that is no XML name is ``<field key="…">``; text marked
``escaped="true"`` (a key ``key-escaped="true"``) holds ``\\uXXXX`` for characters XML cannot
hold and ``\\\\`` for a backslash. The file is fed to a pull parser chunk by chunk and each
record's elements are freed once decoded, so memory follows one record, not the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.content import content
from zendesk_crawler.location.reader import ExportLocation

_ESCAPE = re.compile(r"\\(\\|u[0-9a-fA-F]{4})")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)


def _key(element: Any) -> str:
    if element.tag != "field" or "key" not in element.attrib:
        return str(element.tag)
    key = element.get("key")
    return _unescape(key) if element.get("key-escaped") == "true" else key


def decode(element: Any) -> Any:
    """The JSON value an element of the feed stands for."""
    kind = element.get("type")
    text = element.text or ""
    if kind == "null":
        return None
    if kind == "boolean":
        return text == "true"
    if kind == "number":
        return json.loads(text)
    if kind == "array":
        return [decode(child) for child in element]
    if kind == "object":
        return {_key(child): decode(child) for child in element}
    return _unescape(text) if element.get("escaped") == "true" else text


def xml_records(location: ExportLocation, path: str) -> Iterator[dict[str, Any]]:
    """Each record of an XML feed file, in file order."""
    parser = etree.XMLPullParser(events=("start", "end"), huge_tree=True, resolve_entities=False, no_network=True)
    depth = 0
    try:
        for chunk in content(location, path):
            parser.feed(chunk)
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth == 1:
                    yield {_key(child): decode(child) for child in element}
                    element.clear()
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path} is not a well-formed XML feed ({exc})") from None
