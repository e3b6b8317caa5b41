"""The ticket filter and person arguments: validation and the Search Export queries they become."""

from __future__ import annotations

import pytest

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.run.filters import TicketFilter, parse_filter, parse_person


def test_each_status_is_its_own_query_with_the_other_terms():
    selected = parse_filter({"query": "tags:vip", "status": "solved, closed,solved"})
    assert selected.search_queries() == ["status:solved tags:vip", "status:closed tags:vip"]


def test_created_from_is_inclusive_and_created_to_exclusive_with_strict_operators():
    selected = parse_filter({"created_from": "2026-07-01", "created_to": "2026-10-01T00:00:00Z"})
    assert selected.search_queries() == ["created>2026-06-30T23:59:59Z created<2026-10-01T00:00:00Z"]
    assert parse_filter({"created_from": "1782864000"}) == TicketFilter(created_from=1782864000)


def test_ticket_ids_need_no_search_and_keep_their_order_without_repeats():
    selected = parse_filter({"ticket_ids": "3, 1,3,2"})
    assert selected.ticket_ids == (3, 1, 2) and selected.search_queries() == []
    assert selected.describe() == {"ticket_ids": [3, 1, 2]}


def test_no_filter_arguments_is_no_filter():
    assert not parse_filter({"start_time": "0"})


@pytest.mark.parametrize("args, message", [
    ({"query": "type:ticket"}, "leave type: out"),
    ({"query": "status:open -type:user"}, "leave type: out"),
    ({"query": "  "}, "query is empty"),
    ({"status": "deleted"}, "deleted tickets"),
    ({"status": ","}, "status must be"),
    ({"created_from": "2026-13-01"}, "created_from must be"),
    ({"created_from": "2026-02-01", "created_to": "2026-02-01"}, "must be before"),
    ({"ticket_ids": "0"}, "ticket_ids must be"),
    ({"ticket_ids": "5", "query": "x"}, "cannot be combined"),
])
def test_invalid_filters_say_what_is_wrong(args, message):
    with pytest.raises(ConfigError, match=message):
        parse_filter(args)


def test_a_person_is_an_id_or_an_email_address():
    assert parse_person(" 42 ") == "42"
    assert parse_person("a.b@example.com") == "a.b@example.com"
    assert parse_person(None) == ""
    for bad in ("0", "someone", "a@b@c", "-3"):
        with pytest.raises(ConfigError, match="user must be"):
            parse_person(bad)


@pytest.mark.parametrize("args, message", [
    ({"query": "status:open", "status": "solved"}, "has a status term and -a status"),
    ({"query": "created>2026-01-01", "created_to": "2026-02-01"}, "has a created term and -a created_to"),
])
def test_a_term_given_twice_is_refused(args, message):
    with pytest.raises(ConfigError, match=message):
        parse_filter(args)


def test_keywords_inside_quoted_phrases_are_words():
    assert parse_filter({"query": '"the type: field" status:open'}).query == '"the type: field" status:open'
    assert parse_filter({"query": '"status:x"', "status": "open"}).statuses == ("open",)


def test_a_fetched_ticket_must_still_have_the_status_and_the_creation_time():
    selected = parse_filter({"status": "solved", "created_from": "2026-01-01", "created_to": "2026-02-01"})
    assert selected.admits({"status": "solved", "created_at": "2026-01-01T00:00:00Z"})
    assert not selected.admits({"status": "open", "created_at": "2026-01-10T00:00:00Z"})
    assert not selected.admits({"status": "solved", "created_at": "2026-02-01T00:00:00Z"})
    assert parse_filter({"query": "tags:vip"}).admits({"status": "open"})
