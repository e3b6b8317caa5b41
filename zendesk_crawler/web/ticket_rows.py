"""What the page's index keeps of one ticket record: the columns it browses and filters by, and the texts it
searches (the subject and each comment's body)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

#: SQLite's integers: a ticket id outside them is in no backup (and would overflow the query).
SQLITE_INT = range(-2**63, 2**63)
#: The status Zendesk gives a ticket that was deleted (the incremental export still returns it).
DELETED = "deleted"
_TAG = re.compile(r"<[^>]*>")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _person(value: Any) -> tuple[str | None, str | None]:
    """(lower-case e-mail, name) of a resolved person (``requester``, ``assignee``) of a ticket record."""
    if not isinstance(value, dict):
        return None, None
    email = _text(value.get("email"))
    return (email.strip().lower() or None) if email else None, _text(value.get("name"))


def _name(value: Any) -> str | None:
    return _text(value.get("name")) if isinstance(value, dict) else None


def _integer(value: Any) -> int | None:
    return value if type(value) is int and value in SQLITE_INT else None


@dataclass(frozen=True)
class TicketRow:
    """The columns of one version of a ticket (one record line of a feed file)."""

    id: int
    updated_at: str | None
    created_at: str | None
    status: str | None
    subject: str | None
    priority: str | None
    type: str | None
    requester_email: str | None
    requester_name: str | None
    assignee_email: str | None
    assignee_name: str | None
    group_id: int | None
    group_name: str | None
    organization_name: str | None
    brand_id: int | None
    tags: tuple[str, ...]
    comment_count: int

    @property
    def deleted(self) -> bool:
        """Whether this version is the record Zendesk returns for a deleted ticket."""
        return self.status == DELETED


def ticket_row(record: Any) -> TicketRow | None:
    """The row of a ticket record, or ``None`` when it is not one (not an object, no integer id SQLite can hold)."""
    if not isinstance(record, dict):
        return None
    ticket_id = record.get("id")
    if type(ticket_id) is not int or ticket_id not in SQLITE_INT:
        return None
    requester_email, requester_name = _person(record.get("requester"))
    assignee_email, assignee_name = _person(record.get("assignee"))
    tags = record.get("tags")
    comments = record.get("comments")
    return TicketRow(
        id=ticket_id, updated_at=_text(record.get("updated_at")), created_at=_text(record.get("created_at")),
        status=_text(record.get("status")), subject=_text(record.get("subject")),
        priority=_text(record.get("priority")), type=_text(record.get("type")),
        requester_email=requester_email, requester_name=requester_name,
        assignee_email=assignee_email, assignee_name=assignee_name,
        group_id=_integer(record.get("group_id")), group_name=_name(record.get("group")),
        organization_name=_name(record.get("organization")),
        brand_id=_integer(record.get("brand_id")),
        tags=tuple(sorted({tag for tag in tags if isinstance(tag, str)})) if isinstance(tags, list) else (),
        comment_count=len(comments) if isinstance(comments, list) else 0)


def comment_text(comment: dict[str, Any]) -> str:
    """The searchable text of a comment: its plain ``body``, else ``plain_body``, else ``html_body`` without tags."""
    for key in ("body", "plain_body"):
        value = comment.get(key)
        if isinstance(value, str) and value.strip():
            return value
    html = comment.get("html_body")
    return unescape(_TAG.sub(" ", html)) if isinstance(html, str) else ""


def record_comments(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A ticket record's comments that are objects (a record whose ``comments`` is not a list has none)."""
    comments = record.get("comments")
    return [comment for comment in comments if isinstance(comment, dict)] if isinstance(comments, list) else []


def ticket_texts(record: dict[str, Any]) -> list[tuple[int | None, str]]:
    """(comment id, text) of what a ticket is searched by: its subject (comment id ``None``), then each comment."""
    texts: list[tuple[int | None, str]] = []
    subject = record.get("subject")
    if isinstance(subject, str) and subject.strip():
        texts.append((None, subject))
    for comment in record_comments(record):
        text = comment_text(comment)
        if text.strip():
            texts.append((_integer(comment.get("id")), text))
    return texts
