"""The ticket stream's callbacks on recorded Zendesk responses (tests/fixtures/zendesk-samples)."""

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from zendesk_crawler.items import COMMENTS_COMPLETE, COMMENTS_NOT_FOUND, COMMENTS_TICKET_DELETED, TicketConversation
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.streams.tickets.conversations import Queued, Sideloads
from zendesk_crawler.streams.tickets.event_page import LONG_PAGE_BYTES

BASE_URL = "https://acme.zendesk.com"


def create_spider(crawler, **arguments):
    """The spider as ``scrapy crawl`` creates it: before Scrapy freezes the settings (get_crawler froze them)."""
    crawler.settings.frozen = False
    crawler.spider = crawler._create_spider(**arguments)
    crawler.settings.freeze()
    return crawler.spider


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), "ZENDESK_COMMENTS_PAGE_SIZE": 3,
    })
    return create_spider(crawler, start_time="0").streams["tickets"]


NO_SIDELOADS = Sideloads({}, {}, {})


def told(spider, signal) -> list[dict]:
    """The arguments of every ``signal`` the spider sends from now on."""
    received = []

    def receiver(**arguments):
        received.append({k: v for k, v in arguments.items() if k not in ("signal", "sender")})

    spider._receivers = getattr(spider, "_receivers", []) + [receiver]  # pydispatcher keeps weak references
    spider.crawler.signals.connect(receiver, signal=signal)
    return received


def respond(request: Request, body: bytes, status: int = 200) -> TextResponse:
    return TextResponse(request.url, body=body, status=status, request=request,
                        headers={"Content-Type": "application/json; charset=utf-8"})


def query(request: Request) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def start_comments(spider, ticket, page=1):
    """The first comments request of ``ticket``, taken from the stream's queue of tickets to fetch."""
    (queued,) = list(spider.conversations.accept([ticket], NO_SIDELOADS, page, set()))
    assert isinstance(queued, Queued)
    spider.conversations.per_ticket.queue([queued.conversation])
    (request,) = spider.conversations.per_ticket.start()
    return request


def test_first_request_asks_for_everything_from_start_time(spider):
    (request,) = spider.start_requests()
    assert request.url.startswith(f"{BASE_URL}/api/v2/incremental/tickets/cursor.json?")
    assert query(request) == {"start_time": "0", "per_page": "1000", "include": "users,groups,organizations",
                              "support_type_scope": "all"}


def test_the_spider_starts_the_tickets_once_the_ticket_fields_are_read(spider):
    router = spider.crawler.spider
    first = [urlsplit(request.url).path for request in asyncio.run(_all_start_requests(router))]
    assert "/api/v2/ticket_fields.json" in first and "/api/v2/incremental/tickets/cursor.json" not in first
    assert router._ready_requests() == []
    router.ended.add("ticket_fields")
    (tickets,) = router._ready_requests()
    assert urlsplit(tickets.url).path == "/api/v2/incremental/tickets/cursor.json"


def test_export_page_requests_comments_and_follows_the_cursor(spider, sample):
    pages = told(spider, zendesk_signals.page_received)
    request = spider.export_request({"start_time": 0})
    out = list(spider.parse_page(respond(request, sample("incremental_tickets_cursor_recorded.json"))))
    comments, next_page = out
    assert urlsplit(comments.url).path == "/api/v2/tickets/28/comments.json"
    assert query(comments) == {"page[size]": "3", "include": "users"}
    assert query(next_page)["cursor"] == "MTY5NTA1MjY2My4wfHwyOHw="
    assert pages == [{"stream": "tickets", "page": 1, "position": "MTY5NTA1MjY2My4wfHwyOHw=", "end_of_stream": False,
                      "repeats": []}]


def test_last_export_page_ends_the_stream_and_sideloads_users(spider, sample):
    pages = told(spider, zendesk_signals.page_received)
    request = spider.export_request({"cursor": "abc"})
    out = list(spider.parse_page(respond(request, sample("incremental_tickets_cursor.json"))))
    assert [urlsplit(r.url).path for r in out] == [f"/api/v2/tickets/{i}/comments.json" for i in (10431, 10432, 10433)]
    assert pages == [{"stream": "tickets", "page": 1, "position": "MTcxODkwMjIxNS4wfHwxMDQzM3w=", "end_of_stream": True,
                      "repeats": []}]
    conversation = out[1].meta["conversation"]
    assert set(conversation.users) == {90000000002, 90000000003}  # requester, submitter, assignee only


def test_deleted_ticket_is_exported_without_asking_for_comments(spider, sample):
    deleted = json.loads(sample("deleted_ticket.json"))
    page = json.dumps({"tickets": [deleted], "after_cursor": "c1", "end_of_stream": True}).encode()
    (item,) = list(spider.parse_page(respond(spider.export_request({"cursor": "c0"}), page)))
    assert isinstance(item, TicketConversation)
    assert item.comments_status == COMMENTS_TICKET_DELETED and item.ticket == deleted


def test_comment_pages_are_followed_then_the_conversation_is_handed_on(spider, sample):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][1]
    first = start_comments(spider, ticket)
    (second,) = list(spider.conversations.per_ticket.parse_comments(respond(first, sample("ticket_comments.json"))))
    assert query(second)["page[after]"] == "eyJvIjoiY3JlYXRlZF9hdCIsInYiOiJ4eHgifQ"
    last_page = json.loads(sample("ticket_comments_offset.json"))
    last_page.update({"meta": {"has_more": False, "after_cursor": None}, "users": []})
    (item,) = list(spider.conversations.per_ticket.parse_comments(respond(second, json.dumps(last_page).encode())))
    assert item.comments_status == COMMENTS_COMPLETE
    assert [c["id"] for c in item.comments] == [24001000001, 24001000011, 24001000021, 288845689548]
    assert set(item.users) == {90000000002, 90000000003}


def test_comments_404_exports_the_ticket_flagged(spider, sample):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][0]
    request = start_comments(spider, ticket)
    body = b'{"error":"RecordNotFound","description":"Not found"}'
    (item,) = list(spider.conversations.per_ticket.parse_comments(respond(request, body, status=404)))
    assert item.comments_status == COMMENTS_NOT_FOUND
    assert spider.crawler.stats.get_value("zendesk/comments_not_found") == 1


def test_a_ticket_version_is_fetched_once_and_a_superseded_version_is_dropped(spider, sample):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][0]
    dropped = told(spider, zendesk_signals.record_superseded)
    request = start_comments(spider, ticket)
    assert list(spider.conversations.accept([dict(ticket)], NO_SIDELOADS, 1, set())) == []  # same id and updated_at
    newer = {**ticket, "updated_at": "2024-06-21T09:00:00Z"}
    newer_request = start_comments(spider, newer)
    empty = b'{"comments": [], "meta": {"has_more": false}}'
    assert list(spider.conversations.per_ticket.parse_comments(respond(request, empty))) == []
    (item,) = list(spider.conversations.per_ticket.parse_comments(respond(newer_request, empty)))
    assert item.ticket["updated_at"] == "2024-06-21T09:00:00Z"
    assert spider.crawler.stats.get_value("zendesk/tickets_superseded") == 1
    assert dropped == [{"stream": "tickets", "page": 1}]  # the dropped version no longer holds its page open


@pytest.mark.parametrize("first, second, same", [
    ("2024-06-21T09:00:00Z", "2024-06-21T09:00:00Z", True),
    ("2024-06-21T09:00:00Z", "2024-06-21T09:00:01Z", False),
    ("2024-06-21T09:00:00.100Z", "2024-06-21T09:00:00.200Z", False),  # not whole seconds: kept as strings
    ("2024-13-41T99:00:00Z", "2024-13-42T99:00:00Z", False),  # not dates at all: kept as strings
    (None, None, True), (None, "2024-06-21T09:00:00Z", False),
])
def test_repeats_are_told_apart_by_the_exact_updated_at(spider, sample, first, second, same):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][0]
    accept = spider.conversations.accept
    assert len(accept([{**ticket, "updated_at": first}], NO_SIDELOADS, 1, set())) == 1
    assert len(accept([{**ticket, "updated_at": second}], NO_SIDELOADS, 1, set())) == (0 if same else 1)


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'{"tickets": [{"id": 1', b'{"error": "x"}',
                                  b"null"])
def test_malformed_export_page_is_retried_then_fails_the_run(spider, body):
    pages = told(spider, zendesk_signals.page_received)
    request = spider.export_request({"start_time": 0})
    retries = spider.crawler.settings.getint("RETRY_TIMES")
    for attempt in range(1, retries + 1):
        (request,) = list(spider.parse_page(respond(request, body)))
        assert request.meta["retry_times"] == attempt
    assert list(spider.parse_page(respond(request, body))) == []
    assert "the ticket export stopped" in spider.crawler.stats.get_value("zendesk/failure_reason")
    assert pages == []  # no position reached: nothing for the state to save


def test_malformed_comments_page_names_the_ticket(spider, sample):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][0]
    request = start_comments(spider, ticket)
    request.meta["retry_times"] = spider.crawler.settings.getint("RETRY_TIMES")
    assert list(spider.conversations.per_ticket.parse_comments(respond(request, b'{"comments": "oops"}'))) == []
    assert "comments of ticket 10431" in spider.crawler.stats.get_value("zendesk/failure_reason")
    assert spider.crawler.stats.get_value("zendesk/tickets_failed") == 1


def test_odd_export_entries_do_not_break_the_page(spider):
    page = {"tickets": [None, {"subject": "no id"}, {"id": "12", "status": "open"}], "after_cursor": "c",
            "end_of_stream": True}
    out = list(spider.parse_page(respond(spider.export_request({"cursor": "c0"}), json.dumps(page).encode())))
    assert [item.ticket for item in out] == [{"subject": "no id"}, {"id": "12", "status": "open"}]
    assert all(item.comments_status == "not_requested" for item in out)
    assert spider.end_of_stream and spider.crawler.stats.get_value("zendesk/failure_reason") is None


@pytest.fixture
def events_spider(tmp_path, request):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), **getattr(request, "param", {}),
    })
    return create_spider(crawler, start_time="0", comments="events", streams="tickets").streams["tickets"]


async def _all_start_requests(spider):
    return [request async for request in spider.start()]


def comment_event(ticket_id, second):
    """An audit event of ``ticket_id`` at unix ``second`` carrying one comment."""
    return {"id": ticket_id * 10, "ticket_id": ticket_id, "timestamp": second, "event_type": "Audit",
            "child_events": [{"id": ticket_id * 100, "event_type": "Comment", "body": "hi", "author_id": 1,
                              "created_at": "2024-01-01T00:00:00Z"}]}


def open_ticket(ticket_id, updated):
    return {"id": ticket_id, "status": "open", "created_at": "2023-11-14T22:13:21Z", "updated_at": updated}


@pytest.mark.parametrize("events_spider", [{"ZENDESK_EVENTS_BUFFERED_TICKETS": 2}], indirect=True)
def test_event_stream_waits_while_far_ahead_of_the_ticket_export(events_spider):
    spider, stats = events_spider, events_spider.crawler.stats
    export_request, events_request = spider.start_requests()
    events_page = {"ticket_events": [comment_event(i, 1_700_000_000 + i) for i in range(1, 5)],
                   "end_time": 1_700_000_004, "end_of_stream": False, "count": 4}
    out = list(spider.event_comments.parse_events_page(respond(events_request, json.dumps(events_page).encode())))
    assert out == []  # 4 tickets' comments buffered, no ticket export page yet: the event stream waits
    assert spider.event_comments.held_events_request is not None
    assert stats.get_value("zendesk/event_stream_paused") == 1

    behind = {"tickets": [open_ticket(1, "2023-11-14T22:13:21Z")], "after_cursor": "c1", "end_of_stream": False}
    out = list(spider.parse_page(respond(export_request, json.dumps(behind).encode())))
    assert spider.event_comments.held_events_request is not None  # the export is still behind the event stream
    caught_up = {"tickets": [open_ticket(2, "2024-06-21T09:00:00Z")], "after_cursor": "c2", "end_of_stream": False}
    next_export = [r for r in out if isinstance(r, Request) and "cursor=c1" in r.url][0]
    out = list(spider.parse_page(respond(next_export, json.dumps(caught_up).encode())))
    resumed = [r for r in out if isinstance(r, Request) and "ticket_events" in r.url]
    assert len(resumed) == 1 and query(resumed[0])["start_time"] == "1700000004"
    assert spider.event_comments.held_events_request is None


@pytest.mark.parametrize("events_spider", [{"ZENDESK_EVENTS_KEPT_TICKETS": 2}], indirect=True)
def test_comments_of_tickets_far_ahead_are_evicted_and_those_tickets_fetched_per_ticket(events_spider):
    spider, stats = events_spider, events_spider.crawler.stats
    export_request, events_request = spider.start_requests()
    # The export is far ahead (a bulk update touched ticket 1 in 2025): ticket 1 waits for the events.
    ahead = {"tickets": [open_ticket(1, "2025-01-01T00:00:00Z")], "after_cursor": "c1", "end_of_stream": False}
    list(spider.parse_page(respond(export_request, json.dumps(ahead).encode())))
    assert list(spider.event_comments.waiting) == [1]

    page = {"ticket_events": [comment_event(i, 1_700_000_000 + i) for i in (2, 3, 1, 4)],
            "end_time": 1_700_000_004, "end_of_stream": False, "count": 4}
    list(spider.event_comments.parse_events_page(respond(events_request, json.dumps(page).encode())))
    events = spider.event_comments.events
    # the waiting ticket is kept
    assert set(events.comments) == {1, 4} and {2, 3} == {t for t in range(5) if t in events.evicted}
    assert stats.get_value("zendesk/tickets_evicted_from_events") == 2
    later = {"ticket_events": [comment_event(2, 1_700_000_010)], "end_time": 1_700_000_010, "end_of_stream": False}
    events.add_page(later)
    assert 2 not in events.comments  # later comments of an evicted ticket are not kept either
    # When the export reaches an evicted ticket, its comments come from its own endpoint.
    behind = {"tickets": [open_ticket(2, "2025-01-02T00:00:00Z")], "after_cursor": "c2", "end_of_stream": False}
    next_export = Request(f"{BASE_URL}/api/v2/incremental/tickets/cursor.json?cursor=c1", meta={"zendesk_page": 2})
    out = list(spider.parse_page(respond(next_export, json.dumps(behind).encode())))
    assert any(isinstance(r, Request) and r.url.startswith(f"{BASE_URL}/api/v2/tickets/2/comments.json") for r in out)
    assert 2 not in spider.event_comments.waiting


def long_comment(ticket_id, comment_id, second, chars):
    """An audit of ``ticket_id`` with one comment whose body and html_body hold ``chars`` multilingual characters."""
    text = ("Grüße, 你好, привет, مرحبا 🙂 " * (chars // 27 + 1))[:chars]
    return {"id": comment_id * 10, "ticket_id": ticket_id, "timestamp": second, "event_type": "Audit",
            "child_events": [{"id": comment_id, "event_type": "Comment", "body": text, "html_body": f"<p>{text}</p>",
                              "author_id": 1, "created_at": "2024-01-01T00:00:00Z"}]}


@pytest.mark.parametrize("events_spider", [{"ZENDESK_EVENTS_SPILL_BYTES": 2**20}], indirect=True)
def test_kept_comments_stay_under_the_byte_budget_the_largest_tickets_go_first_and_are_fetched_per_ticket(
        events_spider):
    spider, stats = events_spider, events_spider.crawler.stats
    export_request, events_request = spider.start_requests()
    # Ticket 1 waits for the events (its last update lies ahead); it gets three long comments.
    ahead = {"tickets": [open_ticket(1, "2025-01-01T00:00:00Z")], "after_cursor": "c1", "end_of_stream": False}
    list(spider.parse_page(respond(export_request, json.dumps(ahead).encode())))
    heavy = [long_comment(1, 1000 + n, 1_700_000_000, 100_000) for n in range(3)]
    light = [long_comment(t, 2000 + t, 1_700_000_001, 2_000) for t in range(2, 62)]
    page = {"ticket_events": heavy + light, "end_time": 1_700_000_002, "end_of_stream": False,
            "count": len(heavy) + len(light)}
    out = list(spider.event_comments.parse_events_page(respond(events_request, json.dumps(page).encode())))
    events = spider.event_comments.events
    # More than the budget was read (the comments are kept as their UTF-8 JSON).
    assert sum(len(json.dumps(e["child_events"][0], ensure_ascii=False).encode()) for e in heavy + light) > 2**20
    # Under the budget now (three quarters of it, so that the next pages do not evict again at once) ...
    assert 0 < events.kept_bytes <= 2**20 * 3 // 4
    assert events.kept_bytes == sum(events.sizes.values()) and set(events.sizes) == set(events.comments)
    # ... the heavy waiting ticket went first, and is fetched per ticket now: no comment is lost.
    assert 1 in events.evicted and 1 not in spider.event_comments.waiting
    assert [urlsplit(r.url).path for r in out if isinstance(r, Request) and "comments.json" in r.url] == \
        ["/api/v2/tickets/1/comments.json"]
    assert stats.get_value("zendesk/tickets_fetched_per_ticket") == 1
    evicted = stats.get_value("zendesk/tickets_evicted_from_events")
    assert evicted == 1 + sum(1 for t in range(2, 62) if t in events.evicted) and evicted < 30
    # Later comments of an evicted ticket are not kept; taking a ticket's comments gives their bytes back.
    events.add_page({"ticket_events": [long_comment(1, 1100, 1_700_000_003, 100_000)], "end_time": 1_700_000_003})
    assert 1 not in events.comments
    kept = next(t for t in range(2, 62) if t in events.comments)
    before = events.kept_bytes
    assert [json.loads(data) for data in events.take(kept)] == light[kept - 2]["child_events"]
    assert events.kept_bytes < before
    assert kept not in events.sizes and kept not in events.comments


def long_page(tickets):
    page = {"ticket_events": [long_comment(t, 5000 + t, 1_700_000_001, 40_000) for t in tickets],
            "end_time": 1_700_000_002, "end_of_stream": False, "count": len(tickets)}
    body = json.dumps(page, ensure_ascii=False).encode()
    assert len(body) >= LONG_PAGE_BYTES  # read one event at a time
    return page, body


def test_a_long_event_page_is_read_one_event_at_a_time_and_keeps_exactly_its_comments(events_spider):
    spider = events_spider
    _, events_request = spider.start_requests()
    page, body = long_page(range(1, 33))
    list(spider.event_comments.parse_events_page(respond(events_request, body)))
    events = spider.event_comments.events
    assert events.covered_until == 1_700_000_001 and set(events.comments) == set(range(1, 33))
    for ticket_id, event in zip(range(1, 33), page["ticket_events"], strict=True):
        assert [json.loads(data) for data in events.take(ticket_id)] == event["child_events"]


def test_a_long_event_page_with_an_event_that_is_not_json_is_asked_for_again(events_spider):
    spider, stats = events_spider, events_spider.crawler.stats
    _, events_request = spider.start_requests()
    _, body = long_page(range(1, 33))
    broken = body.replace(b'"author_id": 1', b'"author_id": nope', 1)
    out = list(spider.event_comments.parse_events_page(respond(events_request, broken)))
    assert [r.url for r in out if isinstance(r, Request)] == [events_request.url]
    assert stats.get_value("zendesk/malformed_responses") == 1
    assert spider.event_comments.events.covered_until < 1_700_000_001  # not read past it


def test_a_waiting_ticket_is_kept_as_json_and_comes_back_as_it_was():
    from zendesk_crawler.streams.tickets.events import WaitingTicket
    ticket = {"id": 7, "subject": "Ünïcode \u2028 and big 12345678901234567890123", "tags": ["a"], "via": {"x": None},
              "custom_fields": [{"id": 1, "value": 1.5}], "updated_at": "2025-01-01T00:00:00Z"}
    users = {3: {"id": 3, "name": "Ann"}, 4: {"id": 4, "name": "Bo"}}
    conversation = TicketConversation(ticket=ticket, users=users, groups={9: {"id": 9}},
                                      organizations={8: {"id": 8, "name": "Org"}}, export_page=5)
    waiting = WaitingTicket(conversation)
    assert isinstance(waiting.data, bytes)
    back = waiting.conversation()
    assert back == conversation and back.ticket is not ticket
    assert list(back.users) == [3, 4] and back.export_page == 5


def test_once_the_export_ended_only_the_waiting_tickets_comments_are_kept():
    from zendesk_crawler.streams.tickets.events import CommentEvents
    events = CommentEvents(start_time=1)
    events.add_page({"ticket_events": [long_comment(t, 100 + t, 10, 50) for t in (1, 2, 3)], "end_time": 10})
    waiting = {2: object()}
    events.keep_only(waiting)
    assert set(events.comments) == {2} == set(events.sizes)
    waiting[3] = object()  # a live container: it is followed as it changes
    events.add_page({"ticket_events": [long_comment(t, 200 + t, 11, 50) for t in (1, 3)], "end_time": 11})
    assert set(events.comments) == {2, 3} and events.kept_bytes == sum(events.sizes.values())


def test_ticket_id_set_and_version_map_keep_a_few_bytes_a_ticket():
    from zendesk_crawler.streams.tickets.ticket_ids import TicketIdSet, TicketVersionMap
    ids = TicketIdSet()
    ids.update([5, 4096, 10**12, -3, "x"])
    ids.add(5)
    assert len(ids) == 5 and all(i in ids for i in (5, 4096, 10**12, -3, "x"))
    assert 6 not in ids and None not in ids and [1] not in ids and True not in ids
    versions = TicketVersionMap()
    versions[7] = 1_700_000_000
    versions[8] = "2024-01-01T00:00:00.5Z"  # not a whole second: kept as given
    versions[9] = None
    assert versions.get(7) == 1_700_000_000 and versions.get(8) == "2024-01-01T00:00:00.5Z"
    assert 9 in versions and versions.get(9, "unseen") is None and 10 not in versions
    versions[8] = 1_700_000_001  # a later version that fits its slot replaces the odd one
    versions[7] = "odd"
    assert versions.get(8) == 1_700_000_001 and versions.get(7) == "odd"
    assert versions.get(10**15) is None and versions.get(-1, 0) == 0


def test_a_page_starts_only_a_few_tickets_and_holds_the_next_page_while_a_page_waits(tmp_path):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), "ZENDESK_EXPORT_PAGE_SIZE": 100, "ZENDESK_TICKETS_IN_PROGRESS": 5,
    })
    spider = create_spider(crawler, start_time="0").streams["tickets"]
    page = {"tickets": [open_ticket(i, "2024-01-01T00:00:00Z") for i in range(1, 301)],
            "after_cursor": "c1", "end_of_stream": False}
    out = list(spider.parse_page(respond(spider.export_request({"start_time": 0}), json.dumps(page).encode())))
    assert [urlsplit(r.url).path for r in out] == [f"/api/v2/tickets/{i}/comments.json" for i in range(1, 6)]
    assert spider.held_export_request is not None  # 295 tickets wait: more than a page
    done = b'{"comments": [], "meta": {"has_more": false}}'
    comment_requests, released = list(out), []
    while spider.held_export_request is not None:
        # One more ticket finished: the next takes its turn, and the export page once less than a page waits.
        *following, finished = spider.conversations.per_ticket.parse_comments(respond(comment_requests.pop(0), done))
        assert isinstance(finished, TicketConversation)
        comment_requests += [request for request in following if "comments.json" in request.url]
        released += [request for request in following if "comments.json" not in request.url]
    # The export page is released once less than a page's worth of tickets waits.
    assert len(spider.conversations.per_ticket.queued) == 99 and "cursor=c1" in released[-1].url


def test_a_slice_ends_inside_an_export_page_and_asks_comments_only_for_the_tickets_it_takes(tmp_path):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), "ZENDESK_TICKETS_IN_PROGRESS": 10,
    })
    spider = create_spider(crawler, start_time="0", max_tickets="3").streams["tickets"]
    cut, counted, ended = (told(spider, signal) for signal in
                           (zendesk_signals.page_cut, zendesk_signals.page_records, zendesk_signals.stream_ended))
    tickets = [open_ticket(1, "2024-01-01T00:00:00Z"),  # superseded by its newer version later in the page
               open_ticket(2, "2024-01-01T00:00:01Z"),
               {**open_ticket(3, "2024-01-01T00:00:02Z"), "status": "deleted"},
               open_ticket(1, "2024-01-01T00:00:03Z"),
               open_ticket(4, "2024-01-01T00:00:04Z"), open_ticket(5, "2024-01-01T00:00:05Z")]
    page = {"tickets": tickets, "after_cursor": "c1", "end_of_stream": False}
    out = list(spider.parse_page(respond(spider.export_request({"start_time": 0}), json.dumps(page).encode())))
    deleted, *requests = out
    assert isinstance(deleted, TicketConversation) and deleted.ticket["id"] == 3
    # Ticket 1's older version needs no comments; 4 and 5 are left for the next run: no request, no cursor c1.
    assert [urlsplit(r.url).path for r in requests] == ["/api/v2/tickets/2/comments.json",
                                                         "/api/v2/tickets/1/comments.json"]
    assert cut == [{"stream": "tickets", "page": 1}] and counted == [{"stream": "tickets", "page": 1, "count": 4}]
    assert ended == [{"stream": "tickets"}] and spider.held_export_request is None
    assert spider.crawler.stats.get_value("zendesk/tickets/max_tickets_reached") == 3
    assert spider.crawler.stats.get_value("zendesk/tickets/position_updated_at") == "2024-01-01T00:00:03Z"
