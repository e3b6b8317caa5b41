"""End to end: the real ``scrapy crawl zendesk`` process against the sandbox Zendesk on loopback.

Every assertion compares the exported files with the sandbox's ground truth.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from tests.support.crawl import RunningCrawl, run_crawl
from tests.support.paths import STATE_V1
from tests.support.truth import assert_matches_truth
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SandboxProcess

pytestmark = pytest.mark.slow

TICKETS_EXPORT = "/api/v2/incremental/tickets/cursor.json"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=150, seed=7) as server:
        yield server


def test_full_export_then_resume_exports_only_the_changes(sandbox, tmp_path):
    truth = sandbox.truth()
    first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert first.returncode == 0, first.stderr[-3000:]
    records = first.json_records()
    assert_matches_truth(records, truth)
    assert first.xml_records() == records
    assert any(t["_support_type_scope"] != "agent" for t in truth["tickets"]), "sandbox has no AI-agent tickets"
    assert any(len(t["comments"]) > 100 for t in truth["tickets"]), "sandbox has no multi-page conversation"
    assert any(t["status"] == "deleted" for t in truth["tickets"])

    state = first.state()
    comments = sum(len(t["comments"]) for t in truth["tickets"])
    assert state["streams"]["tickets"]["cursor"] and state["base_url"] == sandbox.url
    assert state["last_run"]["tickets_exported"] == len(truth["tickets"])
    assert state["last_run"]["comments_exported"] == comments
    feeds = [p for p in first.all_new_files if p.suffix in (".json", ".xml") and p.name.split("-")[0] not in
             ("manifest", "state.json")]
    assert sorted(state["last_run"]["files"]) == sorted(str(p) for p in feeds) and len(feeds) == 2 * len(STREAMS)
    log = sandbox.requests_log()
    assert log["statuses"].keys() == {"200", "404"} or log["statuses"].keys() == {"200"}
    assert state["last_run"]["requests"] == log["count"]

    ids = sorted(t["id"] for t in truth["tickets"] if t["status"] != "deleted")
    changed = sandbox.change(add_comments=ids[:3], update=ids[3:5], delete=ids[5:6], create=2)
    sandbox.advance_clock(120)
    log_start = sandbox.requests_log()["count"]
    second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "start_time is ignored" in second.stderr

    new_truth = sandbox.truth()
    expected_ids = set(changed["changed"]) | set(changed["created"])
    records2 = second.json_records()
    assert_matches_truth(records2, new_truth, ids=expected_ids)
    assert second.xml_records() == records2
    assert len(second.new_files) == 2 and not set(second.new_files) & set(first.new_files)
    assert first.json_records() == records  # the first run's files are untouched

    second_log = sandbox.requests_log(since=log_start)["log"]
    first_export = next(entry for entry in second_log if entry["path"].endswith("/incremental/tickets/cursor.json"))
    assert first_export["query"].get("cursor") == state["streams"]["tickets"]["cursor"]
    assert "start_time" not in first_export["query"]
    comment_requests = [e for e in second_log if e["path"].endswith("/comments.json")]
    assert len(comment_requests) <= len(expected_ids) + 2  # only the changed tickets' conversations
    assert second.state()["streams"]["tickets"]["cursor"] != state["streams"]["tickets"]["cursor"]


def test_ignore_cursor_starts_again_from_start_time(sandbox, tmp_path):
    assert run_crawl(sandbox.url, tmp_path, "-a", "start_time=0").returncode == 0
    log_start = sandbox.requests_log()["count"]
    again = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "ignore_cursor=true")
    assert again.returncode == 0, again.stderr[-3000:]
    first_export = next(e for e in sandbox.requests_log(since=log_start)["log"] if e["path"] == TICKETS_EXPORT)
    assert first_export["query"]["start_time"] == "0" and "cursor" not in first_export["query"]
    assert len(again.json_records()) == len(sandbox.truth()["tickets"])


def test_rejected_token_fails_fast_with_one_clear_line_and_no_state(sandbox, tmp_path):
    log_start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_API_TOKEN="wrong-token")
    assert result.returncode != 0
    (line,) = result.failure_lines()
    assert "401" in line and "rejected" in line
    assert result.state() is None
    # No retry storm: the first request of each stream, and nothing more (the tickets wait for the ticket fields).
    assert sandbox.requests_log()["count"] - log_start <= len(STREAMS) - 1


def test_unreadable_state_is_an_error_before_any_request(sandbox, tmp_path):
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")
    log_start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path)
    assert result.returncode == 2
    (line,) = result.failure_lines()
    assert "state.json" in line and "not valid JSON" in line
    assert sandbox.requests_log()["count"] == log_start
    assert (tmp_path / "state.json").read_text(encoding="utf-8") == "{not json"


def test_ticket_deleted_during_the_run_is_exported_flagged(tmp_path):
    with SandboxProcess(tickets=30, seed=3) as server:
        truth = server.truth()
        victim = next(t["id"] for t in truth["tickets"] if t["status"] != "deleted")
        server.change(delete_on_comment_read=[victim])
        result = run_crawl(server.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        records = {r["id"]: r for r in result.json_records()}
        assert records[victim]["_export"]["comments"] == "not_found"
        assert records[victim]["comments"] == []
        assert "'zendesk/comments_not_found': 1" in result.stderr


def test_credentials_never_appear_in_logs_or_files(sandbox, tmp_path):
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0, result.stderr[-3000:]
    basic = base64.b64encode(f"{DEFAULT_EMAIL}/token:{DEFAULT_API_TOKEN}".encode()).decode()
    outputs = [result.stdout, result.stderr] + [p.read_text("utf-8") for p in tmp_path.iterdir() if p.is_file()]
    assert len(outputs) >= 5  # logs, two feeds, the state file
    for text in outputs:
        assert DEFAULT_API_TOKEN not in text and basic not in text


@pytest.mark.parametrize("mode", ["tickets", "events"])
def test_ticket_changed_during_the_run_is_exported_in_its_newest_version(tmp_path, mode):
    with SandboxProcess(tickets=300, seed=5, rate_limit=1000000, export_rate_limit=0, latency_ms=20) as server:
        first_ticket = server.truth(comments=False)["tickets"][0]["id"]
        # The third export page answers late, so the export is still open when the change lands (a loaded
        # machine could otherwise read the stream to its end before the first progress line); the change waits
        # until the first page's records (the first ticket's among them) are exported, else its first version
        # would rightly be superseded instead of exported.
        server.faults([{"endpoint": "incremental_tickets", "kind": "slow", "delay_ms": 5000, "every": 3,
                        "count": 1}])
        crawl = RunningCrawl(server.url, tmp_path, "-a", "start_time=0", "-a", f"comments={mode}",
                             ZENDESK_EXPORT_PAGE_SIZE="30", ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000",
                             ZENDESK_PROGRESS_INTERVAL="0.2")
        exported = 0
        while exported < 30:
            exported = int(re.search(r"tickets: (\d+) records", crawl.wait_for("Progress: ")).group(1))
        server.change(add_comments=[first_ticket])
        server.advance_clock(120)  # the change is now old enough for the export to show it
        result = crawl.finish()
        assert result.returncode == 0, result.stderr[-3000:]
        truth = server.truth()
        records = result.json_records()
        versions = [(r["id"], r["updated_at"]) for r in records]
        assert len(versions) == len(set(versions)), "a ticket version was written twice"
        newest = {r["id"]: r for r in records}  # files are in stream order: the last record wins
        assert_matches_truth(list(newest.values()), truth)
        assert sum(1 for r in records if r["id"] == first_ticket) == 2


@pytest.mark.parametrize("mode", ["tickets", "events"])
def test_tickets_changed_after_their_page_keep_their_whole_conversation(tmp_path, mode):
    # 400 tickets in export pages of 100; 10 tickets of the first page get one new comment each
    # once the second page was served. The newest record of each must hold every comment.
    with SandboxProcess(tickets=400, seed=45, rate_limit=1000000, export_rate_limit=0, latency_ms=20,
                        heavy_tickets=False) as server:
        first_page = [t["id"] for t in server.truth(comments=False, users=False)["tickets"][:100]
                      if t["status"] != "deleted"]
        # The third export page answers 5 s late: the change below lands while the export is still open (on a
        # fast machine the crawler could otherwise read the stream to its end before the change is made).
        server.faults([{"endpoint": "incremental_tickets", "kind": "slow", "delay_ms": 5000, "every": 3,
                        "count": 1}])
        crawl = RunningCrawl(server.url, tmp_path, "-a", "start_time=0", "-a", f"comments={mode}",
                             ZENDESK_EXPORT_PAGE_SIZE="100", ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000",
                             ZENDESK_PROGRESS_INTERVAL="0.1")
        pages = 0
        while pages < 2:
            line = crawl.wait_for("Progress: ")
            pages = int(re.search(r"tickets: \d+ records from (\d+) pages", line).group(1))
        server.change(add_comments=first_page[:10])
        server.advance_clock(120)
        result = crawl.finish()
        assert result.returncode == 0, result.stderr[-3000:]
        newest = {r["id"]: r for r in result.json_records()}
        assert_matches_truth(list(newest.values()), server.truth())
        assert result.xml_records() == result.json_records()


def listening_sockets(pid: int) -> set[str]:
    """Inodes of the TCP sockets process ``pid`` holds in the LISTEN state (from /proc)."""
    listening = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        for line in path.read_text().splitlines()[1:] if path.exists() else []:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening.add(fields[9])
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[len("socket:["):-1])
    return listening & held


def test_a_crawl_opens_no_listening_port_and_writes_no_job_file(tmp_path):
    profile = tmp_path / "home"
    profile.mkdir()
    with SandboxProcess(tickets=60, seed=8, rate_limit=0, export_rate_limit=0, latency_ms=100) as server:
        crawl = RunningCrawl(server.url, tmp_path / "out", "-a", "start_time=0", ZENDESK_PROGRESS_INTERVAL="0.2",
                             HOME=str(profile), XDG_STATE_HOME=str(profile / "state"),
                             XDG_DATA_HOME=str(profile / "data"))
        crawl.wait_for("Progress: ")
        assert listening_sockets(crawl.proc.pid) == set()  # no telnet console, no RemoteControl server
        result = crawl.finish()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Remote control" not in result.stderr and "Telnet console" not in result.stderr
    assert [p for p in profile.rglob("*") if p.is_file()] == []  # no job file with a control token


def test_the_log_tells_the_truth(tmp_path):
    with SandboxProcess(tickets=120, seed=19, rate_limit=0, export_rate_limit=0) as server:
        truth = server.truth()
        # (the export budget unpaced: a default run reads the ticket events too, in pages of 20)
        result = run_crawl(server.url, tmp_path, "-a", "start_time=0", ZENDESK_BATCH_ITEM_COUNT="50",
                           ZENDESK_EXPORT_PAGE_SIZE="20", ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000")
        assert result.returncode == 0, result.stderr[-3000:]
        requests = server.requests_log()
    records = result.json_records()
    sizes = [len(json.loads(path.read_bytes())) for path in result.feeds(".json")]
    assert sizes == [50, 50, len(truth["tickets"]) - 100]
    checkpoints = [int(n) for n in re.findall(r"Checkpoint: .*tickets: (\d+) records of this run are in stored files",
                                              result.stderr)]
    cumulative = {sum(sizes[:n]) for n in range(1, len(sizes) + 1)}
    assert checkpoints and set(checkpoints) <= cumulative  # what the stored files held at that moment
    stored = [int(n) for n in re.findall(r"Stored json feed \((\d+) items\) in: .*/tickets-", result.stderr)]
    assert stored == sizes
    final = re.findall(r"Progress: (\d+) requests; .*tickets: (\d+) records from (\d+) pages, done; "
                       r"(?:.*; )?comments: (\d+) from (\d+) comment pages", result.stderr)[-1]
    by_endpoint = requests["by_endpoint"]
    assert [int(n) for n in final] == [
        requests["count"], len(records), by_endpoint["incremental_tickets"],
        sum(len(r["comments"]) for r in records), by_endpoint["ticket_comments"]]
    assert len(records) == len(truth["tickets"])


def test_a_version_1_state_file_resumes_from_its_cursor(sandbox, tmp_path):
    first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert first.returncode == 0, first.stderr[-3000:]
    cursor = first.state()["streams"]["tickets"]["cursor"]
    # The state file as the previous version of the crawler wrote it (tests/fixtures/state/state-v1.json).
    v1 = json.loads(STATE_V1.read_text("utf-8"))
    v1.update(base_url=sandbox.url, cursor=cursor)
    (tmp_path / "state.json").write_text(json.dumps(v1), encoding="utf-8")
    ids = sorted(t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted")
    changed = sandbox.change(update=ids[10:12])
    sandbox.advance_clock(120)
    log_start = sandbox.requests_log()["count"]
    second = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert second.returncode == 0, second.stderr[-3000:]
    first_export = next(e for e in sandbox.requests_log(since=log_start)["log"] if e["path"] == TICKETS_EXPORT)
    assert first_export["query"].get("cursor") == cursor  # no full re-export after the upgrade
    assert {r["id"] for r in second.json_records()} == set(changed["changed"])
    upgraded = second.state()
    assert upgraded["version"] == 2 and upgraded["streams"]["tickets"]["cursor"] not in (None, cursor)
