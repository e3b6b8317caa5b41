"""Reading side conversation and conversation log pages (the documented samples) and the sandbox's shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.paths import SAMPLES
from tests.unit.test_sandbox import get
from zendesk_crawler.streams.side_conversations import (
    last_second_ids,
    page_tickets,
    precise_time,
    side_conversation_records,
)
from zendesk_crawler.streams.tickets.conversation_log import is_messaging
from zendesk_sandbox import SandboxProcess


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text("utf-8"))


def test_a_side_conversation_record_is_the_listed_object_with_its_ticket_and_events():
    page = sample("ticket_side_conversations.json")
    (record,) = side_conversation_records(page, 1, 3)
    assert record.page == 3 and record["ticket_id"] == 1
    assert {k: v for k, v in record.items() if k not in ("ticket_id", "events")} == page["side_conversations"][0]
    assert record["events"] == page["events"]


def test_events_are_given_to_their_own_side_conversation_and_a_listed_ticket_id_is_kept():
    page = {"side_conversations": [{"id": "a", "ticket_id": 9}, {"id": "b"}, "not an object"],
            "events": [{"id": 1, "side_conversation_id": "b"}, {"id": 2, "side_conversation_id": "a"},
                       {"id": 3, "side_conversation_id": "b"}]}
    first, second = side_conversation_records(page, 7, 1)
    assert (first["ticket_id"], [e["id"] for e in first["events"]]) == (9, [2])
    assert (second["ticket_id"], [e["id"] for e in second["events"]]) == (7, [1, 3])


def test_an_export_page_names_each_ticket_once_and_skips_repeated_events():
    events = [{"id": "e1", "ticket_id": 5, "created_at": "2024-01-01T00:00:00.100+00:00"},
              {"id": "e2", "ticket_id": 3, "created_at": "2024-01-01T00:00:01.000+00:00"},
              {"id": "e3", "ticket_id": 5, "created_at": "2024-01-01T00:00:01.500+00:00"},
              {"id": "e4", "ticket_id": True}, "junk"]
    assert page_tickets(events, set(), {}) == [5, 3]
    assert page_tickets(events, {"e1", "e3"}, {}) == [3]
    assert last_second_ids(events, 1704067201) == {"e2", "e3"}


def test_a_ticket_listed_in_this_run_is_listed_again_only_for_newer_events():
    listed_until = precise_time("2024-01-01T00:00:01.200+00:00")
    events = [{"id": "old", "ticket_id": 5, "created_at": "2024-01-01T00:00:01.200+00:00"},
              {"id": "odd", "ticket_id": 6, "created_at": "not a time"}]
    assert page_tickets(events, set(), {5: listed_until, 6: listed_until}) == [6]
    newer = [{"id": "new", "ticket_id": 5, "created_at": "2024-01-01T00:00:01.201+00:00"}]
    assert page_tickets(newer, set(), {5: listed_until}) == [5]


def test_the_documented_export_sample_names_its_events_ticket_and_end_time():
    page = sample("side_conversation_events_incremental.json")
    assert page_tickets(page["events"], set(), {}) == []  # the example's event has no ticket_id
    assert isinstance(page["end_time"], int) and page["next_page"]


@pytest.mark.parametrize("ticket, messaging", [
    ({"from_messaging_channel": True, "via": {"channel": "web"}}, True),
    ({"via": {"channel": "native_messaging"}}, True),
    ({"via": {"channel": "whatsapp"}}, True),
    ({"via": {"channel": "email"}, "from_messaging_channel": False}, False),
    ({"via": "native_messaging"}, False),
    ({}, False),
])
def test_a_messaging_ticket_is_known_by_its_flag_or_channel(ticket, messaging):
    assert is_messaging(ticket) is messaging


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=120, seed=31, rate_limit=0, export_rate_limit=0) as server:
        yield server


def test_the_sandbox_answers_keep_the_documented_shapes(sandbox):
    export = get(f"{sandbox.url}/api/v2/tickets/side_conversations/events.json?start_time=0").json
    documented = sample("side_conversation_events_incremental.json")
    assert list(export)[:4] == list(documented) and export["end_of_stream"] is True
    event = next(e for e in export["events"] if e["type"] == "reply")
    assert set(documented["events"][0]) - {"url"} <= set(event)
    listed = get(f"{sandbox.url}/api/v2/tickets/{event['ticket_id']}/side_conversations.json?include=events").json
    assert list(listed) == list(sample("ticket_side_conversations.json"))
    assert list(listed["side_conversations"][0]) == list(sample("ticket_side_conversations.json")
                                                         ["side_conversations"][0])
    assert "events" not in get(f"{sandbox.url}/api/v2/tickets/{event['ticket_id']}/side_conversations.json").json
    logs = sandbox.stream_truth("conversation_logs")
    log = get(f"{sandbox.url}/api/v2/tickets/{next(iter(logs))}/conversation_log?page[size]=2").json
    documented_log = sample("ticket_conversation_log.json")
    assert list(log) == list(documented_log) and list(log["meta"]) == list(documented_log["meta"])
    assert {e["type"] for e in logs[next(iter(logs))]} == {"Comment", "Messaging::ConversationMessage"}
    message = next(e for e in log["events"] if e["type"] == "Messaging::ConversationMessage")
    assert list(message) == list(documented_log["events"][0])
    assert log["meta"]["has_more"] and log["links"]["next"]


def test_without_collaboration_side_conversations_answer_403_and_conversation_logs_do_not():
    with SandboxProcess(tickets=40, seed=3, rate_limit=0, export_rate_limit=0, without=("collaboration",)) as server:
        assert get(f"{server.url}/api/v2/tickets/side_conversations/events.json?start_time=0").status == 403
        ticket_id = next(iter(server.stream_truth("conversation_logs")))
        assert get(f"{server.url}/api/v2/tickets/{ticket_id}/side_conversations.json").status == 403
        assert get(f"{server.url}/api/v2/tickets/{ticket_id}/conversation_log").status == 200
