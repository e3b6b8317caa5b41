"""Cursor pagination is read one way: a page that says more follows but gives no way to ask for it is an error."""

import pytest

from zendesk_crawler.api.pagination import PaginationError, check_whole_list, export_page_end, next_page_cursor


@pytest.mark.parametrize("page, cursor", [
    ({"groups": [], "meta": {"has_more": True, "after_cursor": "abc"}, "links": {"next": None}}, "abc"),
    ({"groups": [], "meta": {"has_more": True, "after_cursor": None},
      "links": {"next": "https://acme.zendesk.com/api/v2/groups.json?page%5Bafter%5D=xyz&page%5Bsize%5D=100"}}, "xyz"),
    ({"groups": [], "meta": {"has_more": False, "after_cursor": "abc"}, "links": {"next": "https://x/?page[after]=a"}},
     None),
    ({"groups": [], "meta": {"has_more": False}, "next_page": None}, None),
    ({"groups": []}, None),
])
def test_the_next_cursor_of_a_list_page(page, cursor):
    assert next_page_cursor(page) == cursor


@pytest.mark.parametrize("page, why", [
    ({"comments": [], "meta": {"has_more": True}}, "has_more but gives neither"),
    ({"comments": [], "meta": {"has_more": True, "after_cursor": ""}, "links": {"next": None}}, "has_more"),
    ({"comments": [], "meta": {"has_more": True}, "links": {"next": "https://acme.zendesk.com/api/v2/x.json"}},
     "has_more"),
    ({"comments": [], "next_page": "https://acme.zendesk.com/api/v2/x.json?page=2"}, "no cursor pagination"),
    ({"comments": [], "meta": {"has_more": False}, "next_page": "https://acme.zendesk.com/api/v2/x.json?page=2"},
     "no cursor pagination"),
])
def test_a_list_page_that_cannot_be_followed_is_an_error_not_the_end(page, why):
    with pytest.raises(PaginationError, match=why):
        next_page_cursor(page)


def test_an_export_page_ends_the_stream_only_when_it_says_so():
    assert export_page_end({"after_cursor": "c1", "end_of_stream": False}) == ("c1", False)
    assert export_page_end({"after_cursor": "c2", "end_of_stream": True}) == ("c2", True)
    assert export_page_end({"after_cursor": None, "end_of_stream": True}) == (None, True)
    for page in ({"after_cursor": None, "end_of_stream": False}, {"end_of_stream": False}, {"after_cursor": ""}):
        with pytest.raises(PaginationError, match="end_of_stream is false"):
            export_page_end(page)


@pytest.mark.parametrize("page", [
    {"ticket_forms": []},
    {"sla_policies": [{"id": 1}], "next_page": None, "previous_page": None, "count": 1},
    {"custom_statuses": [], "meta": {"has_more": False}},
])
def test_a_whole_list_is_whole_when_it_says_nothing_more_follows(page):
    check_whole_list(page)


@pytest.mark.parametrize("page", [
    {"sla_policies": [{"id": 1}], "next_page": "https://acme.zendesk.com/api/v2/slas/policies.json?page=2", "count": 2},
    {"schedules": [], "meta": {"has_more": True, "after_cursor": "abc"}},
])
def test_a_whole_list_that_says_more_follows_is_an_error_not_the_end(page):
    with pytest.raises(PaginationError, match="says more follows"):
        check_whole_list(page)
