"""The whole account end to end: every stream of the real ``scrapy crawl zendesk`` against the sandbox's truth.

A default run (no ``-a streams=``) is checked stream by stream over ``STREAMS``: every record once, every field as
the sandbox serves it, the XML equal to the JSON. A stream added to ``STREAMS`` is checked with no change here, and
fails here until the sandbox serves its truth (``GET /_sandbox/truth/<stream>``, or a check in
``tests/support/truth.py``'s ``TRUTH_CHECKS``).
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from typing import Any

import pytest

from tests.support.crawl import RunningCrawl, run_crawl
from tests.support.truth import assert_union_is_complete, check_against_truth
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

#: Small pages, so every stream paginates.
#: (the export budget unpaced: the sandbox sets none, and a default run reads the ticket events too)
PAGES = {"ZENDESK_EXPORT_PAGE_SIZE": "25", "ZENDESK_LIST_PAGE_SIZE": "4", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


def truth_of(sandbox: SandboxProcess, stream: str) -> list[dict[str, Any]]:
    return sandbox.stream_truth(stream)


#: The export and list endpoints by path.
ENDPOINTS = {"/api/v2/incremental/tickets/cursor.json": "incremental_tickets",
             "/api/v2/incremental/users/cursor.json": "incremental_users",
             "/api/v2/incremental/organizations.json": "incremental_organizations",
             "/api/v2/groups.json": "groups", "/api/v2/ticket_fields.json": "ticket_fields"}


def endpoint(entry: dict[str, Any]) -> str:
    """The endpoint of a request-log entry (comments, user lookups: ``other``)."""
    return ENDPOINTS.get(entry["path"], "other")


def by_id(records: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {record["id"]: record for record in records}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=120, seed=31, rate_limit=1_000_000, export_rate_limit=0) as server:
        server.advance_clock(120)  # the exports hold back the last minute: every record is due
        yield server


@pytest.fixture(scope="module")
def full_backup(sandbox, tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("account")
    result = run_crawl(sandbox.url, export_dir, "-a", "start_time=0", **PAGES)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("stream", list(STREAMS))
def test_a_default_run_exports_every_stream_complete_and_exact(sandbox, full_backup, stream):
    check_against_truth(sandbox, full_backup, stream)
    records = full_backup.records(stream)
    assert full_backup.records(stream, ".xml") == records  # the XML holds the same records
    for path in full_backup.feeds(".json", stream):  # byte-exact: each record line is the API's JSON
        assert json.loads(path.read_bytes())


def test_deleted_users_and_organizations_are_records(full_backup):
    assert any(user["active"] is False for user in full_backup.records("users"))
    assert any(org.get("deleted_at") for org in full_backup.records("organizations"))


def test_ticket_records_name_their_group_organization_and_custom_fields(sandbox, full_backup):
    groups = by_id(truth_of(sandbox, "groups"))
    organizations = by_id(truth_of(sandbox, "organizations"))
    fields = [f for f in truth_of(sandbox, "ticket_fields")]
    titles = Counter(f["title"] for f in fields)
    key = {f["id"]: f["title"] if titles[f["title"]] == 1 else f"{f['title']} ({f['id']})" for f in fields}
    tickets = full_backup.json_records()
    assert tickets and full_backup.xml_records() == tickets
    named_groups = named_orgs = 0
    for ticket in tickets:
        if ticket["status"] == "deleted":
            continue
        group_id, org_id = ticket.get("group_id"), ticket.get("organization_id")
        if group_id is None:
            assert ticket["group"] is None
        else:
            named_groups += 1
            live = groups.get(group_id)
            assert ticket["group"] == {"id": group_id, "name": live["name"] if live and not live.get("deleted")
                                       else None}
        if org_id is None:
            assert ticket["organization"] is None
        else:
            live = organizations.get(org_id)
            named_orgs += 1
            assert ticket["organization"] == {"id": org_id, "name": live["name"] if live and not live.get("deleted_at")
                                              else None}
        if isinstance(ticket.get("custom_fields"), list):
            expected = {key.get(e["id"], f"({e['id']})"): e["value"] for e in ticket["custom_fields"]}
            assert ticket["custom_fields_by_title"] == expected
    assert named_groups and named_orgs
    assert any(k.endswith(")") and " (" in k for t in tickets for k in t.get("custom_fields_by_title", {}))


def test_the_manifest_and_state_cover_every_stream(full_backup):
    manifest = full_backup.manifest()
    assert manifest["status"] == "complete"
    assert set(manifest["streams"]) == set(STREAMS)  # a default run takes every stream
    for stream, facts in manifest["streams"].items():
        assert facts["complete"] and facts["records"] == len(full_backup.records(stream)) and facts["requests"] > 0
    streams = full_backup.state()["streams"]
    assert streams["tickets"]["cursor"] and streams["users"]["cursor"]
    assert isinstance(streams["organizations"]["start_time"], int)
    for name, cls in STREAMS.items():  # a position for each incremental stream; none for a list read in full
        if cls.position_key is None:
            assert name not in streams, name
        else:
            position = streams[name][cls.position_key]
            assert position and isinstance(position, str if cls.position_key == "cursor" else int), (name, position)


def test_a_second_run_exports_only_the_changes_of_each_stream(tmp_path):
    with SandboxProcess(tickets=80, seed=32, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **PAGES)
        assert first.returncode == 0, first.stderr[-3000:]
        saved = first.state()["streams"]
        users = [u["id"] for u in truth_of(sandbox, "users")][:3]
        organizations = [o["id"] for o in truth_of(sandbox, "organizations") if not o.get("deleted_at")][:2]
        tickets = sorted(t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"]
                         if t["status"] != "deleted")[:4]
        changed = sandbox.change(update=tickets, users={"update": users, "create": 1, "delete": users[2:3]},
                                 organizations={"update": organizations})
        sandbox.advance_clock(120)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, **PAGES)
        assert second.returncode == 0, second.stderr[-3000:]
        log = sandbox.requests_log(since=log_start)["log"]

        def first_query(path_end: str) -> dict[str, str]:
            return next(e["query"] for e in log if e["path"].endswith(path_end))

        assert first_query("/incremental/tickets/cursor.json")["cursor"] == saved["tickets"]["cursor"]
        assert first_query("/incremental/users/cursor.json")["cursor"] == saved["users"]["cursor"]
        assert first_query("/incremental/organizations.json")["start_time"] == str(saved["organizations"]["start_time"])
        assert sorted(r["id"] for r in second.records("tickets")) == sorted(tickets)
        created_users = changed["users"]["created"]
        assert sorted(r["id"] for r in second.records("users")) == sorted(users + created_users)
        assert sorted(r["id"] for r in second.records("organizations")) == sorted(organizations)
        truth_users = by_id(truth_of(sandbox, "users"))
        assert all(r == truth_users[r["id"]] for r in second.records("users"))
        assert truth_users[users[2]]["active"] is False
        # Groups and ticket fields are read in full every run.
        assert len(second.records("groups")) == len(truth_of(sandbox, "groups"))
        assert len(second.records("ticket_fields")) == len(truth_of(sandbox, "ticket_fields"))


def backup_then_change(sandbox: SandboxProcess, tmp_path, **changes: Any) -> dict[str, Any]:
    """A first full backup, then two tickets updated and ``changes`` made; the state's streams after the backup."""
    first = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **PAGES)
    assert first.returncode == 0, first.stderr[-3000:]
    sandbox.change(update=[t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"]][:2], **changes)
    sandbox.advance_clock(120)
    return first.state()["streams"]


def test_one_stream_alone_leaves_the_other_positions_untouched(tmp_path):
    with SandboxProcess(tickets=40, seed=33, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        before = backup_then_change(sandbox, tmp_path, users={"create": 1})
        log_start = sandbox.requests_log()["count"]
        users_only = run_crawl(sandbox.url, tmp_path, "-a", "streams=users", **PAGES)
        assert users_only.returncode == 0, users_only.stderr[-3000:]
        log = sandbox.requests_log(since=log_start)["log"]
        assert {endpoint(e) for e in log} == {"incremental_users"}
        after = users_only.state()["streams"]
        assert after["tickets"] == before["tickets"] and after["organizations"] == before["organizations"]
        assert after["users"]["cursor"] != before["users"]["cursor"]
        assert [p.name.split("-")[0] for p in users_only.all_new_files if not p.name.startswith("manifest")] \
            == ["users", "users"]
        assert len(users_only.records("users")) == 1


def test_unknown_stream_is_refused_before_any_request(sandbox, tmp_path):
    log_start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path, "-a", "streams=tickets,comments")
    assert result.returncode == 2
    assert "streams must be a comma list" in result.failure_lines()[0]
    assert all(name in result.failure_lines()[0] for name in STREAMS)  # the known names, listed
    assert sandbox.requests_log()["count"] == log_start


def test_a_stream_failing_forever_keeps_its_position_while_the_others_advance(tmp_path):
    with SandboxProcess(tickets=40, seed=34, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        before = backup_then_change(sandbox, tmp_path, users={"create": 1}, organizations={"create": 1})
        sandbox.faults([{"endpoint": "incremental_organizations", "kind": "status", "status": 503, "count": -1}])
        second = run_crawl(sandbox.url, tmp_path, RETRY_TIMES="1", ZENDESK_RETRY_BACKOFF_BASE="0", **PAGES)
        assert second.returncode == 1
        (line,) = second.failure_lines()
        assert "organizations" in line
        after = second.state()["streams"]
        assert after["organizations"] == before["organizations"]
        assert after["users"]["cursor"] != before["users"]["cursor"]
        assert after["tickets"]["cursor"] != before["tickets"]["cursor"]
        manifest = second.manifest()
        assert manifest["status"] == "failed"
        assert not manifest["streams"]["organizations"]["complete"] and manifest["streams"]["users"]["complete"]
        sandbox.faults([])
        third = run_crawl(sandbox.url, tmp_path, **PAGES)
        assert third.returncode == 0, third.stderr[-3000:]
        assert len(third.records("organizations")) == 1  # the change the failed run could not export
        assert third.records("users") == [] and third.records("tickets") == []


def test_the_export_budget_is_shared_in_turns(tmp_path):
    """Exports with many pages under a binding export budget: none waits behind another's end.

    The ticket and organization exports share Zendesk's ``incremental-exports`` budget; the user
    export has its own (``incremental-exports-cursor``, twice as large), so it never waits for them.
    """
    with SandboxProcess(tickets=100, seed=35, rate_limit=1_000_000, export_rate_limit=4, time_scale=20,
                        export_budget_header=True) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets,users,organizations",
                           ZENDESK_EXPORT_PAGE_SIZE="5", ZENDESK_RATE_LIMIT_WINDOW="3")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()["log"]
        assert sandbox.requests_log()["statuses"].get("429", 0) == 0  # paced by the announced budgets
        shared = [endpoint(e) for e in log if endpoint(e) in ("incremental_tickets", "incremental_organizations")]
        pages = Counter(shared)
        assert min(pages.values()) >= 3, pages
        for name, count in pages.items():
            last = max(i for i, e in enumerate(shared) if e == name) + 1
            # Taking turns, a stream's last page comes once every stream had at most as many pages as it had.
            turns = sum(min(count, other) for other in pages.values())
            assert last <= turns + 1, (name, last, turns, shared)
        windows = Counter((e["window"], endpoint(e)) for e in log if endpoint(e).startswith("incremental_"))
        # Per window: at most 4 of the shared budget, at most 8 of the users' own; the users' budget was used.
        assert all(sum(n for (w, e), n in windows.items() if w == window and e != "incremental_users") <= 4
                   for window in {w for w, _ in windows})
        assert max(n for (w, e), n in windows.items() if e == "incremental_users") > 4


#: The incremental streams (those with a saved position) besides the tickets, whose kills and resumes
#: tests/e2e/test_interrupted_runs.py checks with their comments.
INCREMENTAL = [name for name, cls in STREAMS.items() if cls.position_key and name != "tickets"]
#: Streams whose checkpoint also lists versions of a part of their stored records: the side conversations' list
#: names the saved second's events (the export's position is an event time) beside the side conversations.
LISTED_PARTS = {"side_conversations": "events"}


def stored_records(export_dir, stream: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every record of every finished JSON file of a stream (each file must parse): those of the files the state
    names (its last checkpoint's), and those of a file stored after it, in the instant before a kill."""
    named = set(json.loads((export_dir / "state.json").read_text("utf-8"))["checkpoint"]["files"])
    files = sorted(export_dir.glob(f"{stream}-*.json"))
    late = [path for path in files if str(path) not in named]
    assert len(late) <= 1, late  # each stored file is named by a checkpoint at once
    return ([r for path in files if path not in late for r in json.loads(path.read_bytes())],
            [r for path in late for r in json.loads(path.read_bytes())])


def saved_entry(export_dir, stream: str) -> dict[str, Any]:
    """The stream's entry in the state file (empty: none yet)."""
    state = export_dir / "state.json"
    return json.loads(state.read_text("utf-8"))["streams"].get(stream, {}) if state.exists() else {}


def checkpointed(export_dir, stream: str) -> bool:
    """Whether a checkpoint saved something of the stream: a position past where it began (``start_time=0``), or
    records stored after its position."""
    entry = saved_entry(export_dir, stream)
    return entry.get(STREAMS[stream].position_key) not in (None, 0) or bool(entry.get("stored_after_cursor"))


#: Each ticket export page held back a second: the tickets keep the run going while the other streams are read
#: (and checkpointed), so the kill comes before the run's end whatever the machine's speed.
SLOW_TICKET_PAGES = [{"endpoint": "incremental_tickets", "kind": "slow", "delay_ms": 1000, "count": -1}]


def kill_once_checkpointed(sandbox: SandboxProcess, running: RunningCrawl, export_dir, streams: list[str]) -> None:
    """Wait on the run's checkpoint log lines until each stream has a checkpoint, then SIGKILL the run (and let
    the ticket export answer at its speed again)."""
    while not all(checkpointed(export_dir, stream) for stream in streams):
        running.wait_for("Checkpoint: ")
    running.proc.send_signal(signal.SIGKILL)
    assert running.finish().returncode != 0
    sandbox.faults([])


def assert_resumed_without_loss_or_repeat(sandbox: SandboxProcess, export_dir, stream: str,
                                          checkpoint: dict[str, Any],
                                          stored: tuple[list[dict[str, Any]], list[dict[str, Any]]],
                                          again: list[dict[str, Any]], log: list[dict[str, Any]]) -> None:
    """What the killed run stored and what the resumed run exported: every record of the truth, each as the API
    serves it, exactly once (only the records of a file stored after the last checkpoint, in the instant before
    the kill, may come again); the resumed run read from the checkpoint, not from the start."""
    truth = by_id(truth_of(sandbox, stream))
    named, late = stored
    parts = LISTED_PARTS.get(stream)
    listable = {r["id"] for r in named} | {part["id"] for r in named if parts for part in r[parts]}
    assert named and {v[0] for v in checkpoint.get("stored_after_cursor", [])} <= listable  # only what is stored
    ids = Counter(r["id"] for r in named + late + again)
    assert set(ids) == set(truth)  # nothing lost
    twice = {i for i, n in ids.items() if n > 1}
    assert twice <= {r["id"] for r in late} and max(ids.values()) <= 2, twice  # nothing the state knew twice
    assert all(r == truth[r["id"]] for r in named + late + again)
    assert len(again) < len(truth)  # it did not start from zero
    query = next(e["query"] for e in log if e["path"] == STREAMS[stream].path)
    for key in ("cursor", "start_time"):  # an export asks from the checkpoint (the rating list is read in full)
        if key in query and checkpoint.get(key) is not None:
            assert query[key] == str(checkpoint[key]), (stream, query, checkpoint)
            break


@pytest.mark.parametrize("stream", INCREMENTAL)
def test_a_stream_killed_after_a_batch_checkpoint_resumes_and_loses_nothing(tmp_path, stream):
    """Batches of five: each incremental stream's checkpoint is saved as its files are stored, and a SIGKILL then
    loses none of its records and stores none twice. The tickets keep the run going (and resume too)."""
    with SandboxProcess(tickets=300, seed=36, rate_limit=0, export_rate_limit=0, latency_ms=30) as sandbox:
        sandbox.advance_clock(120)  # the exports hold back the last minute: every record is due
        settings = {"ZENDESK_EXPORT_PAGE_SIZE": "40", "ZENDESK_BATCH_ITEM_COUNT": "5",
                    "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}
        selected = ("-a", f"streams={stream},tickets")
        sandbox.faults(SLOW_TICKET_PAGES)
        kill_once_checkpointed(sandbox, RunningCrawl(sandbox.url, tmp_path, "-a", "start_time=0", *selected,
                                                     **settings), tmp_path, [stream])
        checkpoint, stored = saved_entry(tmp_path, stream), stored_records(tmp_path, stream)
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, tmp_path, *selected, **settings)
        assert second.returncode == 0, second.stderr[-3000:]
        assert_resumed_without_loss_or_repeat(sandbox, tmp_path, stream, checkpoint, stored, second.records(stream),
                                              sandbox.requests_log(since=log_start)["log"])
        assert_union_is_complete(tmp_path, sandbox.truth())


@pytest.fixture(scope="module")
def killed_on_time_and_resumed(tmp_path_factory):
    """A default run with the default batch size, so that only the time-based checkpoint (every second here) can
    save the streams read while the tickets still run; once each incremental stream has one, a SIGKILL, then a
    resumed run. Yields the sandbox (still serving its truth), the location, and per stream its checkpoint at the
    kill, what the killed run stored, what the resumed run exported; and the resumed run's requests."""
    export_dir = tmp_path_factory.mktemp("on-time")
    with SandboxProcess(tickets=400, seed=37, rate_limit=0, export_rate_limit=0, latency_ms=60) as sandbox:
        sandbox.advance_clock(120)
        settings = {"ZENDESK_CHECKPOINT_INTERVAL": "1", "ZENDESK_EXPORT_PAGE_SIZE": "50",
                    "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}
        sandbox.faults(SLOW_TICKET_PAGES)
        kill_once_checkpointed(sandbox, RunningCrawl(sandbox.url, export_dir, "-a", "start_time=0", **settings),
                               export_dir, INCREMENTAL)
        checkpoints = {stream: saved_entry(export_dir, stream) for stream in INCREMENTAL}
        stored = {stream: stored_records(export_dir, stream) for stream in INCREMENTAL}
        log_start = sandbox.requests_log()["count"]
        second = run_crawl(sandbox.url, export_dir, **settings)
        assert second.returncode == 0, second.stderr[-3000:]
        log = sandbox.requests_log(since=log_start)["log"]
        yield sandbox, export_dir, checkpoints, stored, {s: second.records(s) for s in INCREMENTAL}, log


@pytest.mark.parametrize("stream", INCREMENTAL)
def test_every_incremental_stream_is_checkpointed_on_time_and_a_kill_loses_nothing(killed_on_time_and_resumed,
                                                                                   stream):
    sandbox, export_dir, checkpoints, stored, again, log = killed_on_time_and_resumed
    assert_resumed_without_loss_or_repeat(sandbox, export_dir, stream, checkpoints[stream], stored[stream],
                                          again[stream], log)


def test_the_tickets_of_the_run_killed_on_time_are_complete_across_both_runs(killed_on_time_and_resumed):
    sandbox, export_dir, *_ = killed_on_time_and_resumed
    assert_union_is_complete(export_dir, sandbox.truth())


def test_tickets_wait_for_the_ticket_fields_and_say_so_when_those_fail(sandbox, tmp_path):
    sandbox.faults([{"endpoint": "ticket_fields", "kind": "status", "status": 503, "count": -1}])
    try:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets,users",
                           RETRY_TIMES="1", ZENDESK_RETRY_BACKOFF_BASE="0")
    finally:
        sandbox.faults([])
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "ticket field list stopped" in line and "503" in line
    assert set(result.state()["streams"]) == {"users"}  # the users completed; the tickets keep no position
    problem = result.manifest()["streams"]["tickets"]["problem"]
    assert problem == "the tickets stream did not start: it needs the ticket_fields stream, which did not complete"
    assert result.records("tickets") == []


def test_feeds_that_take_no_records_of_a_selected_stream_are_refused(sandbox, tmp_path):
    log_start = sandbox.requests_log()["count"]
    feeds = json.dumps({str(tmp_path / "t.json"): {"format": "json",
                                                    "item_classes": ["zendesk_crawler.items.TicketRecord"]}})
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-s", f"FEEDS={feeds}")
    assert result.returncode == 2
    (line,) = result.failure_lines()
    assert f"no feed takes the records of {', '.join(name for name in STREAMS if name != 'tickets')}" in line
    assert sandbox.requests_log()["count"] == log_start
