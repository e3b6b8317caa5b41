"""ZENDESK_FORMATS end to end: CSV and JSON Lines read back equal the JSON, row for row, on hostile data."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from tests.support.crawl import run_crawl
from zendesk_crawler.feeds.csvexport import COMMENT_COLUMNS, TICKET_COLUMNS, cell
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
    for record, row in zip(records, rows, strict=True):
        assert row["id"] == cell(record["id"]) and row["subject"] == cell(record.get("subject"))
        assert row["requester_name"] == cell((record["requester"] or {}).get("name"))
        assert row["group_name"] == cell((record["group"] or {}).get("name"))
        tags = record.get("tags")
        assert row["tags"] == (" ".join(tags) if isinstance(tags, list) else cell(tags))
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


@pytest.mark.parametrize("stream", ["users", "organizations", "groups", "ticket_fields", "ticket_events"])
def test_the_other_streams_csv_hold_every_field(export, stream):
    records = export.records(stream)
    rows = [row for path in export.feeds(".csv", stream) for row in read_csv(path)]
    assert len(rows) == len(records)
    for record, row in zip(records, rows, strict=True):
        extra = json.loads(row["_extra"]) if row["_extra"] else {}
        for key, value in record.items():
            assert (row[key] if key in row else cell(extra[key])) == cell(value), (stream, key)


def test_json_lines_equal_the_json(export):
    for stream in ("tickets", "users"):
        lines = [json.loads(line) for path in export.feeds(".jsonl", stream)
                 for line in path.read_bytes().splitlines()]
        assert lines == export.records(stream)


def test_unknown_formats_are_refused_before_any_request(tmp_path):
    result = run_crawl("http://127.0.0.1:9", tmp_path, "-a", "start_time=0", ZENDESK_FORMATS="json,parquet")
    assert result.returncode == 2 and "ZENDESK_FORMATS" in result.failure_lines()[0]
