"""An XML feed exporter that stays well-formed and lossless whatever the data holds.

Scrapy's ``XmlItemExporter`` uses dict keys as element names and writes text as
given, so a custom-field key such as ``"1st"`` or a control character in a
comment body makes the file unparseable, and ``None``, ``""`` and ``[]`` all
come out alike. :class:`SafeXmlItemExporter` keeps its layout (``<value>`` for
list entries) and adds these rules, so the XML holds exactly what the JSON holds:

- **Names.** A key that is a valid XML name (no colon, not starting with
  ``xml``) is the element name. Any other key is written as
  ``<field key="the key">``.
- **Types.** Strings are plain text. Every other value carries a ``type``
  attribute: ``null`` (empty element), ``boolean`` (``true``/``false``),
  ``number`` (as JSON writes it), ``array`` (children ``<value>``) or
  ``object`` (one child per key).
- **Characters XML cannot hold.** Text or a key containing a character that
  XML 1.0 forbids (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE,
  U+FFFF, lone surrogates) is written escaped and marked ``escaped="true"``
  (``key-escaped="true"`` for a key): each forbidden character becomes
  ``\\uXXXX`` and each backslash ``\\\\``. Unmarked text is literal.
- Carriage returns are written as ``&#13;`` so that XML parsers do not turn
  ``\\r\\n`` into ``\\n``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from xml.sax.xmlreader import AttributesImpl

from scrapy.exporters import XmlItemExporter

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NAME = re.compile(r"^[A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
                   r"\u200c\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd]"
                   r"[-.0-9A-Za-z_\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff"
                   r"\u200c\u200d\u203f\u2040\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
                   r"\ufdf0-\ufffd]*$")


def is_xml_name(key: str) -> bool:
    """True when ``key`` can be used as an element name as it is."""
    return bool(_NAME.match(key)) and not key[:3].lower() == "xml"


def escape_forbidden(text: str) -> tuple[str, bool]:
    """``(text, False)`` when XML can hold ``text``, else its backslash-escaped form and ``True``."""
    if not _FORBIDDEN.search(text):
        return text, False
    text = text.replace("\\", "\\\\")
    return _FORBIDDEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text), True


def unescape_forbidden(text: str) -> str:
    """Invert :func:`escape_forbidden` (for readers of the XML feed)."""
    return re.sub(r"\\(\\|u[0-9a-fA-F]{4})",
                  lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)


class SafeXmlItemExporter(XmlItemExporter):
    """``XmlItemExporter`` with the naming, typing and escaping rules of this module."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("item_element", "ticket")
        kwargs.setdefault("root_element", "tickets")
        super().__init__(file, **kwargs)

    def _export_xml_field(self, name: str, serialized_value: Any, depth: int) -> None:
        attrs: dict[str, str] = {}
        element = name
        if not is_xml_name(name):
            element = "field"
            attrs["key"], key_escaped = escape_forbidden(name)
            if key_escaped:
                attrs["key-escaped"] = "true"
        self._beautify_indent(depth=depth)
        value = serialized_value
        if not isinstance(value, (str, dict, list, tuple, bool, int, float, type(None))) and not hasattr(value, "items"):
            value = str(value)
        if isinstance(value, str):
            text, escaped = escape_forbidden(value)
            if escaped:
                attrs["escaped"] = "true"
            self.xg.startElement(element, AttributesImpl(attrs))
            # XMLGenerator.characters() escapes only &, < and >; a bare \r would
            # be normalised away by every XML parser, so it goes out as &#13;.
            self.stream.write(escape(text, {"\r": "&#13;"}))
        elif hasattr(value, "items"):
            attrs["type"] = "object"
            self.xg.startElement(element, AttributesImpl(attrs))
            self._beautify_newline()
            for subname, subvalue in value.items():
                self._export_xml_field(str(subname), subvalue, depth=depth + 1)
            self._beautify_indent(depth=depth)
        elif isinstance(value, (list, tuple)):
            attrs["type"] = "array"
            self.xg.startElement(element, AttributesImpl(attrs))
            self._beautify_newline()
            for subvalue in value:
                self._export_xml_field("value", subvalue, depth=depth + 1)
            self._beautify_indent(depth=depth)
        else:
            attrs["type"], text = _scalar(value)
            self.xg.startElement(element, AttributesImpl(attrs))
            self.stream.write(escape(text))
        self.xg.endElement(element)
        self._beautify_newline()


def _scalar(value: bool | int | float | None) -> tuple[str, str]:
    if value is None:
        return "null", ""
    if isinstance(value, bool):
        return "boolean", "true" if value else "false"
    return "number", json.dumps(value)
