"""Checks of exported records (tickets, and any stream of ``STREAMS``) against the sandbox's ground truth."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.xmlfeed import read_xml_feed
from zendesk_crawler.streams.configuration import CONFIGURATION_STREAMS

if TYPE_CHECKING:
    from tests.support.crawl import CrawlResult
    from zendesk_sandbox import SandboxProcess

#: The API paths of the configuration streams (read in full every run, whatever the tickets cost).
CONFIGURATION_PATHS = frozenset(stream.path for stream in CONFIGURATION_STREAMS)
#: What the crawler adds to a ticket as the API serves it.
ADDED_KEYS = {"requester", "assignee", "organization", "group", "custom_fields_by_title", "comments", "_export",
              "conversation_log"}  # a messaging ticket's log (tests/e2e/test_collaboration_e2e.py checks it)
#: What a comment event of the Incremental Ticket Event Export carries of a comment (no plain_body, no metadata).
EVENT_COMMENT_FIELDS = ("id", "type", "author_id", "body", "html_body", "public", "attachments", "audit_id", "via",
                        "created_at")


def person(user_id: Any, users: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """What a record says of a user id: ``None`` for none; name, email and role when the account has the user
    (``None`` for deleted users, who are never sideloaded); only the id for anything else (ids of nobody,
    ids that are strings, which are not looked up)."""
    if user_id is None:
        return None
    user = users.get(user_id) if type(user_id) is int else None
    if user is None or user["_deleted"]:
        return {"id": user_id, "name": None, "email": None, "role": None}
    return {"id": user_id, "name": user["name"], "email": user["email"], "role": user["role"]}


def assert_matches_truth(records: list[dict[str, Any]], truth: dict[str, Any], ids: Iterable[int] | None = None,
                         comment_fields: tuple[str, ...] | None = None) -> None:
    """Every ticket once (the truth's, or only ``ids``), all its fields in order, its comments in order with their
    authors resolved, its people resolved, and its ``_export`` status and comment count.

    ``comment_fields``: compare only these fields of each comment (for a run that adds to them, such as stored
    attachment files); ``None``: every field exactly, or those a comment event carries when the record's comments
    came from the ticket event export.
    """
    tickets = {t["id"]: t for t in truth["tickets"]}
    users = {u["id"]: u for u in truth["users"]}
    exported_ids = [r["id"] for r in records]
    assert len(exported_ids) == len(set(exported_ids)), "a ticket was written twice"
    assert set(exported_ids) == (set(tickets) if ids is None else set(ids))
    for record in records:
        ticket = tickets[record["id"]]
        expected = {k: v for k, v in ticket.items() if k not in ("comments", "_support_type_scope")}
        exported = {k: v for k, v in record.items() if k not in ADDED_KEYS}
        assert exported == expected, f"ticket {record['id']}: fields differ from the truth"
        assert list(exported) == list(expected), f"ticket {record['id']}: field order differs"
        comments = record["comments"]
        assert len(comments) == len(ticket["comments"]), f"ticket {record['id']}: comment count"
        fields = comment_fields
        if fields is None and record["_export"].get("comments_source") == "ticket_events":
            fields = EVENT_COMMENT_FIELDS
        if fields is None:
            assert [{k: v for k, v in c.items() if k != "author"} for c in comments] == ticket["comments"], \
                f"ticket {record['id']}: comments differ from the truth"
        else:
            assert [{k: c.get(k) for k in fields} for c in comments] == \
                [{k: c.get(k) for k in fields} for c in ticket["comments"]], \
                f"ticket {record['id']}: comments differ from the truth"
        assert [c["author"] for c in comments] == [person(c["author_id"], users) for c in ticket["comments"]], \
            f"ticket {record['id']}: comment authors"
        assert record["requester"] == person(ticket.get("requester_id"), users)
        assert record["assignee"] == person(ticket.get("assignee_id"), users)
        assert record["_export"]["comments"] == ("ticket_deleted" if ticket["status"] == "deleted" else "complete")
        assert record["_export"]["comment_count"] == len(ticket["comments"])


def all_exported_records(export_dir: Path) -> list[dict[str, Any]]:
    """Every record of every finished feed file; each file must parse, and JSON and XML must agree."""
    records = []
    for json_file in sorted(export_dir.glob("tickets-*.json")):
        from_json = json.loads(json_file.read_bytes())
        assert read_xml_feed(json_file.with_suffix(".xml").read_bytes()) == from_json
        records += from_json
    return records


def assert_union_is_complete(export_dir: Path, truth: dict[str, Any]) -> None:
    """Across runs every ticket is there, and every record (duplicates included) is right."""
    records = all_exported_records(export_dir)
    latest = {record["id"]: record for record in records}
    assert_matches_truth(list(latest.values()), truth)
    for record in records:
        assert_matches_truth([record], truth, ids={record["id"]})


def assert_equals_stream_truth(sandbox: SandboxProcess, backup: CrawlResult, stream: str) -> None:
    """Every record of the stream's truth once, with every field as the API serves it."""
    truth = sandbox.stream_truth(stream)
    records = backup.records(stream)
    assert truth, f"the sandbox has no {stream}: nothing would be checked"
    assert Counter(r["id"] for r in records) == Counter(r["id"] for r in truth)  # nothing lost, nothing doubled
    assert by_id(records) == by_id(truth)  # every field as the API returned it


def assert_tickets_match_truth(sandbox: SandboxProcess, backup: CrawlResult, stream: str) -> None:
    """Every ticket once, with its fields, comments and people (:func:`assert_matches_truth`)."""
    assert_matches_truth(backup.records(stream), sandbox.truth())


#: The streams whose records are not the sandbox's ``stream_truth`` as it is; every other stream is checked
#: against ``stream_truth`` (a stream the sandbox has no truth for fails: its truth answers 404).
TRUTH_CHECKS = {"tickets": assert_tickets_match_truth}


def by_id(records: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {record["id"]: record for record in records}


def check_against_truth(sandbox: SandboxProcess, backup: CrawlResult, stream: str) -> None:
    """The stream's records against the sandbox's truth, whichever check the stream needs."""
    TRUTH_CHECKS.get(stream, assert_equals_stream_truth)(sandbox, backup, stream)
