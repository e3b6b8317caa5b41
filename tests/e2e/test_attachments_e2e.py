"""Attachment files end to end: the real crawl with ``-a attachments=true`` against the sandbox's files."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import CrawlResult, RunningCrawl, run_crawl
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

ON = ("-a", "attachments=true", "-a", "streams=tickets")


def stored_files(records: list[dict[str, Any]]) -> dict[tuple[str, Any], Any]:
    """Every ``stored_file`` of the records: attachments by id, voice recordings by comment id."""
    found = {}
    for record in records:
        for comment in record["comments"]:
            for attachment in comment.get("attachments") or []:
                found[("attachment", attachment["id"])] = attachment["stored_file"]
            if "recording_stored_file" in comment:
                found[("recording", comment["id"])] = comment["recording_stored_file"]
    return found


def truth_key(entry: dict[str, Any]) -> tuple[str, Any]:
    if entry["kind"] == "attachment":
        return ("attachment", entry["attachment_id"])
    return ("recording", entry["comment_id"])


def assert_files_match_truth(result: CrawlResult, truth: list[dict[str, Any]], export_dir: Path) -> None:
    """Each servable file stored with the right bytes, each unservable one null; JSON and XML agree."""
    records = result.json_records()
    assert result.xml_records() == records
    stored = stored_files(records)
    for entry in truth:
        key = truth_key(entry)
        if key not in stored:
            continue  # a ticket this run did not export
        if not entry["servable"]:
            assert stored[key] is None, key
            continue
        assert stored[key]["sha256"] == entry["sha256"] and stored[key]["size"] == entry["size"], key
        data = (export_dir / stored[key]["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], key


def content_requests(sandbox: SandboxProcess, since: int = 0) -> list[dict[str, Any]]:
    host = sandbox.content_url.split("//", 1)[1]
    return [e for e in sandbox.requests_log(since=since)["log"] if e["host"] == host]


def test_every_attachment_is_stored_once_with_its_bytes_and_credentials_stay_home(tmp_path):
    with SandboxProcess(tickets=60, seed=1, rate_limit=0, export_rate_limit=0) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *ON)
        assert result.returncode == 0, result.stderr[-3000:]
        truth = sandbox.attachments_truth()
        downloads = content_requests(sandbox)
    assert_files_match_truth(result, truth, tmp_path)
    stored = stored_files(result.json_records())
    assert {truth_key(e) for e in truth} == set(stored)  # every attachment and recording, inline images too
    assert any(e["inline"] for e in truth) and any(e["kind"] == "recording" for e in truth)
    servable = [e for e in truth if e["servable"]]
    files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file() and p.parent.name != "index"]
    assert len(files) == len({e["sha256"] for e in servable})  # the same bytes are stored once
    assert downloads and not any(e["authorization"] for e in downloads)  # no credential left the account
    manifest = result.manifest()["attachments"]
    assert manifest["downloaded"] == len(servable) and manifest["files_stored"] == len(files)
    skipped = {key: n for key, n in manifest.items() if key.startswith("skipped/")}
    assert sum(skipped.values()) == len(truth) - len(servable) and set(skipped) <= {
        "skipped/deleted", "skipped/malware_found"}


def test_a_second_run_downloads_only_the_new_attachments(tmp_path):
    with SandboxProcess(tickets=40, seed=11, rate_limit=0, export_rate_limit=0) as sandbox:
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *ON)
        assert first.returncode == 0, first.stderr[-3000:]
        ticket = next(t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"]
                      if t["status"] != "deleted")
        sandbox.change(add_comments=[{"id": ticket, "attachments": 3}], update=[ticket + 1])
        sandbox.advance_clock(120)
        start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, *ON)
        assert second.returncode == 0, second.stderr[-3000:]
        truth = sandbox.attachments_truth()
        downloads = content_requests(sandbox, since=start)
    assert_files_match_truth(second, truth, tmp_path)
    assert len(downloads) == 3  # the new comment's three files; nothing stored before is fetched again
    manifest = second.manifest()["attachments"]
    assert manifest["downloaded"] == 3 and manifest["files_stored"] == 1  # one new file; two share stored bytes
    assert manifest["already_stored"] >= 1  # the changed ticket's earlier files came from the index


def test_a_download_failing_forever_fails_the_run_and_the_next_run_fetches_only_what_is_missing(tmp_path):
    with SandboxProcess(tickets=40, seed=31, rate_limit=0, export_rate_limit=0) as sandbox:
        truth = sandbox.attachments_truth()
        victim = next(e for e in truth if e["servable"] and e["kind"] == "attachment")
        sandbox.faults([{"endpoint": "attachment_content", "kind": "status", "status": 500, "count": -1,
                         "attachment_ids": [victim["attachment_id"]]}])
        failed = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *ON, RETRY_TIMES="1",
                           ZENDESK_RETRY_BACKOFF_BASE="0")
        assert failed.returncode == 1
        (line,) = failed.failure_lines()
        assert f"ticket {victim['ticket_id']}" in line and str(victim["attachment_id"]) in line
        assert victim["ticket_id"] not in {r["id"] for r in failed.json_records()}  # never stored without its file
        assert "tickets" not in (failed.state() or {}).get("streams", {})  # the cursor does not pass it
        sandbox.faults([])
        start = sandbox.requests_log()["count"]
        again = run_crawl(sandbox.url, tmp_path, *ON)
        assert again.returncode == 0, again.stderr[-3000:]
        downloads = content_requests(sandbox, since=start)
    assert_files_match_truth(again, truth, tmp_path)
    assert victim["ticket_id"] in {r["id"] for r in again.json_records()}
    assert again.manifest()["attachments"]["already_stored"] > 0  # what the failed run stored is not fetched again
    assert len(downloads) < len([e for e in truth if e["servable"]])


def test_a_file_over_the_size_cap_is_skipped_by_name_and_is_no_failure(tmp_path):
    with SandboxProcess(tickets=60, seed=1, rate_limit=0, export_rate_limit=0) as sandbox:
        truth = sandbox.attachments_truth()
        cap = 500_000
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", *ON,
                           ZENDESK_ATTACHMENT_MAX_BYTES=str(cap))
    assert result.returncode == 0, result.stderr[-3000:]
    large = [e for e in truth if e["servable"] and e["kind"] == "attachment" and e["size"] > cap]
    assert large
    stored = stored_files(result.json_records())
    assert all(stored[truth_key(e)] is None for e in large)
    assert result.manifest()["attachments"]["skipped/too_large"] == len(large)
    assert all(f"attachment {e['attachment_id']}" in result.stderr for e in large)


def test_a_kill_never_leaves_a_stored_record_pointing_at_a_missing_file(tmp_path):
    with SandboxProcess(tickets=200, seed=1, rate_limit=0, export_rate_limit=0, latency_ms=20) as sandbox:
        truth = sandbox.attachments_truth()
        first = RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", *ON, ZENDESK_BATCH_ITEM_COUNT="10",
                             ZENDESK_EXPORT_PAGE_SIZE="20")
        first.wait_for("Checkpoint: ")
        first.proc.send_signal(signal.SIGKILL)
        assert first.finish().returncode != 0
        stored = [r for p in sorted(tmp_path.glob("tickets-*.json")) for r in json.loads(p.read_bytes())]
        assert stored
        for file in stored_files(stored).values():
            assert file is None or (tmp_path / file["path"]).is_file()
        again = run_crawl(sandbox.url, tmp_path, *ON, ZENDESK_BATCH_ITEM_COUNT="10", ZENDESK_EXPORT_PAGE_SIZE="20")
        assert again.returncode == 0, again.stderr[-3000:]
    union = stored + again.json_records()
    assert {truth_key(e) for e in truth} <= set(stored_files(union))
    for file in stored_files(union).values():
        assert file is None or (tmp_path / file["path"]).is_file()
