"""The ``zendesk`` spider: Incremental Ticket Export pages, then each ticket's comment pages.

Crawling only: it builds requests, follows both cursors and hands the raw API
data of each ticket (a :class:`~zendesk_crawler.items.TicketConversation`) to
the pipelines, which shape the exported record.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import re
from collections import deque
from dataclasses import dataclass
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler import signals as zendesk_signals
from zendesk_crawler.state.checkpoint import ticket_version
from zendesk_crawler.state.checks import TICKETS_UNFINISHED
from zendesk_crawler.comment_events import CommentEvents, epoch
from zendesk_crawler import jsoncodec
from zendesk_crawler.config import RUN_OPTIONS_SETTING, ZendeskConfig
from zendesk_crawler.items import (
    COMMENTS_ENDPOINT,
    ENDPOINT_META,
    EVENTS_ENDPOINT,
    EXPORT_ENDPOINT,
    PAGE_META,
    SOURCE_TICKET_EVENTS,
    USERS_ENDPOINT,
    COMMENTS_NOT_FOUND,
    COMMENTS_NOT_REQUESTED,
    COMMENTS_TICKET_DELETED,
    TicketConversation,
)
from zendesk_crawler.outcome import failure_reason, record_failure

logger = logging.getLogger(__name__)

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
COMMENTS_PATH = "/api/v2/tickets/{ticket_id}/comments.json"
USERS_PATH = "/api/v2/users/show_many.json"
#: Users per show_many request (Zendesk's maximum).
USERS_PER_REQUEST = 100
# Comment pages go before the next export page, so the tickets in flight stay
# bounded by one export page (at most 1000) however large the account is.
COMMENTS_PRIORITY = 10
EXPORT_PRIORITY = 0


class ZendeskSpider(Spider):
    """Exports every ticket changed since the saved cursor (or ``start_time``) with all its comments."""

    name = "zendesk"
    config: ZendeskConfig

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ZendeskSpider:
        config = ZendeskConfig.for_run(crawler.settings, kwargs)
        crawler.settings.set(RUN_OPTIONS_SETTING, config.run_options(), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        if config.comments_mode == "events":
            spider.comment_events = CommentEvents(config.start_time)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.resume_from, signal=zendesk_signals.resume_position)
        spider.resume_start_time = config.start_time
        return spider

    def resume_from(self, cursor: str | None, start_time: int, already_stored: set[Any]) -> None:
        """Where the run state says the ticket export resumes (sent before the first request)."""
        self.resume_cursor, self.resume_start_time, self.already_stored = cursor, start_time, already_stored

    def _tell(self, signal: object, **arguments: Any) -> None:
        self.crawler.signals.send_catch_log(signal, **arguments)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Newest updated_at seen per ticket id (see _version): drops repeats of a version and
        # versions superseded while their comments were being fetched.
        self.ticket_versions: dict[int, Any] = {}
        #: Whether the last export page received was the end of the stream.
        self.end_of_stream = False
        #: Where the export starts (from the run state, see ``resume_from``).
        self.resume_cursor: str | None = None
        self.resume_start_time = 0
        #: Ticket versions an interrupted run stored after its saved cursor: skipped (see state/checkpoint.py).
        self.already_stored: set[Any] = set()
        self.export_pages_requested = 0
        # Events mode (-a comments=events): see comment_events.py.
        self.comment_events: CommentEvents | None = None
        self.waiting: dict[int, TicketConversation] = {}
        # The waiting tickets by completion time (a heap; entries of superseded versions are skipped).
        self.waiting_order: list[tuple[int, int, int, TicketConversation]] = []
        self.waiting_sequence = itertools.count()
        self.held_export_request: Request | None = None
        #: Tickets whose comments are to be fetched per ticket, in stream order, and how many are being fetched:
        #: at most ZENDESK_TICKETS_IN_PROGRESS at once, so a 1000-ticket export page is not queued at once.
        self.queued: deque[TicketConversation] = deque()
        self.in_progress = 0
        self.held_events_request: Request | None = None
        #: Newest ``updated_at`` (unix seconds) the ticket export has reached.
        self.export_position: int | None = None
        self.known_users: dict[int, dict[str, Any]] = {}
        self.unresolved: list[TicketConversation] = []
        self.unresolved_ids: set[int] = set()

    async def start(self) -> AsyncIterator[Request]:
        if self.resume_cursor:
            yield self._export_request({"cursor": self.resume_cursor})
        else:
            yield self._export_request({"start_time": self.resume_start_time})
        if self.comment_events is not None:
            yield self._events_request(self.comment_events.start_time)

    # --- Incremental Ticket Export ------------------------------------------

    def _export_request(self, position: dict[str, Any]) -> Request:
        self.export_pages_requested += 1
        params = {
            **position,
            "per_page": self.config.export_page_size,
            "include": "users",
            # Zendesk's default scope is "agent": AI-agent tickets would be missed.
            "support_type_scope": "all",
        }
        return Request(
            f"{self.config.base_url}{EXPORT_PATH}?{urlencode(params)}",
            callback=self.parse_export_page,
            errback=self.export_failed,
            priority=EXPORT_PRIORITY,
            meta={ENDPOINT_META: EXPORT_ENDPOINT, PAGE_META: self.export_pages_requested},
        )

    def parse_export_page(self, response: Response) -> Iterator[Request | TicketConversation]:
        """One page of the cursor export: a comments request (or a record) per ticket, then the next page."""
        page = _json_object(response, "tickets")
        if page is None:
            yield from self._retry_or_fail(response, self._export_failed)
            return
        tickets = page["tickets"]
        users = _users_by_id(page.get("users"))
        page_number = response.meta[PAGE_META]
        self.crawler.stats.inc_value("zendesk/export_pages")
        # One request or record per ticket still to export; counted before any is handed on.
        if self.comment_events is not None:
            self.known_users.update((uid, _slim_user(user)) for uid, user in users.items())
        self.end_of_stream = bool(page.get("end_of_stream") or not page.get("after_cursor"))
        self._tell(zendesk_signals.export_page_received, page=page_number, cursor=page.get("after_cursor"),
                   end_of_stream=self.end_of_stream)
        outputs = [out for ticket in tickets for out in self._ticket(ticket, users, page_number)]
        self._tell(zendesk_signals.export_page_tickets, page=page_number, count=len(outputs))
        yield from (out for out in outputs if out is not WAITING and out is not QUEUED)
        yield from self._start_queued()
        if tickets and isinstance(tickets[-1], dict):
            self.crawler.stats.set_value("zendesk/position_updated_at", tickets[-1].get("updated_at"))
            position = epoch(tickets[-1].get("updated_at"))
            if position is not None:
                self.export_position = max(position, self.export_position or position)
        if self.comment_events is not None:
            yield from self._release_waiting()
            if self.held_events_request is not None and not self._events_ahead():
                yield self.held_events_request
                self.held_events_request = None
        if self.end_of_stream:
            return
        self.held_export_request = self._export_request({"cursor": page["after_cursor"]})
        yield from self._release_export()

    def _release_export(self) -> list[Request]:
        """The next export page, unless a page's worth of tickets still waits here (for events or a turn)."""
        if self.held_export_request is None or len(self.queued) >= self.config.export_page_size:
            return []
        if self.comment_events is not None and len(self.waiting) > self.config.events_waiting_tickets:
            return []  # until the event stream catches up
        request, self.held_export_request = self.held_export_request, None
        return [request]

    def _ticket(self, ticket: Any, users: dict[int, dict[str, Any]], page: int) -> Iterator[Any]:
        """One request or record per ticket to export (``WAITING`` when the event stream will bring its comments)."""
        if not isinstance(ticket, dict):
            self.crawler.stats.inc_value("zendesk/malformed_tickets")
            logger.warning("Skipped an export entry that is not a ticket object: %.200r", ticket)
            return
        ticket_id = ticket.get("id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            # Without an id there are no comments to ask for; keep what Zendesk sent.
            self.crawler.stats.inc_value("zendesk/tickets_without_id")
            logger.warning("Ticket without a numeric id exported as received: %.200r", ticket)
            yield TicketConversation(ticket=ticket, comments_status=COMMENTS_NOT_REQUESTED, export_page=page)
            return
        version = _version(ticket)
        seen_before = ticket_id in self.ticket_versions
        if seen_before and self.ticket_versions[ticket_id] == version:
            self.crawler.stats.inc_value("zendesk/tickets_repeated")
            return
        self.ticket_versions[ticket_id] = version
        if self.already_stored and ticket_version(ticket) in self.already_stored:
            # Stored by the interrupted run this one resumes (after its checkpointed cursor).
            self.crawler.stats.inc_value("zendesk/tickets_already_stored")
            self._tell(zendesk_signals.ticket_already_stored, page=page, version=ticket_version(ticket))
            return
        conversation = TicketConversation(ticket=ticket, users=_related_users(ticket, users), export_page=page)
        deleted = ticket.get("status") == "deleted"
        events = self.comment_events
        if events is not None and seen_before and ticket_id not in self.waiting:
            # A newer version of a ticket whose older version already took the events' comments: the
            # stream no longer holds its whole conversation, so it comes from the comments endpoint.
            events.stop_collecting(ticket_id)
            self.crawler.stats.inc_value("zendesk/tickets_changed_during_run")
        if events is not None and not deleted:
            completion = events.completion_time(ticket)
            if completion is not None and (not events.finished or events.covers(completion)):
                older = self.waiting.get(ticket_id)
                if older is not None:
                    self._superseded(older)
                self.waiting[ticket_id] = conversation
                heapq.heappush(self.waiting_order, (completion, next(self.waiting_sequence), ticket_id, conversation))
                yield WAITING
                return
        if events is not None:
            events.drop(ticket_id)  # deleted, or fetched per ticket: the events' copy is not needed
        if deleted:
            # Zendesk deletes a deleted ticket's comments: asking would be a 404.
            conversation.comments_status = COMMENTS_TICKET_DELETED
            yield from self._finished(conversation)
            return
        self.queued.append(conversation)
        yield QUEUED

    def _start_queued(self) -> list[Request]:
        """First comment requests of queued tickets, while fewer than ZENDESK_TICKETS_IN_PROGRESS are fetched."""
        if failure_reason(self.crawler):
            return []  # the run failed (rejected credentials, say): no point in more requests
        requests = []
        while self.queued and self.in_progress < self.config.tickets_in_progress:
            conversation = self.queued.popleft()
            if self.ticket_versions.get(conversation.ticket["id"]) != _version(conversation.ticket):
                self._superseded(conversation)  # a newer version came while this one waited its turn
                continue
            self.in_progress += 1
            requests.append(self._comments_request(conversation, {}))
        return requests + self._release_export()

    def _ticket_done(self) -> list[Request]:
        """A ticket's comments were fetched (or failed): the next queued ticket takes its turn."""
        self.in_progress -= 1
        return self._start_queued()

    def export_failed(self, failure: Failure) -> None:
        """Errback of export pages: after Scrapy's retries, the run cannot be complete."""
        response = getattr(failure.value, "response", None)
        hint = " (check ZENDESK_SUBDOMAIN or ZENDESK_URL)" if response is not None and response.status == 404 else ""
        self._export_failed(_describe(failure) + hint)

    def _export_failed(self, why: str) -> None:
        record_failure(self.crawler, f"the ticket export stopped: {why}")

    # --- Ticket comments ----------------------------------------------------

    def _comments_request(self, conversation: TicketConversation, position: dict[str, str]) -> Request:
        ticket_id = conversation.ticket["id"]
        params = {"page[size]": self.config.comments_page_size, "include": "users", **position}
        return Request(
            f"{self.config.base_url}{COMMENTS_PATH.format(ticket_id=ticket_id)}?{urlencode(params)}",
            callback=self.parse_comments,
            errback=self.comments_failed,
            priority=COMMENTS_PRIORITY,
            meta={ENDPOINT_META: COMMENTS_ENDPOINT, "conversation": conversation, "handle_httpstatus_list": [404]},
        )

    def parse_comments(self, response: Response) -> Iterator[Request | TicketConversation]:
        """One page of a ticket's comments: the next page, or the finished conversation."""
        conversation: TicketConversation = response.meta["conversation"]
        if response.status == 404:
            # Deleted between the export page and this request: export what is known, flagged.
            conversation.comments_status = COMMENTS_NOT_FOUND
            self.crawler.stats.inc_value("zendesk/comments_not_found")
            logger.warning("Comments of ticket %s answered 404 (deleted during the run?); exported without them",
                           conversation.ticket.get("id"))
            yield from self._finished(conversation)
            yield from self._ticket_done()
            return
        page = _json_object(response, "comments")
        if page is None:
            retry = list(self._retry_or_fail(response, lambda why: self._ticket_failed(conversation, why)))
            yield from retry or self._ticket_done()
            return
        conversation.comments.extend(page["comments"])
        conversation.users.update(_users_by_id(page.get("users")))
        meta = page.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        if meta.get("has_more") and meta.get("after_cursor"):
            yield self._comments_request(conversation, {"page[after]": meta["after_cursor"]})
            return
        yield from self._finished(conversation)
        yield from self._ticket_done()

    def comments_failed(self, failure: Failure) -> list[Request]:
        """Errback of comment pages: the ticket is named and the run fails (the cursor stays)."""
        self._ticket_failed(failure.request.meta["conversation"], _describe(failure))  # type: ignore[attr-defined]
        return self._ticket_done()

    def _ticket_failed(self, conversation: TicketConversation, why: str) -> None:
        self.crawler.stats.inc_value("zendesk/tickets_failed")
        record_failure(self.crawler, f"the comments of ticket {conversation.ticket.get('id')} could not be fetched: {why}")

    def _retry_or_fail(self, response: Response, give_up: Callable[[str], None]) -> Iterator[Request]:
        """Retry a response whose body is not the expected JSON (truncated, an HTML error page), like a 5xx."""
        self.crawler.stats.inc_value("zendesk/malformed_responses")
        retry = get_retry_request(response.request, spider=self, reason="malformed_response",
                                  max_retry_times=self.crawler.settings.getint("RETRY_TIMES"))
        if retry is not None:
            yield retry
            return
        give_up(f"the answer from {response.url} (HTTP {response.status}) is not the expected JSON, after retries")

    def _finished(self, conversation: TicketConversation) -> Iterator[TicketConversation]:
        ticket = conversation.ticket
        if self.ticket_versions.get(ticket.get("id")) != _version(ticket):
            # A newer version of this ticket came later in the stream; it is exported instead.
            self._superseded(conversation)
            return
        yield conversation

    def _superseded(self, conversation: TicketConversation) -> None:
        self.crawler.stats.inc_value("zendesk/tickets_superseded")
        self._tell(zendesk_signals.ticket_superseded, page=conversation.export_page)

    # --- Events mode: comments from the Incremental Ticket Event Export -----

    def _events_request(self, start_time: int) -> Request:
        params = {"start_time": start_time, "include": "comment_events", "support_type_scope": "all"}
        return Request(
            f"{self.config.base_url}{EVENTS_PATH}?{urlencode(params)}",
            callback=self.parse_events_page,
            errback=self.events_failed,
            priority=EXPORT_PRIORITY,
            meta={ENDPOINT_META: EVENTS_ENDPOINT, "start_time": start_time},
        )

    def parse_events_page(self, response: Response) -> Iterator[Request | TicketConversation]:
        """One page of ticket events: keep its comments, release the tickets they complete, go on."""
        assert self.comment_events is not None
        page = _json_object(response, "ticket_events")
        if page is None:
            yield from self._retry_or_fail(response, self._events_failed)
            return
        self.crawler.stats.inc_value("zendesk/event_pages")
        end_time = page.get("end_time")
        if not page.get("end_of_stream") and (not isinstance(end_time, int) or end_time < response.meta["start_time"]):
            self._events_failed(f"the event page at start_time={response.meta['start_time']} has no usable end_time")
            return
        self.comment_events.add_page(page)
        evicted = self.comment_events.evict(self.waiting, self.config.events_kept_tickets)
        if evicted:
            self.crawler.stats.inc_value("zendesk/tickets_evicted_from_events", evicted)
        yield from self._release_waiting()
        if not page.get("end_of_stream"):
            if self._events_ahead():
                self.crawler.stats.inc_value("zendesk/event_stream_paused")
                self.held_events_request = self._events_request(end_time)  # until the ticket export catches up
            else:
                yield self._events_request(end_time)
        yield from self._release_export()

    def _events_ahead(self) -> bool:
        """Whether the event stream is so far ahead of the ticket export that it should wait.

        Never while tickets wait for events (those are behind the export
        position, so the event stream is not ahead of them), and never once
        the ticket export has ended: the two holds cannot block each other.
        """
        assert self.comment_events is not None
        if self.end_of_stream or len(self.comment_events.comments) <= self.config.events_buffered_tickets:
            return False
        return self.export_position is None or self.comment_events.covered_until > self.export_position

    def events_failed(self, failure: Failure) -> None:
        """Errback of event pages: the tickets waiting for them cannot be completed."""
        self._events_failed(_describe(failure))

    def _events_failed(self, why: str) -> None:
        record_failure(self.crawler, f"the ticket event export stopped: {why}")

    def _release_waiting(self) -> list[Request | TicketConversation]:
        """Hand on the waiting tickets the event stream now covers; fetch the rest per ticket once it ended.

        Eager (a list, not a generator): Scrapy consumes callback output
        lazily, so two callbacks' generators could interleave over ``waiting``.
        """
        events = self.comment_events
        assert events is not None
        out: list[Request | TicketConversation] = []
        order = self.waiting_order
        while order and events.covers(order[0][0]):
            _, _, ticket_id, conversation = heapq.heappop(order)
            if self.waiting.get(ticket_id) is not conversation:
                continue  # a newer version of the ticket took its place
            del self.waiting[ticket_id]
            conversation.comments = events.take(ticket_id)
            conversation.comments_source = SOURCE_TICKET_EVENTS
            out += self._resolve_authors(conversation)
        if events.finished and self.waiting:
            # Changed after the event stream ended: their newest comments are not in it.
            self.crawler.stats.inc_value("zendesk/tickets_fetched_per_ticket", len(self.waiting))
            self.queued.extend(self.waiting.values())
            self.waiting, self.waiting_order = {}, []
            out += self._start_queued()
        if self.unresolved_ids and (len(self.unresolved_ids) >= USERS_PER_REQUEST or events.finished
                                    or not self.waiting):
            out += self._users_requests()
        return out

    def _resolve_authors(self, conversation: TicketConversation) -> list[TicketConversation]:
        """Comment events name authors by id only: look them up among the users seen, else ask for them."""
        missing = set()
        for comment in conversation.comments:
            author_id = comment.get("author_id") if isinstance(comment, dict) else None
            if not isinstance(author_id, int) or author_id in conversation.users:
                continue
            if author_id in self.known_users:
                conversation.users[author_id] = self.known_users[author_id]
            else:
                missing.add(author_id)
        if not missing:
            return list(self._finished(conversation))
        self.unresolved.append(conversation)
        self.unresolved_ids |= missing
        return []

    def _users_requests(self) -> list[Request]:
        """``users/show_many`` for the unknown authors of the conversations waiting on them."""
        lookup = UserLookup(conversations=self.unresolved, pending=0)
        ids = sorted(self.unresolved_ids)
        self.unresolved, self.unresolved_ids = [], set()
        requests = []
        for start in range(0, len(ids), USERS_PER_REQUEST):
            chunk = ",".join(str(user_id) for user_id in ids[start:start + USERS_PER_REQUEST])
            requests.append(Request(
                f"{self.config.base_url}{USERS_PATH}?{urlencode({'ids': chunk})}",
                callback=self.parse_users, errback=self.users_failed, priority=COMMENTS_PRIORITY,
                meta={ENDPOINT_META: USERS_ENDPOINT, "lookup": lookup},
            ))
        lookup.pending = len(requests)
        return requests

    def parse_users(self, response: Response) -> Iterator[Request | TicketConversation]:
        """Users found are remembered; users Zendesk no longer has stay unresolved (deleted users)."""
        page = _json_object(response, "users")
        if page is None:
            yield from self._retry_or_fail(response, self._users_failed)
            return
        self.known_users.update((uid, _slim_user(user)) for uid, user in _users_by_id(page["users"]).items())
        lookup: UserLookup = response.meta["lookup"]
        lookup.pending -= 1
        if lookup.pending:
            return
        finished = []
        for conversation in lookup.conversations:
            for comment in conversation.comments:
                author_id = comment.get("author_id") if isinstance(comment, dict) else None
                if isinstance(author_id, int) and author_id in self.known_users:
                    conversation.users.setdefault(author_id, self.known_users[author_id])
            finished += self._finished(conversation)
        yield from finished

    def users_failed(self, failure: Failure) -> None:
        """Errback of user lookups: the tickets waiting on them cannot be completed."""
        self._users_failed(_describe(failure))

    def _users_failed(self, why: str) -> None:
        record_failure(self.crawler, f"the authors of some comments could not be looked up: {why}")

    def spider_idle(self) -> None:
        """Never close with tickets still waiting: fetch them per ticket, or look their authors up."""
        if not (self.waiting or self.unresolved or self.queued or self.held_events_request
                or self.held_export_request):
            return
        if failure_reason(self.crawler):
            return  # the run already failed; closing is right
        assert self.crawler.engine is not None
        if self.held_events_request is not None:
            requests, self.held_events_request = [self.held_events_request], None
        else:
            requests = self._flush_waiting()
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def _flush_waiting(self) -> list[Request]:
        self.crawler.stats.inc_value("zendesk/tickets_fetched_per_ticket", len(self.waiting))
        self.queued.extend(self.waiting.values())
        self.waiting, self.waiting_order = {}, []
        requests = self._start_queued()
        if self.unresolved_ids:
            requests += self._users_requests()
        return requests

    def closed(self, reason: str) -> None:
        """Leave in the stats what the run-state checks need: tickets accepted but neither exported nor dropped."""
        unfinished = len(self.waiting) + len(self.unresolved) + len(self.queued) + self.in_progress
        self.crawler.stats.set_value(TICKETS_UNFINISHED, unfinished)


def _json_object(response: Response, list_key: str) -> dict[str, Any] | None:
    """The response's JSON object if it is one with a ``list_key`` list, else ``None``."""
    try:
        data = jsoncodec.loads(response.body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get(list_key), list):
        return None
    return data


def _version(ticket: dict[str, Any]) -> Any:
    """A ticket version as the dedupe map keeps it: ``updated_at`` as unix seconds, else as given.

    The map holds an entry for every ticket of the run; an int takes half the
    memory of the timestamp string. Only Zendesk's whole-second form
    (``2026-01-31T12:00:00Z``) is converted, so two different versions never
    become one.
    """
    updated_at = ticket.get("updated_at")
    if isinstance(updated_at, str) and _WHOLE_SECOND_UTC.fullmatch(updated_at):
        seconds = epoch(updated_at)
        return updated_at if seconds is None else seconds
    return updated_at


def _slim_user(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user.get(key) for key in ("id", "name", "email", "role")}


@dataclass
class UserLookup:
    """Conversations waiting for one or more ``users/show_many`` answers."""

    conversations: list[TicketConversation]
    pending: int


_WHOLE_SECOND_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

#: Placeholder output of ``_ticket`` for a ticket that waits for the event stream.
WAITING = object()
#: Placeholder output of ``_ticket`` for a ticket queued for its comments requests.
QUEUED = object()


def _users_by_id(users: Any) -> dict[int, dict[str, Any]]:
    if not isinstance(users, list):
        return {}
    return {user["id"]: user for user in users if isinstance(user, dict) and isinstance(user.get("id"), int)}


def _related_users(ticket: dict[str, Any], users: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The sideloaded users a ticket record refers to (requester, submitter, assignee)."""
    ids = (ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id"))
    return {user_id: users[user_id] for user_id in ids if isinstance(user_id, int) and user_id in users}


def _describe(failure: Failure) -> str:
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"HTTP {response.status} from {response.url}"
    request = getattr(failure, "request", None)
    where = f" ({request.url})" if request is not None else ""
    return f"{failure.getErrorMessage() or failure.type.__name__}{where}"
