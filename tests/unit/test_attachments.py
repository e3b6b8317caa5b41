"""Attachment files: which files are served, the index kept in the export location, what a record needs."""

import json

import pytest
from scrapy.utils.test import get_crawler

from zendesk_crawler.pipelines.attachment_index import AttachmentIndex, digest_path, stored_file
from zendesk_crawler.pipelines.attachments import why_not_served


@pytest.mark.parametrize("attachment, why", [
    ({"deleted": False, "malware_scan_result": "malware_not_found"}, None),
    ({"deleted": True, "malware_scan_result": "malware_not_found"}, "deleted"),
    ({"malware_scan_result": "malware_found"}, "malware_found"),
    ({"malware_scan_result": "malware_found", "malware_access_override": True}, None),
    ({}, None),
])
def test_which_attachments_zendesk_serves(attachment, why):
    assert why_not_served(attachment) == why


def test_the_index_is_written_in_segments_and_read_back_by_the_next_run(tmp_path):
    settings = get_crawler().settings
    first = AttachmentIndex(str(tmp_path), "run-1", settings)
    first.load()
    assert first.entries == {} and not first.has_digest("ab" * 32)
    entry = stored_file(digest_path("ab" * 32), "ab" * 32, 5)
    first.add("attachment:1", entry)
    first.add("recording:https://acme.zendesk.com/api/v2/channels/voice/calls/CA1/twilio/call/recording", entry)
    first.flush()
    first.flush()  # nothing new: no empty segment
    first.add("attachment:2", stored_file(digest_path("cd" * 32), "cd" * 32, 0))
    first.flush()
    segments = sorted((tmp_path / "attachments" / "index").glob("*.jsonl"))
    assert [p.name for p in segments] == ["run-1-00001.jsonl", "run-1-00002.jsonl"]
    assert json.loads(segments[1].read_text("utf-8").splitlines()[0]) == {
        "key": "attachment:2", "path": f"attachments/cd/{'cd' * 32}", "sha256": "cd" * 32, "size": 0}
    second = AttachmentIndex(str(tmp_path), "run-2", settings)
    second.load()
    assert second.get("attachment:1") == entry and second.has_digest("cd" * 32)
    assert len(second.entries) == 3 and second.new == []


def test_many_segments_are_compacted_into_one_at_the_end_of_a_run(tmp_path, monkeypatch):
    from zendesk_crawler.pipelines import attachment_index as index_module

    monkeypatch.setattr(index_module, "COMPACT_AFTER", 2)
    settings = get_crawler().settings
    for run in range(3):
        earlier = AttachmentIndex(str(tmp_path), f"run-{run}", settings)
        earlier.add(f"attachment:{run}", stored_file(digest_path(f"{run:02d}" * 32), f"{run:02d}" * 32, run))
        earlier.flush()
    last = AttachmentIndex(str(tmp_path), "run-3", settings)
    last.load()
    last.add("attachment:3", stored_file(digest_path("03" * 32), "03" * 32, 3))
    last.compact()
    segments = sorted(p.name for p in (tmp_path / "attachments" / "index").glob("*.jsonl"))
    assert segments == ["run-3-compact.jsonl"]
    again = AttachmentIndex(str(tmp_path), "run-4", settings)
    again.load()
    assert sorted(again.entries) == [f"attachment:{n}" for n in range(4)]
