"""The run's status document: written whole by its extension, read back by ``state/readers.py``, never the run's
failure; the readers' tolerance of documents of unexpected shape."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from scrapy.utils.test import get_crawler

from zendesk_crawler.config import account_fields
from zendesk_crawler.extensions.status import StatusDocumentWriter, read_status, status_uri
from zendesk_crawler.run.context import RUN_CONTEXT_SETTING, RunContext
from zendesk_crawler.run.stats_keys import (
    FAILURE_REASON,
    UNAVAILABLE_STREAMS,
    records_exported,
    stream_position_updated_at,
)
from zendesk_crawler.state.readers import SavedPosition, read_manifest, read_positions

RUN_ID = "20261201T100000Z-abcdef"


def writer_for(export: Path, max_tickets: int = 0) -> StatusDocumentWriter:
    """The extension of a crawl exporting tickets and users to ``export``, with no periodic writes."""
    account = get_crawler(settings_dict={"ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "a@example.com",
                                         "ZENDESK_API_TOKEN": "t", "ZENDESK_EXPORT_URI": str(export)}).settings
    context = RunContext(**account_fields(account), run_id=RUN_ID, streams=("tickets", "users"), start_time=0,
                         start_time_given=False, ignore_cursor=False, comments_mode="per_ticket",
                         max_tickets=max_tickets)
    crawler = get_crawler(settings_dict={RUN_CONTEXT_SETTING: context, "ZENDESK_PROGRESS_INTERVAL": 0})
    return StatusDocumentWriter.from_crawler(crawler)


def document(export: Path) -> Path:
    return Path(status_uri(str(export), RUN_ID))


def test_the_document_says_how_far_the_run_got_and_then_how_it_ended(tmp_path):
    writer = writer_for(tmp_path)
    writer.stats.set_value(records_exported("tickets"), 40)
    writer.stats.set_value(stream_position_updated_at("tickets"), "2026-11-01T00:00:00Z")
    writer.spider_opened()
    status = read_status(document(tmp_path).read_text("utf-8"), RUN_ID)
    assert (status.state, status.tickets, status.position, status.failure) == \
        ("running", 40, "2026-11-01T00:00:00Z", None)
    assert [entry.stream for entry in status.streams] == ["tickets", "users"]
    assert status.summary().startswith("0 requests; tickets: 40 records from 0 pages")
    writer.stats.set_value(FAILURE_REASON, "the Zendesk API answered 401")
    writer.spider_closed("finished")
    writer.engine_stopped()
    ended = json.loads(document(tmp_path).read_text("utf-8"))
    assert (ended["state"], ended["finish_reason"], ended["failure"]) == \
        ("failed", "finished", "the Zendesk API answered 401")
    assert sorted(path.name for path in document(tmp_path).parent.iterdir()) == [f"status-{RUN_ID}.json"]


def test_a_slice_tells_its_limit_and_the_page_reads_its_progress_as_a_share_of_it(tmp_path):
    writer = writer_for(tmp_path, max_tickets=80)
    writer.stats.set_value(records_exported("tickets"), 40)
    writer.spider_opened()
    text = document(tmp_path).read_text("utf-8")
    streams = json.loads(text)["streams"]
    assert streams["tickets"]["limit"] == 80 and "limit" not in streams["users"]
    status = read_status(text, RUN_ID)
    assert "tickets: 40 records from 0 pages, 50% of the slice (max_tickets=80)" in status.summary()


def test_the_document_is_replaced_whole_while_it_is_read(tmp_path):
    writer = writer_for(tmp_path)
    writer.spider_opened()
    path = document(tmp_path)
    seen: list[int | None] = []

    def read() -> None:
        for _ in range(300):
            status = read_status(path.read_text("utf-8"), RUN_ID)
            seen.append(status.tickets if status is not None else None)

    reader = threading.Thread(target=read)
    reader.start()
    written = 0
    while reader.is_alive() and written < 100_000:
        written += 1
        writer.stats.set_value(records_exported("tickets"), written)
        writer.write()
    reader.join()
    assert len(seen) == 300 and None not in seen and seen == sorted(seen)  # whole documents, never going back
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left


def test_a_write_that_fails_is_one_warning_and_never_the_runs_failure(tmp_path, caplog):
    (tmp_path / "status").write_text("a file where the folder should be", "utf-8")
    writer = writer_for(tmp_path)
    with caplog.at_level(logging.WARNING, logger="zendesk_crawler.extensions.status"):
        writer.spider_opened()
        writer.write()
        writer.spider_closed("finished")
        writer.engine_stopped()
    assert [record.getMessage().split(":")[0] for record in caplog.records] == \
        [f"Could not write the status document {status_uri(str(tmp_path), RUN_ID)}"]
    assert writer.stats.get_value(FAILURE_REASON) is None


def test_a_status_of_another_run_version_or_shape_is_none_and_odd_values_read_as_missing():
    good = {"version": 1, "run_id": RUN_ID, "state": "running"}
    assert read_status(json.dumps(good), RUN_ID).streams == []
    for text in (None, "", "not json", "[1]", json.dumps({**good, "run_id": "other"}),
                 json.dumps({**good, "version": 2}), json.dumps({**good, "state": 3})):
        assert read_status(text, RUN_ID) is None, text
    odd = read_status(json.dumps({**good, "requests": "many", "failure": ["x"], "streams": {
        "tickets": {"records": True, "position_updated_at": 5, "covered": "half"}, "users": "x"}}), RUN_ID)
    assert (odd.requests, odd.failure, odd.tickets, odd.position) == (0, None, 0, None)
    assert [entry.stream for entry in odd.streams] == ["tickets"] and odd.streams[0].covered is None


def test_saved_positions_come_from_any_state_version_and_an_unusable_state_shows_none():
    version_1 = {"version": 1, "cursor": "abc", "position_updated_at": "2026-11-02T09:00:00Z"}
    assert read_positions(json.dumps(version_1)) == [SavedPosition("tickets", "2026-11-02T09:00:00Z")]
    version_2 = {"version": 2, "streams": {"users": {"cursor": None, "start_time": 0}, "groups": {}}}
    assert read_positions(json.dumps(version_2)) == [SavedPosition("groups", "the start"),
                                                     SavedPosition("users", "1970-01-01T00:00:00Z")]
    for text in (None, "not json", "[]", json.dumps({"version": 2, "streams": {"tickets": "x"}})):
        assert read_positions(text) == [], text


def test_a_manifest_summary_keeps_only_values_of_the_right_type():
    summary = read_manifest(json.dumps({"run_id": RUN_ID, "status": "complete", "files": ["/x/a.json", 3],
                                        "person": {"user": "jane@example.com"}, "filter": "odd"}))
    assert (summary.status, summary.files, summary.person, summary.ticket_filter) == \
        ("complete", ["/x/a.json"], "jane@example.com", None)
    assert read_manifest("{") is None and read_manifest(json.dumps({"run_id": ""})) is None


def test_the_document_and_the_manifest_summary_carry_the_streams_the_account_lacks(tmp_path):
    writer = writer_for(tmp_path)
    why = "needs the Help Center; Zendesk answered HTTP 404 (RecordNotFound: Not found)"
    writer.stats.set_value(UNAVAILABLE_STREAMS, {"users": why})
    writer.spider_opened()
    text = document(tmp_path).read_text("utf-8")
    assert json.loads(text)["unavailable"] == {"users": why}
    assert read_status(text, RUN_ID).unavailable == {"users": why}
    assert read_status(json.dumps({**json.loads(text), "unavailable": {"users": 3}}), RUN_ID).unavailable == {}

    summary = read_manifest(json.dumps({"run_id": RUN_ID, "status": "complete", "streams": {
        "users": {"records": 0, "requests": 1, "complete": False, "problem": f"unavailable: {why}",
                  "unavailable": why},
        "tickets": {"records": 2, "requests": 3, "complete": True, "problem": None}}}))  # a manifest of before
    assert [(s.stream, s.complete, s.unavailable) for s in summary.streams] == \
        [("users", False, why), ("tickets", True, None)]
