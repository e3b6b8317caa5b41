"""Exactly the tickets a filter selects (``-a query=``, ``status=``, ``created_from=``/``created_to=``,
``ticket_ids=``), each with its whole conversation, at a cost in proportion to the matches.

Ids come from the Search Export API (``/api/v2/search/export``, ``filter[type]=ticket``, cursor pagination) or
from the ids the user gave; the tickets themselves, with their users, groups and organizations sideloaded,
from ``tickets/show_many`` (100 a request). An id ``show_many`` leaves out is asked for alone
(``tickets/{id}``, which serves archived tickets too); only a 404 there makes it "not found". Comments come
per ticket, as in a backup run. Nothing here has a saved position: a filtered run never moves the backup's
cursors.

The search pages are read as fast as their budget allows and keep only ids (a search cursor lives one hour;
a search held back behind a long backlog of comments could outlive it), while the tickets are fetched a
hundred at a time as the comments of the earlier ones finish, so memory stays bounded.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import SEARCH_EXPORT_ENDPOINT, SHOW_MANY_ENDPOINT, TICKET_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.responses import STREAM_PAGE_PRIORITY, api_error, by_id, json_object
from zendesk_crawler.items import TicketRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import (
    entries_without_id,
    ids_found,
    ids_not_found,
    no_longer_matching,
    source_pages,
)
from zendesk_crawler.streams.base import Stream
from zendesk_crawler.streams.tickets.conversations import Conversations, Sideloads

logger = logging.getLogger(__name__)

SEARCH_EXPORT_PATH = "/api/v2/search/export.json"
TICKET_PATH = "/api/v2/tickets/{ticket_id}.json"
SIDELOADS = "users,groups,organizations"
#: ``tickets/show_many`` takes up to 100 ids.
SHOW_MANY_IDS = 100
#: Request meta: the ids a ``show_many`` request asks for; the id source a page belongs to; the cursor it used.
IDS_META = "zendesk_ticket_ids"
SOURCE_META = "zendesk_id_source"
AFTER_META = "zendesk_after_cursor"


class IdSource:
    """A cursor-paginated list whose entries are tickets (``meta.has_more``, ``meta.after_cursor``,
    ``page[after]``): a Search Export query, or one of a person's ticket lists."""

    def __init__(self, label: str, path: str, params: dict[str, Any], list_key: str, endpoint: str,
                 page_size: int) -> None:
        self.label, self.path, self.params, self.list_key = label, path, params, list_key
        self.endpoint, self.page_size = endpoint, page_size

    def url(self, base_url: str, after: str | None) -> str:
        """The first page (``after`` None) or the page after a cursor."""
        params = {**self.params, "page[size]": self.page_size}
        if after:
            params["page[after]"] = after
        return f"{base_url}{self.path}?{urlencode(params)}"


def search_source(query: str, page_size: int) -> IdSource:
    """The tickets a Search Export query finds."""
    return IdSource(f"the ticket search {query!r}", SEARCH_EXPORT_PATH, {"query": query, "filter[type]": "ticket"},
                    "results", SEARCH_EXPORT_ENDPOINT, page_size)


class SelectedTicketStream(Stream):
    """The tickets of a filter (or a person, see ``person.py``): ids from their sources, then the tickets."""

    name = "tickets"
    path = "/api/v2/tickets/show_many.json"
    list_key = "tickets"
    label = "ticket selection"
    endpoint = SHOW_MANY_ENDPOINT
    record_class = TicketRecord
    page_priority = STREAM_PAGE_PRIORITY  # no saved position: the backup's cursors stay where they are
    #: The records name custom fields by title: the ticket fields are read first.
    depends_on = ("ticket_fields",)

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        self.conversations = Conversations(self, crawler, config, next_work=self.release_export)
        #: Whether every id source was read and every ticket fetched (their comments may still be coming).
        self.end_of_stream = False
        #: Ids found and not yet asked for, in the order found; every id found so far (no ticket twice).
        self.pending_ids: deque[int] = deque()
        self.found_ids: set[int] = set()
        #: Id sources still being read, and ticket requests (show_many, single tickets) out.
        self.sources_running = 0
        self.fetches_running = 0
        #: Ids Zendesk has no ticket for (deleted, or never existed).
        self.not_found: list[int] = []

    # --- where the ids come from ---------------------------------------------

    def start_requests(self) -> list[Request]:
        selection = self.config.ticket_filter
        self.add_ids(selection.ticket_ids)
        requests = [self.source_request(search_source(query, self.config.search_page_size), None)
                    for query in selection.search_queries()]
        requests += self.fetch_tickets()
        self.end_if_done()
        return requests

    def source_request(self, source: IdSource, after: str | None) -> Request:
        """The first (``after`` None) or a next page of an id source."""
        if after is None:
            self.sources_running += 1
        return self.request(source.url(self.config.base_url, after), self.source_page, self.source_failed,
                            STREAM_PAGE_PRIORITY, source.endpoint, {SOURCE_META: source, AFTER_META: after})

    def source_page(self, response: Response) -> Iterator[Any]:
        """One page of an id source: its ticket ids, the next page at once, tickets to fetch."""
        source: IdSource = response.meta[SOURCE_META]
        page = json_object(response, source.list_key)
        if page is None:
            yield from self.retry_or_fail(response, lambda why: self.fail(f"{source.label} stopped: {why}"))
            return
        self.stats.inc_value(source_pages(self.name))
        self.add_ids(self.ticket_ids(page[source.list_key], source))
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"{source.label} stopped: {error} ({response.url})")
            return
        if after is not None:
            yield self.source_request(source, after)
        else:
            self.sources_running -= 1
        yield from self.fetch_tickets()
        self.end_if_done()

    def ticket_ids(self, entries: list[Any], source: IdSource) -> Iterator[int]:
        """The ids of a source page's tickets; an entry without one is counted and named in the log."""
        for entry in entries:
            if isinstance(entry, dict) and entry.get("result_type", "ticket") != "ticket":
                continue  # a search result of another type (the query asked for tickets only)
            if isinstance(entry, dict) and _is_id(entry.get("id")):
                yield entry["id"]
                continue
            self.stats.inc_value(entries_without_id(self.name))
            logger.warning("%s: skipped an entry that is not a ticket with an id: %.200r", source.label, entry)

    def source_failed(self, failure: Failure) -> None:
        """An id source could not be read: a query Zendesk rejects is named with Zendesk's reason."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on the Failure an errback gets
        source: IdSource = request.meta[SOURCE_META]
        response = getattr(failure.value, "response", None)
        # A first page refused as a bad request is the query; a later one is the cursor (expired, say).
        rejected = response is not None and response.status in (400, 422) and request.meta[AFTER_META] is None
        self.fail(f"{source.label} {'was rejected' if rejected else 'stopped'}: {api_error(failure)}")

    def add_ids(self, ids: Iterable[int]) -> None:
        """Ids found by a source: each ticket is fetched once, whichever sources find it."""
        for ticket_id in ids:
            if ticket_id not in self.found_ids:
                self.found_ids.add(ticket_id)
                self.pending_ids.append(ticket_id)
        self.stats.set_value(ids_found(self.name), len(self.found_ids))

    # --- the tickets ----------------------------------------------------------

    def fetch_tickets(self) -> list[Request]:
        """``show_many`` requests for pending ids, while the tickets waiting for comments are few.

        A request asks for 100 ids; fewer only when no more are coming (every source read) or when
        nothing else is in progress (waiting for more ids would leave the crawler idle).
        """
        requests = []
        room = max(self.config.tickets_in_progress, SHOW_MANY_IDS)
        while self.pending_ids and not self.failed() and \
                self.conversations.waiting_for_comments() + SHOW_MANY_IDS * self.fetches_running < room:
            if len(self.pending_ids) < SHOW_MANY_IDS and self.sources_running and \
                    (self.fetches_running or self.conversations.unfinished()):
                break  # a fuller request later
            ids = [self.pending_ids.popleft() for _ in range(min(SHOW_MANY_IDS, len(self.pending_ids)))]
            self.fetches_running += 1
            requests.append(self.page_request({"ids": ",".join(map(str, ids)), "include": SIDELOADS},
                                              meta={IDS_META: ids}))
        return requests

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        """A ``show_many`` answer: its tickets are queued for their comments; a missing id is asked for alone."""
        self.fetches_running -= 1
        tickets = page["tickets"]
        returned = {ticket.get("id") for ticket in tickets if isinstance(ticket, dict)}
        missing = [ticket_id for ticket_id in response.meta[IDS_META] if ticket_id not in returned]
        self.fetches_running += len(missing)
        yield from (self.ticket_request(ticket_id) for ticket_id in missing)
        yield from self.take(tickets, page, number)

    def ticket_request(self, ticket_id: int) -> Request:
        """One ticket by id (``show_many`` left it out: archived, say), with its sideloads."""
        url = f"{self.config.base_url}{TICKET_PATH.format(ticket_id=ticket_id)}?include={SIDELOADS}"
        return self.request(url, self.ticket_page, self.ticket_failed, STREAM_PAGE_PRIORITY, TICKET_ENDPOINT,
                            {IDS_META: [ticket_id]})

    def ticket_page(self, response: Response) -> Iterator[Any]:
        """The answer for one ticket."""
        page = json_object(response, "ticket", dict)
        if page is None:
            yield from self.malformed(response)
            return
        self.fetches_running -= 1
        yield from self.take([page["ticket"]], page, 0)

    def ticket_failed(self, failure: Failure) -> Iterator[Request]:
        """A ticket asked for alone: a 404 means Zendesk has no such ticket (named, not a failure)."""
        response = getattr(failure.value, "response", None)
        if response is None or response.status != 404:
            self.fail(f"the {self.label} stopped: {api_error(failure)}")
            return
        self.fetches_running -= 1
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on the Failure an errback gets
        ticket_id = request.meta[IDS_META][0]
        self.not_found.append(ticket_id)
        self.stats.set_value(ids_not_found(self.name), list(self.not_found))
        logger.warning("No ticket %d: deleted or never existed (Zendesk answers 404)", ticket_id)
        yield from self.fetch_tickets()
        self.end_if_done()

    def take(self, tickets: list[Any], page: dict[str, Any], number: int) -> Iterator[Any]:
        """Tickets fetched: those the filter still admits are queued for their comments."""
        sideloads = Sideloads(by_id(page.get("users")), by_id(page.get("groups")), by_id(page.get("organizations")))
        admitted = [ticket for ticket in tickets if self.admits(ticket)]
        yield from self.conversations.hand_on(
            self.conversations.accept(admitted, sideloads, number, self.position.already_stored))
        yield from self.fetch_tickets()
        self.end_if_done()

    def admits(self, ticket: Any) -> bool:
        """Whether a fetched ticket still matches the filter's status and created range (it may have changed
        since the search, or the index may lag); one that does not is left out and counted."""
        if not isinstance(ticket, dict) or self.config.ticket_filter.admits(ticket):
            return True
        self.stats.inc_value(no_longer_matching(self.name))
        logger.info("Ticket %s no longer matches the filter (status %r, created_at %r): left out",
                    ticket.get("id"), ticket.get("status"), ticket.get("created_at"))
        return False

    def end_if_done(self) -> None:
        """Tell the run state once every source is read and every ticket fetched (comments may still come)."""
        if not self.end_of_stream and not self.sources_running and not self.pending_ids and \
                not self.fetches_running:
            self.end_of_stream = True
            self.tell(zendesk_signals.stream_ended)

    def release_export(self) -> list[Request]:
        """More tickets as the comments of earlier ones finish (called by the per-ticket queue and when idle)."""
        return self.fetch_tickets()

    def idle(self) -> list[Request]:
        """Never end with tickets still waiting for their comments."""
        if self.failed():
            return []  # the run already failed; closing is right
        return self.conversations.idle()

    def unfinished(self) -> int:
        return self.conversations.unfinished()


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

