"""Finding records again by what a restore knows of them: organizations by name or external id, tickets by external
id, the authenticated user.

- ``GET /api/v2/organizations/search.json?name=NAME`` (exact name, case-insensitive) or ``?external_id=ID``
  (*Search Organizations by Name or External ID*, https://developer.zendesk.com/api-reference/ticketing/organizations/
  organizations/): ``{"organizations", "next_page", "previous_page",
  "count"}``; 400 without either.
- ``GET /api/v2/users/me.json``: the authenticated user (*Show the Currently Authenticated User*,
  https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user): the
  user with the credentials' e-mail address (the admin; the agent in a seeded account), ``{"user": …}``.
- ``GET /api/v2/tickets.json[?external_id=ID]``: live tickets by id, offset pagination (``page``, ``per_page`` ≤ 100);
  "Archived tickets are not included in the response" (*List Tickets*, https://developer.zendesk.com/api-reference/
  ticketing/tickets/tickets/#list-tickets), so a ticket imported with ``archive_immediately`` is found again only by
  search.
"""

from __future__ import annotations

import re

from .api import JSON_TYPE, BadRequest, Response, error, offset_list
from .data import Dataset
from .encoding import dumps

ORGANIZATIONS_SEARCH_PATH = re.compile(r"/api/v2/organizations/search(?:\.json)?")
TICKETS_PATH = re.compile(r"/api/v2/tickets(?:\.json)?")
USERS_ME_PATH = re.compile(r"/api/v2/users/me(?:\.json)?")


def users_me(dataset: Dataset, email: str) -> Response:
    """``GET /api/v2/users/me.json`` for the credentials of ``email``."""
    user_id = dataset.account.user_id_by_email(email)
    if user_id is None:
        return error(404, "RecordNotFound", "Not found")
    return Response(200, [JSON_TYPE], b'{"user":' + dataset.account.user_json(user_id) + b"}")


def _live_organizations(dataset: Dataset) -> list[int]:
    account = dataset.account
    return sorted(oid for oid in account.organization_ids() if not account.organization(oid).get("deleted_at"))


def organizations_search(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/organizations/search.json?name=`` or ``?external_id=``."""
    account = dataset.account
    if query.get("name"):
        wanted = query["name"].lower()
        ids = [oid for oid in _live_organizations(dataset) if account.organization(oid)["name"].lower() == wanted]
    elif query.get("external_id"):
        ids = [oid for oid in _live_organizations(dataset)
               if account.organization(oid).get("external_id") == query["external_id"]]
    else:
        raise BadRequest(error(400, "InvalidValue", "name or external_id is required"))
    return offset_list(base_url, "/api/v2/organizations/search.json", "organizations",
                       [account.organization_json(oid) for oid in ids], query)


def tickets_list(dataset: Dataset, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/tickets.json[?external_id=]``: live, unarchived tickets by id."""
    render = dataset.generator.tickets.render
    wanted = query.get("external_id")
    records = []
    for ticket_id in dataset.ticket_ids():
        state = dataset.state(ticket_id)
        if state is None or state.deleted or dataset.is_archived(state):
            continue
        ticket = render(state)
        if wanted is None or ticket.get("external_id") == wanted:
            records.append(dumps(ticket))
    return offset_list(base_url, "/api/v2/tickets.json", "tickets", records, query)
