"""The real ``scrapy crawl zendesk`` on hostile data: conversations at Zendesk's 5000-comment cap,
comments of about 1 MB (far over Zendesk's 64 kB), and tickets served in shapes no documentation promises
(fields missing, strings where ids or lists belong, users that exist nowhere, null authors, deep metadata).

Every record must still be the sandbox's truth, byte for byte, in both feeds.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.crawl import run_crawl
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

ADDED_KEYS = {"requester", "assignee", "organization", "group", "custom_fields_by_title", "comments", "_export"}
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


def assert_records_match_truth(records: list[dict[str, Any]], truth: dict[str, Any],
                               comment_fields: tuple[str, ...] | None = None) -> None:
    """Every ticket once, all its fields in order, its comments in order with their authors resolved.

    ``comment_fields``: compare only these fields of each comment (a source that carries fewer);
    ``None``: every field, exactly.
    """
    tickets = {t["id"]: t for t in truth["tickets"]}
    users = {u["id"]: u for u in truth["users"]}
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a ticket was written twice"
    assert set(ids) == set(tickets)
    for record in records:
        ticket = tickets[record["id"]]
        expected = {k: v for k, v in ticket.items() if k not in ("comments", "_support_type_scope")}
        exported = {k: v for k, v in record.items() if k not in ADDED_KEYS}
        assert exported == expected, f"ticket {record['id']}: fields differ from the truth"
        assert list(exported) == list(expected), f"ticket {record['id']}: field order differs"
        comments = record["comments"]
        assert len(comments) == len(ticket["comments"]), f"ticket {record['id']}: comment count"
        if comment_fields is None:
            assert [{k: v for k, v in c.items() if k != "author"} for c in comments] == ticket["comments"], \
                f"ticket {record['id']}: comments differ from the truth"
        else:
            assert [{k: c.get(k) for k in comment_fields} for c in comments] == \
                [{k: c.get(k) for k in comment_fields} for c in ticket["comments"]], \
                f"ticket {record['id']}: comments differ from the truth"
        assert [c["author"] for c in comments] == [person(c["author_id"], users) for c in ticket["comments"]], \
            f"ticket {record['id']}: comment authors"
        assert record["requester"] == person(ticket.get("requester_id"), users)
        assert record["assignee"] == person(ticket.get("assignee_id"), users)
        if ticket["status"] == "deleted":
            assert record["_export"]["comments"] == "ticket_deleted"
        assert record["_export"]["comment_count"] == len(ticket["comments"])


@pytest.fixture(scope="module")
def hostile():
    """Two tickets grown to 5000 comments, three with a 1 MB comment, three odd (one of them also huge)."""
    with SandboxProcess(tickets=60, seed=11, rate_limit=1000000, export_rate_limit=0) as sandbox:
        live = [t for t in sandbox.truth(users=False)["tickets"] if t["status"] != "deleted"]
        assert len(live) >= 8
        grown, huge, odd, both = live[0:2], live[2:4], live[4:6], live[6]
        sandbox.change(grow={str(t["id"]): 5000 - len(t["comments"]) for t in grown},
                       huge_comment=[t["id"] for t in (*huge, both)], odd=[t["id"] for t in (*odd, both)])
        sandbox.advance_clock(120)
        truth = sandbox.truth()
        by_id = {t["id"]: t for t in truth["tickets"]}
        assert all(len(by_id[t["id"]]["comments"]) == 5000 for t in grown)
        assert all(any(len(c["body"].encode()) > 900_000 for c in by_id[t["id"]]["comments"]) for t in (*huge, both))
        assert all("subject" not in by_id[t["id"]] for t in (*odd, both))
        yield sandbox, truth


def test_crawl_survives_capped_huge_and_odd_tickets(hostile, tmp_path):
    sandbox, truth = hostile
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not result.failure_lines()
    records = result.json_records()
    assert_records_match_truth(records, truth)
    assert all(r["_export"]["comments"] == "complete" for r in records if r["status"] != "deleted")
    assert result.xml_records() == records  # every XML file parses (lxml, strict) into the same records
    assert sandbox.truth()["tickets"] == truth["tickets"]  # nothing changed under the crawl


def test_events_mode_survives_capped_huge_and_odd_tickets(hostile, tmp_path):
    """The same data through the ticket event export (5000 comments of one second make pages of 5000+ events)."""
    sandbox, truth = hostile
    result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", "-a", "comments=events")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not result.failure_lines()
    records = result.json_records()
    assert_records_match_truth(records, truth, EVENT_COMMENT_FIELDS)
    assert result.xml_records() == records
