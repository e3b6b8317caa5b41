"""Ticket states: the seeded history of every ticket (when created, active, updated, deleted; how many comments)
and the states changes give them. A :class:`TicketState` is all a ticket's JSON and comments depend on."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import content
from .layout import FIRST_TICKET_ID, HISTORY_SECONDS
from .options import Options
from .randomness import FastRandom, mix

CUSTOM_STATUS_IDS = {"new": 360000111220, "open": 360000111221, "pending": 360000111222,
                     "hold": 360000111223, "solved": 360000111224, "closed": 360000111225}


@dataclass(frozen=True, eq=False)
class WrittenTicket:
    """A ticket made by a write endpoint (the Ticket Import API): its JSON members and comments as stored, not
    generated. ``ticket`` holds every member but ``created_at``, ``updated_at`` and ``generated_timestamp`` (those
    come from the state); ``comments`` are :class:`~.comments.Comment` objects."""

    ticket: dict[str, Any]
    comments: tuple[Any, ...]
    #: Imported with ``archive_immediately=true`` and status ``closed``: straight to the archive.
    archived: bool
    #: Sandbox time from which the search export finds it (the search index's delay).
    indexed_at: int


class TicketState(NamedTuple):
    """What distinguishes one ticket's current state; replaced, never mutated."""

    id: int
    #: Creation rank (0 for the first ticket); decides which hostile fragments the ticket carries.
    number: int
    created_at: int
    #: Last comment time of the generated history (base comments lie in [created_at, activity_end]).
    activity_end: int
    updated_at: int
    generated_timestamp: int
    deleted: bool
    scope: str
    base_comments: int
    #: created_at of comments added by changes, oldest first.
    extra_comment_times: tuple[int, ...] = ()
    #: Top-level ticket fields replaced by changes.
    overrides: tuple[tuple[str, Any], ...] = ()
    #: (comment index, kind) of comments added by ``huge_comment`` and ``odd`` changes.
    special: tuple[tuple[int, str], ...] = ()
    #: Served in unexpected shapes (``odd`` change): missing fields, wrong types, users that do not exist.
    odd: bool = False
    #: (time, update number) of every ``update`` change, oldest first (their audits in the event export).
    updates: tuple[tuple[int, int], ...] = ()
    #: The status a ticket created by a change was created with (its Create event).
    created_status: str | None = None
    #: The stored ticket of a ticket made by a write endpoint (None: a generated one).
    written: WrittenTicket | None = None

    @property
    def key(self) -> tuple[int, int]:
        """Position in the incremental export stream."""
        return (self.generated_timestamp, self.id)

    @property
    def comment_count(self) -> int:
        """Comments the ticket holds (0 once deleted)."""
        return 0 if self.deleted else self.total_comments

    @property
    def total_comments(self) -> int:
        """Comments the ticket holds or held before it was deleted (their events stay in the event export)."""
        return self.base_comments + len(self.extra_comment_times)


class TicketHistory:
    """The seeded tickets' states and the states ``create`` and ``update`` changes give them."""

    def __init__(self, options: Options, agent_ids: tuple[int, ...]) -> None:
        self.options = options
        self._agent_ids = agent_ids

    def initial_states(self) -> list[TicketState]:
        """Every seeded ticket's state in id order: created over the 20 days before the epoch.

        About 5 % are deleted, 2 % are AI-agent tickets and 1 in 60 has 150–450 comments. Many
        tickets share a generated_timestamp (bulk updates), which is sometimes after updated_at.
        """
        opts = self.options
        if opts.account != "seeded":
            return []
        rng = FastRandom(mix(opts.seed, 3))
        n, epoch = opts.tickets, opts.epoch
        start = epoch - HISTORY_SECONDS
        created = sorted(rng.randint(start, epoch) for _ in range(n))
        bursts = sorted(rng.randint(start, epoch) for _ in range(max(3, n // 50)))
        flags = [self._flags(rng) for _ in range(n)]
        if not opts.heavy_tickets:
            for ticket_flags in flags:
                ticket_flags.discard("heavy")
        for index, forced in ((3, "heavy"), (5, "ai_agent"), (8, "deleted")):
            if forced == "heavy" and not opts.heavy_tickets:
                continue
            if n > index and not any(forced in f for f in flags):
                flags[index] = {forced}
        states = []
        ticket_id = FIRST_TICKET_ID
        for number in range(n):
            created_at = created[number]
            activity_end = min(epoch, created_at + int(rng.expovariate(1 / (2 * 86400))))
            updated_at = activity_end
            deleted = "deleted" in flags[number]
            if deleted:
                updated_at = min(epoch, activity_end + rng.randint(60, 5 * 86400))
            elif rng.random() < 0.25:
                updated_at = min(epoch, activity_end + rng.randint(1, 3 * 86400))
            gts = updated_at
            roll = rng.random()
            if roll < 0.3:
                gts = max(updated_at, bursts[min(bisect.bisect_left(bursts, updated_at), len(bursts) - 1)])
            elif roll < 0.35:
                gts = min(epoch, updated_at + rng.randint(1, 600))
            comments = rng.randint(150, 450) if "heavy" in flags[number] else \
                rng.choices(range(1, 9), weights=(10, 14, 16, 16, 14, 12, 10, 8))[0]
            states.append(TicketState(
                id=ticket_id, number=number, created_at=created_at, activity_end=activity_end,
                updated_at=updated_at, generated_timestamp=gts, deleted=deleted,
                scope="ai_agent" if "ai_agent" in flags[number] else "agent", base_comments=comments))
            ticket_id += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        return states

    @staticmethod
    def _flags(rng: FastRandom) -> set[str]:
        roll = rng.random()
        flags = {"deleted"} if roll < 0.05 else {"ai_agent"} if roll < 0.07 else set()
        if rng.random() < 1 / 60:
            flags.add("heavy")
        return flags

    def new_state(self, ticket_id: int, number: int, now: int) -> TicketState:
        """A ticket created now by a change, with 1–8 comments all stamped now."""
        rng = FastRandom(mix(self.options.seed, 10, ticket_id))
        return TicketState(
            id=ticket_id, number=number, created_at=now, activity_end=now, updated_at=now,
            generated_timestamp=now, deleted=False, scope="ai_agent" if rng.random() < 0.02 else "agent",
            base_comments=rng.randint(1, 8), created_status="new",
            overrides=(("status", "new"), ("custom_status_id", CUSTOM_STATUS_IDS["new"])))

    def update_values(self, ticket_id: int, change: int) -> tuple[str, str, list[str], int]:
        """Status, priority, tags and the updating agent of the ``change``-th update change."""
        rng = FastRandom(mix(self.options.seed, 9, ticket_id, change))
        status = rng.choice(("open", "pending", "hold", "solved"))
        priority = rng.choice(("low", "normal", "high", "urgent"))
        tags = content.tags(rng)
        return status, priority, tags, rng.choice(self._agent_ids)

    def updated_overrides(self, state: TicketState, change: int) -> tuple[tuple[str, Any], ...]:
        """New status, priority and tags for the ``change``-th update change."""
        status, priority, tags, _ = self.update_values(state.id, change)
        overrides = dict(state.overrides)
        overrides.update(status=status, custom_status_id=CUSTOM_STATUS_IDS[status], priority=priority, tags=tags)
        return tuple(overrides.items())
