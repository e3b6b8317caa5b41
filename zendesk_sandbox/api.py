"""The Zendesk API endpoints the sandbox serves, as pure functions of the dataset and the query.

Shapes follow the recorded responses in ``tests/fixtures/zendesk-samples``: key names, key order and types. Bodies
are compact UTF-8 JSON (non-ASCII characters unescaped), ``application/json; charset=utf-8``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from .data import EXPORT_DELAY, Dataset
from .encoding import dumps
from .generator.comments import Comment
from .generator.tickets import ticket_user_ids

JSON_TYPE = ("Content-Type", "application/json; charset=utf-8")
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
EVENTS_PATH = re.compile(r"/api/v2/incremental/ticket_events(?:\.json)?")
EVENTS_URL_PATH = "/api/v2/incremental/ticket_events.json"
EVENTS_PARAMS = ("include", "per_page", "support_type_scope")
USERS_SHOW_MANY_PATH = re.compile(r"/api/v2/users/show_many(?:\.json)?")
USERS_EXPORT_PATH = "/api/v2/incremental/users/cursor.json"
USERS_EXPORT = re.compile(r"/api/v2/incremental/users/cursor(?:\.json)?")
ORGANIZATIONS_EXPORT_PATH = "/api/v2/incremental/organizations.json"
ORGANIZATIONS_EXPORT = re.compile(r"/api/v2/incremental/organizations(?:\.json)?")
GROUPS_URL_PATH = "/api/v2/groups.json"
ORGANIZATIONS_URL_PATH = "/api/v2/organizations.json"
GROUPS_PATH = re.compile(r"/api/v2/groups(?:\.json)?")
ORGANIZATIONS_PATH = re.compile(r"/api/v2/organizations(?:\.json)?")
TICKET_FIELDS_URL_PATH = "/api/v2/ticket_fields.json"
TICKET_FIELDS_PATH = re.compile(r"/api/v2/ticket_fields(?:\.json)?")
COMMENTS_PATH = re.compile(r"/api/v2/tickets/(\d+)/comments(?:\.json)?")
MAX_EXPORT_PAGE = 1000
MAX_COMMENT_PAGE = 100
MAX_LIST_PAGE = 100
MAX_OFFSET_RECORDS = 10_000
EXPORT_PARAMS = ("exclude_deleted", "include", "per_page", "support_type_scope")
EXPORT_CURSOR = re.compile(r"(\d+)\.0\|\|(\d+)\|")
UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


class Response(NamedTuple):
    """An HTTP answer: status, extra headers, body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def error(status: int, name: str, description: str) -> Response:
    """A Zendesk-style JSON error."""
    return Response(status, [JSON_TYPE], dumps({"error": name, "description": description}))


NOT_FOUND = error(404, "RecordNotFound", "Not found")
TOO_RECENT = error(422, "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute")
INVALID_ENDPOINT = error(404, "InvalidEndpoint", "Not found")


class BadRequest(Exception):
    """A parameter Zendesk would refuse; carries the error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body.decode())
        self.response = response


def _int(query: dict[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer parameter: non-integers and values below ``minimum`` are refused, above ``maximum`` capped."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(error(400, "InvalidValue", f"{name} must be an integer")) from None
    if value < minimum:
        raise BadRequest(error(400, "InvalidValue", f"{name} must be at least {minimum}"))
    return value if maximum is None else min(value, maximum)


def _quote(text: str) -> str:
    """Percent-encode everything but unreserved characters (cursors need no work, so skip it for them)."""
    return text if UNRESERVED.fullmatch(text) else _quote_cached(text)


@lru_cache(maxsize=1024)
def _quote_cached(text: str) -> str:
    return quote(text, safe="")


def _url(base_url: str, path: str, params: list[tuple[str, str]]) -> str:
    """An absolute URL with every parameter name and value percent-encoded (``page%5Bsize%5D=3``)."""
    return f"{base_url}{path}?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ------------------------------------------------------------- incremental export

def encode_export_cursor(key: tuple[int, int]) -> str:
    """The cursor format observed on real Zendesk: base64 of ``"<generated_timestamp>.0||<ticket_id>|"``."""
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode("ascii")).decode("ascii")


def decode_export_cursor(cursor: str) -> tuple[int, int]:
    """The stream position a cursor names; ``BadRequest`` when it is not one of ours."""
    try:
        match = EXPORT_CURSOR.fullmatch(base64.b64decode(cursor, validate=True).decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        match = None
    if match is None:
        raise BadRequest(error(400, "InvalidPaginationParameter", "cursor is not valid"))
    return int(match.group(1)), int(match.group(2))


def incremental_tickets(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/incremental/tickets/cursor.json``: the cursor-based Incremental Ticket Export."""
    per_page = _int(query, "per_page", MAX_EXPORT_PAGE, 1, MAX_EXPORT_PAGE)
    scope = _scope(query)
    exclude_deleted = query.get("exclude_deleted", "").lower() in ("true", "1")
    include = {name.strip() for name in query.get("include", "").split(",")}
    position, cursor = _export_start(dataset, query)
    if position is None:
        return TOO_RECENT
    states, end_of_stream = dataset.export_page(position, per_page, scope, exclude_deleted)
    render = dataset.generator.tickets.render
    tickets = [render(state) for state in states]
    after_cursor = encode_export_cursor(states[-1].key) if states else cursor
    params = [("cursor", after_cursor)] + [(name, query[name]) for name in EXPORT_PARAMS if name in query]
    body: dict[str, Any] = {
        "tickets": tickets,
        "after_url": _url(base_url, EXPORT_PATH, params),
        "before_url": None,
        "after_cursor": after_cursor,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }
    encoded = dumps(body)
    sideloads = _ticket_sideloads(dataset, tickets, include)
    if sideloads:
        encoded = encoded[:-1] + sideloads + b"}"
    return Response(200, [JSON_TYPE], encoded)


def _export_start(dataset: Dataset, query: dict[str, str]) -> tuple[tuple[int, int] | None, str]:
    """The export position of a cursor export request (``cursor``, else ``start_time``) and the cursor naming
    it; ``None`` for a ``start_time`` less than a minute old (answered 422, as by Zendesk)."""
    cursor = query.get("cursor")
    if cursor:
        return decode_export_cursor(cursor), cursor
    if "start_time" in query:
        start_time = _int(query, "start_time", 0, 0)
        if start_time > dataset.clock.now_int() - EXPORT_DELAY:
            return None, ""
        return (start_time, 0), encode_export_cursor((start_time, 0))
    raise BadRequest(error(400, "InvalidValue", "start_time or cursor is required"))


def _ticket_sideloads(dataset: Dataset, tickets: list[dict[str, Any]], include: set[str]) -> bytes:
    """``,"users":[...],"groups":[...],"organizations":[...]`` for the sideloads asked for (in that order,
    after the page's other members): the live records the page's tickets refer to, unique, by ascending id."""
    account, parts = dataset.account, []
    if "users" in include:
        user_ids = account.sideload_user_ids(uid for t in tickets for uid in ticket_user_ids(t))
        parts.append(b',"users":[' + b",".join(account.user_json(uid) for uid in user_ids) + b"]")
    if "groups" in include:
        group_ids = account.sideload_group_ids(t.get("group_id") for t in tickets)
        parts.append(b',"groups":[' + b",".join(account.group_json(gid) for gid in group_ids) + b"]")
    if "organizations" in include:
        organization_ids = account.sideload_organization_ids(t.get("organization_id") for t in tickets)
        parts.append(b',"organizations":[' + b",".join(account.organization_json(oid) for oid in organization_ids)
                     + b"]")
    return b"".join(parts)


# ------------------------------------------------------- incremental ticket events

def _scope(query: dict[str, str]) -> str:
    scope = query.get("support_type_scope") or "agent"
    if scope not in ("agent", "ai_agent", "all"):
        raise BadRequest(error(400, "InvalidValue", "support_type_scope must be one of all, agent, ai_agent"))
    return scope


def incremental_ticket_events(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/incremental/ticket_events.json``: the time-based Incremental Ticket Event Export.

    ``start_time`` (required, at least a minute old), ``per_page`` (≤ 1000), ``include=comment_events``,
    ``support_type_scope`` (``agent`` by default). See :meth:`Dataset.ticket_events_page` for paging.
    """
    per_page = _int(query, "per_page", MAX_EXPORT_PAGE, 1, MAX_EXPORT_PAGE)
    scope = _scope(query)
    if not query.get("start_time"):
        raise BadRequest(error(400, "InvalidValue", "start_time is required"))
    start_time = _int(query, "start_time", 0, 0)
    if start_time > dataset.clock.now_int() - EXPORT_DELAY:
        return TOO_RECENT
    comment_events = "comment_events" in query.get("include", "").split(",")
    events, end_time, end_of_stream = dataset.ticket_events_page(start_time, per_page, scope, comment_events)
    params = sorted([(name, query[name]) for name in EVENTS_PARAMS if name in query] + [("start_time", str(end_time))])
    body = b"".join((b'{"ticket_events":[', b",".join(events), b'],"count":%d,"end_of_stream":%s,"end_time":%d,'
                     b'"next_page":%s}' % (len(events), b"true" if end_of_stream else b"false", end_time,
                                          dumps(_url(base_url, EVENTS_URL_PATH, params)))))
    return Response(200, [JSON_TYPE], body)


# ---------------------------------------------------------------- ticket comments

def _encode_comment_cursor(order: str, comment: Comment) -> str:
    value = _b64url(f"{comment.created_at}|{comment.id}".encode("ascii"))
    return _b64url(f'{{"o":"{order}","v":"{value}"}}'.encode("ascii"))


def _decode_comment_cursor(cursor: str, order: str, name: str) -> tuple[int, int]:
    try:
        payload = json.loads(_unb64url(cursor))
        created_at, comment_id = _unb64url(payload["v"]).decode("ascii").split("|")
        if payload["o"] != order:
            raise ValueError("cursor of another sort order")
        return int(created_at), int(comment_id)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(error(400, "InvalidPaginationParameter", f"{name} is not valid")) from None


def _comments_body(dataset: Dataset, comments: list[Comment], query: dict[str, str], tail: dict[str, Any]) -> bytes:
    """``{"comments":[...],"users":[...],<tail>}`` assembled from JSON encoded once per comment and user.

    Inline images are among a comment's ``attachments`` only with ``include_inline_images=true``, as documented.
    """
    if query.get("include_inline_images", "").lower() in ("true", "1"):
        listed = b",".join(c.json_inline for c in comments)
    else:
        listed = b",".join(c.json for c in comments)
    parts = [b'{"comments":[', listed, b"]"]
    if "users" in query.get("include", "").split(","):
        user_ids = dataset.account.sideload_user_ids(c.author_id for c in comments)
        parts += [b',"users":[', b",".join(dataset.account.user_json(uid) for uid in user_ids), b"]"]
    parts += [b",", dumps(tail)[1:]]
    return b"".join(parts)


def ticket_comments(dataset: Dataset, base_url: str, ticket_id: int, query: dict[str, str]) -> Response:
    """``GET /api/v2/tickets/{id}/comments.json``: cursor pagination with ``page[size]``, else offset."""
    comments = dataset.ticket_comments(ticket_id)
    if comments is None:
        return NOT_FOUND
    path = f"/api/v2/tickets/{ticket_id}/comments.json"
    if any(name in query for name in ("page[size]", "page[after]", "page[before]")):
        return _cursor_page(dataset, base_url, path, comments, query)
    return _offset_page(dataset, base_url, path, comments, query)


def _cursor_page(dataset: Dataset, base_url: str, path: str, comments: list[Comment],
                 query: dict[str, str]) -> Response:
    size = _int(query, "page[size]", MAX_COMMENT_PAGE, 1, MAX_COMMENT_PAGE)
    order = query.get("sort") or "created_at"
    if order not in ("created_at", "-created_at"):
        raise BadRequest(error(400, "InvalidPaginationParameter", "sort is not valid"))
    ordered = comments if order == "created_at" else comments[::-1]
    keys = [(c.created_at, c.id) for c in ordered]
    if order == "-created_at":
        keys = [(-a, -b) for a, b in keys]
    sign = 1 if order == "created_at" else -1

    def position(name: str) -> tuple[int, int]:
        created_at, comment_id = _decode_comment_cursor(query[name], order, name)
        return sign * created_at, sign * comment_id

    if query.get("page[before]"):
        end = bisect.bisect_left(keys, position("page[before]"))
        start = max(0, end - size)
        has_more = start > 0
    else:
        start = bisect.bisect_right(keys, position("page[after]")) if query.get("page[after]") else 0
        end = min(len(ordered), start + size)
        has_more = end < len(ordered)
    page = ordered[start:end]
    after = _encode_comment_cursor(order, page[-1]) if page else None
    before = _encode_comment_cursor(order, page[0]) if page else None
    kept = [(k, v) for k, v in query.items() if k not in ("page[after]", "page[before]", "page[size]")]

    def link(name: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return _url(base_url, path, sorted(kept + [(name, cursor), ("page[size]", str(size))]))

    meta = {"has_more": has_more, "after_cursor": after, "before_cursor": before}
    links = {"next": link("page[after]", after), "prev": link("page[before]", before)}
    return Response(200, [JSON_TYPE], _comments_body(dataset, page, query, {"meta": meta, "links": links}))


def _offset_page(dataset: Dataset, base_url: str, path: str, comments: list[Comment],
                 query: dict[str, str]) -> Response:
    per_page = _int(query, "per_page", MAX_COMMENT_PAGE, 1, MAX_COMMENT_PAGE)
    page = _int(query, "page", 1, 1)
    if page * per_page > MAX_OFFSET_RECORDS:
        return error(400, "InvalidPaginationParameter",
                     "Offset pagination is limited to the first 10,000 records; use cursor pagination")
    sort_order = query.get("sort_order") or "asc"
    if sort_order not in ("asc", "desc"):
        raise BadRequest(error(400, "InvalidValue", "sort_order must be asc or desc"))
    ordered = comments if sort_order == "asc" else comments[::-1]
    chunk = ordered[(page - 1) * per_page: page * per_page]
    kept = [(k, v) for k, v in query.items() if k != "page"]

    def link(number: int) -> str:
        return _url(base_url, path, sorted(kept + [("page", str(number))]))

    tail = {"next_page": link(page + 1) if page * per_page < len(ordered) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(ordered)}
    return Response(200, [JSON_TYPE], _comments_body(dataset, chunk, query, tail))


def show_many_ids(query: dict[str, str], what: str) -> list[int]:
    """The ``ids`` of a ``show_many`` request: 1 to 100 integers, else a 400 as on Zendesk."""
    raw = [part for part in query.get("ids", "").split(",") if part.strip()]
    try:
        ids = [int(part) for part in raw]
    except ValueError:
        raise BadRequest(error(400, "InvalidValue", f"ids must be a comma-separated list of {what} ids")) from None
    if not ids or len(ids) > 100:
        raise BadRequest(error(400, "InvalidValue", f"ids must name between 1 and 100 {what}s"))
    return ids


def users_show_many(dataset: Dataset, query: dict[str, str]) -> Response:
    """``GET /api/v2/users/show_many.json?ids=1,2,3``: up to 100 users by id.

    Users the account no longer has (deleted users, ids of nobody) are left out,
    as they are from every sideload; more than 100 ids is a 400, as on Zendesk.
    """
    found = dataset.account.sideload_user_ids(show_many_ids(query, "user"))
    users = b",".join(dataset.account.user_json(user_id) for user_id in found)
    tail = dumps({"next_page": None, "previous_page": None, "count": len(found)})
    return Response(200, [JSON_TYPE], b'{"users":[' + users + b"]," + tail[1:])


# ------------------------------------------------------------- incremental users

def incremental_users(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/incremental/users/cursor.json``: the cursor-based Incremental User Export.

    Exactly the ticket export's rules (``start_time`` once, at least a minute old, else 422; then ``cursor``;
    ``per_page`` ≤ 1000, default 1000; the cursor stays usable after ``end_of_stream``), over every user in
    (``updated_at``, id) order, deleted ones included (``active: false``, ``email`` null). Members in the order
    of ``incremental_users_cursor.json`` (a real recording): ``users``, ``after_url``, ``before_url``,
    ``after_cursor``, ``before_cursor``, ``end_of_stream``.
    """
    per_page = _int(query, "per_page", MAX_EXPORT_PAGE, 1, MAX_EXPORT_PAGE)
    position, cursor = _export_start(dataset, query)
    if position is None:
        return TOO_RECENT
    account = dataset.account
    keys, end_of_stream = account.users_export_page(position, per_page)
    user_ids = [user_id for _, user_id in keys]
    after_cursor = encode_export_cursor(keys[-1]) if keys else cursor
    params = [("cursor", after_cursor)] + ([("per_page", query["per_page"])] if "per_page" in query else [])
    body = b"".join((b'{"users":[', b",".join(account.user_json(uid) for uid in user_ids), b'],"after_url":',
                     dumps(_url(base_url, USERS_EXPORT_PATH, params)), b',"before_url":null,"after_cursor":',
                     dumps(after_cursor), b',"before_cursor":null,"end_of_stream":',
                     b"true" if end_of_stream else b"false", b"}"))
    return Response(200, [JSON_TYPE], body)


# ----------------------------------------------------- incremental organizations

def incremental_organizations(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/incremental/organizations.json``: the time-based Incremental Organization Export.

    ``start_time`` (required, at least a minute old, else 422), ``per_page`` (≤ 1000, default 1000). Every
    organization, deleted ones included (``deleted_at`` set). Paging: :meth:`Account.organizations_page`.
    Members in the order of the real time-based users export recording: ``organizations``, ``next_page``,
    ``count``, ``end_of_stream``, ``end_time``; ``next_page`` keeps ``per_page``, parameters sorted by name.
    """
    per_page = _int(query, "per_page", MAX_EXPORT_PAGE, 1, MAX_EXPORT_PAGE)
    if not query.get("start_time"):
        raise BadRequest(error(400, "InvalidValue", "start_time is required"))
    start_time = _int(query, "start_time", 0, 0)
    if start_time > dataset.clock.now_int() - EXPORT_DELAY:
        return TOO_RECENT
    account = dataset.account
    organization_ids, end_time, end_of_stream = account.organizations_page(start_time, per_page)
    kept = [("per_page", query["per_page"])] if "per_page" in query else []
    params = sorted(kept + [("start_time", str(end_time))])
    body = b"".join((b'{"organizations":[', b",".join(account.organization_json(oid) for oid in organization_ids),
                     b'],"next_page":', dumps(_url(base_url, ORGANIZATIONS_EXPORT_PATH, params)),
                     b',"count":%d,"end_of_stream":%s,"end_time":%d}' % (
                         len(organization_ids), b"true" if end_of_stream else b"false", end_time)))
    return Response(200, [JSON_TYPE], body)


# ------------------------------------------------------- groups and ticket fields

def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _encode_list_cursor(order: str, key: tuple[Any, ...]) -> str:
    """An opaque list cursor shaped like Zendesk's: base64 of ``{"o": order, "v": base64(value)}`` (standard
    base64 with ``+``, ``/`` and ``=``, so a client must percent-encode it)."""
    value = _b64(json.dumps(list(key), ensure_ascii=False).encode("utf-8"))
    return _b64(json.dumps({"o": order, "v": value}, separators=(",", ":")).encode("ascii"))


#: The types of the sort key each list order's cursors name.
LIST_KEY_TYPES = {"name,id": (str, int), "id": (int,), "title,id": (str, int), "position,id": (int, int),
                  "created_at,id": (str, int)}


def _decode_list_cursor(cursor: str, order: str, name: str) -> tuple[Any, ...]:
    try:
        payload = json.loads(base64.b64decode(cursor, validate=True))
        if payload["o"] != order:
            raise ValueError("cursor of another order")
        key = json.loads(base64.b64decode(payload["v"], validate=True).decode("utf-8"))
        if not isinstance(key, list) or [type(v) for v in key] != list(LIST_KEY_TYPES[order]):
            raise ValueError("not a key of this order")
        return tuple(key)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(error(400, "InvalidPaginationParameter", f"{name} is not valid")) from None


def _list_cursor_page(base_url: str, path: str, name: str, order: str, records: list[tuple[tuple[Any, ...], bytes]],
                      query: dict[str, str]) -> Response:
    """Cursor pagination over ``records`` ((key, JSON), ascending by key): ``page[size]`` (≤ 100, default 100),
    ``page[after]``/``page[before]``; ``{"<name>": [...], "meta": {has_more, after_cursor, before_cursor},
    "links": {prev, next}}`` as in ``groups.json`` (a real recording: links even on the last page)."""
    size = _int(query, "page[size]", MAX_LIST_PAGE, 1, MAX_LIST_PAGE)
    keys = [key for key, _ in records]
    if query.get("page[before]"):
        end = bisect.bisect_left(keys, _decode_list_cursor(query["page[before]"], order, "page[before]"))
        start = max(0, end - size)
        has_more = start > 0
    else:
        after = query.get("page[after]")
        start = bisect.bisect_right(keys, _decode_list_cursor(after, order, "page[after]")) if after else 0
        end = min(len(records), start + size)
        has_more = end < len(records)
    page = records[start:end]
    after_cursor = _encode_list_cursor(order, page[-1][0]) if page else None
    before_cursor = _encode_list_cursor(order, page[0][0]) if page else None
    kept = [(k, v) for k, v in query.items() if k not in ("page[after]", "page[before]", "page[size]")]

    def link(param: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return _url(base_url, path, sorted(kept + [(param, cursor), ("page[size]", str(size))]))

    tail = dumps({"meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
                  "links": {"prev": link("page[before]", before_cursor), "next": link("page[after]", after_cursor)}})
    body = b'{"%s":[' % name.encode() + b",".join(json_ for _, json_ in page) + b"]," + tail[1:]
    return Response(200, [JSON_TYPE], body)


def _is_cursor_request(query: dict[str, str]) -> bool:
    return any(name in query for name in ("page[size]", "page[after]", "page[before]"))


def groups_list(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/groups.json``: groups in (name, id) order (the order of Zendesk's own ``name,id`` cursors).

    Deleted groups are left out unless ``exclude_deleted=false`` (then listed with ``deleted: true``), as
    observed on Zendesk. Cursor pagination with ``page[size]`` (≤ 100); without it offset pagination
    (``page``, ``per_page`` ≤ 100, ``next_page``/``previous_page``/``count``; 400 past 10,000 records).
    """
    include_deleted = query.get("exclude_deleted", "true").lower() in ("false", "0")
    account = dataset.account
    records = [(key, account.group_json(gid)) for key, gid in account.groups_in_list_order(include_deleted)]
    if _is_cursor_request(query):
        return _list_cursor_page(base_url, GROUPS_URL_PATH, "groups", "name,id", records, query)
    return offset_list(base_url, GROUPS_URL_PATH, "groups", [j for _, j in records], query)


def organizations_list(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/organizations.json``: the live organizations in id order, at once (no export delay: a list is
    read from the database, not from the export), as Zendesk's List Organizations does.

    Cursor pagination with ``page[size]`` (≤ 100); without it offset pagination (``per_page`` ≤ 100). Deleted
    organizations are not listed.
    """
    account = dataset.account
    live = account.sideload_organization_ids(account.organization_ids())  # existing and not deleted, ascending
    records = [((oid,), account.organization_json(oid)) for oid in live]
    if _is_cursor_request(query):
        return _list_cursor_page(base_url, ORGANIZATIONS_URL_PATH, "organizations", "id", records, query)
    return offset_list(base_url, ORGANIZATIONS_URL_PATH, "organizations", [j for _, j in records], query)


def ticket_fields_list(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/ticket_fields.json``: every system and custom ticket field, inactive ones included.

    Cursor pagination with ``page[size]`` (≤ 100) in id order; without it no pagination at all: every field in
    position order (then id), with ``next_page: null``, ``previous_page: null`` and ``count``, as documented
    ("If the results are not paginated, every field is returned ... in the order specified by the position")
    and seen in a real response.
    """
    account = dataset.account
    if _is_cursor_request(query):
        records = [((fid,), account.ticket_field_json(fid)) for fid in account.ticket_fields_by_id()]
        return _list_cursor_page(base_url, TICKET_FIELDS_URL_PATH, "ticket_fields", "id", records, query)
    ids = account.ticket_fields_by_position()
    body = b'{"ticket_fields":[' + b",".join(account.ticket_field_json(fid) for fid in ids) + \
        b'],"next_page":null,"previous_page":null,"count":%d}' % len(ids)
    return Response(200, [JSON_TYPE], body)


def offset_list(base_url: str, path: str, name: str, records: list[bytes], query: dict[str, str]) -> Response:
    """An offset-paginated list answer (``page``, ``per_page``; ``next_page``, ``previous_page``, ``count``)."""
    per_page = _int(query, "per_page", MAX_LIST_PAGE, 1, MAX_LIST_PAGE)
    page = _int(query, "page", 1, 1)
    if page * per_page > MAX_OFFSET_RECORDS:
        return error(400, "InvalidPaginationParameter",
                     "Offset pagination is limited to the first 10,000 records; use cursor pagination")
    chunk = records[(page - 1) * per_page: page * per_page]
    kept = [(k, v) for k, v in query.items() if k != "page"]

    def link(number: int) -> str:
        return _url(base_url, path, sorted(kept + [("page", str(number))]))

    tail = dumps({"next_page": link(page + 1) if page * per_page < len(records) else None,
                  "previous_page": link(page - 1) if page > 1 else None, "count": len(records)})
    return Response(200, [JSON_TYPE], b'{"%s":[' % name.encode() + b",".join(chunk) + b"]," + tail[1:])
