"""Reading side conversation and conversation log pages (the documented samples) and the sandbox's shapes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.utils.test import get_crawler

from tests.support.paths import SAMPLES
from tests.unit.test_sandbox import get
from tests.unit.test_stream_tickets import BASE_URL, create_spider, query, respond, start_comments, told
from zendesk_crawler.items import TicketConversation
from zendesk_crawler.pipelines.conversations import FieldTitles, build_record
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.streams.side_conversations import (
    last_second_versions,
    page_ends_stream,
    page_tickets,
    precise_time,
    side_conversation_records,
    stored_earlier,
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
    assert page_tickets(events, {("e1", events[0]["created_at"]), ("e3", events[2]["created_at"])}, {}) == [3]
    assert page_tickets(events, {("e1", "another time")}, {}) == [5, 3]  # a repeat is the same event version
    assert last_second_versions(events, 1704067201) == {("e2", events[1]["created_at"]),
                                                        ("e3", events[2]["created_at"])}


def side_conversation(updated_at: str, *event_times: str) -> dict[str, Any]:
    return {"id": "sc", "updated_at": updated_at,
            "events": [{"id": f"e{n}", "created_at": at} for n, at in enumerate(event_times)]}


def test_a_version_the_saved_position_covers_was_stored_by_the_earlier_run():
    second = 1704067201  # 2024-01-01T00:00:01Z
    listed = side_conversation("2024-01-01T00:00:09.000+00:00", "2024-01-01T00:00:09.000+00:00")
    # Listed with the position (stored after it by a killed run): stored.
    assert stored_earlier(listed, StreamPosition(start_time=second, already_stored={
        ("sc", "2024-01-01T00:00:09.000+00:00")}))
    assert not stored_earlier(listed, StreamPosition(start_time=second))
    # Last changed before the position: its ticket was listed after that change.
    before = side_conversation("2024-01-01T00:00:00.999+00:00", "2024-01-01T00:00:00.500+00:00")
    assert stored_earlier(before, StreamPosition(start_time=second))
    # In the position's second: stored when every event of it is one the earlier run handled.
    at_second = side_conversation("2024-01-01T00:00:01.200+00:00", "2024-01-01T00:00:00.100+00:00",
                                  "2024-01-01T00:00:01.200+00:00")
    handled = StreamPosition(start_time=second, already_stored={("e1", "2024-01-01T00:00:01.200+00:00")})
    assert stored_earlier(at_second, handled)
    assert not stored_earlier(at_second, StreamPosition(start_time=second))  # a new event of that second
    changed_after = dict(at_second, updated_at="2024-01-01T00:00:01.300+00:00")
    assert not stored_earlier(changed_after, handled)  # changed after its last event the earlier run saw
    assert not stored_earlier(dict(before, updated_at="not a time"), StreamPosition(start_time=second))


def test_a_ticket_listed_in_this_run_is_listed_again_only_for_newer_events():
    listed_until = precise_time("2024-01-01T00:00:01.200+00:00")
    events = [{"id": "old", "ticket_id": 5, "created_at": "2024-01-01T00:00:01.200+00:00"},
              {"id": "odd", "ticket_id": 6, "created_at": "not a time"}]
    assert page_tickets(events, set(), {5: listed_until, 6: listed_until}) == [6]
    newer = [{"id": "new", "ticket_id": 5, "created_at": "2024-01-01T00:00:01.201+00:00"}]
    assert page_tickets(newer, set(), {5: listed_until}) == [5]


def test_an_export_page_without_end_of_stream_ends_when_it_is_not_full():
    assert page_ends_stream({"end_of_stream": False}, []) is False
    assert page_ends_stream({"end_of_stream": True}, [{}] * 1000) is True
    assert page_ends_stream({}, [{}] * 999) is True  # the documented example has no end_of_stream
    assert page_ends_stream({}, [{}] * 1000) is False


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


# --- the crawler's callbacks on the documented answers ----------------------------------------------------------

@pytest.fixture
def tickets(tmp_path):
    """The ticket stream of a spider made as ``scrapy crawl`` makes it (its router holds every stream)."""
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), "ZENDESK_COMMENTS_PAGE_SIZE": 3,
    })
    return create_spider(crawler, start_time="0").streams["tickets"]


def last_comments_page() -> bytes:
    page = json.loads((SAMPLES / "ticket_comments_offset.json").read_text("utf-8"))
    page.update({"meta": {"has_more": False, "after_cursor": None}, "users": []})
    return json.dumps(page).encode()


def messaging_ticket() -> dict[str, Any]:
    ticket = sample("incremental_tickets_cursor.json")["tickets"][1]
    return {**ticket, "via": {"channel": "native_messaging", "source": {"from": {}, "to": {}, "rel": None}},
            "from_messaging_channel": True}


def test_a_messaging_ticket_is_finished_only_once_every_page_of_its_log_is_read(tickets):
    first = start_comments(tickets, messaging_ticket())
    (log_request,) = list(tickets.conversations.per_ticket.parse_comments(respond(first, last_comments_page())))
    assert urlsplit(log_request.url).path == "/api/v2/tickets/10432/conversation_log"
    assert query(log_request) == {"page[size]": "3"}
    documented = sample("ticket_conversation_log.json")
    more = {**documented, "meta": {**documented["meta"], "has_more": True, "after_cursor": "next-please"}}
    logs = tickets.conversations.logs
    (second,) = list(logs.parse_log(respond(log_request, json.dumps(more).encode())))
    assert query(second) == {"page[size]": "3", "page[after]": "next-please"} and tickets.unfinished() == 1
    (item,) = list(logs.parse_log(respond(second, json.dumps(documented).encode())))
    assert isinstance(item, TicketConversation) and tickets.unfinished() == 0
    assert item.conversation_log == documented["events"] * 2
    assert build_record(item, FieldTitles([]))["conversation_log"] == documented["events"] * 2


def test_other_tickets_are_finished_without_a_log(tickets):
    ticket = sample("incremental_tickets_cursor.json")["tickets"][1]
    first = start_comments(tickets, ticket)
    (item,) = list(tickets.conversations.per_ticket.parse_comments(respond(first, last_comments_page())))
    assert isinstance(item, TicketConversation) and item.conversation_log is None
    assert "conversation_log" not in build_record(item, FieldTitles([]))


def test_a_log_404_exports_the_ticket_without_it_and_a_bad_cursor_fails_the_stream(tickets):
    logs = tickets.conversations.logs
    request = list(tickets.conversations.per_ticket.parse_comments(
        respond(start_comments(tickets, messaging_ticket()), last_comments_page())))[0]
    (item,) = list(logs.parse_log(respond(request, b'{"error":"RecordNotFound"}', status=404)))
    assert item.conversation_log == []
    other = {**messaging_ticket(), "id": 77, "updated_at": "2024-01-01T00:00:00Z"}
    request = list(tickets.conversations.per_ticket.parse_comments(
        respond(start_comments(tickets, other), last_comments_page())))[0]
    broken = {"events": [], "meta": {"has_more": True}, "links": {}}
    assert list(logs.parse_log(respond(request, json.dumps(broken).encode()))) == []
    assert tickets.failed() and "conversation log of ticket 77" in tickets.crawler.stats.get_value(
        "zendesk/failure_reason")


def test_side_conversation_export_page_lists_its_tickets_then_goes_on(tickets):
    stream = tickets.crawler.spider.streams["side_conversations"]
    pending = told(tickets, zendesk_signals.page_records)
    export = sample("side_conversation_events_incremental.json")
    event = {**export["events"][0], "ticket_id": 12}
    page = {**export, "events": [event, {**event, "id": "other", "ticket_id": 13}], "end_of_stream": False}
    (start,) = stream.start_requests()
    assert query(start) == {"start_time": "0"}
    first, second = list(stream.parse_page(respond(start, json.dumps(page).encode())))
    assert [urlsplit(r.url).path for r in (first, second)] == [f"/api/v2/tickets/{i}/side_conversations.json"
                                                                for i in (12, 13)]
    assert query(first) == {"include": "events"}
    (record,) = list(stream.parse_list(respond(first, (SAMPLES / "ticket_side_conversations.json").read_bytes())))
    assert record["ticket_id"] == 12 and record["events"] and record.page == 1
    (next_export,) = list(stream.parse_list(respond(second, b'{"error":"RecordNotFound"}', status=404)))
    assert query(next_export) == {"start_time": str(export["end_time"])}
    assert [p["count"] for p in pending if p["stream"] == "side_conversations"] == [2, 1]
