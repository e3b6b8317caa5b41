"""ZENDESK_FORMATS end to end: every stream of ``STREAMS`` in every format, on hostile data; CSV, JSON Lines and XML
read back equal the JSON, batch by batch and row for row."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import run_crawl
from tests.support.xmlfeed import read_xml_feed
from zendesk_crawler.feeds.csvexport import COMMENT_COLUMNS, TICKET_COLUMNS, cell
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows as the csv module reads them (the BOM skipped with utf-8-sig; bodies up to 64 kB and more)."""
    csv.field_size_limit(sys.maxsize)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("formats")
    with SandboxProcess(tickets=80, seed=40, rate_limit=0, export_rate_limit=0) as sandbox:
        ids = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
        sandbox.change(huge_comment=ids[:2], odd=ids[2:4])  # 1 MB bodies, odd shapes
        sandbox.advance_clock(120)
        result = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", ZENDESK_FORMATS="json,jsonl,xml,csv",
                           ZENDESK_BATCH_ITEM_COUNT="30")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_ticket_csv_has_a_row_per_ticket_equal_to_the_json(export):
    records = export.json_records()
    rows = [row for path in export.feeds(".csv", "tickets") for row in read_csv(path)]
    assert len(rows) == len(records) == len({r["id"] for r in records})
    custom_keys = [key[len("custom: "):] for key in rows[0] if key.startswith("custom: ")]
    assert list(rows[0])[:len(TICKET_COLUMNS)] == list(TICKET_COLUMNS) and custom_keys
    assert any(row["conversation_log"] for row in rows)  # the sandbox's messaging tickets
    for record, row in zip(records, rows, strict=True):
        assert row["id"] == cell(record["id"]) and row["subject"] == cell(record.get("subject"))
        assert row["requester_name"] == cell((record["requester"] or {}).get("name"))
        assert row["group_name"] == cell((record["group"] or {}).get("name"))
        tags = record.get("tags")
        assert row["tags"] == (" ".join(tags) if isinstance(tags, list) else cell(tags))
        assert row["conversation_log"] == cell(record.get("conversation_log"))
        for key in custom_keys:
            assert row[f"custom: {key}"] == cell(record["custom_fields_by_title"].get(key))


def test_the_comment_csv_has_a_row_per_comment_with_the_exact_body(export):
    records = export.json_records()
    rows = [row for path in export.feeds(".csv", "comments") for row in read_csv(path)]
    comments = [(record, comment) for record in records for comment in record["comments"] if isinstance(comment, dict)]
    assert len(rows) == len(comments) and list(rows[0]) == list(COMMENT_COLUMNS)
    assert any(len(comment.get("body") or "") > 500_000 for _, comment in comments)  # the 1 MB bodies
    assert any("\r" in (comment.get("body") or "") or "\n" in (comment.get("body") or "") for _, comment in comments)
    for (record, comment), row in zip(comments, rows, strict=True):
        assert row["ticket_id"] == cell(record["id"]) and row["id"] == cell(comment.get("id"))
        assert row["body"] == cell(comment.get("body"))  # exact, newlines, quotes, commas and all
        assert row["author_name"] == cell((comment.get("author") or {}).get("name"))
        assert row["public"] == cell(comment.get("public"))


#: Every format, as ``ZENDESK_FORMATS`` names it and as the files end.
FORMATS = ("json", "jsonl", "xml", "csv")


def batch_files(export, prefix: str, fmt: str) -> dict[int, Path]:
    """This run's ``<prefix>-<run id>-NNNNN.<fmt>`` files by batch number; every file of the prefix and format must be
    named so."""
    run_id = export.manifest()["run_id"]
    files = [p for p in export.all_new_files if p.name.startswith(f"{prefix}-") and p.suffix == f".{fmt}"]
    named = {p: re.fullmatch(rf"{re.escape(prefix)}-{re.escape(run_id)}-(\d{{5}})\.{fmt}", p.name) for p in files}
    assert files and all(named.values()), sorted(p.name for p in files)
    return {int(match.group(1)): path for path, match in named.items() if match}


def assert_row_holds_the_record(row: dict[str, str], record: dict[str, Any], stream: str) -> None:
    """A flat CSV row: every key of the record in its column (or in ``_extra``), nested values as JSON text."""
    extra = json.loads(row["_extra"]) if row["_extra"] else {}
    for key, value in record.items():
        text = row[key] if key in row else cell(extra[key])
        assert text == cell(value), (stream, record.get("id"), key)
        if isinstance(value, (dict, list)):
            assert json.loads(text) == value, (stream, record.get("id"), key)


@pytest.mark.parametrize("stream", list(STREAMS))
def test_every_stream_writes_every_format_holding_the_same_records(export, stream):
    """Each stream's batches in JSON, JSON Lines, XML and CSV: the same batch numbers, each file parses, and each
    holds the batch's JSON records (a ticket's comments: rows of ``comments-….csv`` in the same batches)."""
    by_format = {fmt: batch_files(export, stream, fmt) for fmt in FORMATS}
    if stream == "tickets":
        by_format["comments csv"] = batch_files(export, "comments", "csv")
    batches = sorted(by_format["json"])
    assert all(sorted(files) == batches for files in by_format.values()), {k: sorted(v) for k, v in by_format.items()}
    assert batches == list(range(1, len(batches) + 1))
    total = 0
    for batch in batches:
        records = json.loads(by_format["json"][batch].read_bytes())
        total += len(records)
        assert [json.loads(line) for line in by_format["jsonl"][batch].read_bytes().splitlines()] == records
        assert read_xml_feed(by_format["xml"][batch].read_bytes()) == records
        data = by_format["csv"][batch].read_bytes()
        assert data.split(b"\n", 1)[0].endswith(b"\r")  # RFC 4180 line ends
        rows = read_csv(by_format["csv"][batch])
        assert len(rows) == len(records)
        if stream == "tickets":
            assert [row["id"] for row in rows] == [cell(r["id"]) for r in records]
            comments = read_csv(by_format["comments csv"][batch])
            assert [(row["ticket_id"], row["id"]) for row in comments] == [
                (cell(r["id"]), cell(c.get("id"))) for r in records for c in r.get("comments") or []
                if isinstance(c, dict)]
        else:
            for record, row in zip(records, rows, strict=True):
                assert_row_holds_the_record(row, record, stream)
    assert total == len(export.records(stream)) > 0, f"no {stream} records: nothing was checked"


def test_unknown_formats_are_refused_before_any_request(tmp_path):
    result = run_crawl("http://127.0.0.1:9", tmp_path, "-a", "start_time=0", ZENDESK_FORMATS="json,parquet")
    assert result.returncode == 2 and "ZENDESK_FORMATS" in result.failure_lines()[0]
