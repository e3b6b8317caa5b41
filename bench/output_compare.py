"""Compare two export locations' files (already normalised by name and content): where do they first differ?

Files are compared byte for byte, except where the crawler's concurrency legitimately orders records by
completion (the conversations of tickets fetched concurrently, the side conversations of tickets listed
concurrently):

- ticket feeds and comment CSVs (``tickets-<run>-NNNNN.*``, ``comments-<run>-NNNNN.csv``), side conversation
  feeds (``side_conversations-<run>-NNNNN.*``) and the attachment
  index (``attachments/index/<run>-*.jsonl``): per run and format, the same number of files, the same records in
  each file count, the same file framing (JSON brackets, XML prolog and root, CSV header), and the same records
  byte for byte as a multiset over the run's files (which batch holds a ticket follows completion order too);
- the state file: parsed, with its ``streams`` sorted by name (a stream's entry is added when it first
  checkpoints, so the order of streams whose batches fill at the same time varies), and the ``files`` of
  ``last_run`` and ``checkpoint`` and the ``stored_after_cursor`` lists sorted (both are in storing order,
  which interleaves the streams by timing);
- person documents: their ``tickets`` are compared sorted by id, parsed (key order and value types included).

Every other file (the other streams' feeds, manifests, attachment files, the lock) is compared byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

#: Files whose records come in completion order: (group name, run, format) from the file name.
UNORDERED_FEED_RE = re.compile(r"^(tickets|comments|side_conversations)-(<run \d+>)-\d{5}\.(json|jsonl|xml|csv)$")
ATTACHMENT_INDEX_RE = re.compile(r"^attachments/index/(<run \d+>)-[^/]+\.(jsonl)$")
PERSON_RE = re.compile(r"^person-\d+-<run \d+>\.(json|xml)$")
MAX_SAMPLES = 2
#: A comment body can be longer than the csv module's default field limit (128 kB).
csv.field_size_limit(2**31 - 1)


def compare_files(baseline: dict[str, bytes], current: dict[str, bytes]) -> list[str]:
    """Every difference between two sets of files (relative name to bytes), one short line each."""
    found: list[str] = []
    only_a, only_b = sorted(set(baseline) - set(current)), sorted(set(current) - set(baseline))
    if only_a:
        found.append(f"files only in the baseline: {', '.join(only_a[:5])}" + (" …" if len(only_a) > 5 else ""))
    if only_b:
        found.append(f"files only in the current tree: {', '.join(only_b[:5])}" + (" …" if len(only_b) > 5 else ""))
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in sorted(set(baseline) & set(current)):
        if (group := unordered_group(name)) is not None:
            groups[group].append(name)
        elif (diff := file_difference(name, baseline[name], current[name])) is not None:
            found.append(diff)
    for group, names in groups.items():
        found += group_differences(" ".join(group), names, baseline, current)
    if (pairing := batch_pairing(baseline)) != batch_pairing(current):
        found.append(f"comment batches: the baseline's {short(pairing)} != {short(batch_pairing(current))}")
    return found


def batch_pairing(files: dict[str, bytes]) -> list[str]:
    """The comment CSV batches holding a comment of a ticket that is not in the same-numbered ticket CSV batch
    (none: the README's rule; which tickets a batch holds follows completion order, this rule does not)."""
    broken = []
    for name in sorted(files):
        if name.startswith("comments-") and name.endswith(".csv"):
            tickets = files.get("tickets-" + name[len("comments-"):], b"")
            ids = {row[0] for row in csv.reader(io.StringIO(tickets.decode("utf-8-sig"), newline=""))}
            rows = list(csv.reader(io.StringIO(files[name].decode("utf-8-sig"), newline="")))[1:]
            if any(row[0] not in ids for row in rows):
                broken.append(name)
    return broken


def unordered_group(name: str) -> tuple[str, ...] | None:
    """The group of a file whose records are in completion order, or None."""
    if match := UNORDERED_FEED_RE.match(name):
        return match.groups()
    if match := ATTACHMENT_INDEX_RE.match(name):
        return ("attachment index", *match.groups())
    return None


# ---------------------------------------------------------------- files compared in order


def file_difference(name: str, a: bytes, b: bytes) -> str | None:
    """None if the files are the same; else their first difference (parsed where they parse)."""
    if a == b:
        return None
    try:
        parsed_a, parsed_b = parse(name, a), parse(name, b)
    except (ValueError, ElementTree.ParseError, csv.Error) as exc:
        return f"{name}: bytes differ at offset {first_offset(a, b)} (not parsed: {exc})"
    if parsed_a is None:
        return f"{name}: bytes differ at offset {first_offset(a, b)} ({len(a)} and {len(b)} bytes)"
    if (diff := first_difference(parsed_a, parsed_b, name)) is not None:
        return diff
    if name == "state.json" or PERSON_RE.match(name):
        return None  # the same content, in another completion order
    return f"{name}: same parsed content, bytes differ at offset {first_offset(a, b)}"


def parse(name: str, data: bytes) -> Any:
    """The content of a JSON, JSON Lines, CSV or XML file (None for any other file), completion order removed."""
    if name.endswith(".json"):
        value = json.loads(data)
        if name == "state.json":
            return canonical_state(value)
        if PERSON_RE.match(name):
            value["tickets"] = sorted(value["tickets"], key=lambda t: (t.get("id", 0), canonical(t)))
        return value
    if name.endswith((".jsonl", ".lock")):
        return [json.loads(line) for line in data.splitlines() if line.strip()]
    if name.endswith(".csv"):
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if name.endswith(".xml"):
        root = element(ElementTree.fromstring(data))
        if PERSON_RE.match(name):
            for child in root[3]:
                if child[0] == "tickets":
                    child[3].sort(key=lambda t: (xml_id(t), canonical(t)))
        return root
    return None


def canonical_state(state: Any) -> Any:
    """The state document with its ``streams`` by name, and its ``files`` lists and ``stored_after_cursor``
    lists sorted."""
    if not isinstance(state, dict):
        return state
    if isinstance(state.get("streams"), dict):
        state = {**state, "streams": dict(sorted(state["streams"].items()))}
    for facts in ("last_run", "checkpoint"):
        if isinstance(state.get(facts), dict) and isinstance(state[facts].get("files"), list):
            state = {**state, facts: {**state[facts], "files": sorted(state[facts]["files"])}}
    return sort_stored_after_cursor(state)


def sort_stored_after_cursor(value: Any) -> Any:
    """``value`` with every ``stored_after_cursor`` list in it sorted."""
    if isinstance(value, dict):
        return {k: sorted(v) if k == "stored_after_cursor" and isinstance(v, list) else sort_stored_after_cursor(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [sort_stored_after_cursor(v) for v in value]
    return value


def element(node: ElementTree.Element) -> list[Any]:
    """An XML element as [tag, attributes, text, children, tail]."""
    return [node.tag, dict(node.attrib), node.text, [element(child) for child in node], node.tail]


def xml_id(node: list[Any]) -> str:
    """The text of an element's ``id`` child ('' if none)."""
    return next((child[2] or "" for child in node[3] if child[0] == "id"), "")


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- files whose records are in completion order


def group_differences(label: str, names: list[str], baseline: dict[str, bytes],
                      current: dict[str, bytes]) -> list[str]:
    """Differences of a group of batch files compared as framing plus a multiset of records."""
    try:
        split_a = [split_records(name, baseline[name]) for name in names]
        split_b = [split_records(name, current[name]) for name in names]
    except (ValueError, ElementTree.ParseError, csv.Error) as exc:
        return [f"{label}: not split into records ({exc})"]
    found = []
    for name, (frame_a, records_a), (frame_b, records_b) in zip(names, split_a, split_b, strict=True):
        if frame_a != frame_b:
            found.append(f"{name}: framing {short(frame_a)} != {short(frame_b)}")
        if name.startswith("tickets-") and len(records_a) != len(records_b):
            found.append(f"{name}: {len(records_a)} records != {len(records_b)}")
    all_a = Counter(r for _, records in split_a for r in records)
    all_b = Counter(r for _, records in split_b for r in records)
    if all_a != all_b:
        found.append(record_difference(label, names[0], all_a - all_b, all_b - all_a))
    return found


def record_difference(label: str, name: str, only_a: Counter[bytes], only_b: Counter[bytes]) -> str:
    """The first difference between records of the same key, else samples of the records only on one side."""
    keyed_b = {record_key(name, r): r for r in only_b}
    for record in sorted(only_a):
        key = record_key(name, record)
        if key in keyed_b:
            diff = first_difference(parse_record(name, record), parse_record(name, keyed_b[key]),
                                    f"{label} record {key}")
            return diff or f"{label} record {key}: same parsed content, bytes differ"
    return (f"{label}: {sum(only_a.values())} records only in the baseline (e.g. {short(list(only_a)[:MAX_SAMPLES])}),"
            f" {sum(only_b.values())} only in the current tree (e.g. {short(list(only_b)[:MAX_SAMPLES])})")


def split_records(name: str, data: bytes) -> tuple[list[bytes], list[bytes]]:
    """A batch file as (framing, records), each record its exact bytes."""
    if name.endswith(".jsonl"):
        return [], data.splitlines(keepends=True)
    if name.endswith(".json"):
        lines = data.split(b"\n")
        if len(lines) < 2 or lines[0] != b"[" or lines[-1] not in (b"]", b""):
            raise ValueError(f"{name} is not one record a line")
        end = len(lines) - 1 if lines[-1] == b"]" else len(lines) - 2
        records = [line.rstrip(b",") for line in lines[1:end]]
        framing = [lines[0], *lines[end:], b"commas: %d" % sum(line.endswith(b",") for line in lines[1:end])]
        return framing, records
    if name.endswith(".csv"):
        rows = list(raw_csv_rows(data))
        return rows[:1], rows[1:]
    if name.endswith(".xml"):
        root = ElementTree.fromstring(data)
        if len(root) == 0:
            return [data], []
        tag = root[0].tag.encode()
        head, *items = re.split(rb"\n(?=<" + re.escape(tag) + rb"[ >])", data)
        last, sep, tail = items[-1].rpartition(b"\n</")
        items[-1] = last
        if len(items) != len(root) or not sep:
            raise ValueError(f"{name}: {len(items)} pieces for {len(root)} elements")
        return [head, sep + tail], items
    raise ValueError(f"{name}: no record format")


def raw_csv_rows(data: bytes) -> Iterator[bytes]:
    """Each CSV row's exact bytes (quoted fields may span lines)."""
    lines = data.splitlines(keepends=True)
    consumed: list[bytes] = []
    feed = iter(lines)

    def tracked() -> Iterator[str]:
        for line in feed:
            consumed.append(line)
            yield line.decode("utf-8")

    for _ in csv.reader(tracked()):
        yield b"".join(consumed)
        consumed.clear()


def parse_record(name: str, record: bytes) -> Any:
    if name.endswith((".json", ".jsonl")):
        return json.loads(record)
    if name.endswith(".csv"):
        return next(csv.reader(io.StringIO(record.decode("utf-8-sig"), newline="")))
    return element(ElementTree.fromstring(record))


def record_key(name: str, record: bytes) -> str:
    """What identifies a record: a ticket's id, a comment's ticket and comment ids, an index entry's key."""
    try:
        value = parse_record(name, record)
    except (ValueError, ElementTree.ParseError, csv.Error, StopIteration):
        return "(unparsed)"
    if name.endswith(".csv"):
        return ",".join(value[:2]) if name.startswith("comments-") else value[0]
    if name.endswith(".xml"):
        return xml_id(value)
    return str(value.get("id", value.get("key")))


# ---------------------------------------------------------------- reporting


def first_difference(a: Any, b: Any, where: str) -> str | None:
    """Where two parsed values first differ (dict keys and their order, list entries, values and types), or None."""
    if type(a) is not type(b):
        return f"{where}: {short(a)} != {short(b)}"
    if isinstance(a, dict):
        if list(a) != list(b):
            only_a, only_b = [k for k in a if k not in b], [k for k in b if k not in a]
            if only_a or only_b:
                return f"{where}: keys only in the baseline {only_a[:5]}, only in the current tree {only_b[:5]}"
            return f"{where}: key order {short(list(a))} != {short(list(b))}"
        for key in a:
            if (diff := first_difference(a[key], b[key], f"{where}.{key}")) is not None:
                return diff
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            label = f"[{i}]" + (f"(id {x['id']})" if isinstance(x, dict) and "id" in x else "")
            if (diff := first_difference(x, y, where + label)) is not None:
                return diff
        return None if len(a) == len(b) else f"{where}: {len(a)} entries != {len(b)}"
    return None if a == b else f"{where}: {short(a)} != {short(b)}"


def first_offset(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
