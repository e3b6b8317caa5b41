"""Side conversations and messaging tickets' conversation logs, end to end against the sandbox's truth.

Request cost of side conversations (the cheapest documented approach, see the README's "Side conversations"):
``export pages + one list page per ticket with side conversation events since the position``; with the sandbox's
at most three side conversations a ticket every list is one page, and the whole history fits one export page.
Conversation logs: ``sum over the live messaging tickets of ceil(entries / page size)``, none for other tickets.
"""

from __future__ import annotations

import json
import math
import signal
import urllib.request
from collections import Counter
from typing import Any

import pytest

from tests.support.crawl import CHECKPOINTING, RunningCrawl, run_crawl
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

SIDE_EXPORT = "/api/v2/tickets/side_conversations/events.json"
#: Conversation log pages of five entries, so that most logs take several pages.
LOG_PAGE = 5
#: (the export budget unpaced: a default run reads the ticket events too, in pages of 40)
ENV = {"ZENDESK_COMMENTS_PAGE_SIZE": str(LOG_PAGE), "ZENDESK_EXPORT_PAGE_SIZE": "40",
       "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=120, seed=31, rate_limit=1_000_000, export_rate_limit=0) as server:
        yield server


def requests_by_endpoint(sandbox: SandboxProcess) -> Counter[str]:
    return Counter(sandbox.requests_log()["by_endpoint"])


def export_tickets(sandbox: SandboxProcess) -> tuple[int, set[int]]:
    """Pages of the side conversation event export from 0 to its end, and the tickets its events name."""
    pages, tickets, start = 0, set(), 0
    while True:
        request = urllib.request.Request(f"{sandbox.url}{SIDE_EXPORT}?start_time={start}",
                                         headers={"Authorization": sandbox.basic_auth()})
        page = json.load(urllib.request.urlopen(request))
        pages += 1
        tickets |= {event["ticket_id"] for event in page["events"]}
        if page["end_of_stream"]:
            return pages, tickets
        start = page["end_time"]


def is_messaging(ticket: dict[str, Any]) -> bool:
    return ticket.get("from_messaging_channel") is True


@pytest.fixture(scope="module")
def full_backup(sandbox, tmp_path_factory):
    before = requests_by_endpoint(sandbox)
    result = run_crawl(sandbox.url, tmp_path_factory.mktemp("collab"), "-a", "start_time=0", **ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, requests_by_endpoint(sandbox) - before


def test_every_side_conversation_is_exported_with_all_its_events(sandbox, full_backup):
    result, _ = full_backup
    truth = sandbox.stream_truth("side_conversations")
    records = result.records("side_conversations")
    assert truth and len({s["ticket_id"] for s in truth}) > 5
    assert Counter(r["id"] for r in records) == Counter(s["id"] for s in truth)  # none lost, none twice
    assert {r["id"]: r for r in records} == {s["id"]: s for s in truth}  # every field, every event, ticket_id
    assert any(e["message"].get("attachments") for s in truth for e in s["events"] if "message" in e)
    assert {p.get("slack_channel_id") is not None for s in truth for p in s["participants"]} == {True, False}
    assert result.records("side_conversations", ".xml") == records


def test_side_conversations_cost_follows_the_tickets_that_have_them(sandbox, full_backup):
    _, spent = full_backup
    pages, tickets = export_tickets(sandbox)
    assert pages == 1
    assert spent["incremental_side_conversation_events"] == pages
    # One list per ticket with side conversation events (deleted ones answer 404), none for the other tickets.
    assert spent["ticket_side_conversations"] == len(tickets) < sandbox.stats()["tickets"] / 3


def test_messaging_tickets_carry_their_whole_conversation_log(sandbox, full_backup):
    result, spent = full_backup
    logs = sandbox.stream_truth("conversation_logs")
    tickets = result.json_records()
    messaging = [t for t in tickets if is_messaging(t) and t["status"] != "deleted"]
    assert len(messaging) == len(logs) > 3
    for ticket in tickets:
        if ticket in messaging:
            assert ticket["conversation_log"] == logs[str(ticket["id"])]
            messages = [e["content"]["text"] for e in ticket["conversation_log"]
                        if e["type"] == "Messaging::ConversationMessage"]
            assert messages and not {c.get("body") for c in ticket["comments"]} & set(messages)
        else:
            assert "conversation_log" not in ticket
    assert spent["ticket_conversation_log"] == sum(math.ceil(len(log) / LOG_PAGE) for log in logs.values())
    assert any(len(log) > LOG_PAGE for log in logs.values())  # several pages were followed


def test_events_mode_tickets_carry_the_conversation_log_too(sandbox, tmp_path):
    logs = sandbox.stream_truth("conversation_logs")
    before = requests_by_endpoint(sandbox)
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "comments=events",
                       "-a", "streams=tickets", **ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    spent = requests_by_endpoint(sandbox) - before
    messaging = {t["id"]: t for t in result.json_records() if is_messaging(t) and t["status"] != "deleted"}
    assert {str(i) for i in messaging} == set(logs)
    assert all(ticket["conversation_log"] == logs[str(i)] for i, ticket in messaging.items())
    assert spent["ticket_conversation_log"] == sum(math.ceil(len(log) / LOG_PAGE) for log in logs.values())
    assert "incremental_side_conversation_events" not in spent


def test_an_account_without_collaboration_costs_one_probe(tmp_path):
    with SandboxProcess(tickets=60, seed=5, rate_limit=1_000_000, export_rate_limit=0,
                        without=("collaboration",)) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", **ENV)
        spent = requests_by_endpoint(sandbox)
    assert result.returncode == 0, result.stderr[-3000:]
    assert spent["incremental_side_conversation_events"] == 1
    assert spent["ticket_side_conversations"] == 0
    assert result.records("side_conversations") == []
    assert "side_conversations stream is unavailable" in result.stderr
    assert result.json_records()  # the rest of the backup is there



@pytest.fixture(scope="module")
def big_sandbox():
    """Enough side conversation events for three export pages (1000 events a page)."""
    with SandboxProcess(tickets=2500, seed=7, rate_limit=0, export_rate_limit=0, latency_ms=5) as server:
        yield server


def test_export_pages_are_followed_and_each_ticket_is_listed_once(big_sandbox, tmp_path):
    before = requests_by_endpoint(big_sandbox)
    result = run_crawl(big_sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=side_conversations")
    assert result.returncode == 0, result.stderr[-3000:]
    spent = requests_by_endpoint(big_sandbox) - before
    truth = big_sandbox.stream_truth("side_conversations")
    records = result.records("side_conversations")
    assert Counter(r["id"] for r in records) == Counter(s["id"] for s in truth)
    assert {r["id"]: r for r in records} == {s["id"]: s for s in truth}
    pages, tickets = export_tickets(big_sandbox)
    assert pages >= 3
    # export pages + one list per ticket with events: a ticket whose events span pages is not listed twice.
    assert spent == Counter({"incremental_side_conversation_events": pages, "ticket_side_conversations": len(tickets)})
    assert isinstance(result.state()["streams"]["side_conversations"]["start_time"], int)


def test_a_killed_run_resumes_and_loses_no_side_conversation(big_sandbox, tmp_path):
    truth = big_sandbox.stream_truth("side_conversations")
    args = ("-a", "start_time=0", "-a", "streams=side_conversations")
    first = RunningCrawl(big_sandbox.url, tmp_path, *args, **CHECKPOINTING)
    state_file = tmp_path / "state.json"
    while not (state_file.exists() and json.loads(state_file.read_text("utf-8"))["streams"]
               .get("side_conversations", {}).get("start_time")):
        first.wait_for("Checkpoint: ")  # until a whole export page's side conversations are stored
    first.proc.send_signal(signal.SIGKILL)
    assert first.finish().returncode != 0
    killed = json.loads(state_file.read_text("utf-8"))
    saved = killed["streams"]["side_conversations"]["start_time"]
    checkpointed = {uri.rsplit("/", 1)[-1] for uri in killed["checkpoint"]["files"]}
    # What the killed run stored in files its last checkpoint counted (its position, and the versions it listed).
    counted = [(r["id"], r["updated_at"]) for path in sorted(tmp_path.glob("side_conversations-*.json"))
               if path.name in checkpointed for r in json.loads(path.read_bytes())]
    uncounted = {(r["id"], r["updated_at"]) for path in sorted(tmp_path.glob("side_conversations-*.json"))
                 if path.name not in checkpointed for r in json.loads(path.read_bytes())}
    # The position lists its second's events and the side conversations stored after it: never one not stored.
    listed = {tuple(v) for v in killed["streams"]["side_conversations"]["stored_after_cursor"]}
    assert counted and listed & {(s["id"], s["updated_at"]) for s in truth} <= set(counted)
    before = big_sandbox.requests_log()["count"]
    second = run_crawl(big_sandbox.url, tmp_path, *args, **CHECKPOINTING)
    assert second.returncode == 0, second.stderr[-3000:]
    resumed = [e for e in big_sandbox.requests_log(since=before)["log"] if e["path"] == SIDE_EXPORT]
    assert resumed[0]["query"]["start_time"] == str(saved) != "0"
    stored = [r for path in sorted(tmp_path.glob("side_conversations-*.json")) for r in json.loads(path.read_bytes())]
    assert {r["id"]: r for r in stored} == {s["id"]: s for s in truth}  # the two runs together: every one, exact
    # ... and each version once: the killed run's checkpoint listed the side conversations it had stored.
    # ... and each version once, but those in files the killed run stored after its last checkpoint (the JSON
    # batch of a checkpoint whose XML batch the kill cut short): the checkpoint listed every side conversation
    # stored after its position (string ids), and the resumed run exported none of them again.
    versions = Counter((r["id"], r["updated_at"]) for r in stored)
    twice = {version for version, count in versions.items() if count > 1}
    assert max(versions.values()) <= 2 and len(versions) == len(truth)
    assert twice <= uncounted and not twice & set(counted)
    assert 0 < len(second.records("side_conversations")) < len(truth)  # it did not start from zero
    # The next run (nothing changed) lists no ticket again and exports no side conversation again.
    before = big_sandbox.requests_log()["count"]
    third = run_crawl(big_sandbox.url, tmp_path, *args, **CHECKPOINTING)
    assert third.returncode == 0, third.stderr[-3000:]
    assert third.records("side_conversations") == []
    assert [e["path"] for e in big_sandbox.requests_log(since=before)["log"]] == [SIDE_EXPORT]


@pytest.mark.parametrize("endpoint, why", [
    ("ticket_conversation_log", "the conversation log of ticket"),
    ("incremental_side_conversation_events", "the side conversation export stopped"),
])
def test_a_page_that_says_more_but_gives_no_way_on_fails_the_run(tmp_path, endpoint, why):
    with SandboxProcess(tickets=40, seed=31, rate_limit=0, export_rate_limit=0) as sandbox:
        sandbox.faults([{"endpoint": endpoint, "kind": "no_cursor", "count": -1}])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets,side_conversations",
                           **ENV)
    assert result.returncode == 1
    assert why in result.manifest()["failure"] or any(why in line for line in result.failure_lines())
    if endpoint == "incremental_side_conversation_events":
        assert "side_conversations" not in (result.state() or {"streams": {}})["streams"]  # no position saved


#: The sandbox's conversation log budget in the tests below: 8 requests a three-second "minute" (time_scale 20).
LOG_BUDGET = 8
#: Scrapy's CONCURRENT_REQUESTS in the crawler's settings: at most this many requests are out before any answer.
CONCURRENCY = 16
BUDGET_ENV = {"ZENDESK_COMMENTS_PAGE_SIZE": "10", "ZENDESK_RATE_LIMIT_WINDOW": "3"}


@pytest.fixture(scope="module")
def messaging_sandbox():
    """Many messaging tickets (29), and a conversation log budget far below what the account budget allows."""
    with SandboxProcess(tickets=300, seed=3, rate_limit=1_000_000, export_rate_limit=0, time_scale=20,
                        conversation_log_rate_limit=LOG_BUDGET) as server:
        yield server


@pytest.mark.parametrize("setting, most_429s", [
    (str(LOG_BUDGET), 0),  # the setting says the account's budget: paced from the first request, never a 429
    # The default (100 a minute): only the requests out before the first answer announced the budget can be refused.
    (None, CONCURRENCY - LOG_BUDGET),
])
def test_conversation_logs_keep_to_their_own_budget(messaging_sandbox, tmp_path, setting, most_429s):
    logs = messaging_sandbox.stream_truth("conversation_logs")
    before = messaging_sandbox.requests_log()["count"]
    env = dict(BUDGET_ENV)
    if setting is not None:
        env["ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE"] = setting
    result = run_crawl(messaging_sandbox.url, tmp_path, "-a", "start_time=0", "-a", "streams=tickets", **env)
    assert result.returncode == 0, result.stderr[-3000:]
    asked = [e for e in messaging_sandbox.requests_log(since=before)["log"] if e["path"].endswith("/conversation_log")]
    pages = sum(math.ceil(len(log) / 10) for log in logs.values())
    assert pages > 3 * LOG_BUDGET  # more pages than three windows allow: the budget paced them
    refused = [e for e in asked if e["status"] == 429]
    assert len(refused) <= most_429s
    assert len(asked) == pages + len(refused)  # each refused page asked again once, nothing else twice
    assert all(e["status"] in (200, 429) for e in asked)
    assert len({e["window"] for e in asked}) >= math.ceil(pages / LOG_BUDGET)
    messaging = {t["id"]: t for t in result.json_records() if is_messaging(t) and t["status"] != "deleted"}
    assert {str(i) for i in messaging} == set(logs)
    assert all(ticket["conversation_log"] == logs[str(i)] for i, ticket in messaging.items())  # every log complete
