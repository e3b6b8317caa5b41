"""Bulk comments: conversations rebuilt from the Incremental Ticket Event Export.

With ``include=comment_events`` one event page carries the comments of many
tickets, so a backfill needs a few requests per thousand tickets instead of one
per ticket. The export is time-based: a page holds the events from
``start_time`` on, ``end_time`` is its last event's second, and the next page
starts at ``end_time`` again, so the events of that second can come twice
(they are kept once, by comment id).

A ticket's conversation is complete in the events once the stream has passed
the ticket's ``updated_at`` (adding a comment updates the ticket). A ticket
created before the stream's ``start_time`` has comments the stream never shows:
those tickets are fetched per ticket instead, as are tickets changed after the
stream ended.

Comment events carry fewer fields than ``/tickets/{id}/comments.json``:
``plain_body`` and ``metadata`` are not in them (Zendesk's reference for the
``comment_events`` sideload), and they add ``event_type`` and
``via_reference_id``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from array import array
from collections import OrderedDict
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from zendesk_crawler.api import jsoncodec
from zendesk_crawler.api.endpoints import EVENTS_ENDPOINT, USERS_ENDPOINT
from zendesk_crawler.api.responses import COMMENTS_PRIORITY, PAGE_PRIORITY, by_id, describe, json_object
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.items import SOURCE_TICKET_EVENTS, StreamRecord, TicketConversation
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.run.stats_keys import (
    EVENT_PAGES,
    EVENT_STREAM_PAUSED,
    TICKETS_CHANGED_DURING_RUN,
    TICKETS_EVICTED_FROM_EVENTS,
    TICKETS_FETCHED_PER_TICKET,
)
from zendesk_crawler.streams.ticket_events import TICKET_EVENTS, shares_event_reads
from zendesk_crawler.streams.tickets.event_page import LONG_PAGE_BYTES, split_events
from zendesk_crawler.streams.tickets.event_page import events as page_events
from zendesk_crawler.streams.tickets.handle import NextWork, StreamHandle
from zendesk_crawler.streams.tickets.per_ticket import TicketComments
from zendesk_crawler.streams.tickets.spill import SpillStore
from zendesk_crawler.streams.tickets.ticket_ids import TicketIdSet
from zendesk_crawler.streams.tickets.versions import TicketVersions

logger = logging.getLogger(__name__)

#: The child events that are comments (a call's voice comment is an audit event of its own type).
COMMENT_EVENT_TYPES = ("Comment", "VoiceComment")
#: Comment fields of the comments endpoint that comment events do not carry.
FIELDS_NOT_IN_EVENTS = ["metadata", "plain_body"]
EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
USERS_PATH = "/api/v2/users/show_many.json"
#: Users per show_many request (Zendesk's maximum).
USERS_PER_REQUEST = 100
#: Bytes of memory a kept ticket's index (its entry, object and two arrays) and a kept comment's entries in it take.
TICKET_OVERHEAD = 300
COMMENT_OVERHEAD = 32
#: Users kept for comment authors (about 300 bytes each); the least recently used beyond it are looked up again.
KNOWN_USERS_KEPT = 10_000
#: The largest comment id an index holds (Zendesk's ids are 64-bit integers).
MAX_COMMENT_ID = 2**63 - 1


class KeptComments:
    """A ticket's kept comments: their ids, and where each one's JSON lies in the spill store."""

    __slots__ = ("ids", "spans")

    def __init__(self) -> None:
        self.ids = array("q")
        #: (position, length) pairs in the spill store, in the order read.
        self.spans = array("Q")


class CommentEvents:
    """Comments read from the event stream, kept by ticket until the ticket's record takes them.

    A kept comment is its compact JSON (UTF-8 bytes, parsed again when its
    ticket takes it) written to disk (``spill.py``: unlinked temporary files);
    memory holds an index, the comment's id, position and length (``KeptComments``).
    Two bounds, both in bytes: the JSON kept (``kept_bytes``, at most
    ``ZENDESK_EVENTS_SPILL_BYTES``) and the memory its index takes
    (``index_bytes``, at most ``ZENDESK_EVENTS_BUFFER_BYTES``); ``evict`` holds
    both. The tickets whose comments were let go are remembered in a bit set
    (``ticket_ids.py``), a bit a ticket.
    """

    def __init__(self, start_time: int, store: SpillStore | None = None) -> None:
        self.start_time = start_time
        self.store = store if store is not None else SpillStore()
        self.comments: dict[Any, KeptComments] = {}
        #: The bytes of each kept ticket's comments' JSON, and their sum; the memory of the index.
        self.sizes: dict[Any, int] = {}
        self.kept_bytes = 0
        self.index_bytes = 0
        #: Tickets whose comments are no longer kept (see ``evict``): fetched per ticket instead.
        self.evicted = TicketIdSet()
        #: Every comment created at or before this second has been read.
        self.covered_until = start_time - 1
        self.finished = False
        #: Once set (``keep_only``), the only tickets whose comments are kept.
        self.only: Container[Any] | None = None

    def add_page(self, page: dict[str, Any], events: Iterable[Any] | None = None) -> None:
        """Take one page of ``/incremental/ticket_events.json?include=comment_events`` (``events``: its events,
        when read one at a time: ``event_page.py``)."""
        for event in events if events is not None else page.get("ticket_events") or []:
            if not isinstance(event, dict):
                continue
            timestamp = event.get("timestamp")
            if isinstance(timestamp, int) and timestamp < self.start_time:
                continue  # of a ticket created before start_time: fetched per ticket (the reader may start earlier)
            for child in event.get("child_events") or []:
                if isinstance(child, dict) and child.get("event_type") in COMMENT_EVENT_TYPES and "body" in child:
                    self._keep(event.get("ticket_id"), child)
        end_time = page.get("end_time")
        if isinstance(end_time, int):
            # Events of the end_time second may continue on the next page.
            reached = end_time if page.get("end_of_stream") else end_time - 1
            self.covered_until = max(self.covered_until, reached)
        if page.get("end_of_stream"):
            self.finished = True

    def _keep(self, ticket_id: Any, comment: dict[str, Any]) -> None:
        if ticket_id in self.evicted or (self.only is not None and ticket_id not in self.only):
            return
        comment_id = comment.get("id")
        if not isinstance(comment_id, int) or not 0 <= comment_id <= MAX_COMMENT_ID:
            comment_id = -1  # not a Zendesk id (never seen): kept, and not told apart from another
        kept = self.comments.get(ticket_id)
        memory = COMMENT_OVERHEAD
        if kept is None:
            kept = self.comments[ticket_id] = KeptComments()
            memory += TICKET_OVERHEAD
        elif comment_id >= 0 and comment_id in kept.ids:
            return  # an event of the end_time second read again on the next page
        data = jsoncodec.dumps(comment)
        kept.ids.append(comment_id)
        kept.spans.extend((self.store.write(data), len(data)))
        self.sizes[ticket_id] = self.sizes.get(ticket_id, 0) + len(data)
        self.kept_bytes += len(data)
        self.index_bytes += memory

    def completion_time(self, ticket: dict[str, Any]) -> int | None:
        """The second once read up to which the stream holds every comment of this ticket version.

        That is the ticket's ``updated_at``; ``None`` when the stream cannot hold
        them all (the ticket was created before the stream's start, or its
        comments were evicted).
        """
        created = epoch(ticket.get("created_at"))
        if created is None or created < self.start_time or ticket.get("id") in self.evicted:
            return None
        return epoch(ticket.get("updated_at"))

    def covers(self, completion_time: int) -> bool:
        """Whether every comment created up to ``completion_time`` has been read."""
        return completion_time <= self.covered_until

    def take(self, ticket_id: Any) -> list[bytes]:
        """The comments read for a ticket, as their JSON (forgotten here afterwards)."""
        return self.read(self.detach(ticket_id))

    def detach(self, ticket_id: Any) -> KeptComments | None:
        """A ticket's kept comments, no longer counted nor evicted here: still on disk until ``read``."""
        kept = self.comments.pop(ticket_id, None)
        if kept is not None:
            self.kept_bytes -= self.sizes.pop(ticket_id)
            self.index_bytes -= TICKET_OVERHEAD + COMMENT_OVERHEAD * len(kept.ids)
        return kept

    def read(self, kept: KeptComments | None) -> list[bytes]:
        """The JSON of detached comments, in the order read; their disk space is released."""
        if kept is None:
            return []
        spans, store = kept.spans, self.store
        comments = [store.read(spans[index], spans[index + 1]) for index in range(0, len(spans), 2)]
        for index in range(0, len(spans), 2):
            store.release(spans[index], spans[index + 1])
        return comments

    def keep_only(self, tickets: Container[Any]) -> None:
        """From now on keep the comments of these tickets only (a live container), and let the others' go.

        For when no other ticket can take them: the ticket export ended, so every
        ticket not waiting for the stream has its conversation already or gets it
        per ticket; the stream, no longer held back, would otherwise keep the
        comments of the rest of the account up to the budget.
        """
        self.only = tickets
        for ticket_id in [tid for tid in self.comments if tid not in tickets]:
            self.drop(ticket_id)

    def evict(self, keep: set[Any] | dict[Any, Any], limit: int, spill_bytes: int, index_bytes: int) -> list[Any]:
        """Let go of comments until at most ``limit`` tickets', ``spill_bytes`` of JSON and ``index_bytes`` of
        index are kept; the tickets let go.

        Their later comments are not kept either: those tickets are fetched per
        ticket. Beyond ``limit`` tickets, the tickets read longest ago go first
        (but those in ``keep``, the tickets waiting for the stream). Beyond
        either byte bound, the largest go first, waiting or not, down to three
        quarters of the bound (so that eviction is not a pass on every page):
        a ticket with many long comments frees most bytes for the fewest
        per-ticket requests. This bounds disk and memory in bytes whatever the
        account's size and however far the tickets' last updates lie ahead of
        the event stream (a bulk update of old tickets, say). Then, if the
        spill files take more than ``spill_bytes`` or about twice what they
        keep (the first comments of tickets kept long hold their segments), the
        kept comments of their half-empty segments are moved
        (``SpillStore.compact``): the disk holds about what is kept.
        """
        victims = []
        excess = len(self.comments) - limit
        if excess > 0:
            victims = list(itertools.islice((tid for tid in self.comments if tid not in keep), excess))
            for ticket_id in victims:
                self.stop_collecting(ticket_id)
        if self.kept_bytes > spill_bytes or self.index_bytes > index_bytes:
            spill_target, index_target = spill_bytes * 3 // 4, index_bytes * 3 // 4
            for ticket_id in sorted(self.sizes, key=self.sizes.__getitem__, reverse=True):
                if self.kept_bytes <= spill_target and self.index_bytes <= index_target:
                    break
                self.stop_collecting(ticket_id)
                victims.append(ticket_id)
        store = self.store
        if store.disk_bytes > min(spill_bytes, 2 * (store.live_bytes + store.segment_bytes)):
            store.compact(kept.spans for kept in self.comments.values())
        return victims

    def stop_collecting(self, ticket_id: Any) -> None:
        """Forget a ticket's comments and keep none of its later ones: it is fetched per ticket from now on.

        For a ticket whose earlier version already took its comments, or one evicted: the stream no longer
        holds its whole conversation.
        """
        self.drop(ticket_id)
        self.evicted.add(ticket_id)

    def drop(self, ticket_id: Any) -> None:
        """Forget a ticket's comments (a deleted ticket, or one fetched per ticket)."""
        kept = self.detach(ticket_id)
        if kept is not None:
            spans = kept.spans
            for index in range(0, len(spans), 2):
                self.store.release(spans[index], spans[index + 1])


class KnownUsers:
    """The users a run has seen, as comment authors need them, at most ``limit`` (the least recently used go).

    A user let go is looked up again with ``users/show_many`` if a comment
    names them: a request per hundred, against memory that would grow with the
    account's users.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.users: OrderedDict[int, dict[str, Any]] = OrderedDict()

    def remember(self, users: Iterable[tuple[int, dict[str, Any]]]) -> None:
        for user_id, user in users:
            self.users[user_id] = slim_user(user)
            self.users.move_to_end(user_id)
        while len(self.users) > self.limit:
            self.users.popitem(last=False)

    def get(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        if user is not None:
            self.users.move_to_end(user_id)
        return user


class WaitingTicket:
    """A ticket waiting for the event stream, kept as compact JSON (decoded again when it stops waiting).

    The export page's decoded ticket and sideloads take three to four times the
    memory of their JSON, and a thousand or more tickets wait at once.
    """

    __slots__ = ("data", "export_page")

    def __init__(self, conversation: TicketConversation) -> None:
        # Only a conversation just made from its export page waits: no comments, no conversation log yet.
        packed = [conversation.ticket, list(conversation.users.items()), list(conversation.groups.items()),
                  list(conversation.organizations.items())]
        # A copy of exactly its length (orjson's output keeps its whole buffer).
        self.data = bytes(memoryview(jsoncodec.dumps(packed)))
        self.export_page = conversation.export_page

    def conversation(self) -> TicketConversation:
        """The conversation again, as it was when it started waiting."""
        ticket, users, groups, organizations = jsoncodec.loads(self.data)
        return TicketConversation(ticket=ticket, users=dict(map(tuple, users)), groups=dict(map(tuple, groups)),
                                  organizations=dict(map(tuple, organizations)), export_page=self.export_page)


@dataclass
class Released:
    """A waiting ticket the event stream completed, with its comments, both still compact (read from disk and
    decoded when handed on)."""

    waiting: WaitingTicket
    comments: KeptComments | None


@dataclass
class UserLookup:
    """Conversations waiting for one or more ``users/show_many`` answers."""

    conversations: list[TicketConversation]
    pending: int
    #: The authors found by the answers so far.
    found: dict[int, dict[str, Any]] = field(default_factory=dict)


def slim_user(user: dict[str, Any]) -> dict[str, Any]:
    """What a comment's ``author`` needs of a user."""
    return {key: user.get(key) for key in ("id", "name", "email", "role")}


class EventComments:
    """The events mode's flow control: tickets wait until the event stream has read their whole conversation.

    - A ticket created after the stream's ``start_time`` waits (by completion
      time, its ``updated_at``) until the event stream passes it; then it takes
      its comments from the events. The others are fetched per ticket.
    - The ticket export holds its next page while more than
      ``ZENDESK_EVENTS_WAITING_TICKETS`` tickets wait; the event stream holds its
      next page while it is ahead of the ticket export and buffers more than
      ``ZENDESK_EVENTS_BUFFERED_TICKETS`` tickets' comments. Neither hold can
      block the other (see ``events_ahead``).
    - Beyond ``ZENDESK_EVENTS_SPILL_BYTES`` of kept comments' JSON on disk,
      ``ZENDESK_EVENTS_BUFFER_BYTES`` of their index in memory, or
      ``ZENDESK_EVENTS_KEPT_TICKETS`` tickets' comments, comments are evicted
      (``CommentEvents.evict``) and those tickets fetched per ticket; the event
      stream also holds while it is ahead with more than half either byte bound.
    - Comment events name authors by id only: authors not among the users seen
      are looked up with ``users/show_many``.
    - When the spider is idle, waiting tickets are fetched per ticket (``idle``).
    """

    def __init__(self, handle: StreamHandle, versions: TicketVersions, per_ticket: TicketComments,
                 next_work: NextWork, crawler: Crawler, config: RunContext) -> None:
        self.handle = handle
        self.versions = versions
        self.per_ticket = per_ticket
        self.next_work = next_work
        #: Whether the ticket export ended, and the newest ``updated_at`` (unix seconds) it reached.
        self.export_ended = False
        self.export_position: int | None = None
        self.crawler = crawler
        self.config = config
        self.events = CommentEvents(config.start_time)
        self.waiting: dict[int, WaitingTicket] = {}
        # The waiting tickets by completion time (a heap; entries of superseded versions are skipped).
        self.waiting_order: list[tuple[int, int, int, WaitingTicket]] = []
        self.waiting_sequence = itertools.count()
        self.held_events_request: Request | None = None
        self.known_users = KnownUsers(KNOWN_USERS_KEPT)
        self.unresolved: list[TicketConversation] = []
        self.unresolved_ids: set[int] = set()
        #: Where the ``ticket_events`` stream resumes, when this reader brings its pages too (else the run's
        #: ``start_time``): the reader starts at the earlier of the two (``streams/ticket_events.py``).
        self.history_start = config.start_time
        self.shares_reads = shares_event_reads(config)
        if self.shares_reads:
            crawler.signals.connect(self.history_resumes, signal=zendesk_signals.resume_position)

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats

    def start_requests(self) -> list[Request]:
        return [self.events_request(min(self.events.start_time, self.history_start))]

    def history_resumes(self, stream: str, position: StreamPosition) -> None:
        """Where the ``ticket_events`` stream resumes: the reader starts there if that is earlier."""
        if stream == TICKET_EVENTS:
            self.history_start = position.start_time

    def unfinished(self) -> int:
        """Tickets waiting for the events or for their authors."""
        return len(self.waiting) + len(self.unresolved)

    def holds_export(self) -> bool:
        """Whether the ticket export should wait for the event stream to catch up."""
        return len(self.waiting) > self.config.events_waiting_tickets

    def users_seen(self, users: dict[int, dict[str, Any]]) -> None:
        """Users sideloaded with an export page: comment authors need not be looked up."""
        self.known_users.remember(users.items())

    def offer(self, conversation: TicketConversation, seen_before: bool, deleted: bool) -> bool:
        """Whether the ticket waits for the event stream (else its comments come from elsewhere)."""
        ticket_id = conversation.ticket["id"]
        events = self.events
        if seen_before and ticket_id not in self.waiting:
            # A newer version of a ticket whose older version already took the events' comments: the
            # stream no longer holds its whole conversation, so it comes from the comments endpoint.
            events.stop_collecting(ticket_id)
            self.stats.inc_value(TICKETS_CHANGED_DURING_RUN)
        if not deleted:
            completion = events.completion_time(conversation.ticket)
            if completion is not None and (not events.finished or events.covers(completion)):
                older = self.waiting.get(ticket_id)
                if older is not None:
                    self.versions.superseded(older.export_page)  # its page is all it needs: not decoded
                waiting = self.waiting[ticket_id] = WaitingTicket(conversation)
                heapq.heappush(self.waiting_order, (completion, next(self.waiting_sequence), ticket_id, waiting))
                return True
        events.drop(ticket_id)  # deleted, or fetched per ticket: the events' copy is not needed
        return False

    def export_reached(self, ended: bool, position: int | None) -> None:
        """How far the ticket export has read (told by the ticket stream after each of its pages)."""
        if ended and not self.export_ended:
            self.events.keep_only(self.waiting)  # no other ticket will come for its comments
        self.export_ended, self.export_position = ended, position

    def after_export_page(self) -> Iterator[Request | TicketConversation | StreamRecord]:
        """An export page was read: release what the events cover, resume a held event page."""
        out = self.release_waiting()
        if self.held_events_request is not None and not self.events_ahead():
            out.append(self.held_events_request)
            self.held_events_request = None
        return self.hand_on(out)

    def hand_on(self, out: list[Request | TicketConversation | StreamRecord | Released]
                ) -> Iterator[Request | TicketConversation | StreamRecord]:
        """What a callback hands to Scrapy, a released ticket's comments decoded only when it is its turn.

        Scrapy takes a callback's output a few items at a time, so the tickets one
        event page completes (thousands, when their last comments share the
        page's second) are not all decoded at once. Their authors are resolved
        then, and looked up at the end if some are unknown.
        """
        for item in out:
            if isinstance(item, Released):
                conversation = item.waiting.conversation()
                conversation.comments_source = SOURCE_TICKET_EVENTS
                conversation.comments = [jsoncodec.loads(data) for data in self.events.read(item.comments)]
                yield from self._resolve_authors(conversation)
                if len(self.unresolved_ids) >= USERS_PER_REQUEST:
                    yield from self._users_requests()  # now: not after every released ticket is decoded
            else:
                yield item
        if self.unresolved_ids and (len(self.unresolved_ids) >= USERS_PER_REQUEST or self.events.finished
                                    or not self.waiting):
            yield from self._users_requests()

    # --- the event stream ---------------------------------------------------

    def events_request(self, start_time: int) -> Request:
        params = {"start_time": start_time, "include": "comment_events", "support_type_scope": "all"}
        return self.handle.request(f"{self.config.base_url}{EVENTS_PATH}?{urlencode(params)}", self.parse_events_page,
                                 self.events_failed, PAGE_PRIORITY, EVENTS_ENDPOINT, {"start_time": start_time})

    def parse_events_page(self, response: Response) -> Iterator[Request | TicketConversation | StreamRecord]:
        """One page of ticket events: keep its comments, release the tickets they complete, go on.

        The page is read at once (a list): the decoded page, which can hold thousands of events when they
        share a second, is let go before Scrapy takes what it released (``hand_on``). A long page (4 MiB or
        more; not when the ``ticket_events`` stream takes the page too) is decoded one event at a time
        (``event_page.py``).
        """
        yield from self.hand_on(list(self._read_events_page(response)))

    def _read_events_page(self, response: Response) -> Iterator[Request | TicketConversation | StreamRecord |
                                                                Released]:
        split = None if self.shares_reads or len(response.body) < LONG_PAGE_BYTES else split_events(response.body)
        page = split[0] if split is not None else json_object(response, "ticket_events")
        if page is None:
            yield from self.handle.retry_or_fail(response, self._events_failed)
            return
        self.stats.inc_value(EVENT_PAGES)
        end_time = page.get("end_time")
        next_start: int | None = None  # where the next event page starts; None: the stream ends with this page
        if not page.get("end_of_stream"):
            if not isinstance(end_time, int) or end_time < response.meta["start_time"]:
                self._events_failed(f"the event page at start_time={response.meta['start_time']} has no usable "
                                    "end_time")
                return
            next_start = end_time
        if self.shares_reads:
            yield from self._history_records(page, response.meta["start_time"])
        try:
            self.events.add_page(page, None if split is None else page_events(response.body, split[1]))
        except ValueError:  # an event of a long page is not JSON: asked for again (what was kept is kept once)
            yield from self.handle.retry_or_fail(response, self._events_failed)
            return
        yield from self._evict()
        yield from self.release_waiting()
        if next_start is not None:
            if self.events_ahead():
                self.stats.inc_value(EVENT_STREAM_PAUSED)
                self.held_events_request = self.events_request(next_start)  # until the ticket export catches up
            else:
                yield self.events_request(next_start)
        yield from self.next_work()

    def _history_records(self, page: dict[str, Any], start_time: int) -> list[StreamRecord]:
        """The ``ticket_events`` stream's records of this page (one read for both: ``ticket_event_page``)."""
        answers = self.crawler.signals.send_catch_log(zendesk_signals.ticket_event_page, page=page,
                                                      start_time=start_time)
        return [record for _, records in answers if isinstance(records, list) for record in records]

    def _evict(self) -> list[Request]:
        """Hold the kept comments under their bounds; the tickets let go are fetched per ticket.

        A waiting ticket let go leaves the waiting tickets for the comments
        endpoint now; the others are fetched per ticket when the export brings
        them (``completion_time`` is ``None`` for them).
        """
        config = self.config
        victims = self.events.evict(self.waiting, config.events_kept_tickets, config.events_spill_bytes,
                                    config.events_buffer_bytes)
        if not victims:
            return []
        self.stats.inc_value(TICKETS_EVICTED_FROM_EVENTS, len(victims))
        waiting = [self.waiting.pop(ticket_id).conversation() for ticket_id in victims if ticket_id in self.waiting]
        if not waiting:
            return []
        self.stats.inc_value(TICKETS_FETCHED_PER_TICKET, len(waiting))
        return self.per_ticket.fetch(waiting)

    def events_ahead(self) -> bool:
        """Whether the event stream is so far ahead of the ticket export that it should wait.

        Never while tickets wait for events (those are behind the export
        position, so the event stream is not ahead of them), and never once
        the ticket export has ended: the two holds cannot block each other.
        """
        export_ended, export_position = self.export_ended, self.export_position
        events, config = self.events, self.config
        if export_ended or (len(events.comments) <= config.events_buffered_tickets
                            and events.kept_bytes <= config.events_spill_bytes // 2
                            and events.index_bytes <= config.events_buffer_bytes // 2):
            return False
        return export_position is None or self.events.covered_until > export_position

    def events_failed(self, failure: Failure) -> None:
        """Errback of event pages: the tickets waiting for them cannot be completed."""
        self._events_failed(describe(failure))

    def _events_failed(self, why: str) -> None:
        self.handle.fail(f"the ticket event export stopped: {why}")

    def release_waiting(self) -> list[Request | TicketConversation | StreamRecord | Released]:
        """Release the waiting tickets the event stream now covers (``hand_on`` decodes their comments); fetch
        the rest per ticket once it ended.

        Eager (a list, not a generator): Scrapy consumes callback output
        lazily, so two callbacks' generators could interleave over ``waiting``.
        """
        events = self.events
        out: list[Request | TicketConversation | StreamRecord | Released] = []
        order = self.waiting_order
        while order and events.covers(order[0][0]):
            _, _, ticket_id, waiting = heapq.heappop(order)
            if self.waiting.get(ticket_id) is not waiting:
                continue  # a newer version of the ticket took its place
            del self.waiting[ticket_id]
            out.append(Released(waiting, events.detach(ticket_id)))
        if events.finished and self.waiting:
            # Changed after the event stream ended: their newest comments are not in it.
            out += self._fetch_waiting_per_ticket()
        return out

    def _fetch_waiting_per_ticket(self) -> list[Request]:
        self.stats.inc_value(TICKETS_FETCHED_PER_TICKET, len(self.waiting))
        waiting = [ticket.conversation() for ticket in self.waiting.values()]
        self.waiting.clear()  # cleared, not replaced: the kept comments may follow it (``keep_only``)
        self.waiting_order = []
        return self.per_ticket.fetch(waiting)

    def idle(self) -> list[Request]:
        """Never close with tickets still waiting: resume the event stream, fetch them per ticket, or look up
        authors."""
        if not (self.waiting or self.unresolved or self.held_events_request):
            return []
        if self.held_events_request is not None:
            request, self.held_events_request = self.held_events_request, None
            return [request]
        requests = self._fetch_waiting_per_ticket() if self.waiting else []
        if self.unresolved_ids:
            requests += self._users_requests()
        return requests

    # --- comment authors ------------------------------------------------------

    def _resolve_authors(self, conversation: TicketConversation) -> list[TicketConversation | Request]:
        """Comment events name authors by id only: look them up among the users seen, else ask for them."""
        missing = set()
        for comment in conversation.comments:
            author_id = comment.get("author_id") if isinstance(comment, dict) else None
            if not isinstance(author_id, int) or author_id in conversation.users:
                continue
            user = self.known_users.get(author_id)
            if user is not None:
                conversation.users[author_id] = user
            else:
                missing.add(author_id)
        if not missing:
            return self.versions.finished(conversation)
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
            requests.append(self.handle.request(
                f"{self.config.base_url}{USERS_PATH}?{urlencode({'ids': chunk})}", self.parse_users,
                self.users_failed, COMMENTS_PRIORITY, USERS_ENDPOINT, {"lookup": lookup}))
        lookup.pending = len(requests)
        return requests

    def parse_users(self, response: Response) -> Iterator[Request | TicketConversation]:
        """Users found are remembered; users Zendesk no longer has stay unresolved (deleted users)."""
        page = json_object(response, "users")
        if page is None:
            yield from self.handle.retry_or_fail(response, self._users_failed)
            return
        found = by_id(page["users"])
        self.known_users.remember(found.items())
        lookup: UserLookup = response.meta["lookup"]
        lookup.found.update((uid, slim_user(user)) for uid, user in found.items())
        lookup.pending -= 1
        if lookup.pending:
            return
        finished = []
        for conversation in lookup.conversations:
            for comment in conversation.comments:
                author_id = comment.get("author_id") if isinstance(comment, dict) else None
                if isinstance(author_id, int) and author_id in lookup.found:
                    conversation.users.setdefault(author_id, lookup.found[author_id])
            finished += self.versions.finished(conversation)
        yield from finished

    def users_failed(self, failure: Failure) -> None:
        """Errback of user lookups: the tickets waiting on them cannot be completed."""
        self._users_failed(describe(failure))

    def _users_failed(self, why: str) -> None:
        self.handle.fail(f"the authors of some comments could not be looked up: {why}")
