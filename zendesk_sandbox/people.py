"""One person and some tickets by id: ``tickets/show_many``, ``users/{id}``, ``users/search``,
``users/{id}/identities`` and ``users/{id}/tickets/{requested,ccd,followed}``.

Tickets are rendered exactly as the ticket export renders them (the Tickets API's ticket object; the documented
JSON format includes ``generated_timestamp``). See ``tests/fixtures/zendesk-samples/SOURCES.md`` facts 38-42.
"""

from __future__ import annotations

import re
from typing import Any

from .api import (
    JSON_TYPE,
    MAX_LIST_PAGE,
    NOT_FOUND,
    BadRequest,
    Response,
    _int,
    _is_cursor_request,
    _list_cursor_page,
    _ticket_sideloads,
    error,
    offset_list,
    show_many_ids,
)
from .data import Dataset
from .encoding import dumps

TICKETS_SHOW_MANY_PATH = re.compile(r"/api/v2/tickets/show_many(?:\.json)?")
TICKET_PATH = re.compile(r"/api/v2/tickets/(\d+)(?:\.json)?")
USER_PATH = re.compile(r"/api/v2/users/(\d+)(?:\.json)?")
USERS_SEARCH_PATH = re.compile(r"/api/v2/users/search(?:\.json)?")
IDENTITIES_PATH = re.compile(r"/api/v2/users/(\d+)/identities(?:\.json)?")
USER_TICKETS_PATH = re.compile(r"/api/v2/users/(\d+)/tickets/(requested|ccd|followed)(?:\.json)?")
RELATIONS = ("requested", "ccd", "followed")
#: Identity ids: ``user id * 10 + k`` (k: 1 e-mail, 2 phone, 3 X/Twitter).
IDENTITY_KINDS = {"email": 1, "phone_number": 2, "twitter": 3}


def tickets_show_many(dataset: Dataset, query: dict[str, str]) -> Response:
    """``GET /api/v2/tickets/show_many.json?ids=1,2,3``: up to 100 tickets, ascending id; deleted tickets and
    ids of no ticket are left out, and so are archived tickets (whether Zendesk's show_many serves archived
    tickets is not documented: the sandbox takes the hostile reading, ``tickets/{id}`` serves them).
    ``include=users,groups,organizations`` sideloads them as the ticket export does (Zendesk's side-loading page
    lists these sideloads for the Tickets API)."""
    ids = show_many_ids(query, "ticket")
    render = dataset.generator.tickets.render
    tickets = []
    for ticket_id in sorted(set(ids)):
        state = dataset.state(ticket_id)
        if state is not None and not state.deleted and not dataset.is_archived(state):
            tickets.append(render(state))
    include = {name.strip() for name in query.get("include", "").split(",") if name.strip()}
    tail = dumps({"next_page": None, "previous_page": None, "count": len(tickets)})
    return Response(200, [JSON_TYPE], b'{"tickets":[' + b",".join(dumps(t) for t in tickets) + b"]"
                    + _ticket_sideloads(dataset, tickets, include) + b"," + tail[1:])


def show_ticket(dataset: Dataset, ticket_id: int, query: dict[str, str]) -> Response:
    """``GET /api/v2/tickets/{id}.json``: ``{"ticket": …}`` (archived tickets too) with the sideloads of
    ``include``; 404 RecordNotFound for a deleted ticket or an id of none."""
    state = dataset.state(ticket_id)
    if state is None or state.deleted:
        return NOT_FOUND
    ticket = dataset.generator.tickets.render(state)
    include = {name.strip() for name in query.get("include", "").split(",") if name.strip()}
    return Response(200, [JSON_TYPE], b'{"ticket":' + dumps(ticket) + _ticket_sideloads(dataset, [ticket], include)
                    + b"}")


def _known_user(dataset: Dataset, user_id: int) -> bool:
    return dataset.account.is_user(user_id)


def show_user(dataset: Dataset, user_id: int) -> Response:
    """``GET /api/v2/users/{id}.json``: ``{"user": …}`` (a deleted user in its deleted shape); 404 for no one."""
    if not _known_user(dataset, user_id):
        return NOT_FOUND
    return Response(200, [JSON_TYPE], b'{"user":' + dataset.account.user_json(user_id) + b"}")


def users_search(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/users/search.json?query=email:x@y`` (or ``query=x@y``, or a part of a name): offset pagination
    only (``page``, ``per_page`` ≤ 100), ``{"users", "next_page", "previous_page", "count"}``; live users only."""
    text = query.get("query")
    if text is None and "external_id" in query:
        ids = [uid for uid in dataset.account.user_ids()
               if not dataset.account.is_deleted_user(uid)
               and dataset.account.user(uid).get("external_id") == query["external_id"]]
    elif not text:
        raise BadRequest(error(400, "InvalidValue", "query or external_id is required"))
    else:
        ids = dataset.account.users_matching(text)
    records = [dataset.account.user_json(uid) for uid in ids]
    return offset_list(base_url, "/api/v2/users/search.json", "users", records, query)


def identities(dataset: Dataset, user_id: int) -> list[dict[str, Any]]:
    """A user's identities: the e-mail (primary), the phone number when the user has one, an X (Twitter) handle
    for every 7th user; none once deleted (a deleted user has no e-mail)."""
    account = dataset.account
    if account.is_deleted_user(user_id):
        return []
    user = account.user(user_id)
    created, updated = user["created_at"], user["updated_at"]
    base = dataset.options.base_url
    out = []

    def identity(kind: str, value: str, verified: bool, primary: bool) -> dict[str, Any]:
        identity_id = user_id * 10 + IDENTITY_KINDS[kind]
        entry = {"url": f"{base}/api/v2/users/{user_id}/identities/{identity_id}.json", "id": identity_id,
                 "user_id": user_id, "type": kind, "value": value, "verified": verified, "primary": primary,
                 "created_at": created, "updated_at": updated}
        if kind == "email":
            entry.update(undeliverable_count=0, deliverable_state="deliverable")
        return entry

    if user.get("email"):
        out.append(identity("email", user["email"], bool(user.get("verified")), True))
    if user.get("phone"):
        out.append(identity("phone_number", user["phone"], False, False))
    if user_id % 7 == 0:
        out.append(identity("twitter", f"handle{user_id % 100000}", True, False))
    return out


def user_identities(dataset: Dataset, base_url: str, user_id: int, query: dict[str, str]) -> Response:
    """``GET /api/v2/users/{id}/identities.json``: cursor pagination with ``page[size]`` (≤ 100), else offset;
    ``type[]`` filters by type."""
    if not _known_user(dataset, user_id):
        return NOT_FOUND
    wanted = {v for k, v in query.items() if k in ("type[]", "type")}
    found = [i for i in identities(dataset, user_id) if not wanted or i["type"] in wanted]
    path = f"/api/v2/users/{user_id}/identities.json"
    if _is_cursor_request(query):
        records = [((i["id"],), dumps(i)) for i in found]
        return _list_cursor_page(base_url, path, "identities", "id", records, query)
    return offset_list(base_url, path, "identities", [dumps(i) for i in found], query)


def person_ticket_ids(dataset: Dataset, relation: str, user_id: int, exclude_archived: bool = False) -> list[int]:
    """Live tickets the user requested / is e-mail CC'd on / follows now, ascending id."""
    render = dataset.generator.tickets.render
    field = {"requested": "requester_id", "ccd": "email_cc_ids", "followed": "follower_ids"}[relation]
    out = []
    for ticket_id in dataset.person_candidates(relation, user_id):
        state = dataset.state(ticket_id)
        if state is None or state.deleted or (exclude_archived and dataset.is_archived(state)):
            continue
        if state.odd:
            value = render(state).get(field)
            if not (value == user_id if relation == "requested" else isinstance(value, list) and user_id in value):
                continue
        out.append(ticket_id)
    return out


def user_tickets(dataset: Dataset, base_url: str, user_id: int, relation: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/users/{id}/tickets/{requested,ccd,followed}.json``: tickets by id ascending, archived ones
    included (unless ``exclude_archived=true``); cursor pagination with ``page[size]`` (≤ 100) or offset
    pagination (``page``, ``per_page`` ≤ 100)."""
    if not _known_user(dataset, user_id):
        return NOT_FOUND
    exclude = query.get("exclude_archived", "").lower() in ("true", "1")
    ids = person_ticket_ids(dataset, relation, user_id, exclude)
    render = dataset.generator.tickets.render
    path = f"/api/v2/users/{user_id}/tickets/{relation}.json"
    if _is_cursor_request(query):
        # render only the page: the cursor page picks by key, so give it lazily rendered JSON
        records = [((tid,), tid) for tid in ids]
        response = _list_cursor_page(base_url, path, "tickets", "id", [(k, b"%d" % v) for k, v in records], query)
        body = response.body
        prefix = b'{"tickets":['
        end = body.index(b"]", len(prefix))
        listed = [int(x) for x in body[len(prefix):end].split(b",") if x]
        rendered = b",".join(dumps(render(dataset.state(tid))) for tid in listed)  # type: ignore[arg-type]  # listed ids are live tickets
        return Response(response.status, response.headers, prefix + rendered + body[end:])
    per_page = _int(query, "per_page", MAX_LIST_PAGE, 1, MAX_LIST_PAGE)
    page = _int(query, "page", 1, 1)
    window = ids[(page - 1) * per_page: page * per_page]
    records = [b""] * len(ids)
    for offset, tid in enumerate(window):
        records[(page - 1) * per_page + offset] = dumps(render(dataset.state(tid)))  # type: ignore[arg-type]  # live ids
    return offset_list(base_url, path, "tickets", records, query)


def person_truth(dataset: Dataset, user_id: int) -> dict[str, Any]:
    """``/_sandbox/truth/person/<id>``: live ticket ids (ascending) the user requested, is e-mail CC'd on, follows
    and commented on, which of those are archived, and the user's identities."""
    from .search import Query, matching

    requested = person_ticket_ids(dataset, "requested", user_id)
    ccd = person_ticket_ids(dataset, "ccd", user_id)
    followed = person_ticket_ids(dataset, "followed", user_id)
    commented = sorted(state.id for state, _ in matching(dataset, Query(dataset, f"commenter:{user_id}")))
    every = sorted(set(requested) | set(ccd) | set(followed) | set(commented))
    archived = [tid for tid in every if dataset.is_archived(dataset.state(tid))]  # type: ignore[arg-type]  # live ids
    return {"now": dataset.clock.now_int(), "user_id": user_id, "email": dataset.account.user_email(user_id),
            "requested": requested, "ccd": ccd, "followed": followed, "commented": commented, "archived": archived,
            "identities": identities(dataset, user_id)}
