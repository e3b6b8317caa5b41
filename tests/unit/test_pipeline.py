"""ConversationPipeline: a lossless, self-contained record per ticket."""

import json

from zendesk_crawler.items import TicketConversation
from zendesk_crawler.pipelines.conversations import FieldTitles, build_record

NO_TITLES = FieldTitles([])


def test_record_keeps_every_ticket_field_and_resolves_people(sample):
    export_page = json.loads(sample("incremental_tickets_cursor.json"))
    comments_page = json.loads(sample("ticket_comments.json"))
    ticket = export_page["tickets"][1]
    users = {u["id"]: u for u in export_page["users"] + comments_page["users"]}
    comments = list(reversed(comments_page["comments"]))  # API order must not matter
    record = build_record(TicketConversation(ticket=ticket, comments=comments, users=users), NO_TITLES)

    assert list(record)[:len(ticket)] == list(ticket)
    assert {k: record[k] for k in ticket} == ticket
    assert record["requester"] == {"id": 90000000003, "name": "Jordan Requester",
                                   "email": "jordan@example.net", "role": "end-user"}
    assert record["assignee"]["name"] == "Sam Agent"
    assert [c["id"] for c in record["comments"]] == [24001000001, 24001000011, 24001000021]
    for exported in record["comments"]:
        original = next(c for c in comments_page["comments"] if c["id"] == exported["id"])
        assert {k: exported[k] for k in original} == original
        assert exported["author"]["id"] == original["author_id"] and exported["author"]["name"]
    assert record["_export"] == {"comments": "complete", "comment_count": 3, "comments_source": "ticket_comments"}


def test_unknown_author_keeps_the_id_and_no_assignee_is_null(sample):
    ticket = json.loads(sample("incremental_tickets_cursor.json"))["tickets"][2]
    comment = {"id": 1, "author_id": 555, "created_at": "2024-06-20T00:00:00Z", "body": "x"}
    record = build_record(TicketConversation(ticket=ticket, comments=[comment], users={}), NO_TITLES)
    assert ticket["assignee_id"] is None and record["assignee"] is None
    assert record["comments"][0]["author"] == {"id": 555, "name": None, "email": None, "role": None}
    assert record["requester"] == {"id": ticket["requester_id"], "name": None, "email": None, "role": None}


def test_group_and_organization_are_named_from_the_sideloads(sample):
    ticket = {**json.loads(sample("incremental_tickets_cursor.json"))["tickets"][0], "group_id": 7,
              "organization_id": 8}
    record = build_record(TicketConversation(ticket=ticket, groups={7: {"id": 7, "name": "Tier 2 ✓"}},
                                              organizations={}), NO_TITLES)
    assert record["group"] == {"id": 7, "name": "Tier 2 ✓"}
    assert record["organization"] == {"id": 8, "name": None}  # not sideloaded (deleted since)
    no_group = build_record(TicketConversation(ticket={**ticket, "group_id": None}), NO_TITLES)
    assert no_group["group"] is None


def test_custom_fields_are_named_by_title_and_duplicate_titles_stay_apart():
    fields = [{"id": 1, "title": "Subject", "type": "subject"}, {"id": 10, "title": "Product"},
              {"id": 11, "title": "Product"}, {"id": 12, "title": "1. <Priority> & more"}, "not a field"]
    custom = [{"id": 12, "value": "b2"}, {"id": 10, "value": None}, {"id": 11, "value": ["x"]},
              {"id": 99, "value": 3}, {"no id": True}]
    ticket = {"id": 5, "updated_at": "2024-01-01T00:00:00Z", "custom_fields": custom}
    record = build_record(TicketConversation(ticket=ticket), FieldTitles(fields))
    assert record["custom_fields_by_title"] == {"1. <Priority> & more": "b2", "Product (10)": None,
                                                "Product (11)": ["x"], "(99)": 3}
    assert record["custom_fields"] == custom  # untouched
    assert list(record["custom_fields_by_title"]) == ["1. <Priority> & more", "Product (10)", "Product (11)", "(99)"]
