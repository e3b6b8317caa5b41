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

from datetime import datetime
from itertools import islice
from typing import Any

#: Comment fields of the comments endpoint that comment events do not carry.
FIELDS_NOT_IN_EVENTS = ["metadata", "plain_body"]


def epoch(timestamp: Any) -> int | None:
    """Unix seconds of a Zendesk ISO 8601 timestamp (``None`` if it is not one)."""
    if not isinstance(timestamp, str):
        return None
    try:
        return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


class CommentEvents:
    """Comments read from the event stream, kept by ticket until the ticket's record takes them."""

    def __init__(self, start_time: int) -> None:
        self.start_time = start_time
        self.comments: dict[Any, dict[Any, dict[str, Any]]] = {}
        #: Tickets whose comments are no longer kept (see ``evict``): fetched per ticket instead.
        self.evicted: set[Any] = set()
        #: Every comment created at or before this second has been read.
        self.covered_until = start_time - 1
        self.finished = False

    def add_page(self, page: dict[str, Any]) -> None:
        """Take one page of ``/incremental/ticket_events.json?include=comment_events``."""
        for event in page.get("ticket_events") or []:
            if not isinstance(event, dict):
                continue
            for child in event.get("child_events") or []:
                if isinstance(child, dict) and child.get("event_type") == "Comment" and "body" in child:
                    ticket_id = event.get("ticket_id")
                    if ticket_id not in self.evicted:
                        self.comments.setdefault(ticket_id, {})[child.get("id")] = child
        end_time = page.get("end_time")
        if isinstance(end_time, int):
            # Events of the end_time second may continue on the next page.
            reached = end_time if page.get("end_of_stream") else end_time - 1
            self.covered_until = max(self.covered_until, reached)
        if page.get("end_of_stream"):
            self.finished = True

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

    def take(self, ticket_id: Any) -> list[dict[str, Any]]:
        """The comments read for a ticket (forgotten afterwards)."""
        return list(self.comments.pop(ticket_id, {}).values())

    def evict(self, keep: set[Any] | dict[Any, Any], limit: int) -> int:
        """Forget the comments of the tickets read longest ago, but those in ``keep``, until at most ``limit`` remain.

        Their later comments are not kept either: those tickets are fetched per
        ticket. This bounds memory when many tickets' last update lies far
        ahead of the event stream (a bulk update of old tickets, say).
        Returns how many tickets were evicted.
        """
        excess = len(self.comments) - limit
        if excess <= 0:
            return 0
        victims = list(islice((ticket_id for ticket_id in self.comments if ticket_id not in keep), excess))
        for ticket_id in victims:
            del self.comments[ticket_id]
        self.evicted.update(victims)
        return len(victims)

    def stop_collecting(self, ticket_id: Any) -> None:
        """Forget a ticket's comments and keep none of its later ones: it is fetched per ticket from now on.

        For a ticket whose earlier version already took its comments: the
        stream no longer holds its whole conversation.
        """
        self.comments.pop(ticket_id, None)
        self.evicted.add(ticket_id)

    def drop(self, ticket_id: Any) -> None:
        """Forget a ticket's comments (a deleted ticket, or one fetched per ticket)."""
        self.comments.pop(ticket_id, None)
