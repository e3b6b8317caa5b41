"""The write endpoints' paths, request-log names (in brackets), roles and answers.

- ``POST /api/v2/imports/tickets[?archive_immediately=true]`` ``{"ticket": {...}}`` [ticket_import]: 201 ``{"ticket"}``
- ``POST /api/v2/imports/tickets/create_many[?archive_immediately=true]`` ``{"tickets": [...]}`` (≤ 100)
  [ticket_import_create_many]: 200 ``{"job_status"}``, results ``{"index", "id"}`` or ``{"index", "error",
  "details"}``
- ``GET /api/v2/job_statuses/{id}`` [job_status]: ``{"job_status"}``, 404 once expired;
  ``GET /api/v2/job_statuses/show_many?ids=a,b`` [job_statuses_show_many]: ``{"job_statuses"}``;
  ``GET /api/v2/job_statuses`` [job_statuses]: ``{"job_statuses", "next_page", "previous_page", "count"}``
- ``POST /api/v2/uploads?filename=NAME[&token=T]`` (the bytes, their ``Content-Type``) [uploads]: 201 ``{"upload"}``
- ``POST /api/v2/users`` ``{"user"}`` [users_create]: 201 ``{"user"}``; ``POST /api/v2/users/create_many`` and
  ``/create_or_update_many`` ``{"users": [...]}`` (≤ 100) [users_create_many, users_create_or_update_many]: 200
  ``{"job_status"}``, results ``{"index", "id", "status": "Created"|"Updated", "email"}`` or ``{"index", "error",
  "details", "status": "Failed"}``
- ``POST /api/v2/organizations`` ``{"organization"}`` [organizations_create]: 201; ``POST
  /api/v2/organizations/create_many`` ``{"organizations": [...]}`` (≤ 100) [organizations_create_many]: a job status
- ``POST /api/v2/groups`` ``{"group"}`` [groups_create], ``POST /api/v2/ticket_fields`` ``{"ticket_field"}``
  [ticket_fields_create]: 201
- ``POST /api/v2/{ticket_forms,user_fields,organization_fields,brands,macros,triggers,automations,views}``
  ``{"<singular>"}`` [<stream>_create]: 201 ``{"<singular>"}``

Admins only, but for uploads, job statuses, macros and views (agents' personal ones) and end users created by agents
(the endpoints' *Allowed For*); an agent gets 403 elsewhere. A validation error is 422 ``RecordInvalid``; more than 100
records in a bulk call 400 ``{"error": "TooManyValues", "description": "Parameter tickets cannot specify more than 100
values", "max_count": 100}`` (the body as a real answer quoted in facetoe/zenpy issue 624; the status is not
confirmed); a 31st job queued or running at once 429 ``TooManyJobs`` (*Rate limits* → *Job limit*,
https://developer.zendesk.com/api-reference/introduction/rate-limits/: 30 queued or running jobs; the body's wording is
the sandbox's). Sources in the docstrings of ``tickets``, ``records``, ``config``, ``jobs`` and ``uploads``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..api import JSON_TYPE, NOT_FOUND, Response
from ..data import Dataset
from ..encoding import dumps
from ..generator.configuration import BRAND_IDS, TICKET_FORM_IDS
from . import records
from .config import FIRST_IDS, SINGULAR, ConfigStore
from .errors import FORBIDDEN, Invalid, bad_request, payload_of
from .jobs import JobStatuses
from .ledger import Ledger
from .tickets import MAX_TICKETS, SEARCH_INDEX_DELAY, TicketImport
from .uploads import Uploads

JOB_STATUS_PATH = re.compile(r"/api/v2/job_statuses/([0-9a-f]{1,64})(?:\.json)?")
#: (method, path pattern, log name); show_many before the one-job path.
ROUTES = [
    ("POST", r"/api/v2/imports/tickets/create_many", "ticket_import_create_many"),
    ("POST", r"/api/v2/imports/tickets", "ticket_import"),
    ("GET", r"/api/v2/job_statuses/show_many", "job_statuses_show_many"),
    ("GET", r"/api/v2/job_statuses/[0-9a-f]{1,64}", "job_status"),
    ("GET", r"/api/v2/job_statuses", "job_statuses"),
    ("POST", r"/api/v2/uploads", "uploads"),
    ("POST", r"/api/v2/users/create_or_update_many", "users_create_or_update_many"),
    ("POST", r"/api/v2/users/create_many", "users_create_many"),
    ("POST", r"/api/v2/users", "users_create"),
    ("POST", r"/api/v2/organizations/create_many", "organizations_create_many"),
    ("POST", r"/api/v2/organizations", "organizations_create"),
    ("POST", r"/api/v2/groups", "groups_create"),
    ("POST", r"/api/v2/ticket_fields", "ticket_fields_create"),
    *[("POST", rf"/api/v2/{stream}", f"{stream}_create") for stream in SINGULAR],
]
_COMPILED = [(method, re.compile(pattern + r"(?:\.json)?"), name) for method, pattern, name in ROUTES]
WRITE_ENDPOINTS = tuple(dict.fromkeys(name for _, _, name in ROUTES))
#: What an agent (not an admin) may call.
AGENT_ENDPOINTS = frozenset({"uploads", "job_status", "job_statuses", "job_statuses_show_many", "macros_create",
                             "views_create", "users_create"})
MAX_BULK = MAX_TICKETS


def endpoint_of(method: str, path: str) -> str | None:
    """The request log's name of a write endpoint (or of the job status reads), else None."""
    for wanted, pattern, name in _COMPILED:
        if method == wanted and pattern.fullmatch(path):
            return name
    return None


def _json(status: int, value: Any) -> Response:
    return Response(status, [JSON_TYPE], dumps(value))


class Writes:
    """Everything written through the API: jobs, uploads, the ledger, the configuration lists, ticket imports."""

    def __init__(self, dataset: Dataset, base_url: str, search_index_delay: int = SEARCH_INDEX_DELAY) -> None:
        self.dataset = dataset
        self.base_url = base_url
        self.ledger = Ledger()
        self.jobs = JobStatuses(dataset.clock, base_url)
        self.uploads = Uploads(dataset.clock, base_url, dataset.generator.tokens)
        self.config = ConfigStore(dataset.generator, dataset.clock, base_url)
        seeded = dataset.options.account == "seeded"
        self.tickets = TicketImport(dataset, self.uploads,
                                    TICKET_FORM_IDS[0] if seeded else FIRST_IDS["ticket_forms"],
                                    BRAND_IDS[0] if seeded else FIRST_IDS["brands"], search_index_delay)

    def handle(self, endpoint: str, method: str, path: str, params: dict[str, str], body: bytes,
               content_type: str | None, role: str) -> Response:
        """The answer of a write endpoint (``endpoint`` from :func:`endpoint_of`), the write done first."""
        if role != "admin" and endpoint not in AGENT_ENDPOINTS:
            return FORBIDDEN
        try:
            if endpoint.startswith("job_status"):
                return self._jobs(endpoint, path, params)
            if endpoint == "uploads":
                return self._upload(params, body, content_type)
            if endpoint in ("ticket_import", "ticket_import_create_many"):
                return self._import(endpoint, params, body)
            if endpoint == "users_create" and role != "admin":
                user = payload_of(body, "user")
                if isinstance(user, dict) and user.get("role", "end-user") != "end-user":
                    return FORBIDDEN
            return self._records(endpoint, body)
        except Invalid as refusal:
            return refusal.response()
        except ValueError as exc:
            return bad_request(str(exc))

    def truth(self) -> dict[str, Any]:
        """The ledger, the uploads, and every imported ticket's ``id``, ``external_id``, ``tags`` and ``subject`` as
        served now (a test finds a ticket imported twice by its marker)."""
        render = self.dataset.generator.tickets.render
        tickets = []
        for ticket_id in self.dataset.written_ticket_ids():
            ticket = render(self.dataset.state(ticket_id))  # type: ignore[arg-type]  # a written ticket's id
            tickets.append({name: ticket.get(name) for name in ("id", "external_id", "tags", "subject", "status")})
        return {**self.ledger.truth(), "uploads": self.uploads.truth(), "tickets": tickets}

    # ------------------------------------------------------------------ jobs

    def _jobs(self, endpoint: str, path: str, params: dict[str, str]) -> Response:
        if endpoint == "job_status":
            match = JOB_STATUS_PATH.fullmatch(path)
            found = self.jobs.poll(match.group(1)) if match else None
            return NOT_FOUND if found is None else _json(200, {"job_status": found})
        if endpoint == "job_statuses_show_many":
            ids = [part.strip() for part in params.get("ids", "").split(",") if part.strip()]
            if not ids or len(ids) > MAX_BULK:
                return bad_request("ids: between 1 and 100 job ids are expected")
            polled = [self.jobs.poll(job_id) for job_id in ids]
            return _json(200, {"job_statuses": [job for job in polled if job is not None]})
        listed = self.jobs.listed()
        return _json(200, {"job_statuses": listed, "next_page": None, "previous_page": None, "count": len(listed)})

    def _job(self, job_type: str, results: list[dict[str, Any]]) -> Response:
        self.ledger.created("job", len(self.ledger.truth()["created"].get("job", [])) + 1)
        return _json(200, {"job_status": self.jobs.submit(job_type, results)})

    @staticmethod
    def _too_many(items: list[Any], what: str) -> Response | None:
        if len(items) > MAX_BULK:
            return Response(400, [JSON_TYPE], dumps({
                "error": "TooManyValues", "description": f"Parameter {what} cannot specify more than {MAX_BULK} values",
                "max_count": MAX_BULK}))
        return None

    # --------------------------------------------------------------- uploads

    def _upload(self, params: dict[str, str], body: bytes, content_type: str | None) -> Response:
        name = params.get("filename")
        if not name:
            return bad_request("filename is required")
        added = self.uploads.add(name, content_type or "application/binary", body, params.get("token"))
        if added is None:
            return NOT_FOUND
        token, files = added
        self.ledger.created("upload", files[-1].id)
        attachments = [self.uploads.attachment(f) for f in files]
        return _json(201, {"upload": {"token": token, "expires_at": self.uploads.expires_at(token),
                                      "attachments": attachments, "attachment": attachments[-1]}})

    # ------------------------------------------------------------- tickets

    def _import(self, endpoint: str, params: dict[str, str], body: bytes) -> Response:
        archive = params.get("archive_immediately", "").lower() in ("true", "1")
        if endpoint == "ticket_import":
            ticket_id, refusal = self.tickets.import_tickets([payload_of(body, "ticket")], archive)[0]
            if refusal is not None:
                return refusal.response()
            self.ledger.created("ticket", ticket_id)
            state = self.dataset.state(ticket_id)  # type: ignore[arg-type]  # just created
            return _json(201, {"ticket": self.dataset.generator.tickets.render(state)})  # type: ignore[arg-type]
        payloads = payload_of(body, "tickets")
        if not isinstance(payloads, list):
            return bad_request("tickets: a list is expected")
        too_many = self._too_many(payloads, "tickets")
        if too_many is not None:
            return too_many
        if self.jobs.full():
            return _too_many_jobs()
        results = []
        for index, (ticket_id, refusal) in enumerate(self.tickets.import_tickets(payloads, archive)):
            if refusal is None:
                self.ledger.created("ticket", ticket_id)
                results.append({"index": index, "id": ticket_id})
            else:
                results.append({"index": index, "error": "RecordInvalid", "details": refusal.description})
        return self._job("bulk_import_tickets", results)

    # ------------------------------------------------------------- records

    def _records(self, endpoint: str, body: bytes) -> Response:
        now = self.dataset.clock.now_int()
        account = self.dataset.account
        singles: dict[str, tuple[str, str, Callable[[Any, Any, int], dict[str, Any]]]] = {
            "users_create": ("user", "user", records.create_user),
            "organizations_create": ("organization", "organization", records.create_organization),
            "groups_create": ("group", "group", records.create_group),
            "ticket_fields_create": ("ticket_field", "ticket_field", records.create_ticket_field),
        }
        if endpoint in singles:
            key, kind, create = singles[endpoint]
            record = create(account, payload_of(body, key), now)
            self.ledger.created(kind, record["id"])
            return _json(201, {key: record})
        stream = endpoint.removesuffix("_create")
        if stream in SINGULAR:
            key = SINGULAR[stream]
            obj = self.config.create(stream, payload_of(body, key))
            self.ledger.created(key, obj["id"])
            return _json(201, {key: obj})
        key = "users" if endpoint.startswith("users") else "organizations"
        payloads = payload_of(body, key)
        if not isinstance(payloads, list):
            return bad_request(f"{key}: a list is expected")
        too_many = self._too_many(payloads, key)
        if too_many is not None:
            return too_many
        if self.jobs.full():
            return _too_many_jobs()
        results = [self._bulk_one(endpoint, index, payload, now) for index, payload in enumerate(payloads)]
        return self._job({"users_create_many": "bulk_create_users", "users_create_or_update_many":
                          "bulk_create_or_update_users"}.get(endpoint, "bulk_create_organizations"), results)

    def _bulk_one(self, endpoint: str, index: int, payload: Any, now: int) -> dict[str, Any]:
        account = self.dataset.account
        try:
            if endpoint == "organizations_create_many":
                record = records.create_organization(account, payload, now)
                self.ledger.created("organization", record["id"])
                return {"index": index, "id": record["id"]}
            if endpoint == "users_create_many":
                record, created = records.create_user(account, payload, now), True
            else:
                record, created = records.create_or_update_user(account, payload, now)
            (self.ledger.created if created else self.ledger.updated)("user", record["id"])
            return {"index": index, "id": record["id"], "status": "Created" if created else "Updated",
                    "email": record.get("email")}
        except Invalid as refusal:
            failed: dict[str, Any] = {"index": index, "error": "RecordInvalid" if endpoint.startswith("organizations")
                      else "UserCreateError", "details": refusal.description}
            if endpoint.startswith("users"):
                failed["status"] = "Failed"
            return failed


def _too_many_jobs() -> Response:
    return Response(429, [JSON_TYPE, ("Retry-After", "5")], dumps({
        "error": "TooManyJobs", "description": "Number of allowed concurrent jobs exceeded: at most 30 jobs may run "
                                               "at once; try again when some have completed"}))
