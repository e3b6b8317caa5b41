"""The XML feed stays well-formed and holds exactly what the JSON feed holds, on hostile data."""

import io
import json
import random

from scrapy.exporters import JsonItemExporter

from tests.support.xmlfeed import read_xml_feed
from zendesk_crawler.api import jsoncodec
from zendesk_crawler.feeds.exporters import (
    CompactJsonItemExporter,
    SafeXmlItemExporter,
    escape_forbidden,
    is_xml_name,
    unescape_forbidden,
)

FORBIDDEN = [chr(c) for c in [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]]
HOSTILE_TEXT = [
    "plain", "", " leading and trailing ", "crlf\r\nline\rcr\nlf", "tab\there",
    "<script>alert('x')</script> & &amp; ]]> \"quotes\" 'single'", "back\\slash \\u0041 \\\\",
    "עברית ومرحبا بالعالم", "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 𝄞", "ctrl\x01\x02\x1f\x0b\x0cend", "nonchar\ufffe\uffff",
    "\x00 nul", "lone \ud800 surrogate", "x" * 70000,
]
HOSTILE_KEYS = ["1st", "with space", "x:y", "<b>", "", "xmlFoo", "XML", "ключ", "😀", "ctl\x07key",
                "tab\tkey", "new\nline", "valid_name", "a-b.c", "value", "field", "type"]


def export(records, exporter_cls):
    buffer = io.BytesIO()
    exporter = exporter_cls(buffer, encoding="utf-8")
    exporter.start_exporting()
    for record in records:
        exporter.export_item(record)
    exporter.finish_exporting()
    return buffer.getvalue()


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.choice(["str", "int", "float", "bool", "null", "list", "dict"] if depth < 3 else ["str", "int", "null"])
    if kind == "str":
        tail = "".join(rng.choice(FORBIDDEN + ["a", "\\", "\r", "é"]) for _ in range(rng.randint(0, 4)))
        return rng.choice(HOSTILE_TEXT[:-1]) + tail
    if kind == "int":
        return rng.randint(-2**63, 2**63)
    if kind == "float":
        return rng.uniform(-1e6, 1e6)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(HOSTILE_KEYS) + str(i): random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_hostile_records_round_trip_through_xml_exactly():
    records = [{"id": 1, "subject": text, "tags": [], "via": {}, "n": None, "ok": False} for text in HOSTILE_TEXT]
    records.append({key: key for key in HOSTILE_KEYS})
    records.append({"metadata": {"custom": {key: {key: [key, None, 1.5, True]} for key in HOSTILE_KEYS}}})
    rng = random.Random(1234)
    records += [{f"k{i}": random_value(rng) for i in range(6)} for _ in range(300)]
    xml = export(records, SafeXmlItemExporter)
    assert read_xml_feed(xml) == records


def test_json_feed_keeps_strings_byte_exact():
    records = [{"body": text} for text in HOSTILE_TEXT if "\ud800" not in text]
    data = export(records, lambda f, **kw: JsonItemExporter(f, **kw))
    assert json.loads(data) == records


def test_compact_json_feed_is_exact_on_hostile_records_and_lone_surrogates():
    rng = random.Random(99)
    records = [{"body": text} for text in HOSTILE_TEXT]  # lone surrogates included: ASCII escapes
    records += [{"id": 2**70, "neg": -2**64, "f": 1e-7, "t": True, "n": None, "nested": {"l": [1, "x", None]}}]
    records += [{f"k{i}": random_value(rng) for i in range(6)} for _ in range(200)]
    data = export(records, lambda f, **kw: CompactJsonItemExporter(f, indent=0, **kw))  # as in a feed
    assert json.loads(data) == records
    assert data.startswith(b"[\n{") and data.endswith(b"}\n]")
    assert "עברית".encode() in data  # UTF-8, not \u escapes, where orjson can write the record


def test_compact_json_exporter_honours_indent_and_other_encodings():
    records = [{"body": "é", "n": [1, 2]}]
    pretty = io.BytesIO()
    exporter = CompactJsonItemExporter(pretty, encoding="utf-8", indent=2)
    exporter.start_exporting()
    exporter.export_item(records[0])
    exporter.finish_exporting()
    assert b'\n  "n": [' in pretty.getvalue() and json.loads(pretty.getvalue()) == records
    latin = io.BytesIO()
    exporter = CompactJsonItemExporter(latin, encoding="latin-1")
    exporter.start_exporting()
    exporter.export_item(records[0])
    exporter.finish_exporting()
    assert json.loads(latin.getvalue().decode("latin-1")) == records


def test_jsoncodec_loads_like_the_standard_library():
    cases = [b'{"id": 123456789012345678901234567890}', b'{"big": -18446744073709551617, "ok": 1}',
             b'"lone \\ud800 surrogate"', b'[NaN, 1.5]', b'{"a": 1, "a": 2}', b'{"t": "12345678901234567890 in text"}',
             '{"emoji": "👩‍👩‍👧 עברית", "n": 18446744073709551615}'.encode()]
    for case in cases:
        expected, got = json.loads(case), jsoncodec.loads(case)
        assert repr(got) == repr(expected), case  # repr: NaN != NaN, and int 10**30 != float 1e30
    for bad in [b"", b"{", b"<html>", b'{"a": 1} x', b"\xff\xfe"]:
        try:
            jsoncodec.loads(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")


def test_names_and_escapes():
    assert is_xml_name("custom_fields") and is_xml_name("ключ") and is_xml_name("a-b.c")
    assert not any(is_xml_name(key) for key in ["1st", "with space", "x:y", "", "xmlFoo", "<b>", "😀"])
    assert escape_forbidden("no problem \\ here") == ("no problem \\ here", False)
    escaped, flagged = escape_forbidden("a\x01b\\c")
    assert flagged and escaped == "a\\u0001b\\\\c"
    assert unescape_forbidden(escaped) == "a\x01b\\c"
