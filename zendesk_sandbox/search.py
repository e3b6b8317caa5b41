"""``GET /api/v2/search/export``: the Export Search Results endpoint, over tickets, with a subset of Zendesk's
search language.

Documented (see ``tests/fixtures/zendesk-samples/SOURCES.md``, facts 34-37): ``query`` required,
``filter[type]`` required (ticket, organization, user, group; the sandbox serves tickets), a type inside the query
is an error; cursor pagination only (``page[size]`` up to 1000, ``page[after]``), results ordered only by
``created_at``; the ``after_cursor`` expires after one hour; ``links.prev`` is always null; no ``count``; its own
limit of 100 requests a minute, counted against the account's limit too.

The sandbox's order follows the cursor of Zendesk's own example (``{"field":"created_at","desc":true,
"tieBreakField":"id","tieBreakDesc":false,…}``): ``created_at`` descending, then id ascending. Deleted tickets are
not searchable; archived tickets are (the documentation warns about "many archived tickets in the results").

Query subset (terms separated by spaces are ANDed): ``status:X``, ``status<X``, ``status>X`` (also ``<=``, ``>=``;
order new < open < pending < hold < solved < closed), ``tags:X`` (``tag:X``), ``created`` with ``:``, ``<``, ``>``,
``<=``, ``>=`` and ``YYYY-MM-DD`` (a whole UTC day) or ISO 8601 (a second), ``requester:``, ``cc:``, ``commenter:``
(user id or e-mail address), ``assignee:``, ``organization:``, ``group:`` (ids), plain words and ``"quoted
phrases"`` (case-insensitive substrings of subject or description). Another ``keyword:value`` matches no ticket.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from .api import JSON_TYPE, BadRequest, Response, _int, _url, error
from .data import Dataset
from .encoding import dumps
from .generator.states import TicketState

SEARCH_EXPORT_PATH = re.compile(r"/api/v2/search/export(?:\.json)?")
SEARCH_EXPORT_URL_PATH = "/api/v2/search/export.json"
MAX_PAGE = 1000
DEFAULT_PAGE = 100
#: The after_cursor expires an hour after it is issued (sandbox clock).
CURSOR_LIFETIME = 3600
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TYPES = ("ticket", "organization", "user", "group")
TERM = re.compile(r'(?:(?P<key>[A-Za-z_]+)(?P<op><=|>=|:|<|>)(?P<value>"[^"]*"|\S+))|"(?P<phrase>[^"]*)"|(?P<word>\S+)')
USER_KEYS = ("requester", "cc", "commenter")


class Query:
    """A parsed query: a list of predicates over (dataset, state, ticket) that must all hold."""

    def __init__(self, dataset: Dataset, text: str) -> None:
        self.checks: list[tuple[int, Callable[[TicketState, dict[str, Any]], bool]]] = []
        self.dataset = dataset
        for match in TERM.finditer(text):
            key = (match.group("key") or "").lower()
            if key:
                value = match.group("value")
                if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                    value = value[1:-1]
                self._term(key, match.group("op"), value)
            else:
                phrase = (match.group("phrase") if match.group("phrase") is not None else match.group("word")).lower()
                if phrase:
                    self.checks.append((1, lambda s, t, p=phrase: p in _text(t)))
        self.checks.sort(key=lambda check: check[0])  # cheap checks first, comments last

    def _term(self, key: str, op: str, value: str) -> None:
        checks = self.checks
        if key == "type":
            raise BadRequest(error(400, "InvalidSearchQuery",
                                   "The type must be given in the filter[type] parameter, not in the query"))
        if key == "status":
            rank = STATUSES.index(value.lower()) if value.lower() in STATUSES else None
            if rank is None:
                checks.append((0, lambda s, t: False))
                return
            compare = _comparison(op)
            checks.append((0, lambda s, t: t.get("status") in STATUSES and compare(STATUSES.index(t["status"]), rank)))
        elif key in ("tags", "tag"):
            wanted = value.lower()
            checks.append((0, lambda s, t: isinstance(t.get("tags"), list)
                           and wanted in (x.lower() for x in t["tags"])))
        elif key == "created":
            low, high = _time_range(value)
            checks.append((0, _created_check(op, low, high)))
        elif key in USER_KEYS:
            user_id = self._user_id(value)
            if key == "requester":
                checks.append((0, lambda s, t: user_id is not None and t.get("requester_id") == user_id))
            elif key == "cc":
                checks.append((0, lambda s, t: user_id is not None and user_id in _ccs(t)))
            else:
                dataset = self.dataset
                checks.append((2, lambda s, t: user_id is not None and any(
                    c.author_id == user_id for c in dataset.live_comments(s))))
        elif key in ("assignee", "organization", "group"):
            field = f"{key}_id"
            wanted_id = int(value) if value.isdigit() else None
            checks.append((0, lambda s, t: wanted_id is not None and t.get(field) == wanted_id))
        else:
            checks.append((0, lambda s, t: False))  # an unknown keyword: no ticket has it

    def _user_id(self, value: str) -> int | None:
        if value.isdigit():
            return int(value)
        return self.dataset.account.user_id_by_email(value)

    def matches(self, state: TicketState, ticket: dict[str, Any]) -> bool:
        return all(check(state, ticket) for _, check in self.checks)


def _text(ticket: dict[str, Any]) -> str:
    subject, description = ticket.get("subject"), ticket.get("description")
    subject = subject if isinstance(subject, str) else ""
    description = description if isinstance(description, str) else ""
    return f"{subject}\n{description}".lower()


def _ccs(ticket: dict[str, Any]) -> set[Any]:
    ids: set[Any] = set()
    for name in ("collaborator_ids", "email_cc_ids"):
        if isinstance(ticket.get(name), list):
            ids.update(ticket[name])
    return ids


def _comparison(op: str) -> Callable[[int, int], bool]:
    return {":": lambda a, b: a == b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}[op]


def _time_range(value: str) -> tuple[int, int]:
    """[low, high) of the seconds a date (a whole UTC day) or an ISO 8601 time (one second) covers."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            low = calendar.timegm(time.strptime(value, "%Y-%m-%d"))
            return low, low + 86400
        text = value.replace("Z", "+00:00")
        from datetime import datetime
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            low = calendar.timegm(moment.timetuple())
        else:
            low = int(moment.timestamp())
        return low, low + 1
    except ValueError:
        raise BadRequest(error(400, "InvalidSearchQuery", f"created: {value!r} is not a date")) from None


def _created_check(op: str, low: int, high: int) -> Callable[[TicketState, dict[str, Any]], bool]:
    if op == ":":
        return lambda s, t: low <= s.created_at < high
    if op == "<":
        return lambda s, t: s.created_at < low
    if op == "<=":
        return lambda s, t: s.created_at < high
    if op == ">":
        return lambda s, t: s.created_at >= high
    return lambda s, t: s.created_at >= low


def matching(dataset: Dataset, query: Query,
             after: tuple[int, int] | None = None) -> Iterator[tuple[TicketState, dict[str, Any]]]:
    """(state, rendered ticket) of every live ticket the query matches, in the export's order, after ``after``."""
    render = dataset.generator.tickets.render
    for state in dataset.search_after(after):
        ticket = render(state)
        if query.matches(state, ticket):
            yield state, ticket


def truth_ids(dataset: Dataset, text: str) -> list[int]:
    """Every ticket id the query matches, in the export's order (``/_sandbox/truth/search``)."""
    return [state.id for state, _ in matching(dataset, Query(dataset, text))]


# ---------------------------------------------------------------- cursors

def _request_hash(query: str, filter_type: str) -> int:
    digest = hashlib.sha256(f"{filter_type}\0{query}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _encode_cursor(key: tuple[int, int], exported: int, session_start: int, now: int, request_hash: int) -> str:
    """Zendesk's cursor shape (base64 JSON, from the documented example), sort values of the last result."""
    payload = {"field": "created_at", "desc": True, "tieBreakField": "id", "tieBreakDesc": False,
               "sortValues": [-key[0] * 1000, key[1]], "exportedThusFar": exported,
               "sessionStart": session_start * 1000, "createdAt": now * 1000,
               "saltedRequestHash": request_hash,
               "saltedCursorHash": int.from_bytes(hashlib.sha256(f"{key}{now}".encode()).digest()[:4], "big",
                                                  signed=True)}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode("ascii")


def _decode_cursor(cursor: str, request_hash: int, now: int) -> tuple[tuple[int, int], int, int]:
    """(position, exported so far, session start) of a cursor; 400 when it is not ours or of another query, or
    when it is more than an hour old."""
    try:
        payload = json.loads(base64.b64decode(cursor, validate=True))
        created_ms, ticket_id = payload["sortValues"]
        position = (-(int(created_ms) // 1000), int(ticket_id))
        issued, same_request = int(payload["createdAt"]) // 1000, payload["saltedRequestHash"] == request_hash
        exported, session = int(payload["exportedThusFar"]), int(payload["sessionStart"]) // 1000
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(error(400, "InvalidPaginationParameter", "page[after] is not valid")) from None
    if not same_request:
        raise BadRequest(error(400, "InvalidPaginationParameter", "page[after] belongs to another query"))
    if now - issued > CURSOR_LIFETIME:
        raise BadRequest(error(400, "InvalidPaginationParameter",
                               "page[after] has expired; cursors of the search export are valid for one hour"))
    return position, exported, session


# --------------------------------------------------------------- endpoint

def search_export(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/search/export``: ``{"results", "facets": null, "meta": {has_more, after_cursor,
    before_cursor: null}, "links": {prev: null, next}}``; results are tickets as the ticket export renders them
    plus ``"result_type": "ticket"``."""
    text = query.get("query")
    if not text:
        raise BadRequest(error(400, "InvalidSearchQuery", "query is required"))
    filter_type = query.get("filter[type]")
    if not filter_type:
        raise BadRequest(error(400, "InvalidSearchQuery",
                               "filter[type] is required: ticket, organization, user or group"))
    if filter_type not in TYPES:
        raise BadRequest(error(400, "InvalidSearchQuery", "filter[type] must be ticket, organization, user or group"))
    size = _int(query, "page[size]", DEFAULT_PAGE, 1, MAX_PAGE)
    parsed = Query(dataset, text)
    now = dataset.clock.now_int()
    request_hash = _request_hash(text, filter_type)
    after, exported, session = None, 0, now
    if query.get("page[after]"):
        after, exported, session = _decode_cursor(query["page[after]"], request_hash, now)
    if query.get("page[before]"):
        raise BadRequest(error(400, "InvalidPaginationParameter", "page[before] is not supported: backward "
                                                                   "pagination is not supported"))
    page: list[tuple[TicketState, dict[str, Any]]] = []
    has_more = False
    if filter_type == "ticket":
        for found in matching(dataset, parsed, after):
            if len(page) == size:
                has_more = True
                break
            page.append(found)
    if page:
        last = page[-1][0]
        after_cursor: str | None = _encode_cursor((-last.created_at, last.id), exported + len(page), session, now,
                                                  request_hash)
    else:
        after_cursor = query.get("page[after]") or None
    next_link = None
    if after_cursor is not None:
        params = [("filter[type]", filter_type), ("page[after]", after_cursor), ("page[size]", str(size)),
                  ("query", text)]
        next_link = _url(base_url, SEARCH_EXPORT_URL_PATH, params)
    results = b",".join(dumps(ticket)[:-1] + b',"result_type":"ticket"}' for _, ticket in page)
    tail = dumps({"facets": None, "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": None},
                  "links": {"prev": None, "next": next_link}})
    return Response(200, [JSON_TYPE], b'{"results":[' + results + b"]," + tail[1:])
