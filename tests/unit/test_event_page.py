"""A long event page read one event at a time (``event_page.py``) gives what decoding it whole gives."""

from __future__ import annotations

import json

import pytest

from zendesk_crawler.streams.tickets.event_page import events, split_events

PAGE = {"ticket_events": [
    {"id": 1, "ticket_id": 7,
     "child_events": [{"body": 'quotes " and brackets ]}[{ \\ ü 🙂 \u2028', "x": [1, {"y": "}"}]}]},
    5, "a string", None, {"id": 2, "nested": {"ticket_events": [3]}}, [1, 2]],
    "next_page": "https://acme.zendesk.com/api/v2/incremental/ticket_events.json?start_time=12&x=[",
    "count": 6, "end_time": 12, "end_of_stream": False, "ticket_events_later": [{"a": 1}]}


@pytest.mark.parametrize("dump", [
    lambda page: json.dumps(page).encode(),
    lambda page: json.dumps(page, ensure_ascii=False, indent=2).encode(),
    lambda page: json.dumps({"before": [{"x": "]"}], **page}, separators=(",", ":")).encode(),
])
def test_the_events_and_the_rest_of_the_page_are_what_json_decodes(dump):
    body = dump(PAGE)
    whole = json.loads(body)
    rest, spans = split_events(body)
    assert rest == {**whole, "ticket_events": []}
    assert list(events(body, spans)) == [event for event in whole["ticket_events"] if isinstance(event, dict | list)]


@pytest.mark.parametrize("body", [b'{"count": 1}', b'[{"ticket_events": []}]', b'{"ticket_events": [{"id": 1}',
                                  b'{"ticket_events": null}', b"", b'{"ticket_events": [{"id": 1}]}]'])
def test_what_is_not_an_object_with_an_events_array_is_left_to_the_whole_decoding(body):
    assert split_events(body) is None
