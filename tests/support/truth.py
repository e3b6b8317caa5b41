"""Checks of exported records against the sandbox's ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.xmlfeed import read_xml_feed

ADDED_KEYS = {"requester", "assignee", "organization", "group", "custom_fields_by_title", "comments", "_export"}
#: The comment fields both comment sources carry (the event export has no plain_body or metadata).
EVENT_COMMENT_FIELDS = ["id", "author_id", "body", "html_body", "public", "attachments", "created_at", "audit_id",
                        "type", "via"]


def assert_matches_truth(records: list[dict[str, Any]], truth: dict[str, Any], ids: set[int] | None = None) -> None:
    """Each record is the truth's ticket, its comments in order, and correctly resolved people."""
    tickets = {t["id"]: t for t in truth["tickets"]}
    users = {u["id"]: u for u in truth["users"]}
    exported_ids = [r["id"] for r in records]
    assert len(exported_ids) == len(set(exported_ids)), "a ticket version was written twice"
    assert set(exported_ids) == (set(tickets) if ids is None else ids)

    def person(user_id):
        if user_id is None:
            return None
        user = users[user_id]
        if user["_deleted"]:
            return {"id": user_id, "name": None, "email": None, "role": None}
        return {"id": user_id, "name": user["name"], "email": user["email"], "role": user["role"]}

    for record in records:
        ticket = tickets[record["id"]]
        expected_ticket = {k: v for k, v in ticket.items() if k not in ("comments", "_support_type_scope")}
        assert {k: v for k, v in record.items() if k not in ADDED_KEYS} == expected_ticket
        if record["_export"].get("comments_source") == "ticket_events":
            # Comment events carry fewer fields (README, "Bulk comment mode"): compare what they carry.
            assert [{f: c.get(f) for f in EVENT_COMMENT_FIELDS} for c in record["comments"]] == \
                   [{f: c.get(f) for f in EVENT_COMMENT_FIELDS} for c in ticket["comments"]]
        else:
            assert [{k: v for k, v in c.items() if k != "author"} for c in record["comments"]] == ticket["comments"]
        assert [c["author"] for c in record["comments"]] == [person(c["author_id"]) for c in ticket["comments"]]
        assert record["requester"] == person(ticket["requester_id"])
        assert record["assignee"] == person(ticket["assignee_id"])
        deleted = ticket["status"] == "deleted"
        assert record["_export"]["comments"] == ("ticket_deleted" if deleted else "complete")


def all_exported_records(export_dir: Path) -> list[dict]:
    """Every record of every finished feed file; each file must parse, and JSON and XML must agree."""
    records = []
    for json_file in sorted(export_dir.glob("tickets-*.json")):
        from_json = json.loads(json_file.read_bytes())
        assert read_xml_feed(json_file.with_suffix(".xml").read_bytes()) == from_json
        records += from_json
    return records


def assert_union_is_complete(export_dir: Path, truth: dict) -> None:
    """Across runs every ticket is there, and every record (duplicates included) is right."""
    records = all_exported_records(export_dir)
    latest = {record["id"]: record for record in records}
    assert_matches_truth(list(latest.values()), truth)
    for record in records:
        assert_matches_truth([record], truth, ids={record["id"]})
