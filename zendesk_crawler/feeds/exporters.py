"""Feed exporters: JSON written with orjson, and XML that stays well-formed and lossless whatever the data holds.

:class:`CompactJsonItemExporter` is Scrapy's ``JsonItemExporter`` (same
``[`` … ``]`` layout, one record per line) writing each record with orjson
(``jsoncodec.dumps``), the faster encoder (BENCHMARKS.md has the profile).

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

import codecs
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter, XmlItemExporter

from zendesk_crawler.api import jsoncodec

_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff"
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CHARS}]")
# Anything that text cannot carry as it is: markup characters, \r, forbidden characters.
_NOT_LITERAL = re.compile(f"[&<>\r{_FORBIDDEN_CHARS}]")
_NAME = re.compile(r"^[A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
                   r"\u200c\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd]"
                   r"[-.0-9A-Za-z_\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff"
                   r"\u200c\u200d\u203f\u2040\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
                   r"\ufdf0-\ufffd]*$")


def is_xml_name(key: str) -> bool:
    """True when ``key`` can be used as an element name as it is."""
    return bool(_NAME.match(key)) and not key[:3].lower() == "xml"


# The \uXXXX form of every forbidden character, built once.
_ESCAPES = {chr(code): f"\\u{code:04x}" for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                                     *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]}


def escape_forbidden(text: str) -> tuple[str, bool]:
    """``(text, False)`` when XML can hold ``text``, else its backslash-escaped form and ``True``."""
    if not _FORBIDDEN.search(text):
        return text, False
    text = text.replace("\\", "\\\\")
    return _FORBIDDEN.sub(lambda match: _ESCAPES[match.group()], text), True


def unescape_forbidden(text: str) -> str:
    """Invert :func:`escape_forbidden` (for readers of the XML feed)."""
    return re.sub(r"\\(\\|u[0-9a-fA-F]{4})",
                  lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)


def _is_utf8(encoding: str | None) -> bool:
    """Whether a feed's ``encoding`` option names UTF-8 (unset: Scrapy's own encoder decides)."""
    if not encoding:
        return False
    return codecs.lookup(encoding).name == "utf-8"


class CompactJsonItemExporter(JsonItemExporter):
    """``JsonItemExporter`` writing each record as compact UTF-8 JSON with orjson.

    Options orjson cannot honour (an ``indent`` above 0, an encoding other than
    UTF-8) fall back to Scrapy's own encoder, so every feed option still works.
    """

    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._compact = _is_utf8(self.encoding) and not self.indent

    def export_item(self, item: Any) -> None:
        if not self._compact:
            super().export_item(item)
            return
        if self.fields_to_export is None and isinstance(item, dict):
            data = jsoncodec.dumps(item)
        else:
            data = jsoncodec.dumps(dict(self.get_serialized_fields(item)))
        self._add_comma_after_first()
        self.file.write(data)


class CompactJsonLinesItemExporter(JsonLinesItemExporter):
    """``JsonLinesItemExporter`` writing each record as one line of compact UTF-8 JSON with orjson.

    Scrapy's encoder cannot write a lone surrogate as UTF-8 (the record would
    fail); ``jsoncodec.dumps`` writes it escaped, as in the JSON feed.
    """

    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._compact = _is_utf8(self.encoding)

    def export_item(self, item: Any) -> None:
        if not self._compact:
            super().export_item(item)
            return
        data = jsoncodec.dumps(item if self.fields_to_export is None and isinstance(item, dict)
                               else dict(self.get_serialized_fields(item)))
        self.file.write(data + b"\n")


class _Tag:
    """The pieces of markup for one key, built once per distinct key."""

    __slots__ = ("open", "close", "text", "escaped", "null", "true", "false", "number", "object", "array")

    def __init__(self, name: str) -> None:
        if is_xml_name(name):
            tag, attrs = name, ""
        else:
            key, escaped = escape_forbidden(name)
            tag, attrs = "field", f' key="{_attribute(key)}"' + (' key-escaped="true"' if escaped else "")
        self.open, self.close = f"<{tag}{attrs}", f"</{tag}>"
        self.text = f"{self.open}>"
        self.escaped = f'{self.open} escaped="true">'
        self.null = f'{self.open} type="null">{self.close}'
        self.true = f'{self.open} type="boolean">true{self.close}'
        self.false = f'{self.open} type="boolean">false{self.close}'
        self.number = f'{self.open} type="number">'
        self.object = f'{self.open} type="object">'
        self.array = f'{self.open} type="array">'


class SafeXmlItemExporter(XmlItemExporter):
    """``XmlItemExporter`` with the naming, typing and escaping rules of this module.

    Each item is serialised to one string and written at once (one ``<ticket>``
    per line), with the markup of each key built once, instead of going through
    ``XMLGenerator`` element by element, the XML feed's largest cost (BENCHMARKS.md).
    """

    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("item_element", "ticket")
        kwargs.setdefault("root_element", "tickets")
        super().__init__(file, **kwargs)
        self._tags: dict[str, _Tag] = {}
        self._value_tag = _Tag("value")

    def export_item(self, item: Any) -> None:
        fields: Iterable[tuple[Any, Any]]
        if self.fields_to_export is None and isinstance(item, dict):
            fields = item.items()
        else:
            fields = self.get_serialized_fields(item, default_value="")
        parts = [f"<{self.item_element}>"]
        append, tags, field = parts.append, self._tags, self._field
        for name, value in fields:
            field(append, tags.get(name) or self._tag(name), value)
        append(f"</{self.item_element}>\n")
        self.stream.write("".join(parts))

    def _tag(self, name: Any) -> _Tag:
        tag = self._tags.get(name)
        if tag is None:
            tag = _Tag(str(name))
            if len(self._tags) < 100_000:  # keys are few in practice; never let odd data grow this
                self._tags[name] = tag
        return tag

    def _field(self, append: Callable[[str], None], tag: _Tag, value: Any) -> None:
        kind = type(value)
        if kind is str:
            if _NOT_LITERAL.search(value) is None:
                append(tag.text)
                append(value)
            elif _FORBIDDEN.search(value) is None:
                append(tag.text)
                append(_text(value))
            else:
                append(tag.escaped)
                append(_text(escape_forbidden(value)[0]))
            append(tag.close)
        elif kind is int:
            append(tag.number)
            append(str(value))
            append(tag.close)
        elif value is None:
            append(tag.null)
        elif kind is bool:
            append(tag.true if value else tag.false)
        elif kind is dict:
            append(tag.object)
            tags, field, not_literal = self._tags, self._field, _NOT_LITERAL.search
            for subname, subvalue in value.items():
                subtag = tags.get(subname) or self._tag(subname)
                # Plain strings and nulls, most of a ticket, are written inline rather than with a call per value.
                if subvalue is None:
                    append(subtag.null)
                elif type(subvalue) is str and not_literal(subvalue) is None:
                    append(subtag.text + subvalue + subtag.close)
                else:
                    field(append, subtag, subvalue)
            append(tag.close)
        elif kind is list:
            append(tag.array)
            value_tag, field = self._value_tag, self._field
            for subvalue in value:
                field(append, value_tag, subvalue)
            append(tag.close)
        else:
            self._other(append, tag, value)

    def _other(self, append: Callable[[str], None], tag: _Tag, value: Any) -> None:
        """Values of other types: floats, subclasses of the JSON types, anything else as its ``str``."""
        if isinstance(value, str):
            self._field(append, tag, str(value))
        elif isinstance(value, bool):
            append(tag.true if value else tag.false)
        elif isinstance(value, (int, float)):
            append(tag.number)
            append(_number(value))
            append(tag.close)
        elif hasattr(value, "items"):
            self._field(append, tag, dict(value.items()))
        elif isinstance(value, (list, tuple)):
            self._field(append, tag, list(value))
        else:
            self._field(append, tag, str(value))


def _text(text: str) -> str:
    # A bare \r would be normalised away by every XML parser: it goes out as &#13;.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attribute(text: str) -> str:
    return (_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _number(value: int | float) -> str:
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
    return str(int(value))
