"""The sandbox account's data: the seeded tickets plus the changes made to them, in stream order.

Only a small immutable :class:`TicketState` per ticket lives in memory; the full ticket, user
and comment objects come from the :class:`Generator` on demand, so the same seed and options
always give the same data and 100,000 tickets fit in modest memory. Thread-safe.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import OrderedDict
from typing import Any

from .clock import Clock
from .generator import Comment, Generator, Options, TicketState, dumps

#: Tickets changed in the most recent minute are not exported yet.
EXPORT_DELAY = 60
#: Tickets whose comments stay generated (a conversation is read page by page).
COMMENT_CACHE = 256
CHANGES = ("create", "add_comments", "update", "delete", "delete_on_comment_read")


class Dataset:
    """Ticket states in export-stream order, and the changes the control API makes to them."""

    def __init__(self, options: Options, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self.generator = Generator(options)
        self._lock = threading.Lock()
        self._states = {state.id: state for state in self.generator.initial_states()}
        self._order = sorted(state.key for state in self._states.values())
        self._next_ticket_id = max(self._states, default=0) + 1
        self._comment_cache: OrderedDict[tuple[int, int], list[Comment]] = OrderedDict()
        self._armed: set[int] = set()
        self._updates = 0

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
        key = (state.id, state.comment_count)
        with self._lock:
            cached = self._comment_cache.get(key)
            if cached is not None:
                self._comment_cache.move_to_end(key)
                return cached
        comments = self.generator.comments(state)
        with self._lock:
            self._comment_cache[key] = comments
            while len(self._comment_cache) > COMMENT_CACHE:
                self._comment_cache.popitem(last=False)
        return comments

    def truth_json(self, comments: bool = True, users: bool = True, offset: int = 0, limit: int | None = None) -> bytes:
        """The ground truth as JSON, built from the very bytes the API serves.

        ``{"now", "tickets", "users"}``: tickets (all scopes, stream order, ``tickets[offset:offset+limit]``)
        exactly as the export returns them now, each with ``comments`` (what the comments
        endpoint returns; ``[]`` once deleted) and ``_support_type_scope``; every user with ``_deleted``.
        """
        generator = self.generator
        with self._lock:
            keys = self._order[offset:None if limit is None else offset + limit]
            states = [self._states[key[1]] for key in keys]
        parts = [b'{"now":%d,"tickets":[' % self.clock.now_int()]
        for i, state in enumerate(states):
            ticket = dumps(generator.render_ticket(state))[:-1]
            if comments:
                listed = [] if state.deleted else self._comments(state)
                ticket += b',"comments":[' + b",".join(c.json for c in listed) + b"]"
            parts.append((b"," if i else b"") + ticket + b',"_support_type_scope":"%s"}' % state.scope.encode())
        parts.append(b'],"users":[')
        if users:
            parts.append(b",".join(dumps({**generator.user(uid), "_deleted": uid in generator.deleted_user_ids})
                                   for uid in (*generator.agent_ids, *generator.end_user_ids)))
        parts.append(b"]}")
        return b"".join(parts)

    def truth(self, **options: Any) -> dict[str, Any]:
        """:meth:`truth_json`, decoded."""
        return json.loads(self.truth_json(**options))

    def stats(self) -> dict[str, Any]:
        """Counts of tickets, comments and users."""
        with self._lock:
            states = list(self._states.values())
        generator = self.generator
        return {
            "now": self.clock.now_int(),
            "tickets": len(states),
            "deleted_tickets": sum(s.deleted for s in states),
            "ai_agent_tickets": sum(s.scope == "ai_agent" for s in states),
            "comments": sum(s.comment_count for s in states),
            "max_comments_per_ticket": max((s.comment_count for s in states), default=0),
            "users": len(generator.agent_ids) + len(generator.end_user_ids),
            "deleted_users": len(generator.deleted_user_ids),
        }

    # -------------------------------------------------------------- changes

    def apply_changes(self, ops: dict[str, Any]) -> dict[str, list[int]]:
        """Apply control-API changes; each stamps updated_at and generated_timestamp with sandbox-now.

        ``create``: n new tickets; ``add_comments``: 1–3 comments each; ``update``: new status,
        priority and tags; ``delete``; ``delete_on_comment_read``: delete on the first comments
        request. Raises ``ValueError`` for unknown operations or tickets, or deleted tickets.
        """
        unknown = set(ops) - set(CHANGES)
        if unknown:
            raise ValueError(f"unknown change operations: {sorted(unknown)}")
        changed: list[int] = []
        created: list[int] = []
        with self._lock:
            now = self.clock.now_int()
            for name in CHANGES[1:]:
                for ticket_id in ops.get(name, []):
                    state = self._states.get(ticket_id) if isinstance(ticket_id, int) else None
                    if state is None:
                        raise ValueError(f"{name}: no ticket {ticket_id!r}")
                    if state.deleted:
                        raise ValueError(f"{name}: ticket {ticket_id} is deleted")
            for _ in range(int(ops.get("create", 0))):
                state = self.generator.new_state(self._next_ticket_id, len(self._states), now)
                self._next_ticket_id += 1
                self._states[state.id] = state
                bisect.insort(self._order, state.key)
                created.append(state.id)
            for ticket_id in ops.get("add_comments", []):
                state = self._states[ticket_id]
                added = 1 + (ticket_id + state.comment_count) % 3
                changed.append(self._store(state._replace(extra_comment_times=state.extra_comment_times + (now,) * added), now))
            for ticket_id in ops.get("update", []):
                self._updates += 1
                state = self._states[ticket_id]
                changed.append(self._store(state._replace(
                    overrides=self.generator.updated_overrides(state, self._updates)), now))
            for ticket_id in ops.get("delete", []):
                changed.append(self._store(self._states[ticket_id]._replace(deleted=True), now))
            self._armed.update(ops.get("delete_on_comment_read", []))
        return {"changed": list(dict.fromkeys(changed)), "created": created}

    def _store(self, state: TicketState, now: int) -> int:
        """Store a changed state stamped ``now``, moving the ticket to the end of the stream. Caller holds the lock."""
        del self._order[bisect.bisect_left(self._order, self._states[state.id].key)]
        state = state._replace(updated_at=now, generated_timestamp=now)
        self._states[state.id] = state
        bisect.insort(self._order, state.key)
        return state.id
