"""The sandbox account's data: the seeded tickets plus the changes made to them, in stream order.

Only a small immutable :class:`TicketState` per ticket lives in memory; the full ticket, user
and comment objects come from the :class:`Generator` on demand, so the same seed and options
always give the same data and 100,000 tickets fit in modest memory. Thread-safe.
"""

from __future__ import annotations

import bisect
import heapq
import json
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from .account import STREAMS, Account
from .clock import Clock
from .encoding import dumps
from .generator import Generator, Options
from .generator.comment_files import Attached
from .generator.comments import ATTACH, HUGE, ODD_COMMENTS, Comment
from .generator.layout import (
    COMMENT_ID_BASE,
    COMMENT_ID_STEP,
    FIRST_TICKET_ID,
    HISTORY_SECONDS,
    MAX_ATTACHMENTS,
    MAX_COMMENTS,
    RECORDING_OFFSET,
    TICKET_ID_RANGE,
    UPDATE_AUDIT_BASE,
)
from .generator.states import TicketState, WrittenTicket
from .generator.voice import Recording
from .help_center import HelpCenter
from .satisfaction import SatisfactionRatings

#: Tickets changed (and ticket events of) the most recent minute are not exported yet.
EXPORT_DELAY = 60
#: Tickets whose comments stay generated (a conversation is read page by page).
COMMENT_CACHE = 256
CHANGES = ("create", "add_comments", "grow", "huge_comment", "odd", "update", "delete", "delete_on_comment_read")
#: Changes that name tickets in a list (``add_comments`` also takes ``{"id": …, "attachments": n}`` objects).
#: Changes of the satisfaction ratings and the Help Center articles: ``{"update": [ids], "create": n}``.
OWN_CHANGES = ("satisfaction_ratings", "articles")
TICKET_LISTS = ("add_comments", "huge_comment", "odd", "update", "delete", "delete_on_comment_read")
#: The seeded history's ticket events are packed as ``(timestamp - base) << EVENT_SHIFT | audit id - COMMENT_ID_BASE``.
EVENT_SHIFT = 40


def audit_id(ticket_id: int, index: int) -> int:
    """The id of the audit (ticket event) that added comment ``index`` of a ticket."""
    return COMMENT_ID_BASE + ticket_id * TICKET_ID_RANGE + index * COMMENT_ID_STEP


class Dataset:
    """Ticket states in export-stream order, and the changes the control API makes to them."""

    def __init__(self, options: Options, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self.generator = Generator(options)
        self._lock = threading.Lock()
        #: Users, organizations, groups and ticket fields.
        self.account = Account(self.generator, clock)
        self._states = {state.id: state for state in self.generator.history.initial_states()}
        self._order = sorted(state.key for state in self._states.values())
        self._next_ticket_id = max(self._states, default=FIRST_TICKET_ID - 1) + 1
        #: Satisfaction ratings of the seeded tickets, and the Help Center (their own changes: ``apply_changes``).
        self.satisfaction = SatisfactionRatings(self.generator, options.base_url,
                                                [(s.id, s.created_at) for s in self._states.values()
                                                 if not s.deleted])
        self.help_center = HelpCenter(self.generator, options.base_url)
        self._comment_cache: OrderedDict[tuple[int, int], list[Comment]] = OrderedDict()
        self._armed: set[int] = set()
        self._updates = 0
        #: Ticket events: those of the seeded history packed in one sorted array, built on the first
        #: event export request (8 bytes an event); those of changes as sorted (timestamp, audit id).
        self._first_new_ticket = self._next_ticket_id
        self._event_base = options.epoch - HISTORY_SECONDS - 1
        self._initial_events: array[int] | None = None
        self._events_lock = threading.Lock()
        self._change_events: list[tuple[int, int]] = []
        #: Audit id of an update change → (ticket id, index in the ticket's ``updates``).
        self._update_audits: dict[int, tuple[int, int]] = {}
        #: The search export's order, (-created_at, id) of every ticket (deleted ones filtered when read), built
        #: on first use; created tickets are inserted.
        self._search_order: list[tuple[int, int]] | None = None
        #: Per user: ticket ids requested / e-mail CC'd / followed as seeded (before ``odd`` changes), built on first
        #: use and extended to created tickets when read.
        self._person_index: dict[str, dict[int, list[int]]] | None = None
        self._person_indexed_upto = 0

    # -------------------------------------------------------------- reading

    def export_page(self, after: tuple[int, int], per_page: int, scope: str,
                    exclude_deleted: bool) -> tuple[list[TicketState], bool]:
        """States of the next ``per_page`` tickets strictly after stream position ``after``, and end_of_stream.

        Tickets changed in the last minute are not visible yet; ``scope`` is ``agent``, ``ai_agent`` or ``all``.
        """
        cutoff = self.clock.now_int() - EXPORT_DELAY
        page: list[TicketState] = []
        with self._lock:
            order = self._order
            for i in range(bisect.bisect_right(order, after), len(order)):
                key = order[i]
                if key[0] > cutoff:
                    return page, True
                state = self._states[key[1]]
                if (scope != "all" and state.scope != scope) or (exclude_deleted and state.deleted):
                    continue
                if len(page) == per_page:
                    return page, False
                page.append(state)
        return page, True

    # ------------------------------------------------ search, show_many, people

    def seeded_states(self) -> list[TicketState]:
        """The current states of the seeded tickets (not those created by changes), by id."""
        with self._lock:
            return [self._states[ticket_id] for ticket_id in sorted(self._states) if ticket_id < self._first_new_ticket]

    def state(self, ticket_id: int) -> TicketState | None:
        """A ticket's current state (deleted ones too), None for ids of no ticket."""
        with self._lock:
            return self._states.get(ticket_id)

    def is_archived(self, state: TicketState) -> bool:
        """Whether the ticket is archived: a live ticket seeded ``closed`` and never updated, every third by id.

        Zendesk archives tickets closed for 120 days; the sandbox's history is shorter, so it picks them by rule.
        Archived tickets stay searchable, readable by id and in the per-user lists (not in ``GET /tickets``).
        """
        if state.written is not None:
            return not state.deleted and state.written.archived
        return (not state.deleted and not state.updates and state.created_status is None
                and state.id % 3 == 0 and self.generator.tickets.people(state.id).status == "closed")

    def archived_ids(self) -> list[int]:
        """Every archived ticket's id, ascending (``/_sandbox/truth/archived``)."""
        with self._lock:
            states = list(self._states.values())
        return sorted(state.id for state in states if self.is_archived(state))

    def search_after(self, after: tuple[int, int] | None) -> Iterator[TicketState]:
        """Live tickets in the search export's order (created_at descending, then id ascending) strictly after the
        position ``(-created_at, id)``; deleted tickets are left out (they are not searchable)."""
        with self._lock:
            if self._search_order is None:
                self._search_order = sorted((-s.created_at, s.id) for s in self._states.values())
            order = self._search_order
            start = 0 if after is None else bisect.bisect_right(order, after)
        i = start
        while True:
            with self._lock:
                chunk = order[i:i + 256]
                states = [self._states[tid] for _, tid in chunk]
            if not chunk:
                return
            now = self.clock.now_int()
            for state in states:
                if not state.deleted and (state.written is None or state.written.indexed_at <= now):
                    yield state
            i += len(chunk)

    def person_candidates(self, relation: str, user_id: int) -> list[int]:
        """Ticket ids the user is the seeded requester of (``requested``), e-mail CC of (``ccd``) or follower of
        (``followed``), ascending; the caller checks the current ticket (deletions, ``odd`` changes)."""
        with self._lock:
            if self._person_index is None:
                self._person_index = {"requested": {}, "ccd": {}, "followed": {}}
                self._person_indexed_upto = 0
            states = list(self._states.values())[self._person_indexed_upto:]
            index = self._person_index
            generator = self.generator
            for state in states:
                if state.written is not None:
                    ticket = state.written.ticket
                    requester, ccs, followers = ticket["requester_id"], ticket["email_cc_ids"], ticket["follower_ids"]
                else:
                    people = generator.tickets.people(state.id)
                    requester, ccs = people.requester, people.collaborators[:1]
                    followers = generator.tickets.followers(state.id, state.number)
                index["requested"].setdefault(requester, []).append(state.id)
                for uid in ccs:
                    index["ccd"].setdefault(uid, []).append(state.id)
                for uid in followers:
                    index["followed"].setdefault(uid, []).append(state.id)
            self._person_indexed_upto += len(states)
            return sorted(index[relation].get(user_id, ()))

    def live_comments(self, state: TicketState) -> list[Comment]:
        """A live ticket's comments without side effects (``delete_on_comment_read`` stays armed)."""
        return [] if state.deleted else self._comments(state)

    def ticket_comments(self, ticket_id: int) -> list[Comment] | None:
        """Comments of a ticket in ``created_at`` order, or None when it is unknown or deleted.

        A ticket armed with ``delete_on_comment_read`` is deleted by this very call.
        """
        with self._lock:
            state = self._states.get(ticket_id)
            if state is None or state.deleted:
                return None
            if ticket_id in self._armed:
                self._armed.discard(ticket_id)
                self._store(state._replace(deleted=True), self.clock.now_int())
                return None
        return self._comments(state)

    def _comments(self, state: TicketState) -> list[Comment]:
        """A ticket's comments, from a small LRU of recently read conversations."""
        if state.written is not None:
            return list(state.written.comments)
        key = (state.id, state.comment_count)
        with self._lock:
            cached = self._comment_cache.get(key)
            if cached is not None:
                self._comment_cache.move_to_end(key)
                return cached
        comments = self.generator.comments.of_ticket(state)
        with self._lock:
            self._comment_cache[key] = comments
            while len(self._comment_cache) > COMMENT_CACHE:
                self._comment_cache.popitem(last=False)
        return comments

    def download(self, item_id: int) -> tuple[TicketState, Comment, Attached | Recording] | None:
        """The attachment (or voice recording) with this id, with its comment and ticket; None when no current
        comment has it (unknown id, deleted ticket). No side effects (``delete_on_comment_read`` stays armed)."""
        ticket_id, rest = divmod(item_id - COMMENT_ID_BASE, TICKET_ID_RANGE)
        index, offset = divmod(rest, COMMENT_ID_STEP)
        with self._lock:
            state = self._states.get(ticket_id) if item_id > COMMENT_ID_BASE else None
        if state is None or state.deleted or index >= state.comment_count:
            return None
        comment_id = COMMENT_ID_BASE + ticket_id * TICKET_ID_RANGE + index * COMMENT_ID_STEP + 1
        comment = next((c for c in self._comments(state) if c.id == comment_id), None)
        if comment is None:
            return None
        if offset == RECORDING_OFFSET + 1:
            found: Attached | Recording | None = comment.recording
        else:
            found = next((a for a in comment.files if a.id == item_id), None)
        return None if found is None or found.id != item_id else (state, comment, found)

    def attachments_truth_json(self, offset: int = 0, limit: int | None = None) -> bytes:
        """Every attachment of every current comment and every voice recording, as ``{"now", "attachments"}``.

        Tickets in stream order (``offset``/``limit`` slice them, as for the ticket truth), comments in
        the comments endpoint's order, attachments in ``include_inline_images=true`` order, a comment's recording
        after its attachments. Each entry: ``kind`` (``attachment`` or ``recording``), ``ticket_id``,
        ``comment_id``, ``attachment_id``, ``file_name``, ``content_type``, ``size``, ``sha256`` of the bytes
        the content host serves, ``inline``, ``deleted``, ``malware_scan_result``, ``malware_access_override``,
        ``servable`` and ``why_not`` (``deleted``, ``malware_found`` or null), ``url`` (``content_url`` or
        ``recording_url``). Recordings have ``inline`` and ``deleted`` false and null malware members.
        """
        generator, catalog = self.generator, self.generator.catalog
        with self._lock:
            keys = self._order[offset:None if limit is None else offset + limit]
            states = [self._states[key[1]] for key in keys]
        entries: list[dict[str, Any]] = []
        for state in states:
            if state.deleted:
                continue
            for comment in self._comments(state):
                for attachment in comment.files:
                    spec = catalog.spec(attachment.file)
                    entries.append({
                        "kind": "attachment", "ticket_id": state.id, "comment_id": comment.id,
                        "attachment_id": attachment.id, "file_name": attachment.name,
                        "content_type": spec.content_type, "size": spec.size, "sha256": catalog.digest(attachment.file),
                        "inline": attachment.inline, "deleted": attachment.deleted,
                        "malware_scan_result": attachment.scan, "malware_access_override": attachment.override,
                        "servable": attachment.why_not is None, "why_not": attachment.why_not,
                        "url": generator.files.content_url(attachment).decode("ascii")})
                if comment.recording is not None:
                    recording = comment.recording
                    spec = catalog.spec(recording.file)
                    entries.append({
                        "kind": "recording", "ticket_id": state.id, "comment_id": comment.id,
                        "attachment_id": recording.id, "file_name": spec.name, "content_type": spec.content_type,
                        "size": spec.size, "sha256": catalog.digest(recording.file), "inline": False,
                        "deleted": False, "malware_scan_result": None, "malware_access_override": None,
                        "servable": True, "why_not": None,
                        "url": generator.voice.recording_url(recording).decode("ascii")})
        return dumps({"now": self.clock.now_int(), "attachments": entries})

    # ---------------------------------------------------------- ticket events

    def _seeded_events(self) -> array[int]:
        """The packed, sorted ticket events of the seeded history (one per generated comment), built once.

        Only comment times are drawn (no text), about 3 µs a comment; 8 bytes an event stay in memory.
        """
        if self._initial_events is None:
            with self._events_lock:
                if self._initial_events is None:
                    with self._lock:
                        states = [s for s in self._states.values() if s.id < self._first_new_ticket]
                    # bucket sort by hour (at most a few thousand keys a bucket): no big list of ints
                    base, buckets = self._event_base, [array("Q") for _ in range(HISTORY_SECONDS // 3600 + 2)]
                    for state in states:
                        first = state.id * TICKET_ID_RANGE
                        for i, t in enumerate(self.generator.comments.base_times(state)):
                            key = ((t - base) << EVENT_SHIFT) | (first + i * COMMENT_ID_STEP)
                            buckets[(t - base) // 3600].append(key)
                    packed = array("Q")
                    for bucket in buckets:
                        packed.extend(sorted(bucket))
                    self._initial_events = packed
        return self._initial_events

    def _events_from(self, packed: array[int], start_time: int) -> Iterator[tuple[int, int]]:
        """Every ticket event at or after ``start_time`` as (timestamp, audit id), in that order. Caller holds the
        lock."""
        base, mask = self._event_base, (1 << EVENT_SHIFT) - 1

        def seeded() -> Iterator[tuple[int, int]]:
            for i in range(bisect.bisect_left(packed, max(0, start_time - base) << EVENT_SHIFT), len(packed)):
                key = packed[i]
                yield (key >> EVENT_SHIFT) + base, (key & mask) + COMMENT_ID_BASE

        changes = self._change_events[bisect.bisect_left(self._change_events, (start_time, 0)):]
        return heapq.merge(seeded(), changes)

    def _event_ticket(self, event_id: int) -> int:
        if event_id >= UPDATE_AUDIT_BASE:
            return self._update_audits[event_id][0]
        return (event_id - COMMENT_ID_BASE) // TICKET_ID_RANGE

    def ticket_events_page(self, start_time: int, per_page: int, scope: str,
                           comment_events: bool) -> tuple[list[bytes], int, bool]:
        """One page of the Incremental Ticket Event Export: (events JSON, end_time, end_of_stream).

        Events with ``timestamp >= start_time`` in (timestamp, id) order, not those of the last minute
        nor of tickets outside ``scope``: ``per_page`` of them, then every further event of the last
        event's second (a page can exceed ``per_page`` when events share a second; the next page, from
        ``end_time``, repeats that second). ``end_time`` is the last event's timestamp, but one second
        later when the whole page is the ``start_time`` second (which it then holds completely), so
        following ``next_page`` can never loop; with no events it is ``start_time``. ``end_of_stream``:
        fewer than ``per_page`` events. Deleted tickets keep their past events; deletion adds none.
        """
        packed = self._seeded_events()
        cutoff = self.clock.now_int() - EXPORT_DELAY
        picked: list[tuple[int, int, TicketState]] = []
        with self._lock:
            for timestamp, event_id in self._events_from(packed, start_time):
                if timestamp > cutoff:
                    break
                if len(picked) >= per_page and timestamp != picked[-1][0]:
                    break
                state = self._states[self._event_ticket(event_id)]
                if scope != "all" and state.scope != scope:
                    continue
                picked.append((timestamp, event_id, state))
            updates = {event_id: self._update_audits[event_id][1] for _, event_id, _ in picked
                       if event_id >= UPDATE_AUDIT_BASE}
        events = self._events_json(picked, updates, comment_events)
        if not picked:
            return [], start_time, True
        end_time = picked[-1][0]
        if end_time == start_time and len(picked) >= per_page:
            end_time += 1
        return events, end_time, len(picked) < per_page

    def _events_json(self, picked: list[tuple[int, int, TicketState]], updates: dict[int, int],
                     comment_events: bool) -> list[bytes]:
        """The JSON of picked ticket events ((timestamp, audit id, ticket state) each)."""
        generator = self.generator
        events = []
        for timestamp, event_id, state in picked:
            if event_id >= UPDATE_AUDIT_BASE:
                events.append(generator.events.update_event(state, updates[event_id]))
                continue
            if state.written is not None:
                events.append(generator.events.written_event(state, event_id, timestamp, comment_events))
                continue
            index = (event_id - COMMENT_ID_BASE) % TICKET_ID_RANGE // COMMENT_ID_STEP
            comment = generator.comments.comment(state, index, timestamp, dict(state.special).get(index))
            events.append(generator.events.comment_event(state, index, comment, comment_events))
        return events

    def ticket_events_truth_json(self) -> bytes:
        """``{"now", "ticket_events": [...]}``: every ticket event (every scope, the last minute's too) as the export
        with ``include=comment_events`` serves it, once each, in (timestamp, id) order."""
        packed = self._seeded_events()
        with self._lock:
            picked = [(timestamp, event_id, self._states[self._event_ticket(event_id)])
                      for timestamp, event_id in self._events_from(packed, 0)]
            updates = {event_id: self._update_audits[event_id][1] for _, event_id, _ in picked
                       if event_id >= UPDATE_AUDIT_BASE}
        events = self._events_json(picked, updates, True)
        return b'{"now":%d,"ticket_events":[%s]}' % (self.clock.now_int(), b",".join(events))

    def truth_json(self, comments: bool = True, users: bool = True, offset: int = 0, limit: int | None = None) -> bytes:
        """The ground truth as JSON, built from the very bytes the API serves.

        ``{"now", "tickets", "users"}``: tickets (all scopes, stream order, ``tickets[offset:offset+limit]``)
        exactly as the export returns them now, each with ``comments`` (what the comments
        endpoint returns; ``[]`` once deleted) and ``_support_type_scope``; every user (as sideloads and the users
        export serve it now, users created by changes last) with ``_deleted``.
        """
        generator = self.generator
        with self._lock:
            keys = self._order[offset:None if limit is None else offset + limit]
            states = [self._states[key[1]] for key in keys]
        parts = [b'{"now":%d,"tickets":[' % self.clock.now_int()]
        for i, state in enumerate(states):
            ticket = dumps(generator.tickets.render(state))[:-1]
            if comments:
                listed = [] if state.deleted else self._comments(state)
                ticket += b',"comments":[' + b",".join(c.json for c in listed) + b"]"
            parts.append((b"," if i else b"") + ticket + b',"_support_type_scope":"%s"}' % state.scope.encode())
        parts.append(b'],"users":[')
        if users:
            account = self.account
            parts.append(b",".join(account.user_json(uid)[:-1] + (
                b',"_deleted":true}' if account.is_deleted_user(uid) else b',"_deleted":false}')
                for uid in account.user_ids()))
        parts.append(b"]}")
        return b"".join(parts)

    def truth(self, **options: Any) -> dict[str, Any]:
        """:meth:`truth_json`, decoded."""
        return json.loads(self.truth_json(**options))

    def stats(self) -> dict[str, Any]:
        """Counts of tickets, comments, users, organizations, groups and ticket fields."""
        with self._lock:
            states = list(self._states.values())
        return {
            "now": self.clock.now_int(),
            "tickets": len(states),
            "deleted_tickets": sum(s.deleted for s in states),
            "ai_agent_tickets": sum(s.scope == "ai_agent" for s in states),
            "comments": sum(s.comment_count for s in states),
            "max_comments_per_ticket": max((s.comment_count for s in states), default=0),
            **self.account.stats(),
        }

    # -------------------------------------------------------------- changes

    def apply_changes(self, ops: dict[str, Any]) -> dict[str, list[int]]:
        """Apply control-API changes; each stamps updated_at and generated_timestamp with sandbox-now.

        ``create``: n new tickets; ``add_comments``: 1–3 comments each (a ticket id), or one comment with n
        attachments (``{"id": ticket id, "attachments": n}``, 1 ≤ n ≤ 9: the first of new bytes, then the shared
        PDF, the inline signature logo, pool files); ``grow``: ``{"<id>": n}`` n more
        comments; ``huge_comment``: one comment of about 1 MB; ``odd``: unexpected shapes for the ticket
        and three odd comments (null author, an author that exists nowhere, ``attachments`` null with deeply
        nested ``metadata``); ``update``: new status, priority and tags; ``delete``;
        ``delete_on_comment_read``: delete on the first comments request. Added comments are stamped now
        and get their ticket events (audits) now, so does an update; a deletion adds no event.
        All or nothing: raises ``ValueError`` (answered 400) for unknown operations or tickets, deleted
        tickets, or a ticket that would hold more than 5000 comments, before anything changes.

        The other streams (``users``, ``organizations``, ``groups``, ``ticket_fields``) take
        ``{"update": [ids], "create": n, "delete": [ids]}`` (see :meth:`Account.plan`); their answer is
        ``{"<stream>": {"changed": [...], "created": [...]}}`` beside the tickets' ``changed`` and ``created``.
        """
        unknown = set(ops) - set(CHANGES) - set(STREAMS) - set(OWN_CHANGES)
        if unknown:
            raise ValueError(f"unknown change operations: {sorted(unknown)}")
        account_changes = self.account.plan({stream: ops[stream] for stream in STREAMS if stream in ops})
        own = {name: ops[name] for name in OWN_CHANGES if name in ops}
        for name, value in own.items():  # checked before anything changes
            if not isinstance(value, dict) or set(value) - {"update", "create"}:
                raise ValueError(f"{name}: {{\"update\": [ids], \"create\": n}} is expected")
            known = set(self.satisfaction.ids()) if name == "satisfaction_ratings" else set(self.help_center.articles)
            unknown_ids = [i for i in value.get("update", []) if i not in known] \
                if isinstance(value.get("update", []), list) else ["?"]
            if unknown_ids:
                raise ValueError(f"{name}: no record {unknown_ids[0]!r}")
        lists = {name: ops.get(name, []) for name in TICKET_LISTS}
        for name, ids in lists.items():
            if not isinstance(ids, list):
                raise ValueError(f"{name}: a list of ticket ids is expected")
        additions = _parse_add_comments(lists["add_comments"])
        lists["add_comments"] = [ticket_id for ticket_id, _ in additions]
        grow = _parse_grow(ops.get("grow", {}))
        create = ops.get("create", 0)
        if type(create) is not int or create < 0:
            raise ValueError("create: a number of tickets is expected")
        changed: list[int] = []
        created: list[int] = []
        with self._lock:
            now = self.clock.now_int()
            for name, ids in [*lists.items(), ("grow", list(grow))]:
                for ticket_id in ids:
                    state = self._states.get(ticket_id) if type(ticket_id) is int else None
                    if state is None:
                        raise ValueError(f"{name}: no ticket {ticket_id!r}")
                    if state.deleted:
                        raise ValueError(f"{name}: ticket {ticket_id} is deleted")
                    if state.written is not None and name not in ("delete", "delete_on_comment_read"):
                        raise ValueError(f"{name}: ticket {ticket_id} was written through the API; only delete "
                                         f"changes take it")
            pending: dict[int, TicketState] = {}
            events: list[tuple[int, int]] = []
            update_audits: dict[int, tuple[int, int]] = {}
            updates = self._updates

            def current(ticket_id: int) -> TicketState:
                return pending.get(ticket_id) or self._states[ticket_id]

            def add(ticket_id: int, kinds: tuple[str | None, ...]) -> TicketState:
                state = current(ticket_id)
                first = state.total_comments
                if first + len(kinds) > MAX_COMMENTS:
                    raise ValueError(f"ticket {ticket_id} would hold {first + len(kinds)} comments; "
                                     f"a ticket holds at most {MAX_COMMENTS}")
                special = state.special + tuple((first + i, kind) for i, kind in enumerate(kinds) if kind)
                pending[ticket_id] = state._replace(
                    extra_comment_times=state.extra_comment_times + (now,) * len(kinds), special=special)
                events.extend((now, audit_id(ticket_id, first + i)) for i in range(len(kinds)))
                changed.append(ticket_id)
                return pending[ticket_id]

            for ticket_id, attachments in additions:
                if attachments:
                    add(ticket_id, (f"{ATTACH}{attachments}",))
                else:
                    add(ticket_id, (None,) * (1 + (ticket_id + current(ticket_id).comment_count) % 3))
            for ticket_id, count in grow.items():
                add(ticket_id, (None,) * count)
            for ticket_id in lists["huge_comment"]:
                add(ticket_id, (HUGE,))
            for ticket_id in lists["odd"]:
                pending[ticket_id] = add(ticket_id, ODD_COMMENTS)._replace(odd=True)
            for ticket_id in lists["update"]:
                updates += 1
                state = current(ticket_id)
                pending[ticket_id] = state._replace(overrides=self.generator.history.updated_overrides(state, updates),
                                                    updates=state.updates + ((now, updates),))
                update_audits[UPDATE_AUDIT_BASE + 10 * updates] = (ticket_id, len(state.updates))
                events.append((now, UPDATE_AUDIT_BASE + 10 * updates))
                changed.append(ticket_id)
            for ticket_id in lists["delete"]:
                pending[ticket_id] = current(ticket_id)._replace(deleted=True)
                changed.append(ticket_id)
            # nothing can fail from here on
            for _ in range(create):
                state = self.generator.history.new_state(self._next_ticket_id, len(self._states), now)
                self._next_ticket_id += 1
                self._states[state.id] = state
                bisect.insort(self._order, state.key)
                events.extend((now, audit_id(state.id, i)) for i in range(state.base_comments))
                created.append(state.id)
            if self._search_order is not None:
                for ticket_id in created:
                    bisect.insort(self._search_order, (-now, ticket_id))
            for state in pending.values():
                self._store(state, now)
            self._updates = updates
            self._update_audits.update(update_audits)
            for event in events:
                bisect.insort(self._change_events, event)
            self._armed.update(lists["delete_on_comment_read"])
            streams = account_changes(now)
            if "satisfaction_ratings" in own:
                streams["satisfaction_ratings"] = self.satisfaction.apply(own["satisfaction_ratings"], now)
            if "articles" in own:
                streams["articles"] = self.help_center.apply(own["articles"], now)
        return {"changed": list(dict.fromkeys(changed)), "created": created, **streams}

    def add_written(self, build: list[Callable[[int], tuple[WrittenTicket, int, int]]], now: int) -> list[int]:
        """Store tickets made by a write endpoint: ``build`` holds one function per ticket that takes the new
        ticket's id and returns ``(WrittenTicket, created_at, updated_at)``. Each ticket goes to the export
        stream at ``now`` (its ``generated_timestamp``), whatever the ``updated_at`` it was given, and gets one audit
        per comment in the ticket event export at ``now`` (``TicketEvents.written_event``). Returns the ids."""
        ids = []
        with self._lock:
            for make in build:
                ticket_id = self._next_ticket_id
                self._next_ticket_id += 1
                written, created_at, updated_at = make(ticket_id)
                state = TicketState(id=ticket_id, number=len(self._states), created_at=created_at,
                                    activity_end=created_at, updated_at=updated_at, generated_timestamp=now,
                                    deleted=False, scope="agent", base_comments=len(written.comments),
                                    written=written)
                self._states[ticket_id] = state
                bisect.insort(self._order, state.key)
                if self._search_order is not None:
                    bisect.insort(self._search_order, (-created_at, ticket_id))
                for comment in written.comments:  # one audit per comment, at the import
                    bisect.insort(self._change_events, (now, comment.id - 1))
                ids.append(ticket_id)
        return ids

    def ticket_ids(self) -> list[int]:
        """Every ticket id (deleted ones too), ascending."""
        with self._lock:
            return sorted(self._states)

    def written_ticket_ids(self) -> list[int]:
        """Ids of the tickets made by write endpoints, ascending."""
        with self._lock:
            return sorted(tid for tid, state in self._states.items() if state.written is not None)

    def _store(self, state: TicketState, now: int) -> int:
        """Store a changed state stamped ``now``, moving the ticket to the end of the stream. Caller holds the lock."""
        del self._order[bisect.bisect_left(self._order, self._states[state.id].key)]
        state = state._replace(updated_at=now, generated_timestamp=now)
        self._states[state.id] = state
        bisect.insort(self._order, state.key)
        return state.id


def _parse_add_comments(raw: list[Any]) -> list[tuple[Any, int]]:
    """``add_comments`` entries as (ticket id, attachments): a ticket id (0 attachments: 1-3 ordinary comments)
    or ``{"id": ticket id, "attachments": n}`` (one comment with n attachments)."""
    out: list[tuple[Any, int]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            out.append((entry, 0))
            continue
        unknown = set(entry) - {"id", "attachments"}
        count = entry.get("attachments")
        if unknown or type(count) is not int or not 1 <= count <= MAX_ATTACHMENTS:
            raise ValueError(f'add_comments: {{"id": ticket id, "attachments": 1..{MAX_ATTACHMENTS}}} expected, '
                             f"not {entry!r}")
        out.append((entry.get("id"), count))
    return out


def _parse_grow(raw: Any) -> dict[int, int]:
    """``{"<ticket id>": n}`` (JSON object keys are strings) as ``{id: n}``; ``ValueError`` when malformed."""
    if not isinstance(raw, dict):
        raise ValueError('grow: an object {"<ticket id>": number of comments} is expected')
    grow: dict[int, int] = {}
    for key, count in raw.items():
        try:
            ticket_id = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"grow: {key!r} is not a ticket id") from None
        if type(count) is not int or count < 1:
            raise ValueError(f"grow: the number of comments for ticket {key} must be a positive integer")
        grow[ticket_id] = grow.get(ticket_id, 0) + count
    return grow
