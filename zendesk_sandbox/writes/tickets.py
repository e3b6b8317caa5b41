"""The Ticket Import API: ``POST /api/v2/imports/tickets`` (one ticket, 201 ``{"ticket": {...}}``) and
``POST /api/v2/imports/tickets/create_many`` (up to 100, a job status); ``archive_immediately=true`` sends closed
tickets straight to the archive.

Source: *Ticket Import* (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_import/): admins only;
``created_at``, ``updated_at`` and ``solved_at`` can be set, "a value for created_at or updated_at before 1970 will
be automatically rounded up to 1970"; comments take ``author_id``, ``value``, ``body`` or ``html_body``, ``public``,
``created_at`` ("you can't set the time stamp before 1970 or in the future") and ``uploads`` (tokens of
``POST /api/v2/uploads``); no triggers run, so an imported ticket gets no notifications, metrics or audits beyond its
own: the sandbox gives an imported ticket one audit per comment in the ticket event export, without
notifications (``TicketEvents.written_event``). The ticket's members and
order are those of the seeded tickets (the recorded export); a member the request does not give takes Zendesk's
default (``via`` ``api``, ``status`` ``new`` or ``open`` with an assignee, the default form and brand, the
requester's organization, every custom field listed with ``null`` unless set).

Validations (each a ticket's job result ``{"index", "error": "RecordInvalid"?, "details"}`` in ``create_many``, a
422 for the single import): a requester that is no user of the account, a comment author that is none, a comment in
the future, an upload token unknown, expired or used, a status Zendesk does not have, an assignee who is no agent
(the wording of each description is the sandbox's). A request of more than 100
tickets is refused whole (400).
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..data import Dataset
from ..encoding import dumps, id_json, iso
from ..generator.comments import Comment
from ..generator.layout import COMMENT_ID_BASE, COMMENT_ID_STEP, TICKET_ID_RANGE
from ..generator.states import CUSTOM_STATUS_IDS, WrittenTicket
from ..generator.ticket_fields import SYSTEM_FIELDS
from .errors import Invalid
from .uploads import Uploads

MAX_TICKETS = 100
#: Sandbox seconds before an imported ticket is found by the search export, by default (``--search-index-delay``):
#: "When tickets, users, or other resources are newly created or updated, it might take a few minutes for them to be
#: indexed, so they may not appear in search results right away" (*Zendesk Support search reference*,
#: support.zendesk.com/hc/articles/4408886879258, the Japanese copy read here).
SEARCH_INDEX_DELAY = 120
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
API_VIA = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
_TAG = re.compile(r"<[^>]+>")
SYSTEM_TYPES = frozenset(f[1] for f in SYSTEM_FIELDS)


def unix_time(value: Any, field: str) -> int:
    """An ISO 8601 time (or unix seconds) as unix seconds, before 1970 rounded up to 1970."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0, int(value))
    if not isinstance(value, str):
        raise Invalid(field, f"{field}: is not a time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, f"{field}: {value!r} is not a time") from None
    seconds = calendar.timegm(moment.utctimetuple()) if moment.tzinfo else calendar.timegm(moment.timetuple())
    return max(0, seconds)


class TicketImport:
    """Checks and stores imported tickets."""

    def __init__(self, dataset: Dataset, uploads: Uploads, default_form: int, default_brand: int,
                 index_delay: int = SEARCH_INDEX_DELAY) -> None:
        self.dataset = dataset
        self.index_delay = index_delay
        self.uploads = uploads
        self.default_form = default_form
        self.default_brand = default_brand

    def import_tickets(self, payloads: list[Any], archive: bool) -> list[tuple[int | None, Invalid | None]]:
        """Import each ticket (each checked alone): (id, None) or (None, the refusal), in request order."""
        now = self.dataset.clock.now_int()
        out: list[tuple[int | None, Invalid | None]] = []
        for payload in payloads:
            try:
                make = self._check(payload, archive, now)
            except Invalid as refusal:
                out.append((None, refusal))
                continue
            out.append((self.dataset.add_written([make], now)[0], None))
        return out

    def _user(self, value: Any, field: str, label: str) -> int | None:
        if value is None:
            return None
        account = self.dataset.account
        if not account.is_user(value) or account.is_deleted_user(value):
            raise Invalid(field, f"{label}: is invalid")
        return int(value)

    def _check(self, payload: Any, archive: bool, now: int) -> Callable[[int], tuple[WrittenTicket, int, int]]:
        if not isinstance(payload, dict):
            raise Invalid("ticket", "Ticket: an object is expected")
        account = self.dataset.account
        requester = self._user(payload.get("requester_id"), "requester_id", "Requester")
        if requester is None:
            raise Invalid("requester", "Requester: cannot be blank", "BlankValue")
        submitter = self._user(payload.get("submitter_id"), "submitter_id", "Submitter") or requester
        assignee = self._user(payload.get("assignee_id"), "assignee_id", "Assignee")
        if assignee is not None and account.user(assignee).get("role") not in ("agent", "admin"):
            raise Invalid("assignee_id", "Assignee: must be an agent")
        status = payload.get("status") or ("open" if assignee else "new")
        if status not in STATUSES:
            raise Invalid("status", f"Status: {status!r} is not a status")
        comments = payload.get("comments") or []
        if not isinstance(comments, list):
            raise Invalid("comments", "Comments: a list is expected")
        if not comments and isinstance(payload.get("comment"), dict):
            comments = [payload["comment"]]
        if not comments and isinstance(payload.get("description"), str):  # the first comment, as on ticket creation
            comments = [{"value": payload["description"]}]
        created_at = unix_time(payload["created_at"], "created_at") if payload.get("created_at") else now
        checked = [self._comment(c, k, requester, created_at, now) for k, c in enumerate(comments)]
        tokens = [token for _, _, token_list in checked for token in token_list]
        if len(set(tokens)) != len(tokens):
            raise Invalid("uploads", "Uploads: a token can be used once")
        updated_at = unix_time(payload["updated_at"], "updated_at") if payload.get("updated_at") else \
            max([created_at, *(c["created_at"] for c, _, _ in checked)])
        fields = self._custom_fields(payload)
        organization = payload.get("organization_id")
        if organization is None:
            organization = account.user(requester).get("organization_id")
        tags = payload.get("tags") or []
        subject = payload.get("subject")
        ticket: dict[str, Any] = {
            "url": "", "id": 0, "external_id": payload.get("external_id"), "via": API_VIA,
            "created_at": "", "updated_at": "", "type": payload.get("type"), "subject": subject,
            "raw_subject": payload.get("raw_subject") or subject, "description": "",
            "priority": payload.get("priority"), "status": status, "recipient": payload.get("recipient"),
            "requester_id": requester, "submitter_id": submitter, "assignee_id": assignee,
            "organization_id": organization, "group_id": payload.get("group_id"),
            "collaborator_ids": list(payload.get("collaborator_ids") or []),
            "follower_ids": list(payload.get("follower_ids") or []),
            "email_cc_ids": list(payload.get("email_cc_ids") or []), "forum_topic_id": None,
            "problem_id": payload.get("problem_id"), "has_incidents": False,
            "is_public": payload["is_public"] if isinstance(payload.get("is_public"), bool) else any(
                c.get("public", True) is not False for c in comments) or not comments,
            "due_at": payload.get("due_at"), "tags": list(dict.fromkeys(t for t in tags if isinstance(t, str))),
            "custom_fields": fields, "satisfaction_rating": None, "sharing_agreement_ids": [],
            "custom_status_id": CUSTOM_STATUS_IDS[status], "fields": [dict(f) for f in fields], "followup_ids": [],
            "ticket_form_id": payload.get("ticket_form_id") or self.default_form,
            "brand_id": payload.get("brand_id") or self.default_brand, "allow_channelback": False,
            "allow_attachments": True, "from_messaging_channel": False, "generated_timestamp": 0}
        if payload.get("solved_at") and status in ("solved", "closed"):
            unix_time(payload["solved_at"], "solved_at")  # taken (checked); the ticket object has no solved_at
        base_url = self.dataset.options.base_url
        uploads, index_delay = self.uploads, self.index_delay
        is_archived = archive and status == "closed"

        def make(ticket_id: int) -> tuple[WrittenTicket, int, int]:
            built = dict(ticket, url=f"{base_url}/api/v2/tickets/{ticket_id}.json", id=ticket_id)
            rendered = []
            for index, (comment, body_members, token_list) in enumerate(checked):
                files = [f for token in token_list for f in uploads.attach(token, ticket_id)]
                rendered.append(_comment_json(ticket_id, index, comment, body_members,
                                              [uploads.attachment(f) for f in files]))
            rendered.sort(key=lambda c: (c.created_at, c.id))
            if checked:
                built["description"] = checked[0][0]["body"]
            written = WrittenTicket(built, tuple(rendered), is_archived, now + index_delay)
            return written, created_at, updated_at

        return make

    def _comment(self, raw: Any, index: int, requester: int, ticket_created: int,
                 now: int) -> tuple[dict[str, Any], bytes, list[str]]:
        """A checked comment: its values, its ``"body":…,"html_body":…,"plain_body":…`` members, its tokens."""
        if not isinstance(raw, dict):
            raise Invalid("comments", f"Comment {index}: an object is expected")
        author = self._user(raw.get("author_id"), "author_id", f"Comment {index} author") or requester
        created = unix_time(raw["created_at"], "created_at") if raw.get("created_at") else ticket_created
        if created > now:
            raise Invalid("created_at", f"Comment {index}: created_at cannot be in the future")
        html_body = raw.get("html_body")
        body = raw.get("body") if raw.get("body") is not None else raw.get("value")
        if body is None and isinstance(html_body, str):
            body = html.unescape(_TAG.sub("", html_body)).strip()
        if not isinstance(body, str) or (not body.strip() and not html_body):
            raise Invalid("comment", f"Comment {index}: body cannot be blank", "BlankValue")
        if not isinstance(html_body, str):
            html_body = '<div class="zd-comment" dir="auto">' + "".join(
                f"<p>{html.escape(line)}</p>" for line in body.split("\n\n")) + "</div>"
        tokens = raw.get("uploads") or []
        if not isinstance(tokens, list) or not all(self.uploads.usable(t) for t in tokens):
            raise Invalid("uploads", f"Comment {index}: an upload token is unknown, expired or already used")
        members = b'"body":%s,"html_body":%s,"plain_body":%s' % (dumps(body), dumps(html_body), dumps(body))
        values = {"author_id": author, "created_at": created, "public": raw.get("public", True) is not False,
                  "body": body}
        return values, members, list(tokens)

    def _custom_fields(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Every custom field of the account (by id), with the request's value where it gives one."""
        account = self.dataset.account
        given = {f.get("id"): f.get("value") for f in payload.get("custom_fields") or payload.get("fields") or []
                 if isinstance(f, dict)}
        custom = [fid for fid in account.ticket_fields_by_id()
                  if account.ticket_field(fid)["type"] not in SYSTEM_TYPES and account.ticket_field(fid)["active"]]
        return [{"id": fid, "value": given.get(fid)} for fid in custom]


def _comment_json(ticket_id: int, index: int, values: dict[str, Any], members: bytes,
                  attachments: list[dict[str, Any]]) -> Comment:
    """An imported comment as the comments endpoint serves it (the generated comments' members and order)."""
    comment_id = COMMENT_ID_BASE + ticket_id * TICKET_ID_RANGE + index * COMMENT_ID_STEP + 1
    via = dumps(API_VIA)
    listed = dumps(attachments)
    head = b'{"id":%d,"type":"Comment","author_id":%s,' % (comment_id, id_json(values["author_id"]))
    opening = b',"public":true,"attachments":' if values["public"] else b',"public":false,"attachments":'
    tail = b'%s%s,"audit_id":%d,"via":%s,"created_at":"%s","metadata":{"system":{},"custom":{}}}' % (
        opening, listed, comment_id - 1, via, iso(values["created_at"]).encode("ascii"))
    return Comment(values["created_at"], comment_id, values["author_id"], head + members + tail, values["public"],
                   via, listed, members, "api", 0, None, len(head) + len(members) + len(opening))
