"""The users, organizations, groups, ticket fields and ticket events streams on recorded Zendesk responses, and
the registry."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.items import GroupRecord, OrganizationRecord, TicketEventRecord, TicketFieldRecord, UserRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.spiders.arguments import parse_streams
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.streams import STREAMS

BASE_URL = "https://acme.zendesk.com"


def create_spider(tmp_path, settings=None, **arguments):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": BASE_URL, "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), **(settings or {}),
    })
    crawler.settings.frozen = False
    crawler.spider = crawler._create_spider(**{"start_time": "0", **arguments})
    crawler.settings.freeze()
    return crawler.spider


def told(stream, signal):
    received = []

    def receiver(**arguments):
        received.append({k: v for k, v in arguments.items() if k not in ("signal", "sender")})

    stream._receivers = getattr(stream, "_receivers", []) + [receiver]
    stream.crawler.signals.connect(receiver, signal=signal)
    return received


def respond(request, body):
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    return TextResponse(request.url, body=body, request=request,
                        headers={"Content-Type": "application/json; charset=utf-8"})


def query(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


#: The configuration streams and their endpoints, in the order they start.
CONFIGURATION_PATHS = {
    "ticket_forms": "/api/v2/ticket_forms.json",
    "user_fields": "/api/v2/user_fields.json",
    "organization_fields": "/api/v2/organization_fields.json",
    "brands": "/api/v2/brands.json",
    "custom_statuses": "/api/v2/custom_statuses.json",
    "macros": "/api/v2/macros.json",
    "triggers": "/api/v2/triggers.json",
    "automations": "/api/v2/automations.json",
    "views": "/api/v2/views.json",
    "sla_policies": "/api/v2/slas/policies.json",
    "schedules": "/api/v2/business_hours/schedules.json",
    "dynamic_content": "/api/v2/dynamic_content/items.json",
    "group_memberships": "/api/v2/group_memberships.json",
    "organization_memberships": "/api/v2/organization_memberships.json",
}


def test_the_registry_has_every_stream_with_its_endpoint():
    assert {name: cls.path for name, cls in STREAMS.items()} == {
        "tickets": "/api/v2/incremental/tickets/cursor.json",
        "users": "/api/v2/incremental/users/cursor.json",
        "organizations": "/api/v2/incremental/organizations.json",
        "groups": "/api/v2/groups.json",
        "ticket_fields": "/api/v2/ticket_fields.json",
        **CONFIGURATION_PATHS,
        "satisfaction_ratings": "/api/v2/satisfaction_ratings.json",
        "categories": "/api/v2/help_center/categories.json",
        "sections": "/api/v2/help_center/sections.json",
        "articles": "/api/v2/help_center/incremental/articles.json",
        "ticket_events": "/api/v2/incremental/ticket_events.json",
        "side_conversations": "/api/v2/tickets/side_conversations/events.json",
    }


@pytest.mark.parametrize("value, streams", [
    (None, ("ticket_fields", "groups", *CONFIGURATION_PATHS, "organizations", "users", "tickets",
            "side_conversations", "satisfaction_ratings", "categories", "sections", "articles", "ticket_events")),
    ("users", ("users",)),
    ("tickets, users ,users", ("users", "tickets")),
])
def test_streams_argument(value, streams):
    assert parse_streams(value) == streams


@pytest.mark.parametrize("value", ["", "users,comments", ","])
def test_unknown_or_empty_streams_are_refused(value):
    with pytest.raises(ConfigError, match="streams must be a comma list") as refused:
        parse_streams(value)
    assert all(name in str(refused.value) for name in STREAMS)  # the message lists every known name


def test_the_default_is_every_registered_stream_and_each_one_may_be_picked():
    assert parse_streams(None) == tuple(STREAMS)
    for name in STREAMS:
        assert parse_streams(name) == (name,)


def test_only_the_selected_streams_and_their_dependencies_are_created(tmp_path):
    assert set(create_spider(tmp_path, streams="users").streams) == {"users"}
    spider = create_spider(tmp_path, streams="tickets")
    assert set(spider.streams) == {"tickets", "ticket_fields"}
    assert not spider.streams["ticket_fields"].export and spider.streams["tickets"].export


def test_users_export_follows_the_cursor_and_keeps_every_user_field(tmp_path, sample):
    users = create_spider(tmp_path, streams="users").streams["users"]
    pages = told(users, zendesk_signals.page_received)
    (request,) = users.start_requests()
    assert urlsplit(request.url).path == "/api/v2/incremental/users/cursor.json"
    assert query(request) == {"start_time": "0", "per_page": "1000"}
    body = json.loads(sample("incremental_users_cursor.json"))
    first = {**body, "end_of_stream": False}
    out = list(users.parse_page(respond(request, first)))
    records, (following,) = out[:-1], out[-1:]
    assert [dict(r) for r in records] == body["users"] and all(isinstance(r, UserRecord) for r in records)
    assert all(r.page == 1 for r in records)
    assert query(following) == {"cursor": body["after_cursor"], "per_page": "1000"}
    assert pages == [{"stream": "users", "page": 1, "position": body["after_cursor"], "end_of_stream": False,
                      "repeats": []}]
    assert any(user.get("active") is False for user in body["users"])  # deleted users are records too


def test_users_resume_from_the_saved_cursor_and_skip_what_a_checkpoint_stored(tmp_path):
    users = create_spider(tmp_path, streams="users").streams["users"]
    users.resume_from(StreamPosition(cursor="c9", already_stored={(2, "2024-01-01T00:00:00Z")}))
    (request,) = users.start_requests()
    assert query(request) == {"cursor": "c9", "per_page": "1000"}
    stored = told(users, zendesk_signals.record_already_stored)
    page = {"users": [{"id": 1, "updated_at": "2024-01-01T00:00:00Z"}, {"id": 2, "updated_at": "2024-01-01T00:00:00Z"}],
            "after_cursor": "c10", "end_of_stream": True}
    assert [r["id"] for r in users.parse_page(respond(request, page))] == [1]
    assert stored == [{"stream": "users", "page": 1, "version": (2, "2024-01-01T00:00:00Z")}]


def test_organizations_export_takes_the_repeated_end_time_second_once(tmp_path, sample):
    organizations = create_spider(tmp_path, streams="organizations",
                                  settings={"ZENDESK_EXPORT_PAGE_SIZE": 2}).streams["organizations"]
    pages = told(organizations, zendesk_signals.page_received)
    (request,) = organizations.start_requests()
    assert urlsplit(request.url).path == "/api/v2/incremental/organizations.json"
    assert query(request) == {"start_time": "0", "per_page": "2"}
    org = json.loads(sample("incremental_organizations.json"))["organizations"][0]

    def at(org_id, second):
        return {**org, "id": org_id, "updated_at": f"2024-06-01T00:00:{second:02d}Z"}

    t = 1717200000
    first = {"organizations": [at(1, 5), at(2, 9)], "end_time": t + 9, "end_of_stream": False, "count": 2}
    out = list(organizations.parse_page(respond(request, first)))
    assert [r["id"] for r in out[:-1]] == [1, 2] and all(isinstance(r, OrganizationRecord) for r in out[:-1])
    following = out[-1]
    assert query(following) == {"start_time": str(t + 9), "per_page": "2"}  # the end_time second again
    second = {"organizations": [at(2, 9), at(3, 9)], "end_time": t + 9, "end_of_stream": True, "count": 2}
    out = list(organizations.parse_page(respond(following, second)))
    assert [r["id"] for r in out] == [3]  # organization 2 came twice, exported once
    assert pages[0]["repeats"] == [(2, "2024-06-01T00:00:09Z")]
    assert pages[1] == {"stream": "organizations", "page": 2, "position": t + 9, "end_of_stream": True,
                        "repeats": [(2, "2024-06-01T00:00:09Z"), (3, "2024-06-01T00:00:09Z")]}


def event_at(event_id, second, ticket_id=7):
    """A ticket event (an audit with one Change child) at unix ``second``, as the event export returns it."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    return {"id": event_id, "ticket_id": ticket_id, "timestamp": second, "created_at": stamp, "updater_id": 5,
            "via": "Web form", "system": {}, "event_type": "Audit",
            "child_events": [{"id": event_id + 1, "via": "Web form", "via_reference_id": None, "status": "open",
                              "event_type": "Change", "previous_value": "new"}]}


def test_ticket_events_take_the_repeated_end_time_second_once_keyed_by_id_and_created_at(tmp_path):
    stream = create_spider(tmp_path, streams="ticket_events",
                           settings={"ZENDESK_EXPORT_PAGE_SIZE": 2}).streams["ticket_events"]
    pages = told(stream, zendesk_signals.page_received)
    (request,) = stream.start_requests()
    assert urlsplit(request.url).path == "/api/v2/incremental/ticket_events.json"
    assert query(request) == {"start_time": "0", "per_page": "2", "include": "comment_events",
                              "support_type_scope": "all"}
    t = 1717200000
    first = {"ticket_events": [event_at(10, t + 5), event_at(20, t + 9)], "count": 2, "end_of_stream": False,
             "end_time": t + 9, "next_page": "…"}
    out = list(stream.parse_page(respond(request, first)))
    assert out[:-1] == first["ticket_events"] and all(isinstance(r, TicketEventRecord) for r in out[:-1])
    assert query(out[-1])["start_time"] == str(t + 9)  # the end_time second again
    second = {"ticket_events": [event_at(20, t + 9), event_at(30, t + 9), event_at(40, t + 12)], "count": 3,
              "end_of_stream": True, "end_time": t + 12, "next_page": "…"}
    out = list(stream.parse_page(respond(out[-1], second)))
    assert [r["id"] for r in out] == [30, 40]  # event 20 came twice: stored once
    assert pages[0]["repeats"] == [(20, "2024-06-01T00:00:09Z")]
    assert pages[1] == {"stream": "ticket_events", "page": 2, "position": t + 12, "end_of_stream": True,
                        "repeats": [(40, "2024-06-01T00:00:12Z")]}
    # The next run skips what a checkpoint listed as stored after the saved position.
    again = create_spider(tmp_path, streams="ticket_events").streams["ticket_events"]
    again.resume_from(StreamPosition(start_time=t + 12, already_stored={(40, "2024-06-01T00:00:12Z")}))
    (request,) = again.start_requests()
    page = {"ticket_events": [event_at(40, t + 12), event_at(50, t + 13)], "end_of_stream": True, "end_time": t + 13}
    assert [r["id"] for r in again.parse_page(respond(request, page))] == [50]


def test_in_events_mode_the_ticket_stream_reads_the_event_export_once_for_both(tmp_path):
    spider = create_spider(tmp_path, streams="tickets,ticket_events", comments="events", start_time="1717200000")
    history, tickets = spider.streams["ticket_events"], spider.streams["tickets"]
    t = 1717200000
    # ticket_events resumes later than the run's start_time: the reader starts at the earlier of the two
    spider.crawler.signals.send_catch_log(zendesk_signals.resume_position, stream="ticket_events",
                                          position=StreamPosition(start_time=t + 9))
    assert history.start_requests() == []  # it asks for nothing itself
    (events_request,) = [r for r in tickets.start_requests() if "ticket_events" in r.url]
    assert query(events_request)["start_time"] == str(t)
    pages = told(history, zendesk_signals.page_received)
    page = {"ticket_events": [event_at(10, t + 5), event_at(20, t + 9), event_at(30, t + 9)], "count": 3,
            "end_of_stream": False, "end_time": t + 9}
    out = list(tickets.event_comments.parse_events_page(respond(events_request, page)))
    records = [r for r in out if isinstance(r, TicketEventRecord)]
    assert [r["id"] for r in records] == [20, 30]  # before its saved position: stored by an earlier run
    assert pages == [{"stream": "ticket_events", "page": 1, "position": t + 9, "end_of_stream": False,
                      "repeats": [(20, "2024-06-01T00:00:09Z"), (30, "2024-06-01T00:00:09Z")]}]
    (following,) = [r for r in out if isinstance(r, Request) and "ticket_events" in r.url]
    older = {"ticket_events": [event_at(20, t + 9), event_at(30, t + 9)], "end_of_stream": True, "end_time": t + 9}
    out = list(tickets.event_comments.parse_events_page(respond(following, older)))
    assert not [r for r in out if isinstance(r, TicketEventRecord)]  # the repeated second: once
    assert pages[-1]["position"] == t + 9 and pages[-1]["end_of_stream"] is True


def test_a_full_page_within_one_second_fails_the_stream_instead_of_looping(tmp_path):
    spider = create_spider(tmp_path, streams="organizations", settings={"ZENDESK_EXPORT_PAGE_SIZE": 2})
    organizations = spider.streams["organizations"]
    organizations.resume_from(StreamPosition(start_time=1717200009))
    (request,) = organizations.start_requests()
    page = {"organizations": [{"id": i, "updated_at": "2024-06-01T00:00:09Z"} for i in (1, 2)],
            "end_time": 1717200009, "end_of_stream": False}
    assert list(organizations.parse_page(respond(request, page))) == []
    failure = spider.crawler.stats.get_value("zendesk/failure_reason")
    assert "organization export stopped" in failure and "second 1717200009" in failure
    assert spider.crawler.stats.get_value("zendesk/organizations/failures") == 1


@pytest.mark.parametrize("name, record_class, sample_file", [
    ("groups", GroupRecord, "groups.json"),
    ("ticket_fields", TicketFieldRecord, "ticket_fields.json"),
])
def test_lists_are_read_in_full_with_cursor_pagination(tmp_path, sample, name, record_class, sample_file):
    stream = create_spider(tmp_path, streams=name, settings={"ZENDESK_LIST_PAGE_SIZE": 2}).streams[name]
    ended = told(stream, zendesk_signals.stream_ended)
    (request,) = stream.start_requests()
    extra = {"exclude_deleted": "false"} if name == "groups" else {}  # deleted groups are backed up too
    assert urlsplit(request.url).path == f"/api/v2/{name}.json" and query(request) == {"page[size]": "2", **extra}
    body = json.loads(sample(sample_file))
    more = {**body, "meta": {"has_more": True, "after_cursor": "xyz"}}
    out = list(stream.parse_page(respond(request, more)))
    assert [dict(r) for r in out[:-1]] == body[name] and all(isinstance(r, record_class) for r in out[:-1])
    assert query(out[-1]) == {"page[size]": "2", **extra, "page[after]": "xyz"} and ended == []
    last = {**body, "meta": {"has_more": False, "after_cursor": None}}
    assert len(list(stream.parse_page(respond(out[-1], last)))) == len(body[name])
    assert ended == [{"stream": name}]


def test_ticket_fields_read_for_the_tickets_only_are_not_exported_but_tell_their_titles(tmp_path, sample):
    stream = create_spider(tmp_path, streams="tickets").streams["ticket_fields"]
    loaded = told(stream, zendesk_signals.ticket_fields_loaded)
    (request,) = stream.start_requests()
    body = json.loads(sample("ticket_fields.json"))
    assert list(stream.parse_page(respond(request, body))) == []
    assert loaded == [{"fields": body["ticket_fields"]}]


def test_a_repeated_second_is_listed_for_a_checkpoint_only_once_its_page_is_stored(tmp_path):
    """Regression: the repeats of page 1 served again on page 2 are not 'already stored' until page 1 is."""
    from zendesk_crawler.state.checkpoint import PageTracker

    spider = create_spider(tmp_path, streams="organizations", settings={"ZENDESK_EXPORT_PAGE_SIZE": 2})
    organizations = spider.streams["organizations"]
    tracker = PageTracker()
    receivers = [
        (zendesk_signals.page_received,
         lambda page, position, repeats, **_: tracker.page_started(page, position, repeats)),
        (zendesk_signals.page_records, lambda page, count, **_: tracker.records_pending(page, count)),
        (zendesk_signals.record_already_stored,
         lambda page, version, **_: tracker.record_already_stored(page, version)),
    ]
    organizations._receivers = receivers  # pydispatcher keeps weak references
    for signal, receiver in receivers:
        spider.crawler.signals.connect(receiver, signal=signal)
    (request,) = organizations.start_requests()
    t = 1717200000
    first = {"organizations": [{"id": 1, "updated_at": "2024-06-01T00:00:05Z"},
                               {"id": 2, "updated_at": "2024-06-01T00:00:09Z"}],
            "end_time": t + 9, "end_of_stream": False}
    records = list(organizations.parse_page(respond(request, first)))
    for record in records[:-1]:
        tracker.record_exported(record.page, (record["id"], record["updated_at"]))
    second = {"organizations": [{"id": 2, "updated_at": "2024-06-01T00:00:09Z"},
                                {"id": 3, "updated_at": "2024-06-01T00:00:10Z"}], "end_time": t + 10,
              "end_of_stream": True}
    (third,) = list(organizations.parse_page(respond(records[-1], second)))
    tracker.record_exported(third.page, (3, "2024-06-01T00:00:10Z"))
    # Only the first record is in a stored file: organization 2, served again on page 2, is not listed.
    assert not tracker.advance(items_stored=1)
    assert tracker.stored_beyond_position(items_stored=1) == [(1, "2024-06-01T00:00:05Z")]
    assert tracker.advance(items_stored=2) and tracker.safe_position == t + 9
    assert tracker.stored_beyond_position(items_stored=2) == [(2, "2024-06-01T00:00:09Z")]


@pytest.mark.parametrize("page", [
    {"groups": [{"id": 1}], "meta": {"has_more": True, "after_cursor": None}},
    {"groups": [{"id": 1}], "next_page": "https://acme.zendesk.com/api/v2/groups.json?page=2", "count": 200},
])
def test_a_list_that_cannot_be_followed_to_its_end_fails_instead_of_ending_early(tmp_path, page):
    spider = create_spider(tmp_path, streams="groups")
    groups = spider.streams["groups"]
    ended = told(groups, zendesk_signals.stream_ended)
    (request,) = groups.start_requests()
    list(groups.parse_page(respond(request, page)))
    assert ended == [] and "group list stopped" in spider.crawler.stats.get_value("zendesk/failure_reason")


def test_other_streams_pages_go_before_ticket_comments_and_ticket_pages_after(tmp_path):
    spider = create_spider(tmp_path)
    priorities = {name: stream.start_requests()[0].priority for name, stream in spider.streams.items()}
    assert priorities["tickets"] < 10 < min(p for name, p in priorities.items() if name != "tickets")
