"""The restore's work, step by step in dependency order: read the target, then write each type, tickets last.

Each step is a list of requests; the next step starts when the spider is idle (every
request of the step answered), so a ticket is imported only after its people, group,
organization and fields exist. Within a step, requests go as fast as the budget the
answers announce allows (the crawl's own middlewares: auth for the account's origin
only, header-driven pacing, 429 waits, backoff).

Never twice. A POST is not idempotent, so none is retried blindly (``dont_retry``):

- users go through ``create_or_update_many``, which matches by e-mail or ``external_id``
  (a restored user without e-mail gets a marker ``external_id``): sending it again updates;
- organizations' names are unique in Zendesk: a second create is refused ("has already
  been taken") and the organization is then found by name;
- fields, groups, forms, brands and business rules are created one by one; after a
  failed or unanswered create, the target's list is read again and the object is looked
  for before it is created again;
- tickets carry marker tags (``markers.py``) and each batch is in the journal
  (``journal.py``) from before its POST until its ids are in a stored map file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import (
    ENDPOINT_META,
    ORGANIZATIONS_EXPORT_ENDPOINT,
    SEARCH_EXPORT_ENDPOINT,
    USERS_EXPORT_ENDPOINT,
)
from zendesk_crawler.api.responses import describe
from zendesk_crawler.location.documents import Documents
from zendesk_crawler.restore import payloads
from zendesk_crawler.restore.answers import carried, json_or_none, next_link, refusal, request_of, result_message
from zendesk_crawler.restore.backup import Backup
from zendesk_crawler.restore.context import MAP_TYPE, RestoreContext
from zendesk_crawler.restore.id_map import CREATED, REUSED, IdMap, MapStore
from zendesk_crawler.restore.journal import Journal
from zendesk_crawler.restore.markers import account_tag, source_key
from zendesk_crawler.restore.report import RestoreReport
from zendesk_crawler.restore.target import (
    LISTS,
    ORGANIZATIONS_EXPORT_PATH,
    SEARCH_EXPORT_PATH,
    USERS_EXPORT_PATH,
    TargetObjects,
)
from zendesk_crawler.run.outcome import record_failure

logger = logging.getLogger(__name__)

#: Objects per ``create_many`` (Zendesk's limit for tickets, users and organizations).
PER_CALL = 100
#: Seconds between polls of a job status, and polls before a job is given up on.
JOB_POLL_SECONDS = 1.0
JOB_POLLS = 600
#: Import batches in flight at once: their tickets and attachment files are in memory while they upload.
BATCHES_IN_FLIGHT = 3
#: User and organization jobs at once (with the import batches, well under the 30 Zendesk runs at once).
JOBS_IN_FLIGHT = 5
#: A create retried after its list showed it was not created (then it is a refusal).
CREATE_ATTEMPTS = 3
#: Single-object create endpoints and their body keys, per type.
CREATE = {"ticket_field": ("/api/v2/ticket_fields.json", "ticket_field"),
          "user_field": ("/api/v2/user_fields.json", "user_field"),
          "organization_field": ("/api/v2/organization_fields.json", "organization_field"),
          "group": ("/api/v2/groups.json", "group"), "brand": ("/api/v2/brands.json", "brand"),
          "ticket_form": ("/api/v2/ticket_forms.json", "ticket_form"), "macro": ("/api/v2/macros.json", "macro"),
          "trigger": ("/api/v2/triggers.json", "trigger"), "automation": ("/api/v2/automations.json", "automation"),
          "view": ("/api/v2/views.json", "view")}
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class Restorer:
    """Writes one backup into the target account; the spider asks it for each step's requests."""

    def __init__(self, crawler: Crawler, context: RestoreContext, backup: Backup, store: MapStore,
                 documents: Documents) -> None:
        self.crawler = crawler
        self.context = context
        self.backup = backup
        self.store = store
        self.documents = documents
        self.search_delay = context.search_delay
        self.key = source_key(backup.source_host())
        self.ids = IdMap()
        self.target = TargetObjects(self.key)
        self.report = RestoreReport()
        self.journal = Journal.open(documents, context.export_uri)
        self.steps: list[Callable[[], list[Request]]] = self._steps()
        self.batches = 0
        self.ticket_batches: Iterator[tuple[list[dict[str, Any]], bool]] = iter(())
        self.queued_jobs: list[Request] = []
        #: Searches waiting for Zendesk's search index: (when, request).
        self.waiting: list[tuple[float, Request]] = []

    # --- the steps ------------------------------------------------------------------

    def _steps(self) -> list[Callable[[], list[Request]]]:
        streams = self.context.streams
        steps: list[Callable[[], list[Request]]] = [self._read_target, self._settle_pending, self._custom_statuses]
        for stream in ("ticket_fields", "user_fields", "organization_fields", "groups"):
            if stream in streams:
                steps.append(partial(self._create_each, stream))
        if "organizations" in streams:
            steps.append(self._organizations)
        if "users" in streams or "tickets" in streams:
            steps.append(self._users)
        for stream in ("brands", "ticket_forms", "macros", "triggers", "automations", "views"):
            if stream in streams:
                steps.append(partial(self._create_each, stream))
        if "tickets" in streams:
            steps.append(self._tickets)
        return steps

    def start(self) -> list[Request]:
        """The first step's requests (the id map of earlier runs is read first), after saying what will happen."""
        context = self.context
        tickets = f"the tickets {', '.join(map(str, sorted(context.ticket_ids)))}" if context.ticket_ids \
            else "every live ticket"
        logger.warning("Restore%s of %s (the backup of %s, %d runs) into %s: %s; %s; creating %s where the target "
                       "has no match (-a dry_run=true lists what would be created)",
                       " (dry run: nothing is written)" if context.dry_run else "", context.source,
                       self.backup.source_host(), len(self.backup.runs), context.target_host,
                       ", ".join(context.streams), tickets, ", ".join(sorted(context.creates)))
        loaded = self.store.load(self.ids)
        if loaded:
            logger.info("Restore: %d objects already mapped by earlier runs of this restore location", loaded)
        return self.advance()

    def advance(self) -> list[Request]:
        """The next step's requests, skipping steps with nothing to do; ``[]`` when the restore is done."""
        self.store.flush()
        while self.steps:
            step = self.steps.pop(0)
            requests = step()
            if requests:
                logger.info("Restore: %s: %d requests", _step_name(step), len(requests))
                return requests
            self.store.flush()
        return []

    # --- reading the target --------------------------------------------------------

    def _read_target(self) -> list[Request]:
        requests = [self._list_request(kind) for kind in LISTS if kind != "organization"]
        # Organizations: the incremental export (1000 a page; the list, 100 a page, serves the re-reads).
        requests.append(self._get(f"{ORGANIZATIONS_EXPORT_PATH}?{urlencode({'start_time': 0})}", self._list_page,
                                  ORGANIZATIONS_EXPORT_ENDPOINT, {"kind": "organization", "then": None}))
        requests.append(self._get(f"{USERS_EXPORT_PATH}?{urlencode({'start_time': 0, 'per_page': 1000})}",
                                  self._users_page, USERS_EXPORT_ENDPOINT))
        requests.append(self._search_request(f"tags:{account_tag(self.key)}"))
        return requests

    def _list_request(self, kind: str, then: Callable[[], list[Request]] | None = None) -> Request:
        path, _, cursor = LISTS[kind]
        query = f"?{urlencode({'page[size]': 100})}" if cursor else ""
        return self._get(f"{self.context.base_url}{path}{query}", self._list_page, f"restore_read_{kind}",
                         {"kind": kind, "then": then})

    def _list_page(self, response: Response) -> Iterator[Request]:
        kind = response.meta["kind"]
        page = self._json(response)
        if page is None:
            return
        self.target.add_list(kind, page.get(LISTS[kind][1]) or [])
        next_url = None if page.get("end_of_stream") else next_link(page)
        if next_url:
            yield self._get(next_url, self._list_page, response.meta[ENDPOINT_META], carried(response.meta))
        elif response.meta.get("then") is not None:
            yield from response.meta["then"]()

    def _users_page(self, response: Response) -> Iterator[Request]:
        page = self._json(response)
        if page is None:
            return
        self.target.add_users(page.get("users") or [])
        if not page.get("end_of_stream") and page.get("after_url"):
            yield self._get(page["after_url"], self._users_page, USERS_EXPORT_ENDPOINT)

    def _search_request(self, query: str, meta: dict[str, Any] | None = None) -> Request:
        params = {"query": query, "filter[type]": "ticket", "page[size]": 1000}
        return self._get(f"{self.context.base_url}{SEARCH_EXPORT_PATH}?{urlencode(params)}", self._search_page,
                         SEARCH_EXPORT_ENDPOINT, meta or {})

    def _search_page(self, response: Response) -> Iterator[Request]:
        page = self._json(response)
        if page is None:
            return
        self.target.add_tickets(page.get("results") or [])
        next_url = next_link(page)
        if next_url:
            yield self._get(next_url, self._search_page, SEARCH_EXPORT_ENDPOINT, carried(response.meta))
        elif response.meta.get("settle"):
            yield from self._settled(response.meta["batch"], response.meta.get("records"))

    def _settled(self, name: str, records: list[dict[str, Any]] | None) -> list[Request]:
        """A batch's tickets found by marker are mapped; in this run, the others are imported again (they were
        not created: the search has indexed every ticket imported before the wait)."""
        self._map_found_tickets()
        self.store.flush()
        self.journal.done([name])
        if not records:
            return []  # an earlier run's batch: the ticket step imports what is still unmapped
        missing = [ticket for ticket in records if not self.ids.has("ticket", ticket["id"])]
        requests: list[Request] = []
        for closed in (False, True):
            tickets = [ticket for ticket in missing if (ticket.get("status") == "closed") == closed]
            if tickets:
                requests.extend(self._import_batch(tickets, closed))
        return requests or self._next_batch()

    # --- batches an interrupted run left ---------------------------------------------

    def _settle_pending(self) -> list[Request]:
        """Map the tickets of batches an earlier run sent: by their job status, else by marker once searchable."""
        self._map_found_tickets()
        self.store.flush()
        requests, done = [], []
        for name, batch in list(self.journal.pending.items()):
            if all(self.ids.has("ticket", source_id) for source_id in batch.source_ids):
                done.append(name)
            elif batch.job_id:
                requests.append(self._job_request(batch.job_id, {"batch": name, "recovering": True}))
            else:
                requests += self._search_after_delay(name)
        self.journal.done(done)
        return requests

    def _search_after_delay(self, name: str, records: list[dict[str, Any]] | None = None) -> list[Request]:
        """A search for a batch's markers once Zendesk's search has had ``ZENDESK_RESTORE_SEARCH_DELAY`` seconds
        since its import: now, or from ``due`` when the spider is idle (a wait that a shutdown does not sit out)."""
        batch = self.journal.pending.get(name)
        posted = batch.posted_at if batch is not None else time.time()
        search = self._search_request(f"tags:{account_tag(self.key)}",
                                      {"batch": name, "settle": True, "records": records})
        due = posted + self.search_delay
        if due <= time.time():
            return [search]
        logger.info("Restore: waiting %.0f s for Zendesk's search to index the tickets of batch %s",
                    due - time.time(), name)
        self.waiting.append((due, search))
        return []

    def due(self) -> list[Request]:
        """The searches whose wait is over (asked by the spider when idle)."""
        now = time.time()
        ready = [request for due, request in self.waiting if due <= now]
        self.waiting = [(due, request) for due, request in self.waiting if due > now]
        return ready

    def _map_found_tickets(self) -> None:
        """Tickets found by their marker: mapped (an earlier run created them)."""
        for source_id, target_id in self.target.tickets.items():
            if not self.ids.has("ticket", source_id):
                self.ids.add("ticket", source_id, target_id)
                self.store.record("ticket", source_id, target_id, CREATED)
                self.report.count("ticket", "created by an earlier run")

    def _custom_statuses(self) -> list[Request]:
        """Custom statuses are found, not written (creating them needs the custom ticket statuses feature): a
        ticket or a rule naming one the target lacks gets its status category's default."""
        for record in self.backup.newest("custom_statuses"):
            if self.ids.has("custom_status", record.get("id")):
                continue
            found = self.target.find("custom_status", record)
            if found is not None:
                self._mapped("custom_status", record.get("id"), found, REUSED)
            else:
                self.report.cannot_write("custom_status", record.get("id"), "the target has no custom status "
                                         f"{record.get('agent_label')!r} ({record.get('status_category')})")
        return []

    # --- one object at a time ----------------------------------------------------------

    def _create_each(self, stream: str) -> list[Request]:
        kind = MAP_TYPE[stream]
        requests = []
        for record in self.backup.newest(stream):
            source_id = record.get("id")
            if not self._missing(kind, stream, source_id, self.target.find(kind, record)):
                continue
            if kind == "ticket_field" and record.get("removable") is False:
                self.report.cannot_write(kind, source_id, "a system field the target has not")
                continue
            try:
                body = self._payload(stream, record)
            except payloads.Unmappable as exc:
                self.report.cannot_write(kind, source_id, str(exc))
                continue
            if self.context.dry_run:
                self._would_create(kind, source_id)
                continue
            requests.append(self._create_request(kind, source_id, record, body, attempt=1))
        return requests

    def _missing(self, kind: str, stream: str, source_id: Any, found: Any) -> bool:
        """Whether an object must still be created: not restored by an earlier run, not in the target (``found``:
        its id there, which is then mapped), and of a stream this restore creates (a person always is: a restored
        ticket needs its people)."""
        if self.ids.has(kind, source_id):
            self.report.count(kind, "already restored")
            return False
        if found is not None:
            self._mapped(kind, source_id, found, REUSED)
            return False
        if stream not in self.context.creates and kind != "user":
            self.report.count(kind, "not found, not created (named tickets restore people and tickets only)")
            return False
        return True

    def _payload(self, stream: str, record: dict[str, Any]) -> dict[str, Any]:
        if stream in ("ticket_fields", "user_fields", "organization_fields"):
            return payloads.field_payload(record)
        if stream == "groups":
            return payloads.group_payload(record)
        if stream == "brands":
            return payloads.brand_payload(record)
        if stream == "ticket_forms":
            return payloads.ticket_form_payload(record, self.ids)
        return payloads.business_rule_payload(stream, record, self.ids)

    def _create_request(self, kind: str, source_id: Any, record: dict[str, Any], body: dict[str, Any],
                        attempt: int) -> Request:
        path, key = CREATE[kind]
        return self._post(path, {key: body}, self._created, f"restore_create_{kind}",
                          {"kind": kind, "source_id": source_id, "record": record, "body": body, "attempt": attempt})

    def _created(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        kind, source_id = meta["kind"], meta["source_id"]
        if response.status in (200, 201):
            created = json_or_none(response.body) or {}
            target_id = (created.get(CREATE[kind][1]) or {}).get("id")
            if target_id is not None:
                self._mapped(kind, source_id, target_id, CREATED)
                return
        if 400 <= response.status < 500 and response.status != 429:
            self.report.refuse(kind, source_id, refusal(response))
            return
        yield from self._verify_then_retry(meta, f"HTTP {response.status}")

    def _create_failed(self, failure: Failure) -> Iterator[Request]:
        yield from self._verify_then_retry(request_of(failure).meta, describe(failure))

    def _verify_then_retry(self, meta: dict[str, Any], why: str) -> Iterator[Request]:
        """The create's answer was lost or a server error: read the list again, then create only if absent."""
        kind, source_id = meta["kind"], meta["source_id"]

        def then() -> list[Request]:
            found = self.target.find(kind, meta["record"])
            if found is not None:
                self._mapped(kind, source_id, found, CREATED)
                return []
            if meta["attempt"] >= CREATE_ATTEMPTS:
                self.report.refuse(kind, source_id, f"not created after {meta['attempt']} attempts ({why})")
                return []
            return [self._create_request(kind, source_id, meta["record"], meta["body"], meta["attempt"] + 1)]

        logger.warning("Restore: the create of %s %s had no usable answer (%s): looking for it before trying again",
                       kind, source_id, why)
        yield self._list_request(kind, then)

    def _would_create(self, kind: str, source_id: Any) -> None:
        """A dry run: counted, and mapped to no id, so that what refers to it is counted as writable too."""
        self.ids.add(kind, source_id, None)
        self.report.count(kind, "would create")

    def _mapped(self, kind: str, source_id: Any, target_id: Any, action: str) -> None:
        self.ids.add(kind, source_id, target_id)
        if not self.context.dry_run:
            self.store.record(kind, source_id, target_id, action)
        self.report.count(kind, action if not self.context.dry_run else f"would be {action}")

    # --- organizations and users, a hundred a job ---------------------------------

    def _organizations(self) -> list[Request]:
        todo = []
        for record in self.backup.newest("organizations"):
            source_id = record.get("id")
            if not self._missing("organization", "organizations", source_id,
                                 self.target.find("organization", record)):
                continue
            if self.context.dry_run:
                self._would_create("organization", source_id)
                continue
            todo.append(record)
        return self._queue_jobs([self._post("/api/v2/organizations/create_many.json",
                                            {"organizations": [payloads.organization_payload(r) for r in chunk]},
                                            self._job_answer, "restore_organizations_create_many",
                                            {"kind": "organization", "records": chunk})
                                 for chunk in _chunks(todo, PER_CALL)])

    def _users(self) -> list[Request]:
        """Every live user of the backup (not for named tickets) and every person the restored tickets name.

        A person the source has deleted is restored only when a restored ticket names them (so that every comment
        keeps its author), from what the backup knows of them: the users stream, or the ticket's own copy of the
        person where that has the e-mail the deleted user lost.
        """
        users = {record["id"]: record for record in self.backup.newest("users") if isinstance(record.get("id"), int)}
        everyone = "users" in self.context.streams and not self.context.ticket_ids
        todo = {uid: record for uid, record in users.items() if everyone and record.get("active") is not False}
        if "tickets" in self.context.streams:
            for ticket in self._selected_tickets():
                for person in _people_of(ticket):
                    known = todo.get(person["id"]) or users.get(person["id"]) or person
                    if not known.get("email") and person.get("email"):
                        known = {**known, "email": person["email"], "name": person.get("name") or known.get("name")}
                    todo[person["id"]] = known
        requests_body = []
        for source_id, record in todo.items():
            if not self._missing("user", "users", source_id, self.target.find_user(record)):
                continue
            if self.context.dry_run:
                self._would_create("user", source_id)
                continue
            requests_body.append(record)
        return self._queue_jobs([self._post("/api/v2/users/create_or_update_many.json",
                                            {"users": [payloads.user_payload(r, self.ids, self.key) for r in chunk]},
                                            self._job_answer, "restore_users_create_or_update_many",
                                            {"kind": "user", "records": chunk}, retry=True)
                                 for chunk in _chunks(requests_body, PER_CALL)])

    def _queue_jobs(self, requests: list[Request]) -> list[Request]:
        """The first ``JOBS_IN_FLIGHT`` bulk creates; the others wait for a job to finish (``_next_job``): Zendesk
        runs about 30 jobs of an account at once and refuses more."""
        self.queued_jobs = requests[JOBS_IN_FLIGHT:]
        return requests[:JOBS_IN_FLIGHT]

    def _next_job(self) -> list[Request]:
        return [self.queued_jobs.pop(0)] if self.queued_jobs else []

    # --- tickets, through the Ticket Import API ----------------------------------------

    def _selected_tickets(self) -> Iterator[dict[str, Any]]:
        """The tickets to restore, each in its newest version (a named deleted one: its last live version)."""
        named = self.context.ticket_ids
        for ticket in self.backup.newest("tickets", last_live=bool(named)):
            if named and ticket.get("id") not in named:
                continue
            if ticket.get("status") == "deleted":
                if named:
                    self.report.cannot_write("ticket", ticket.get("id"), "deleted, and the backup has no version "
                                             "of it before the deletion")
                continue
            yield ticket

    def _tickets(self) -> list[Request]:
        """The first ``BATCHES_IN_FLIGHT`` import batches; each batch done starts the next (``_next_batch``), so that
        the tickets and attachment files in memory are a few batches' whatever the backup's size."""
        self.ticket_batches = self._batches()
        requests: list[Request] = []
        for _ in range(BATCHES_IN_FLIGHT):
            requests += self._next_batch()
        return requests

    def _batches(self) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """The tickets still to import, a hundred a batch, closed ones apart (they go straight to the archive)."""
        pending: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for ticket in self._selected_tickets():
            if self.ids.has("ticket", ticket["id"]):
                self.report.count("ticket", "already restored")
                continue
            if self.context.dry_run:
                self.report.count("ticket", "would import")
                continue
            closed = ticket.get("status") == "closed"
            pending[closed].append(ticket)
            if len(pending[closed]) == PER_CALL:
                yield pending[closed], closed
                pending[closed] = []
        for closed, tickets in pending.items():
            if tickets:
                yield tickets, closed

    def _next_batch(self) -> list[Request]:
        """The requests of the next import batch (``[]`` when every batch has been started)."""
        for tickets, closed in self.ticket_batches:
            requests = self._import_batch(tickets, closed)
            if requests:
                return requests
        return []

    def _import_batch(self, tickets: list[dict[str, Any]], closed: bool) -> list[Request]:
        """Upload the batch's attachment files first (their tokens go into the comments), then import it."""
        self.batches += 1
        batch = {"name": f"{self.context.run_id}-{self.batches}", "tickets": tickets, "closed": closed,
                 "uploads": {}, "waiting": 0}
        requests = []
        for ticket in tickets:
            for comment in ticket.get("comments") or []:
                for attachment in comment.get("attachments") or [] if isinstance(comment, dict) else []:
                    request = self._upload_request(attachment, batch)
                    if request is not None:
                        requests.append(request)
        batch["waiting"] = len(requests)
        return requests or self._import_request(batch)

    def _upload_request(self, attachment: Any, batch: dict[str, Any]) -> Request | None:
        stored = attachment.get("stored_file") if isinstance(attachment, dict) else None
        if not isinstance(stored, dict) or not stored.get("path"):
            self.report.attachments_missing += 1
            return None
        data = self.backup.stored_file(stored["path"])
        if data is None:
            self.report.attachments_missing += 1
            return None
        name = attachment.get("file_name") or "attachment"
        content_type = attachment.get("content_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        url = f"{self.context.base_url}/api/v2/uploads.json?filename={quote(name)}"
        # An upload never attached is deleted by Zendesk: a retried upload leaves no trace, so it may be retried.
        return Request(url, method="POST", body=data, headers={"Content-Type": content_type},
                       callback=self._uploaded, errback=self._failed,
                       meta={ENDPOINT_META: "restore_uploads", "handle_httpstatus_all": True, "batch": batch,
                             "attachment_id": attachment.get("id")})

    def _uploaded(self, response: Response) -> Iterator[Request]:
        batch = response.meta["batch"]
        upload = (json_or_none(response.body) or {}).get("upload") or {}
        if response.status in (200, 201) and upload.get("token"):
            batch["uploads"][response.meta["attachment_id"]] = upload["token"]
        else:
            self.report.refuse("attachment", response.meta["attachment_id"], refusal(response))
        batch["waiting"] -= 1
        if batch["waiting"] == 0:
            yield from self._import_request(batch)

    def _import_request(self, batch: dict[str, Any]) -> list[Request]:
        """The batch's import (none when no ticket of it can be written: then the next batch)."""
        bodies, sources = [], []
        for ticket in batch["tickets"]:
            try:
                bodies.append(payloads.ticket_payload(ticket, self.ids, self.key, batch["uploads"]))
                sources.append(ticket)
            except payloads.Unmappable as exc:
                self.report.cannot_write("ticket", ticket.get("id"), str(exc))
        batch["tickets"] = sources
        if not sources:
            return self._next_batch()
        self.journal.posting(batch["name"], [ticket["id"] for ticket in sources])
        logger.info("Restore: importing batch %s (%d tickets)", batch["name"], len(sources))
        query = "?archive_immediately=true" if batch["closed"] else ""
        return [self._post(f"/api/v2/imports/tickets/create_many.json{query}", {"tickets": bodies}, self._job_answer,
                           "restore_ticket_import", {"kind": "ticket", "records": sources, "batch": batch["name"]})]

    # --- job statuses ---------------------------------------------------------------------

    def _job_answer(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        job = (json_or_none(response.body) or {}).get("job_status") or {}
        if response.status in (200, 201) and job.get("id"):
            if meta["kind"] == "ticket":
                self.journal.answered(meta["batch"], job["id"])
                logger.info("Restore: batch %s answered with job %s", meta["batch"], job["id"])
            yield self._job_request(job["id"], {k: v for k, v in meta.items() if k in ("kind", "records", "batch")})
            return
        if 400 <= response.status < 500 and response.status != 429:
            for record in meta["records"]:
                self.report.refuse(meta["kind"], record.get("id"), refusal(response))
            if meta["kind"] == "ticket":
                self.journal.done([meta["batch"]])
                yield from self._next_batch()
            else:
                yield from self._next_job()
            return
        yield from self._job_lost(meta, f"HTTP {response.status}")

    def _job_request(self, job_id: str, meta: dict[str, Any], polls: int = 0) -> Request:
        return self._get(f"{self.context.base_url}/api/v2/job_statuses/{quote(job_id)}.json", self._job_status,
                         "restore_job_status", {**meta, "job_id": job_id, "polls": polls})

    async def _job_status(self, response: Response) -> AsyncIterator[Request]:
        meta = response.meta
        if response.status == 404:
            lost = self._search_after_delay(meta["batch"]) if meta.get("recovering") else \
                list(self._job_lost(meta, "its job status expired"))
            for request in lost:
                yield request
            return
        job = (json_or_none(response.body) or {}).get("job_status") or {}
        status = job.get("status")
        if response.status != 200 or status in ("queued", "working", None):
            if meta["polls"] >= JOB_POLLS:
                record_failure(self.crawler, f"job {meta['job_id']} did not complete after {JOB_POLLS} polls")
                return
            await asyncio.sleep(JOB_POLL_SECONDS)
            yield self._job_request(meta["job_id"], {k: v for k, v in meta.items() if k not in ("job_id", "polls")},
                                    meta["polls"] + 1)
            return
        if meta.get("recovering"):
            self._recovered_job(meta["batch"], job)
            return
        for request in self._job_results(meta, job):
            yield request

    def _job_results(self, meta: dict[str, Any], job: dict[str, Any]) -> list[Request]:
        kind, records = meta["kind"], meta["records"]
        results: list[Any] = job["results"] if isinstance(job.get("results"), list) else []
        by_index = {result.get("index", i): result for i, result in enumerate(results) if isinstance(result, dict)}
        retry_by_name = []
        for index, record in enumerate(records):
            result = by_index.get(index) or {}
            if job.get("status") == "failed" and not result:
                self.report.refuse(kind, record.get("id"), str(job.get("message") or "the job failed"))
            elif result.get("id") is not None and not result.get("error"):
                self._mapped(kind, record["id"], result["id"], CREATED)
            elif kind == "organization" and "taken" in json.dumps(result):
                retry_by_name.append(record)  # created by an earlier attempt: found by name below
            else:
                self.report.refuse(kind, record.get("id"), result_message(result))
        self.store.flush()
        if kind == "ticket":
            self.journal.done([meta["batch"]])
            return self._next_batch()
        if not retry_by_name:
            return self._next_job()

        def then() -> list[Request]:
            for record in retry_by_name:
                found = self.target.find("organization", record)
                if found is not None:
                    self._mapped("organization", record["id"], found, CREATED)
                else:
                    self.report.refuse("organization", record.get("id"), "its name is taken in the target, yet no "
                                       "organization of that name is listed")
            return []

        return [self._list_request("organization", then), *self._next_job()]

    def _recovered_job(self, name: str, job: dict[str, Any]) -> None:
        batch = self.journal.pending.get(name)
        if batch is None:
            return
        results: list[Any] = job["results"] if isinstance(job.get("results"), list) else []
        for index, source_id in enumerate(batch.source_ids):
            result = next((r for r in results if isinstance(r, dict) and r.get("index", -1) == index), None)
            if result and result.get("id") is not None and not self.ids.has("ticket", source_id):
                self._mapped("ticket", source_id, result["id"], CREATED)
        self.store.flush()
        self.journal.done([name])

    def _job_lost(self, meta: dict[str, Any], why: str) -> Iterator[Request]:
        """No job status to read: tickets are found by marker once searchable; users and organizations are
        found again by the next run's reading of the target (both creates are safe to repeat)."""
        if meta["kind"] == "ticket":
            logger.warning("Restore: the import of batch %s had no usable answer (%s): its tickets are looked for "
                           "by their markers before any is imported again", meta["batch"], why)
            yield from self._search_after_delay(meta["batch"], meta.get("records"))
            return
        if meta["kind"] == "user":
            yield from self._users_again(meta["records"], why)
            return
        for record in meta["records"]:
            self.report.refuse(meta["kind"], record.get("id"), f"no answer from Zendesk ({why}); run the restore "
                               "again to find or create it")
        yield from self._next_job()

    def _users_again(self, records: list[dict[str, Any]], why: str) -> Iterator[Request]:
        retried = [record for record in records if not self.ids.has("user", record["id"])]
        if not retried:
            yield from self._next_job()
            return
        logger.warning("Restore: a user job had no usable answer (%s): sent again (create_or_update_many matches "
                       "by e-mail and external id, so nothing is created twice)", why)
        yield self._post("/api/v2/users/create_or_update_many.json",
                         {"users": [payloads.user_payload(r, self.ids, self.key) for r in retried]},
                         self._job_answer, "restore_users_create_or_update_many",
                         {"kind": "user", "records": retried}, retry=True)

    # --- requests -------------------------------------------------------------------------

    def _get(self, url: str, callback: Callable[..., Any], endpoint: str, meta: dict[str, Any] | None = None
             ) -> Request:
        if url.startswith("/"):
            url = f"{self.context.base_url}{url}"
        return Request(url, callback=callback, errback=self._failed, headers={"Accept": "application/json"},
                       meta={ENDPOINT_META: endpoint, "handle_httpstatus_list": [404], **(meta or {})},
                       dont_filter=True)

    def _post(self, path: str, body: dict[str, Any], callback: Callable[..., Any], endpoint: str,
              meta: dict[str, Any], retry: bool = False) -> Request:
        errback = self._create_failed if callback == self._created else self._post_failed
        return Request(f"{self.context.base_url}{path}", method="POST", headers=JSON_HEADERS,
                       body=json.dumps(body, ensure_ascii=False).encode(), callback=callback, errback=errback,
                       meta={ENDPOINT_META: endpoint, "handle_httpstatus_all": True, "dont_retry": not retry, **meta},
                       dont_filter=True)

    def _post_failed(self, failure: Failure) -> Iterator[Request]:
        yield from self._job_lost(request_of(failure).meta, describe(failure))

    def _json(self, response: Response) -> dict[str, Any] | None:
        page = json_or_none(response.body) if response.status == 200 else None
        if page is None:
            record_failure(self.crawler, f"the target answered {response.status} to {response.url.split('?')[0]}")
        return page

    def _failed(self, failure: Failure) -> None:
        record_failure(self.crawler, f"a request to the target failed: {describe(failure)}")


def _step_name(step: Callable[[], list[Request]]) -> str:
    """A step as the log names it: ``tickets``, ``create ticket_fields``."""
    if isinstance(step, partial):
        return f"{step.func.__name__.strip('_').replace('_', ' ')} {' '.join(map(str, step.args))}"
    return getattr(step, "__name__", "step").strip("_").replace("_", " ")


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _people_of(ticket: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The people a ticket record names with what the backup knows of them (requester, assignee, comment authors)."""
    for key in ("requester", "submitter", "assignee"):
        person = ticket.get(key)
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            yield person
    for comment in ticket.get("comments") or []:
        author = comment.get("author") if isinstance(comment, dict) else None
        if isinstance(author, dict) and isinstance(author.get("id"), int):
            yield author
