"""The web page's ticket index, its gzip reads and its launcher, on real files in temporary directories."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from zendesk_crawler.web.location import LocalLocation
from zendesk_crawler.web.runs import read_runs
from zendesk_crawler.web.tickets import TicketIndex

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"


def record(ticket_id: int, updated_at: str, subject: str, email: str = "dana@example.com") -> dict[str, Any]:
    return {"id": ticket_id, "subject": subject, "status": "open", "updated_at": updated_at,
            "requester": {"id": 1, "name": "Requester", "email": email}, "comments": []}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(entry, ensure_ascii=False).encode() + b"\n" for entry in records)


def write_run(root: Path, run_id: str, files: dict[str, bytes]) -> None:
    """A run's files (name: content) and its manifest listing them."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (root / name).write_bytes(content)
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": 1, "comments_exported": 0,
        "files": [str(root / name) for name in files]}), encoding="utf-8")


def index_of(tmp_path: Path) -> tuple[TicketIndex, LocalLocation]:
    location = LocalLocation(str(tmp_path / "export"))
    return TicketIndex(tmp_path / "cache" / "tickets.sqlite", location), location


def test_a_requester_search_lists_a_ticket_under_its_current_requester_only(tmp_path):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([
        record(7, "2026-11-01T09:00:00Z", "Old subject", "old@example.com"),
        record(8, "2026-11-01T08:00:00Z", "Stays", "old@example.com")])})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl": jsonl([
        record(7, "2026-11-02T09:00:00Z", "New subject", "New@Example.com")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    assert [(t.id, t.subject) for t in index.by_requester("OLD@example.com")] == [(8, "Stays")]
    assert [(t.id, t.subject, t.updated_at) for t in index.by_requester(" new@example.COM ")] == [
        (7, "New subject", "2026-11-02T09:00:00Z")]


def test_ids_beyond_sqlite_integers_are_in_no_backup(tmp_path):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([record(7, "2026-11-01", "x")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    assert index.ticket(7)["subject"] == "x"
    assert index.ticket(2**63) is None and index.ticket(2**80) is None and index.ticket(-2**63 - 1) is None
    assert index.ticket(2**63 - 1) is None


def test_lines_that_are_not_ticket_records_are_skipped_and_the_rest_indexed(tmp_path, caplog):
    bad = (b'{"id": 8, "subject": "trunc\n'  # a truncated line
           b'{"id": 18446744073709551616, "subject": "too big"}\n{"subject": "no id"}\n'
           b'{"id": 10, "requester": 5, "subject": 11}\n')  # odd fields, but a ticket with an id
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl":
                                           jsonl([record(7, "2026-11-01T09:00:00Z", "seven")]) + bad})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl":
                                           jsonl([record(9, "2026-11-01T09:00:00Z", "nine")]) + b'{"id": 11, "sub'})
    index, location = index_of(tmp_path)
    with caplog.at_level("WARNING", logger="zendesk_crawler.web.tickets"):
        assert index.refresh(read_runs(location)) == 2
    assert "00001.jsonl: 3 line(s) that are not ticket records skipped" in caplog.text
    assert "00001.jsonl: 1 line(s) that are not ticket records skipped" in caplog.text
    assert index.refresh(read_runs(location)) == 0  # recorded as indexed: not read again
    assert index.ticket(7)["subject"] == "seven" and index.ticket(9)["subject"] == "nine"
    assert index.ticket(8) is None and index.ticket(11) is None and index.ticket(10)["subject"] == 11
