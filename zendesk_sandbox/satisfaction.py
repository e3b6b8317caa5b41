"""Satisfaction ratings (legacy CSAT): ``GET /api/v2/satisfaction_ratings``, their truth and their changes.

One rating per solved or closed ticket that has an assignee (about a third of them: offered, then rated good or
bad, with or without a comment, a reason on bad ones), pointing at the ticket's real requester, assignee and group.
Many were rated after the survey was offered, so ``updated_at`` is later than ``created_at`` (as in the docs'
own example). Sample: ``tests/fixtures/zendesk-samples/satisfaction_ratings.json``.

Filters as documented (``score``, ``start_time``, ``end_time``); ``start_time``/``end_time`` compare with
``created_at``, ``start_time`` exclusive (what singer-io/tap-zendesk reports Zendesk support told them, and
observed): a rating changed after its creation does not come back for a ``start_time`` after its creation,
which is the trap an incremental reader must not fall into. Pagination: cursor (``page[size]`` ≤ 100, id order)
or offset (``page``, ``per_page`` ≤ 100). Thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any

from .account import unix
from .encoding import dumps, iso
from .generator import Generator
from .generator.randomness import FastRandom, mix

PATH = "/api/v2/satisfaction_ratings.json"
#: Rating ids start here (one per rated ticket, in ticket order).
FIRST_RATING_ID = 3_600_000_000_000
#: ``reason_id`` of a bad rating: Zendesk's default reasons (Satisfaction Reasons API reason codes).
REASONS = ((1000, "The issue took too long to resolve"), (1001, "The issue was not resolved"),
           (1002, "The agent's knowledge is unsatisfactory"), (1003, "The agent's attitude is unsatisfactory"),
           (100, "Some other reason"))
NO_REASON = (0, "No reason provided")
COMMENTS = ("Awesome support!", "Très bien, merci 🙏", "遅すぎる。", "Nope.\nStill broken <b>at all</b>",
            "  ", "Danke – alles gut", "\u202eevil bidi\u202c comment", "")
#: Score filters: which ratings each keeps (``None``: any score), and whether with or without a comment.
SCORE_FILTERS: dict[str, tuple[tuple[str, ...] | None, bool | None]] = {
    "offered": (("offered",), None), "unoffered": (("unoffered",), None),
    "received": (("good", "bad"), None), "received_with_comment": (("good", "bad"), True),
    "received_without_comment": (("good", "bad"), False),
    "good": (("good",), None), "good_with_comment": (("good",), True), "good_without_comment": (("good",), False),
    "bad": (("bad",), None), "bad_with_comment": (("bad",), True), "bad_without_comment": (("bad",), False),
}


class SatisfactionRatings:
    """Every satisfaction rating as it is now, seeded from the tickets, changed by the control API."""

    def __init__(self, generator: Generator, base_url: str, ticket_ids: list[tuple[int, int]]) -> None:
        """``ticket_ids``: (ticket id, created_at) of every seeded ticket."""
        self.base_url = base_url
        self.generator = generator
        self._lock = threading.Lock()
        self._ticket_ids = [ticket_id for ticket_id, _ in ticket_ids]
        self._ratings: dict[int, dict[str, Any]] = {}
        self._rated_tickets: set[int] = set()
        self._next_id = FIRST_RATING_ID
        self._changes = 0
        for ticket_id, created_at in ticket_ids:
            people = generator.tickets.people(ticket_id)
            if people.status not in ("solved", "closed") or people.assignee is None or ticket_id % 5 == 0:
                continue  # every fifth such ticket waits for its survey: ``create`` changes rate them
            rng = FastRandom(mix(generator.options.seed, 61, ticket_id))
            offered = created_at + rng.randint(3600, 5 * 86400)
            score = rng.choice(("offered", "good", "good", "bad", "unoffered"))
            rated = offered + rng.randint(1, 3 * 86400) if score in ("good", "bad") else offered
            self._add(ticket_id, score, offered, min(rated, generator.options.epoch), rng)

    def _add(self, ticket_id: int, score: str, created_at: int, updated_at: int, rng: FastRandom) -> None:
        people = self.generator.tickets.people(ticket_id)
        rating_id = self._next_id
        self._next_id += 1
        comment = rng.choice(COMMENTS) if score in ("good", "bad") else None
        reason_id, reason = rng.choice(REASONS) if score == "bad" else NO_REASON
        self._ratings[rating_id] = {
            "url": f"{self.base_url}/api/v2/satisfaction_ratings/{rating_id}.json", "id": rating_id,
            "assignee_id": people.assignee, "group_id": people.group, "requester_id": people.requester,
            "ticket_id": ticket_id, "score": score, "created_at": iso(created_at), "updated_at": iso(updated_at),
            "comment": comment, "reason": reason, "reason_id": reason_id}
        self._rated_tickets.add(ticket_id)

    def ids(self) -> list[int]:
        with self._lock:
            return sorted(self._ratings)

    def json(self, rating_id: int) -> bytes:
        with self._lock:
            return dumps(self._ratings[rating_id])

    def matching(self, query: dict[str, str]) -> list[int]:
        """Ids of the ratings the filters keep, ascending (400 for an unknown score, as Zendesk does)."""
        score = query.get("score")
        if score is not None and score not in SCORE_FILTERS:
            raise ValueError(f"score {score!r} is not valid")
        scores, with_comment = SCORE_FILTERS[score] if score else (None, None)
        start = _epoch(query, "start_time")
        end = _epoch(query, "end_time")
        out = []
        with self._lock:
            for rating_id in sorted(self._ratings):
                rating = self._ratings[rating_id]
                created = unix(rating["created_at"])
                if scores is not None and rating["score"] not in scores:
                    continue
                if with_comment is not None and bool((rating["comment"] or "").strip()) != with_comment:
                    continue
                if (start is not None and created <= start) or (end is not None and created > end):
                    continue
                out.append(rating_id)
        return out

    def truth(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(self._ratings[rid]) for rid in sorted(self._ratings)]

    def apply(self, ops: Any, now: int) -> dict[str, list[int]]:
        """``{"update": [rating ids], "create": n}``: an update rates an offered rating or changes a received one
        (score, comment, reason), stamping ``updated_at`` now and keeping ``created_at``; ``create`` adds ratings
        (offered now) to solved or closed tickets that have none. ``ValueError`` before any change otherwise."""
        if not isinstance(ops, dict) or set(ops) - {"update", "create"}:
            raise ValueError("satisfaction_ratings: {\"update\": [ids], \"create\": n} is expected")
        updates = ops.get("update", [])
        create = ops.get("create", 0)
        if not isinstance(updates, list) or type(create) is not int or create < 0:
            raise ValueError("satisfaction_ratings: update takes a list of ids, create a number")
        with self._lock:
            for rating_id in updates:
                if rating_id not in self._ratings:
                    raise ValueError(f"satisfaction_ratings: no rating {rating_id!r}")
            changed = []
            for rating_id in updates:
                self._changes += 1
                rating = self._ratings[rating_id]
                score = "bad" if rating["score"] == "good" else "good"
                reason_id, reason = REASONS[self._changes % len(REASONS)] if score == "bad" else NO_REASON
                rating.update(score=score, comment=f"changed my mind ✎{self._changes}", reason=reason,
                              reason_id=reason_id, updated_at=iso(now))
                changed.append(rating_id)
            created = []
            candidates = [tid for tid in self._ticket_ids if tid not in self._rated_tickets
                          and self.generator.tickets.people(tid).status in ("solved", "closed")
                          and self.generator.tickets.people(tid).assignee is not None]
            if len(candidates) < create:
                raise ValueError(f"satisfaction_ratings: only {len(candidates)} tickets can get a new rating")
            for ticket_id in candidates[:create]:
                self._add(ticket_id, "offered", now, now, FastRandom(mix(self.generator.options.seed, 62, ticket_id)))
                created.append(self._next_id - 1)
        return {"changed": changed, "created": created}


def _epoch(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a Unix epoch time") from None
